//! `--color auto|always|never`: only the status words of the `state`,
//! `renewals` and `position` tables are coloured, only when asked or on a
//! terminal without `NO_COLOR`, and never in JSON or CSV.

use crate::util::TestStore;

const AS_OF: &str = "2025-06-01";

/// On 2025-06-01: ACRO's last day to cancel has passed, CAD renewed itself
/// without a confirmation, DRAW is cancelled, OLD expired, ZOOM is open.
/// Usage: Adobe short (under), Acme exact (compliant), Zoom spare (over).
fn scenario() -> TestStore {
    let s = TestStore::new();
    let buy = |id: &str, vendor: &str, product: &str, start: &str, end: &str, extra: &[&str]| {
        let mut args = vec![
            "purchase",
            "--id",
            id,
            "--vendor",
            vendor,
            "--product",
            product,
            "--metric",
            "user",
            "--qty",
            "10",
            "--start",
            start,
            "--end",
            end,
        ];
        args.extend_from_slice(extra);
        s.ok(&args);
    };
    buy(
        "ACRO",
        "Adobe",
        "Acrobat Pro",
        "2024-08-01",
        "2025-07-31",
        &["--notice-days", "90"],
    );
    buy(
        "CAD",
        "Acme",
        "CAD",
        "2023-07-01",
        "2024-06-30",
        &["--auto-renew", "--renewal-months", "12"],
    );
    buy("DRAW", "Corel", "Draw", "2024-01-01", "2025-12-31", &[]);
    s.ok(&["cancel", "DRAW", "--effective", "2025-03-31"]);
    buy("OLD", "Oldsoft", "Tool", "2023-01-01", "2023-12-31", &[]);
    buy(
        "ZOOM",
        "Zoom",
        "Meetings",
        "2024-08-15",
        "2025-08-15",
        &["--notice-days", "30"],
    );
    for (vendor, product, count) in [
        ("Adobe", "Acrobat Pro", "12"),
        ("Acme", "CAD", "10"),
        ("Zoom", "Meetings", "8"),
    ] {
        s.ok(&[
            "usage",
            "record",
            "--vendor",
            vendor,
            "--product",
            product,
            "--metric",
            "user",
            "--count",
            count,
            "--date",
            "2025-05-31",
        ]);
    }
    s
}

/// Runs `entitle ARGS` with stdout piped (never a terminal), `NO_COLOR`
/// as given, and an 80-column width.
fn run(s: &TestStore, args: &[&str], no_color: Option<&str>) -> String {
    let mut c = s.command(args);
    c.env("COLUMNS", "80").env_remove("NO_COLOR");
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    let out = c.output().expect("run entitle");
    assert!(
        out.status.success(),
        "entitle {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Every coloured run of text: (the SGR parameters, the text), in order.
fn painted(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        let after = &rest[at + 2..];
        let m = after.find('m').expect("SGR ends in m");
        let code = &after[..m];
        let body = &after[m + 1..];
        let end = body.find("\x1b[0m").expect("colour is reset");
        assert_ne!(code, "0", "a reset without a colour in {text:?}");
        found.push((code.to_owned(), body[..end].to_owned()));
        rest = &body[end + 4..];
    }
    found
}

fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        rest = &after[after.find('m').expect("SGR ends in m") + 1..];
    }
    out.push_str(rest);
    out
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(c, w)| ((*c).to_owned(), (*w).to_owned()))
        .collect()
}

/// The table with `--color always`: exactly `expected` coloured, the same
/// text as `--color never` once the codes are removed. Returns the plain
/// text.
fn check_always(s: &TestStore, query: &[&str], expected: &[(&str, &str)]) -> String {
    let mut always = query.to_vec();
    always.extend(["--color", "always"]);
    let coloured = run(s, &always, Some("1"));
    assert_eq!(painted(&coloured), pairs(expected), "{coloured}");
    let mut never = query.to_vec();
    never.extend(["--color", "never"]);
    let plain = run(s, &never, None);
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert_eq!(strip(&coloured), plain, "colour changes no width");
    plain
}

fn assert_fits_80(text: &str) {
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line:?} is wider than 80");
    }
}

#[test]
fn state_colours_renewed_assumed_yellow_and_what_no_longer_counts_dim() {
    let s = scenario();
    let plain = check_always(
        &s,
        &["state", "--as-of", AS_OF],
        &[
            ("33", "renewed-assumed"),
            ("2", "cancelled"),
            ("2", "expired"),
        ],
    );
    assert_fits_80(&plain);
}

#[test]
fn renewals_colours_a_passed_deadline_red_and_an_assumed_renewal_yellow() {
    let s = scenario();
    let plain = run(
        &s,
        &["renewals", "--as-of", AS_OF, "--color", "never"],
        None,
    );
    for id in ["ACRO", "CAD", "ZOOM"] {
        assert!(plain.contains(id), "{id} in {plain}");
    }
    assert!(plain.contains("open"), "{plain}");
    let plain = check_always(
        &s,
        &["renewals", "--as-of", AS_OF],
        &[("31", "deadline-passed"), ("33", "renewed-assumed")],
    );
    assert_fits_80(&plain);
}

#[test]
fn position_colours_under_red_over_yellow_compliant_green() {
    let s = scenario();
    let plain = check_always(
        &s,
        &["position", "--as-of", AS_OF],
        &[("32", "compliant"), ("31", "under"), ("33", "over")],
    );
    assert_fits_80(&plain);
}

#[test]
fn no_colour_unless_asked_or_on_a_terminal() {
    let s = scenario();
    for query in [
        ["state", "--as-of", AS_OF],
        ["renewals", "--as-of", AS_OF],
        ["position", "--as-of", AS_OF],
    ] {
        let piped = run(&s, &query, None);
        assert!(!piped.contains('\x1b'), "piped, auto: {piped:?}");
        let mut never = query.to_vec();
        never.extend(["--color", "never"]);
        assert_eq!(run(&s, &never, None), piped);
        let mut auto = query.to_vec();
        auto.extend(["--color", "auto"]);
        let no_color = run(&s, &auto, Some("1"));
        assert!(!no_color.contains('\x1b'), "NO_COLOR=1: {no_color:?}");
        // the global flag goes before the subcommand too
        let mut first = vec!["--color", "never"];
        first.extend(query);
        assert_eq!(run(&s, &first, None), piped);
    }
}

#[test]
fn json_and_csv_never_carry_colour() {
    let s = scenario();
    for query in [
        ["state", "--as-of", AS_OF],
        ["renewals", "--as-of", AS_OF],
        ["position", "--as-of", AS_OF],
    ] {
        for format in [&["--format", "csv"][..], &["--format", "json"], &["--json"]] {
            let mut args = query.to_vec();
            args.extend_from_slice(format);
            args.extend(["--color", "always"]);
            let out = run(&s, &args, None);
            assert!(!out.contains('\x1b'), "{args:?}: {out:?}");
            assert!(!out.is_empty(), "{args:?}");
        }
    }
}

#[test]
fn a_bad_color_value_is_a_usage_error_naming_the_flag() {
    let s = TestStore::new();
    let err = s.fails(2, &["state", "--color", "sometimes"]);
    assert!(
        err.contains("invalid value 'sometimes' for '--color <WHEN>'"),
        "{err}"
    );
    assert!(err.contains("auto, always, never"), "{err}");
}
