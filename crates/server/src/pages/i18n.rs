//! German and English, both first-class: a typed catalogue (every string
//! exists in both languages or the crate does not compile), whole
//! sentences with their numbers put in by the language's own function
//! (never pieced together), plural rules per language, and dates, numbers
//! and money as each language writes them (`31.03.2024`, `1.234,56 €` /
//! `2024-03-31`, `€1,234.56`). URLs and the API stay ISO.

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::forms::Action;

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Deutsch.
    De,
    /// English.
    En,
}

impl Lang {
    /// `de` or `en`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// A language code as the switch or a cookie gives it.
    pub(crate) fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best of German and English for an `Accept-Language` header
    /// (English when it names neither).
    pub(crate) fn from_accept(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                .unwrap_or(1.0_f32);
            let primary = tag.split('-').next().unwrap_or_default();
            if let Some(lang) = Lang::parse(primary) {
                if best.is_none_or(|(b, _)| q > b) {
                    best = Some((q, lang));
                }
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    /// The other language (for the switch).
    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::De => Lang::En,
            Lang::En => Lang::De,
        }
    }

    /// The catalogue.
    pub(crate) fn t(self) -> &'static Texts {
        match self {
            Lang::De => &DE,
            Lang::En => &EN,
        }
    }

    /// A date for display.
    pub(crate) fn date(self, d: Date) -> String {
        match self {
            Lang::De => format!("{:02}.{:02}.{:04}", d.day(), d.month(), d.year()),
            Lang::En => d.to_string(),
        }
    }

    /// An ISO date (as the API gives it) for display; other text as it is.
    pub(crate) fn date_text(self, iso: &str) -> String {
        iso.parse::<Date>()
            .map_or_else(|_| iso.to_owned(), |d| self.date(d))
    }

    /// A whole number with the language's grouping (`1.234` / `1,234`).
    pub(crate) fn number(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sep = match self {
            Lang::De => '.',
            Lang::En => ',',
        };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if n < 0 {
            format!("−{out}")
        } else {
            out
        }
    }

    /// A signed whole number (`+5`, `−14`).
    pub(crate) fn signed(self, n: i64) -> String {
        if n > 0 {
            format!("+{}", self.number(n))
        } else {
            self.number(n)
        }
    }

    /// An amount in a currency: `1.234,56 €` / `€1,234.56`; a currency
    /// without a sign keeps its code (`1.234,56 CHF` / `CHF 1,234.56`).
    pub(crate) fn money(self, amount: Decimal, currency: &str) -> String {
        let rounded = amount.round_dp(2);
        let negative = rounded.is_sign_negative() && !rounded.is_zero();
        let abs = rounded.abs();
        let whole = abs.trunc();
        let cents = ((abs - whole) * Decimal::from(100)).trunc();
        let whole: i64 = whole.try_into().unwrap_or(i64::MAX);
        let cents: i64 = cents.try_into().unwrap_or(0);
        let (decimal, sign) = match self {
            Lang::De => (',', if negative { "−" } else { "" }),
            Lang::En => ('.', if negative { "−" } else { "" }),
        };
        let number = format!("{}{decimal}{cents:02}", self.number(whole));
        let symbol = match currency {
            "EUR" => Some("€"),
            "USD" => Some("$"),
            "GBP" => Some("£"),
            _ => None,
        };
        match (self, symbol) {
            (Lang::De, Some(s)) => format!("{sign}{number}\u{a0}{s}"),
            (Lang::De, None) => format!("{sign}{number}\u{a0}{currency}"),
            (Lang::En, Some(s)) => format!("{sign}{s}{number}"),
            (Lang::En, None) => format!("{sign}{currency}\u{a0}{number}"),
        }
    }

    /// An amount given as text (as the API gives it); other text as it is.
    pub(crate) fn money_text(self, amount: &str, currency: &str) -> String {
        amount.parse::<Decimal>().map_or_else(
            |_| format!("{amount} {currency}"),
            |d| self.money(d, currency),
        )
    }

    /// The status word of a position row.
    pub(crate) fn position_status(self, status: &str) -> &'static str {
        let t = self.t();
        match status {
            "under" => t.st_under,
            "over" => t.st_over,
            "compliant" => t.st_compliant,
            "metric-mismatch" => t.st_mismatch,
            _ => t.st_no_usage,
        }
    }

    /// A count rule in words.
    pub(crate) fn count_rule(self, rule: entitle_core::CountRule) -> &'static str {
        use entitle_core::CountRule as R;
        match (self, rule) {
            (Lang::De, R::Installations) => "Installationen (eine je Host)",
            (Lang::De, R::PhysicalCores) => "physische Kerne",
            (Lang::De, R::Sockets) => "belegte Sockel (Prozessoren)",
            (Lang::De, R::MicrosoftCore) => {
                "Windows Server je Kern (mind. 8 je Prozessor, 16 je Server)"
            }
            (Lang::De, R::SqlServerCore) => "SQL Server je Kern (mind. 4 je Prozessor)",
            (Lang::De, R::OracleProcessor) => "Oracle Processor (Kerne × Core-Faktor)",
            (Lang::De, R::OracleSe2Socket) => "Oracle SE2 (belegte Sockel)",
            (Lang::En, R::Installations) => "installations (one per host)",
            (Lang::En, R::PhysicalCores) => "physical cores",
            (Lang::En, R::Sockets) => "occupied sockets (processors)",
            (Lang::En, R::MicrosoftCore) => {
                "Windows Server per core (at least 8 per processor, 16 per server)"
            }
            (Lang::En, R::SqlServerCore) => "SQL Server per core (at least 4 per processor)",
            (Lang::En, R::OracleProcessor) => "Oracle Processor (cores × core factor)",
            (Lang::En, R::OracleSe2Socket) => "Oracle SE2 (occupied sockets)",
        }
    }

    /// The status word of a license.
    pub(crate) fn license_status(self, status: &str) -> &'static str {
        let t = self.t();
        match status {
            "pending" => t.ls_pending,
            "active" => t.ls_active,
            "renewed-assumed" => t.ls_renewed,
            "expired" => t.ls_expired,
            "cancelled" => t.ls_cancelled,
            _ => t.unknown,
        }
    }

    /// The status of a notice deadline.
    pub(crate) fn deadline_status(self, status: &str) -> &'static str {
        let t = self.t();
        match status {
            "deadline-passed" => t.dl_passed,
            "renewed-assumed" => t.ls_renewed,
            _ => t.dl_open,
        }
    }

    /// What a metric counts.
    pub(crate) fn metric(self, metric: &str) -> &'static str {
        let t = self.t();
        match metric {
            "user" => t.m_user,
            "device" => t.m_device,
            "core" => t.m_core,
            "processor" => t.m_processor,
            "concurrent" => t.m_concurrent,
            "instance" => t.m_instance,
            _ => t.m_site,
        }
    }

    /// An event type.
    pub(crate) fn event(self, event: &str) -> &'static str {
        let t = self.t();
        match event {
            "purchased" => t.ev_purchased,
            "extended" => t.ev_extended,
            "adjusted" => t.ev_adjusted,
            "cancelled" => t.ev_cancelled,
            "document_attached" => t.ev_document,
            "usage_recorded" => t.ev_usage,
            "voided" => t.ev_voided,
            _ => t.unknown,
        }
    }

    /// The banner of a view that is not "today, as known now": the date
    /// (when not today), what the view is known at (a date or an event
    /// number, when not everything), and how many later events it leaves
    /// out.
    pub(crate) fn banner(self, as_of: Option<Date>, known: Option<&Known>, hidden: u64) -> String {
        let known_words = known.map(|k| match (self, k) {
            (Lang::De, Known::Date(d)) => format!("Stand der Aufzeichnungen am {}", self.date(*d)),
            (Lang::En, Known::Date(d)) => format!("as recorded on {}", self.date(*d)),
            (Lang::De, Known::Seq(n)) => format!("Stand nach Ereignis #{n}"),
            (Lang::En, Known::Seq(n)) => format!("as recorded up to event #{n}"),
            (Lang::De, Known::Time(t)) => format!("Stand der Aufzeichnungen um {t}"),
            (Lang::En, Known::Time(t)) => format!("as recorded at {t}"),
        });
        let later = match (self, hidden) {
            (Lang::De, 1) => "1 späteres Ereignis ist nicht berücksichtigt".to_owned(),
            (Lang::De, n) => format!("{n} spätere Ereignisse sind nicht berücksichtigt"),
            (Lang::En, 1) => "1 later event not shown".to_owned(),
            (Lang::En, n) => format!("{n} later events not shown"),
        };
        match (self, as_of, known_words) {
            (Lang::De, Some(d), Some(k)) => format!("Ansicht zum {}, {k} — {later}.", self.date(d)),
            (Lang::En, Some(d), Some(k)) => format!("Showing {}, {k} — {later}.", self.date(d)),
            (Lang::De, None, Some(k)) => format!("Ansicht für heute, {k} — {later}."),
            (Lang::En, None, Some(k)) => format!("Showing today, {k} — {later}."),
            (Lang::De, Some(d), None) => {
                format!(
                    "Ansicht zum {} mit allem, was bis jetzt aufgezeichnet ist.",
                    self.date(d)
                )
            }
            (Lang::En, Some(d), None) => {
                format!(
                    "Showing {}, with everything recorded up to now.",
                    self.date(d)
                )
            }
            (Lang::De, None, None) => "Ansicht für heute.".to_owned(),
            (Lang::En, None, None) => "Showing today.".to_owned(),
        }
    }

    /// "Position on 30.06.2024".
    pub(crate) fn position_on(self, d: Date) -> String {
        match self {
            Lang::De => format!("Lizenzbilanz zum {}", self.date(d)),
            Lang::En => format!("Position on {}", self.date(d)),
        }
    }

    /// "Licenses on 30.06.2024".
    pub(crate) fn licenses_on(self, d: Date) -> String {
        match self {
            Lang::De => format!("Lizenzen zum {}", self.date(d)),
            Lang::En => format!("Licenses on {}", self.date(d)),
        }
    }

    /// "Notice deadlines until 28.09.2024".
    pub(crate) fn deadlines_until(self, d: Date) -> String {
        match self {
            Lang::De => format!("Kündigungsfristen bis {}", self.date(d)),
            Lang::En => format!("Notice deadlines until {}", self.date(d)),
        }
    }

    /// The chain's state in words.
    /// How long ago a check was, in words: "just now", "5 minutes ago".
    pub(crate) fn ago(self, seconds: i64) -> String {
        let minutes = seconds.max(0) / 60;
        let hours = minutes / 60;
        match (self, minutes, hours) {
            (Lang::De, 0, _) => "gerade eben".to_owned(),
            (Lang::En, 0, _) => "just now".to_owned(),
            (Lang::De, 1, _) => "vor 1 Minute".to_owned(),
            (Lang::En, 1, _) => "1 minute ago".to_owned(),
            (Lang::De, m, 0) => format!("vor {m} Minuten"),
            (Lang::En, m, 0) => format!("{m} minutes ago"),
            (Lang::De, _, 1) => "vor 1 Stunde".to_owned(),
            (Lang::En, _, 1) => "1 hour ago".to_owned(),
            (Lang::De, _, h) => format!("vor {h} Stunden"),
            (Lang::En, _, h) => format!("{h} hours ago"),
        }
    }

    /// The last check of the chain: what held, and when.
    pub(crate) fn chain_verified(self, events: u64, head: &str, ago: &str, newer: u64) -> String {
        let n = self.number(i64::try_from(events).unwrap_or(i64::MAX));
        let newer_text = match (self, newer) {
            (_, 0) => String::new(),
            (Lang::De, 1) => "; 1 neueres Ereignis noch nicht geprüft".to_owned(),
            (Lang::En, 1) => "; 1 newer event not checked yet".to_owned(),
            (Lang::De, k) => format!("; {k} neuere Ereignisse noch nicht geprüft"),
            (Lang::En, k) => format!("; {k} newer events not checked yet"),
        };
        match self {
            Lang::De => format!("Geprüft: {n} Ereignisse, Kopf {head}…, {ago}{newer_text}"),
            Lang::En => format!("Verified: {n} events, head {head}…, checked {ago}{newer_text}"),
        }
    }

    /// The last check found the chain broken.
    pub(crate) fn chain_broken(self, first_bad: Option<u64>, ago: &str) -> String {
        match (self, first_bad) {
            (Lang::De, Some(seq)) => format!(
                "Die Kette hält NICHT: das erste fehlerhafte Ereignis ist #{seq} (geprüft {ago}). Führen Sie `entitle verify` aus."
            ),
            (Lang::De, None) => format!(
                "Die Kette oder das Archiv hält NICHT (geprüft {ago}). Führen Sie `entitle verify` aus."
            ),
            (Lang::En, Some(seq)) => format!(
                "The chain does NOT hold: the first bad event is #{seq} (checked {ago}). Run `entitle verify`."
            ),
            (Lang::En, None) => format!(
                "The chain or the archive does NOT hold (checked {ago}). Run `entitle verify`."
            ),
        }
    }

    /// The off-site copy holds events up to `seq` of the head `head`.
    pub(crate) fn replicated(self, seq: u64, head: u64, ago: &str, lag_seconds: u64) -> String {
        let behind = head.saturating_sub(seq);
        match (self, behind) {
            (Lang::De, 0) => format!("Kopie außer Haus aktuell: bis Ereignis #{seq} ({ago})"),
            (Lang::En, 0) => format!("Off-site copy up to date: to event #{seq} ({ago})"),
            (Lang::De, 1) => format!(
                "Kopie außer Haus bis Ereignis #{seq} ({ago}); 1 neueres Ereignis seit {lag_seconds} s noch nicht kopiert"
            ),
            (Lang::En, 1) => format!(
                "Off-site copy to event #{seq} ({ago}); 1 newer event not copied yet ({lag_seconds} s)"
            ),
            (Lang::De, k) => format!(
                "Kopie außer Haus bis Ereignis #{seq} ({ago}); {k} neuere Ereignisse seit {lag_seconds} s noch nicht kopiert"
            ),
            (Lang::En, k) => format!(
                "Off-site copy to event #{seq} ({ago}); {k} newer events not copied yet ({lag_seconds} s)"
            ),
        }
    }

    /// The server replicates, but no copy completed since it started.
    pub(crate) fn replication_first(self) -> String {
        match self {
            Lang::De => "Kopie außer Haus: der erste Abgleich seit dem Start läuft".to_owned(),
            Lang::En => "Off-site copy: the first run since the start is under way".to_owned(),
        }
    }

    /// The off-site copy fails; why, for an admin.
    pub(crate) fn replication_failing(self, failures: u32, error: Option<&str>) -> String {
        match (self, error) {
            (Lang::De, Some(e)) => format!(
                "Die Kopie außer Haus schlägt fehl ({failures} Versuche in Folge; sie wird wieder versucht): {e}"
            ),
            (Lang::De, None) => format!(
                "Die Kopie außer Haus schlägt fehl ({failures} Versuche in Folge; sie wird wieder versucht). Ein Admin sieht den Grund."
            ),
            (Lang::En, Some(e)) => format!(
                "The off-site copy FAILS ({failures} tries in a row; it is tried again): {e}"
            ),
            (Lang::En, None) => format!(
                "The off-site copy FAILS ({failures} tries in a row; it is tried again). An admin sees why."
            ),
        }
    }

    /// The copy's state with its destination (for admins).
    pub(crate) fn replication_to(self, dest: &str, state: &str) -> String {
        match self {
            Lang::De => format!("{state} — Ziel: {dest}"),
            Lang::En => format!("{state} — to {dest}"),
        }
    }

    pub(crate) fn chain(self, events: u64, head: &str) -> String {
        match (self, events) {
            (Lang::De, 1) => format!("1 Ereignis in der Kette, Kopf {head}…"),
            (Lang::De, n) => format!(
                "{} Ereignisse in der Kette, Kopf {head}…",
                self.number(n as i64)
            ),
            (Lang::En, 1) => format!("1 event in the chain, head {head}…"),
            (Lang::En, n) => format!(
                "{} events in the chain, head {head}…",
                self.number(n as i64)
            ),
        }
    }

    /// "as known at #20".
    pub(crate) fn known_at_seq(self, seq: u64) -> String {
        match self {
            Lang::De => format!("Stand nach Ereignis #{seq}"),
            Lang::En => format!("as known at event #{seq}"),
        }
    }

    /// Rows without a cost estimate.
    pub(crate) fn unpriced(self, n: usize) -> String {
        match (self, n) {
            (Lang::De, 1) => {
                "1 Zeile mit Unter- oder Überlizenzierung hat keine Kostenschätzung.".into()
            }
            (Lang::De, n) => {
                format!("{n} Zeilen mit Unter- oder Überlizenzierung haben keine Kostenschätzung.")
            }
            (Lang::En, 1) => "1 under/over row has no cost estimate.".into(),
            (Lang::En, n) => format!("{n} under/over rows have no cost estimate."),
        }
    }

    /// A usage count's date and age, for the stale list.
    pub(crate) fn counted_on(self, d: &str, source: Option<&str>) -> String {
        let d = self.date_text(d);
        match (self, source) {
            (Lang::De, Some(s)) => format!("gezählt am {d} ({s})"),
            (Lang::De, None) => format!("gezählt am {d}"),
            (Lang::En, Some(s)) => format!("counted on {d} ({s})"),
            (Lang::En, None) => format!("counted on {d}"),
        }
    }

    /// A password of `given` characters, shorter than `limit` (`short`)
    /// or longer.
    pub(crate) fn password_length(self, given: usize, limit: usize, short: bool) -> String {
        match (self, short) {
            (Lang::De, true) => format!(
                "Das Passwort hat {given} Zeichen. Wählen Sie eines mit mindestens {limit} Zeichen."
            ),
            (Lang::De, false) => format!(
                "Das Passwort hat {given} Zeichen. Wählen Sie eines mit höchstens {limit} Zeichen."
            ),
            (Lang::En, true) => {
                format!("The password has {given} characters. Choose one of at least {limit}.")
            }
            (Lang::En, false) => {
                format!("The password has {given} characters. Choose one of at most {limit}.")
            }
        }
    }

    /// What is wrong with a name, from the accounts' rule (`is empty`,
    /// `is longer than 64 characters`, `holds a control character`).
    pub(crate) fn name_problem(self, problem: &str) -> String {
        let long = problem.contains("longer");
        let empty = problem.contains("empty");
        match (self, empty, long) {
            (Lang::De, true, _) => "Geben Sie einen Namen ein.".into(),
            (Lang::De, _, true) => {
                "Der Name ist zu lang. Wählen Sie einen mit höchstens 64 Zeichen.".into()
            }
            (Lang::De, _, _) => {
                "Der Name enthält ein Steuerzeichen. Geben Sie ihn ohne ein.".into()
            }
            (Lang::En, true, _) => "Enter a name.".into(),
            (Lang::En, _, true) => {
                "The name is too long. Choose one of at most 64 characters.".into()
            }
            (Lang::En, _, _) => "The name holds a control character. Enter it without one.".into(),
        }
    }

    /// The spend page's heading.
    pub(crate) fn spend_heading(self, year: Option<i16>) -> String {
        match (self, year) {
            (Lang::De, Some(y)) => format!("Ausgaben {y}"),
            (Lang::De, None) => "Ausgaben nach Jahr".into(),
            (Lang::En, Some(y)) => format!("Spend in {y}"),
            (Lang::En, None) => "Spend per year".into(),
        }
    }

    /// The spend chart's label for screen readers.
    pub(crate) fn spend_chart_label(self, currency: &str) -> String {
        match self {
            Lang::De => format!("Ausgaben pro Jahr in {currency}"),
            Lang::En => format!("Spend per year in {currency}"),
        }
    }

    /// A number of days: "30 days", "30 Tage".
    pub(crate) fn days(self, n: u32) -> String {
        match (self, n) {
            (Lang::De, 1) => "1 Tag".into(),
            (Lang::De, n) => format!("{} Tage", self.number(i64::from(n))),
            (Lang::En, 1) => "1 day".into(),
            (Lang::En, n) => format!("{} days", self.number(i64::from(n))),
        }
    }

    /// Too many sign-in attempts.
    pub(crate) fn throttled(self, seconds: u64) -> String {
        let minutes = seconds.div_ceil(60);
        match (self, minutes) {
            (Lang::De, 1) => {
                "Zu viele fehlgeschlagene Anmeldungen. Versuchen Sie es in 1 Minute wieder.".into()
            }
            (Lang::De, m) => format!(
                "Zu viele fehlgeschlagene Anmeldungen. Versuchen Sie es in {m} Minuten wieder."
            ),
            (Lang::En, 1) => "Too many failed sign-ins. Try again in 1 minute.".into(),
            (Lang::En, m) => format!("Too many failed sign-ins. Try again in {m} minutes."),
        }
    }
}

/// What a view is known at, as the user gave it.
#[derive(Debug, Clone)]
pub(crate) enum Known {
    /// The end of a day.
    Date(Date),
    /// An event number.
    Seq(u64),
    /// A moment, as typed.
    Time(String),
}

/// Every fixed string of the pages, in one language.
#[derive(Debug)]
pub(crate) struct Texts {
    pub app: &'static str,
    pub nav_dashboard: &'static str,
    pub nav_licenses: &'static str,
    pub as_of: &'static str,
    pub as_of_hint: &'static str,
    pub known_at: &'static str,
    pub known_at_hint: &'static str,
    pub show: &'static str,
    pub back_to_now: &'static str,
    pub switch_language: &'static str,
    pub signed_in_as: &'static str,
    pub sign_out: &'static str,
    pub sign_in: &'static str,
    pub name: &'static str,
    pub password: &'static str,
    pub sign_in_failed: &'static str,
    pub sign_in_expired: &'static str,
    pub setup_title: &'static str,
    pub setup_intro: &'static str,
    pub password_rule: &'static str,
    pub password_repeat: &'static str,
    pub setup_create: &'static str,
    pub passwords_differ: &'static str,
    pub setup_refused: &'static str,
    pub setup_not_needed: &'static str,
    pub nav_renewals: &'static str,
    pub nav_spend: &'static str,
    pub usage_chart_title: &'static str,
    pub counted_on_col: &'static str,
    pub source_col: &'static str,
    pub nav_imports: &'static str,
    pub sheet_too_large: &'static str,
    pub imports_intro: &'static str,
    pub import_usage: &'static str,
    pub import_usage_intro: &'static str,
    pub import_licenses: &'static str,
    pub import_licenses_intro: &'static str,
    pub import_again: &'static str,
    pub preview: &'static str,
    pub commit_import: &'static str,
    pub line: &'static str,
    pub column: &'static str,
    pub value: &'static str,
    pub problem: &'static str,
    pub nav_admin: &'static str,
    pub name_taken: &'static str,
    pub vendors_required: &'static str,
    pub vendors_not_allowed: &'static str,
    pub last_admin: &'static str,
    pub accounts: &'static str,
    pub role: &'static str,
    pub vendors_scope: &'static str,
    /// The e-mail column and field of an account.
    pub account_email: &'static str,
    /// What an account's e-mail address is for.
    pub account_email_hint: &'static str,
    pub vendors_scope_hint: &'static str,
    pub created: &'static str,
    pub state: &'static str,
    pub enabled: &'static str,
    pub disabled: &'static str,
    pub save: &'static str,
    pub disable: &'static str,
    pub enable: &'static str,
    pub add_account: &'static str,
    pub add_account_button: &'static str,
    pub tokens: &'static str,
    pub tokens_intro: &'static str,
    pub token_user: &'static str,
    pub token_name: &'static str,
    pub token_expires: &'static str,
    pub token_expires_hint: &'static str,
    pub create_token: &'static str,
    pub token_secret: &'static str,
    pub revoke: &'static str,
    pub access_log: &'static str,
    pub access_log_intro: &'static str,
    /// The admin page's backup section.
    pub backup_heading: &'static str,
    pub backup_intro: &'static str,
    pub backup_dest: &'static str,
    pub backup_dest_hint: &'static str,
    pub backup_retain: &'static str,
    pub backup_retain_hint: &'static str,
    pub backup_lock_mode: &'static str,
    pub backup_button: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub what: &'static str,
    pub address: &'static str,
    pub nav_audits: &'static str,
    pub not_a_checkpoint: &'static str,
    pub store_key: &'static str,
    pub store_key_intro: &'static str,
    pub fingerprint: &'static str,
    pub public_key: &'static str,
    pub build_pack: &'static str,
    pub build_pack_intro: &'static str,
    pub pack_as_of_hint: &'static str,
    pub since_checkpoint: &'static str,
    pub since_checkpoint_hint: &'static str,
    pub build_pack_button: &'static str,
    pub verify_pack: &'static str,
    pub verify_pack_intro: &'static str,
    pub signer: &'static str,
    pub signer_hint: &'static str,
    pub pack_file: &'static str,
    pub verify_pack_button: &'static str,
    pub pack_verified: &'static str,
    pub pack_failed: &'static str,
    pub signed_by: &'static str,
    pub signer_not_given: &'static str,
    pub check: &'static str,
    pub result: &'static str,
    pub passed: &'static str,
    pub failed: &'static str,
    pub nav_documents: &'static str,
    pub search: &'static str,
    pub search_button: &'static str,
    pub search_hint: &'static str,
    pub no_documents_yet: &'static str,
    pub no_hits: &'static str,
    pub size: &'static str,
    pub licenses_col: &'static str,
    pub vendors_col: &'static str,
    pub searchable_col: &'static str,
    pub not_searchable: &'static str,
    pub media_type: &'static str,
    pub text: &'static str,
    pub bound_by: &'static str,
    pub download: &'static str,
    pub open_pdf: &'static str,
    pub b3sum_hint: &'static str,
    pub owner_col: &'static str,
    pub within: &'static str,
    pub within_hint: &'static str,
    pub next_cost: &'static str,
    pub as_ics: &'static str,
    pub calendar_heading: &'static str,
    pub calendar_intro: &'static str,
    pub calendar_create: &'static str,
    pub calendar_create_hint: &'static str,
    pub calendar_stop: &'static str,
    pub calendar_new: &'static str,
    pub calendar_link: &'static str,
    pub calendar_stopped: &'static str,
    pub year: &'static str,
    pub total: &'static str,
    pub amount: &'static str,
    pub events: &'static str,
    pub spend_rows: &'static str,
    pub no_spend: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
    pub to_dashboard: &'static str,
    pub as_json: &'static str,
    pub as_csv: &'static str,
    pub vendor: &'static str,
    pub product: &'static str,
    pub edition: &'static str,
    pub metric: &'static str,
    pub entitled: &'static str,
    pub used: &'static str,
    pub balance: &'static str,
    pub status: &'static str,
    pub money: &'static str,
    pub stale_mark: &'static str,
    pub shortfall_cost: &'static str,
    pub unused_cost: &'static str,
    pub money_at_risk: &'static str,
    pub currency: &'static str,
    pub no_money: &'static str,
    pub no_deadlines: &'static str,
    pub license: &'static str,
    pub end: &'static str,
    pub cancel_by: &'static str,
    pub auto_renew: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub stale_usage: &'static str,
    pub no_stale: &'static str,
    pub chain: &'static str,
    pub no_rows: &'static str,
    pub licenses: &'static str,
    pub filter: &'static str,
    pub all: &'static str,
    pub quantity: &'static str,
    pub start: &'static str,
    pub cost: &'static str,
    pub owner: &'static str,
    pub sort_by: &'static str,
    pub terms: &'static str,
    pub not_yet: &'static str,
    pub maintenance_end: &'static str,
    pub notice_days: &'static str,
    pub po: &'static str,
    pub reseller: &'static str,
    pub tags: &'static str,
    pub documents: &'static str,
    pub no_documents: &'static str,
    pub previous_page: &'static str,
    pub extracted_text: &'static str,
    pub next_page: &'static str,
    pub result_pages: &'static str,
    pub file: &'static str,
    pub kind: &'static str,
    pub hash: &'static str,
    pub event_no: &'static str,
    pub history: &'static str,
    pub chart: &'static str,
    pub chart_caption: &'static str,
    pub chart_across: &'static str,
    pub chart_down: &'static str,
    pub event: &'static str,
    pub effective: &'static str,
    pub recorded: &'static str,
    pub actor: &'static str,
    pub details: &'static str,
    pub note: &'static str,
    pub voided_by: &'static str,
    pub voided_later_by: &'static str,
    pub perpetual: &'static str,
    pub unlimited: &'static str,
    pub st_under: &'static str,
    pub st_over: &'static str,
    pub st_compliant: &'static str,
    pub st_mismatch: &'static str,
    pub st_no_usage: &'static str,
    pub ls_pending: &'static str,
    pub ls_active: &'static str,
    pub ls_renewed: &'static str,
    pub ls_expired: &'static str,
    pub ls_cancelled: &'static str,
    pub dl_open: &'static str,
    pub dl_passed: &'static str,
    pub m_user: &'static str,
    pub m_device: &'static str,
    pub m_core: &'static str,
    pub m_processor: &'static str,
    pub m_concurrent: &'static str,
    pub m_instance: &'static str,
    pub m_site: &'static str,
    pub ev_purchased: &'static str,
    pub ev_extended: &'static str,
    pub ev_adjusted: &'static str,
    pub ev_cancelled: &'static str,
    pub ev_document: &'static str,
    pub ev_usage: &'static str,
    pub ev_voided: &'static str,
    pub unknown: &'static str,
}

const EN: Texts = Texts {
    app: "entitle",
    nav_dashboard: "Position",
    nav_licenses: "Licenses",
    as_of: "As of",
    as_of_hint: "business date",
    known_at: "Known at",
    known_at_hint: "a date, or #N for event N (the field offers the latest); empty: everything",
    show: "Show",
    back_to_now: "Back to today, as known now",
    switch_language: "Deutsch",
    signed_in_as: "Signed in as",
    sign_out: "Sign out",
    sign_in: "Sign in",
    name: "Name",
    password: "Password",
    sign_in_failed: "The name or the password is not right. Enter them again.",
    sign_in_expired: "The sign-in form had expired. Enter your name and password again.",
    setup_title: "Create the first admin",
    setup_intro: "This store has no account yet. This one-time link creates the first one, an admin, who then adds the others (entitle user add, or the API).",
    password_rule: "At least 12 characters. A sentence you remember is a good password.",
    password_repeat: "Repeat the password",
    setup_create: "Create and sign in",
    passwords_differ: "The two passwords differ. Enter the same password twice.",
    setup_refused: "This setup link is unknown, used or expired. Start the server again: it prints a new one.",
    setup_not_needed: "This store has accounts already: the setup link only creates the first admin. Sign in, or ask an admin for an account.",
    nav_renewals: "Renewals",
    nav_spend: "Spend",
    usage_chart_title: "Usage counts against the entitled quantity over time",
    counted_on_col: "Counted on",
    source_col: "Source",
    nav_imports: "Import",
    sheet_too_large: "The file is larger than 64 MiB, the most this page takes; import it with `entitle import` instead.",
    imports_intro: "Upload a spreadsheet saved as CSV (Excel's CSV UTF-8 or a German export with semicolons). It is checked first; nothing is recorded until you commit.",
    import_usage: "Usage counts",
    import_usage_intro: "Columns vendor, product, metric, count, date — what an inventory tool exports.",
    import_licenses: "License spreadsheet",
    import_licenses_intro: "One license per row, as in the README's spreadsheet format.",
    import_again: "This file was imported before: import it again",
    preview: "Check (nothing is recorded)",
    commit_import: "Record these rows",
    line: "Line",
    column: "Column",
    value: "Value",
    problem: "Problem",
    nav_admin: "Admin",
    name_taken: "An account of this name exists. Choose another name.",
    vendors_required: "An auditor sees only the vendors named here: give at least one.",
    vendors_not_allowed: "Only an auditor is limited to vendors: leave this empty for this role.",
    last_admin: "This is the last enabled admin: make another account admin first.",
    accounts: "Accounts",
    role: "Role",
    vendors_scope: "Vendors (auditor)",
    account_email: "E-mail",
    account_email_hint: "Reminders of the licenses this person owns go here, unless [remind.contacts] names another address. Optional.",
    vendors_scope_hint: "an auditor sees only these vendors; separated by commas",
    created: "Created",
    state: "State",
    enabled: "enabled",
    disabled: "disabled",
    save: "Save",
    disable: "Disable",
    enable: "Enable",
    add_account: "Add an account",
    add_account_button: "Add account",
    tokens: "API tokens",
    tokens_intro: "For scripts and nightly imports: `entitle --server URL` with ENTITLE_TOKEN. A token acts with its account's role and scope.",
    token_user: "For account",
    token_name: "What it is for",
    token_expires: "Valid until",
    token_expires_hint: "empty: until revoked",
    create_token: "Create token",
    token_secret: "The token — shown this once; store it now:",
    revoke: "Revoke",
    access_log: "Access log",
    access_log_intro: "Sign-ins (also failed ones) and every change to accounts, tokens and calendar links, newest first.",
    backup_heading: "Backup",
    backup_intro: "Copies what is new since the last backup to a directory on the server's machine or to S3-compatible storage, as `entitle backup` does; writes go on meanwhile. Check a copy with `entitle backup verify`. The signing key is not copied.",
    backup_dest: "Destination",
    backup_dest_hint: "A directory on the server's machine (/mnt/backup/entitle) or s3://bucket/prefix; S3 credentials come from the server's environment, never from this form.",
    backup_retain: "Retention in days",
    backup_retain_hint: "Only for a bucket with Object Lock; empty: 3650 days (10 years).",
    backup_lock_mode: "Object Lock mode",
    backup_button: "Back up now",
    when: "When",
    who: "Who",
    what: "What",
    address: "Address",
    nav_audits: "Audits",
    not_a_checkpoint: "This is not a checkpoint file: choose the file named checkpoint from an earlier pack.",
    store_key: "The store key",
    store_key_intro: "Every pack is signed with this key. Hand its fingerprint to the auditor on a separate channel (a letter, a phone call): the auditor checks a pack against it with ssh-keygen or below.",
    fingerprint: "Fingerprint",
    public_key: "Public key",
    build_pack: "Build an audit pack",
    build_pack_intro: "One vendor's evidence as a zip: its licenses, usage, documents, position and the signed chain, nothing about other vendors. It is downloaded at once.",
    pack_as_of_hint: "the date of the position in the pack; empty: today",
    since_checkpoint: "Earlier pack's checkpoint",
    since_checkpoint_hint: "optional: the checkpoint file of a pack given before, to prove this log extends it",
    build_pack_button: "Build and download",
    verify_pack: "Verify a pack",
    verify_pack_intro: "Checks a pack as entitle audit verify does: every file's hash, the signature, the chain, and the reports recomputed from the records.",
    signer: "Expected signer",
    signer_hint: "the fingerprint you were given (SHA256:…); empty: the pack's own key, which shows only that the pack agrees with itself",
    pack_file: "Pack (.zip)",
    verify_pack_button: "Verify",
    pack_verified: "verified",
    pack_failed: "FAILED",
    signed_by: "Signed by",
    signer_not_given: "checked against the pack's own key only",
    check: "Check",
    result: "Result",
    passed: "passed",
    failed: "failed",
    nav_documents: "Contracts",
    search: "Search the documents",
    search_button: "Search",
    search_hint: r#"words or a "phrase"; only the documents you may see"#,
    no_documents_yet: "No documents yet. Attach them with `entitle attach` or on a license.",
    no_hits: "No document contains that.",
    size: "Size",
    licenses_col: "Licenses",
    vendors_col: "Vendors",
    searchable_col: "Searchable",
    not_searchable: "Not searchable",
    media_type: "Type",
    text: "Text",
    bound_by: "Attached by",
    download: "Download",
    open_pdf: "Open the PDF in a new tab",
    b3sum_hint: "The same hash as `b3sum FILE` prints for the downloaded file.",
    owner_col: "License or vendor",
    within: "Days ahead",
    within_hint: "Terms ending within this many days",
    next_cost: "Next term",
    as_ics: "as a calendar file (.ics)",
    calendar_heading: "Your calendar subscription",
    calendar_intro: "Outlook and Google Calendar can subscribe to your renewal deadlines by a secret link: the cancel-by dates of the coming year for the vendors you may see, with reminders, kept up to date by the calendar itself. Anyone who has the link sees these deadlines: keep it to yourself.",
    calendar_create: "Create a subscription link",
    calendar_create_hint: "A new link replaces any earlier one, which stops working.",
    calendar_stop: "Stop the subscription",
    calendar_new: "Your new subscription link. It is shown only now: copy it into your calendar (Outlook: Add calendar → From Internet; Google: Other calendars → From URL).",
    calendar_link: "Subscription link",
    calendar_stopped: "The subscription is stopped: the link no longer works.",
    year: "Year",
    total: "Total",
    amount: "Amount",
    events: "Events",
    spend_rows: "Per vendor and product",
    no_spend: "No costs are recorded for this choice.",
    not_found_title: "Page not found",
    not_found_text: "There is nothing at this address that you can see. Check the address, or start again from the position.",
    error_title: "This view cannot be shown",
    error_text: "Correct the address or the form and try again:",
    to_dashboard: "Go to the position",
    as_json: "JSON",
    as_csv: "CSV for Excel",
    vendor: "Vendor",
    product: "Product",
    edition: "Edition",
    metric: "Metric",
    entitled: "Entitled",
    used: "Used",
    balance: "Balance",
    status: "Status",
    money: "Money",
    stale_mark: "count older than the stale limit",
    shortfall_cost: "Shortfall cost",
    unused_cost: "Unused per year",
    money_at_risk: "Money at risk",
    currency: "Currency",
    no_money: "No shortfall or unused seats with a known price.",
    no_deadlines: "No term ends within the next 90 days.",
    license: "License",
    end: "End",
    cancel_by: "Cancel by",
    auto_renew: "Auto-renews",
    yes: "yes",
    no: "no",
    stale_usage: "Stale usage counts",
    no_stale: "Every usage count is recent.",
    chain: "Chain",
    no_rows: "Nothing to show for this view.",
    licenses: "Licenses",
    filter: "Filter",
    all: "all",
    quantity: "Quantity",
    start: "Start",
    cost: "Cost",
    owner: "Owner",
    sort_by: "sort by",
    terms: "Terms",
    not_yet: "This license has no terms on this date as known then (not yet bought, or not yet recorded).",
    maintenance_end: "Maintenance until",
    notice_days: "Notice period (days)",
    po: "Purchase order / invoice",
    reseller: "Reseller",
    tags: "Tags",
    documents: "Documents",
    no_documents: "No documents attached by then.",
    previous_page: "Previous",
    extracted_text: "Extracted text",
    next_page: "Next",
    result_pages: "Result pages",
    file: "File",
    kind: "Kind",
    hash: "BLAKE3",
    event_no: "Event",
    history: "History",
    chart: "History on both time axes",
    chart_caption: "Each event is a mark at its business date (across) and the time it was recorded (down); a voided event is struck through, with a line from the void.",
    chart_across: "business date →",
    chart_down: "recorded ↓",
    event: "Event",
    effective: "Effective",
    recorded: "Recorded",
    actor: "By",
    details: "Details",
    note: "Note",
    voided_by: "voided by",
    voided_later_by: "voided later, by",
    perpetual: "perpetual",
    unlimited: "unlimited",
    st_under: "under",
    st_over: "over",
    st_compliant: "compliant",
    st_mismatch: "metric mismatch",
    st_no_usage: "no usage data",
    ls_pending: "pending",
    ls_active: "active",
    ls_renewed: "renewed (assumed)",
    ls_expired: "expired",
    ls_cancelled: "cancelled",
    dl_open: "open",
    dl_passed: "deadline passed",
    m_user: "user",
    m_device: "device",
    m_core: "core",
    m_processor: "processor",
    m_concurrent: "concurrent user",
    m_instance: "instance",
    m_site: "site",
    ev_purchased: "purchased",
    ev_extended: "extended",
    ev_adjusted: "adjusted",
    ev_cancelled: "cancelled",
    ev_document: "document attached",
    ev_usage: "usage recorded",
    ev_voided: "voided",
    unknown: "—",
};

const DE: Texts = Texts {
    app: "entitle",
    nav_dashboard: "Lizenzbilanz",
    nav_licenses: "Lizenzen",
    as_of: "Stichtag",
    as_of_hint: "Geschäftsdatum",
    known_at: "Stand der Daten",
    known_at_hint: "ein Datum oder #N für Ereignis N (das Feld schlägt die letzten vor); leer: alles",
    show: "Anzeigen",
    back_to_now: "Zurück zu heute, aktueller Stand",
    switch_language: "English",
    signed_in_as: "Angemeldet als",
    sign_out: "Abmelden",
    sign_in: "Anmelden",
    name: "Name",
    password: "Passwort",
    sign_in_failed: "Name oder Passwort stimmen nicht. Geben Sie beides erneut ein.",
    sign_in_expired: "Das Anmeldeformular war abgelaufen. Geben Sie Name und Passwort erneut ein.",
    setup_title: "Ersten Administrator anlegen",
    setup_intro: "Dieser Bestand hat noch kein Konto. Dieser einmalige Link legt das erste an, einen Administrator, der danach die weiteren anlegt (entitle user add oder die API).",
    password_rule: "Mindestens 12 Zeichen. Ein Satz, den Sie sich merken, ist ein gutes Passwort.",
    password_repeat: "Passwort wiederholen",
    setup_create: "Anlegen und anmelden",
    passwords_differ: "Die beiden Passwörter unterscheiden sich. Geben Sie zweimal dasselbe Passwort ein.",
    setup_refused: "Dieser Einrichtungslink ist unbekannt, schon benutzt oder abgelaufen. Starten Sie den Server neu: Er zeigt einen neuen an.",
    setup_not_needed: "Dieser Bestand hat bereits Konten: Der Einrichtungslink legt nur den ersten Administrator an. Melden Sie sich an oder bitten Sie einen Administrator um ein Konto.",
    nav_renewals: "Verlängerungen",
    nav_spend: "Ausgaben",
    usage_chart_title: "Nutzung gegen die lizenzierte Menge im Zeitverlauf",
    counted_on_col: "Gezählt am",
    source_col: "Quelle",
    nav_imports: "Import",
    sheet_too_large: "Die Datei ist größer als 64 MiB, das Höchstmaß dieser Seite; importieren Sie sie stattdessen mit `entitle import`.",
    imports_intro: "Laden Sie eine als CSV gespeicherte Tabelle hoch (CSV UTF-8 aus Excel oder ein deutscher Export mit Semikolon). Sie wird zuerst geprüft; erfasst wird erst, wenn Sie bestätigen.",
    import_usage: "Nutzungszahlen",
    import_usage_intro: "Spalten vendor, product, metric, count, date – was ein Inventarisierungswerkzeug ausgibt.",
    import_licenses: "Lizenztabelle",
    import_licenses_intro: "Eine Lizenz je Zeile, wie im Tabellenformat der README.",
    import_again: "Diese Datei wurde schon importiert: erneut importieren",
    preview: "Prüfen (es wird nichts erfasst)",
    commit_import: "Diese Zeilen erfassen",
    line: "Zeile",
    column: "Spalte",
    value: "Wert",
    problem: "Problem",
    nav_admin: "Verwaltung",
    name_taken: "Ein Konto dieses Namens gibt es schon. Wählen Sie einen anderen Namen.",
    vendors_required: "Ein Prüfer sieht nur die hier genannten Hersteller: Geben Sie mindestens einen an.",
    vendors_not_allowed: "Nur ein Prüfer ist auf Hersteller beschränkt: Lassen Sie das Feld für diese Rolle leer.",
    last_admin: "Das ist der letzte aktive Admin: Machen Sie zuerst ein anderes Konto zum Admin.",
    accounts: "Konten",
    role: "Rolle",
    vendors_scope: "Hersteller (Prüfer)",
    account_email: "E-Mail",
    account_email_hint: "Erinnerungen zu den Lizenzen, die diese Person verantwortet, gehen hierhin, sofern [remind.contacts] keine andere Adresse nennt. Optional.",
    vendors_scope_hint: "ein Prüfer sieht nur diese Hersteller; durch Kommas getrennt",
    created: "Angelegt",
    state: "Zustand",
    enabled: "aktiv",
    disabled: "gesperrt",
    save: "Speichern",
    disable: "Sperren",
    enable: "Entsperren",
    add_account: "Konto anlegen",
    add_account_button: "Konto anlegen",
    tokens: "API-Tokens",
    tokens_intro: "Für Skripte und nächtliche Importe: `entitle --server URL` mit ENTITLE_TOKEN. Ein Token handelt mit Rolle und Sichtbereich seines Kontos.",
    token_user: "Für Konto",
    token_name: "Wofür",
    token_expires: "Gültig bis",
    token_expires_hint: "leer: bis zum Widerruf",
    create_token: "Token erstellen",
    token_secret: "Das Token – nur dieses eine Mal angezeigt; speichern Sie es jetzt:",
    revoke: "Widerrufen",
    access_log: "Zugriffsprotokoll",
    access_log_intro: "Anmeldungen (auch fehlgeschlagene) und jede Änderung an Konten, Tokens und Kalender-Links, neueste zuerst.",
    backup_heading: "Sicherung",
    backup_intro: "Kopiert, was seit der letzten Sicherung neu ist, in ein Verzeichnis auf dem Rechner des Servers oder in S3-kompatiblen Speicher, wie `entitle backup`; Schreiben geht währenddessen weiter. Eine Kopie prüft `entitle backup verify`. Der Signaturschlüssel wird nicht kopiert.",
    backup_dest: "Ziel",
    backup_dest_hint: "Ein Verzeichnis auf dem Rechner des Servers (/mnt/backup/entitle) oder s3://bucket/präfix; S3-Zugangsdaten kommen aus der Umgebung des Servers, nie aus diesem Formular.",
    backup_retain: "Aufbewahrung in Tagen",
    backup_retain_hint: "Nur für einen Bucket mit Object Lock; leer: 3650 Tage (10 Jahre).",
    backup_lock_mode: "Object-Lock-Modus",
    backup_button: "Jetzt sichern",
    when: "Wann",
    who: "Wer",
    what: "Was",
    address: "Adresse",
    nav_audits: "Audits",
    not_a_checkpoint: "Das ist keine Checkpoint-Datei: Wählen Sie die Datei checkpoint aus einem früheren Paket.",
    store_key: "Der Schlüssel des Bestands",
    store_key_intro: "Jedes Paket wird mit diesem Schlüssel signiert. Geben Sie seinen Fingerabdruck dem Prüfer auf einem eigenen Weg (Brief, Telefon): Der Prüfer prüft ein Paket damit mit ssh-keygen oder hier unten.",
    fingerprint: "Fingerabdruck",
    public_key: "Öffentlicher Schlüssel",
    build_pack: "Audit-Paket erstellen",
    build_pack_intro: "Die Nachweise eines Herstellers als Zip: Lizenzen, Nutzung, Dokumente, Lizenzbilanz und die signierte Kette, nichts über andere Hersteller. Es wird sofort heruntergeladen.",
    pack_as_of_hint: "das Datum der Lizenzbilanz im Paket; leer: heute",
    since_checkpoint: "Checkpoint eines früheren Pakets",
    since_checkpoint_hint: "optional: die Datei checkpoint eines früher übergebenen Pakets, um zu belegen, dass dieses Protokoll es fortsetzt",
    build_pack_button: "Erstellen und herunterladen",
    verify_pack: "Paket prüfen",
    verify_pack_intro: "Prüft ein Paket wie entitle audit verify: die Hashes aller Dateien, die Signatur, die Kette und die aus den Einträgen neu berechneten Berichte.",
    signer: "Erwarteter Unterzeichner",
    signer_hint: "der Fingerabdruck, den Sie erhalten haben (SHA256:…); leer: der Schlüssel im Paket, was nur zeigt, dass das Paket in sich stimmig ist",
    pack_file: "Paket (.zip)",
    verify_pack_button: "Prüfen",
    pack_verified: "geprüft: in Ordnung",
    pack_failed: "NICHT in Ordnung",
    signed_by: "Signiert von",
    signer_not_given: "nur gegen den Schlüssel im Paket geprüft",
    check: "Prüfung",
    result: "Ergebnis",
    passed: "bestanden",
    failed: "nicht bestanden",
    nav_documents: "Verträge",
    search: "Dokumente durchsuchen",
    search_button: "Suchen",
    search_hint: "Wörter oder eine „Phrase“; nur die Dokumente, die Sie sehen dürfen",
    no_documents_yet: "Noch keine Dokumente. Hängen Sie sie mit `entitle attach` an.",
    no_hits: "Kein Dokument enthält das.",
    size: "Größe",
    licenses_col: "Lizenzen",
    vendors_col: "Hersteller",
    searchable_col: "Durchsuchbar",
    not_searchable: "Nicht durchsuchbar",
    media_type: "Typ",
    text: "Text",
    bound_by: "Angehängt durch",
    download: "Herunterladen",
    open_pdf: "PDF in neuem Tab öffnen",
    b3sum_hint: "Derselbe Hash, den `b3sum DATEI` für die heruntergeladene Datei ausgibt.",
    owner_col: "Lizenz oder Hersteller",
    within: "Tage voraus",
    within_hint: "Laufzeiten, die in so vielen Tagen enden",
    next_cost: "Nächste Laufzeit",
    as_ics: "als Kalenderdatei (.ics)",
    calendar_heading: "Ihr Kalender-Abonnement",
    calendar_intro: "Outlook und Google Kalender können Ihre Kündigungsfristen über einen geheimen Link abonnieren: die Kündigungstermine des kommenden Jahres für die Hersteller, die Sie sehen dürfen, mit Erinnerungen, vom Kalender selbst aktuell gehalten. Wer den Link hat, sieht diese Fristen: Geben Sie ihn nicht weiter.",
    calendar_create: "Abonnement-Link erstellen",
    calendar_create_hint: "Ein neuer Link ersetzt einen früheren; der frühere funktioniert dann nicht mehr.",
    calendar_stop: "Abonnement beenden",
    calendar_new: "Ihr neuer Abonnement-Link. Er wird nur jetzt angezeigt: Kopieren Sie ihn in Ihren Kalender (Outlook: Kalender hinzufügen → Aus dem Internet; Google: Weitere Kalender → Per URL).",
    calendar_link: "Abonnement-Link",
    calendar_stopped: "Das Abonnement ist beendet: Der Link funktioniert nicht mehr.",
    year: "Jahr",
    total: "Summe",
    amount: "Betrag",
    events: "Ereignisse",
    spend_rows: "Nach Hersteller und Produkt",
    no_spend: "Für diese Auswahl sind keine Kosten erfasst.",
    not_found_title: "Seite nicht gefunden",
    not_found_text: "Unter dieser Adresse gibt es nichts, was Sie sehen können. Prüfen Sie die Adresse oder beginnen Sie bei der Lizenzbilanz.",
    error_title: "Diese Ansicht kann nicht angezeigt werden",
    error_text: "Korrigieren Sie die Adresse oder das Formular und versuchen Sie es erneut:",
    to_dashboard: "Zur Lizenzbilanz",
    as_json: "JSON",
    as_csv: "CSV für Excel",
    vendor: "Hersteller",
    product: "Produkt",
    edition: "Edition",
    metric: "Metrik",
    entitled: "Lizenziert",
    used: "Genutzt",
    balance: "Saldo",
    status: "Status",
    money: "Kosten",
    stale_mark: "Zählung älter als die Aktualitätsgrenze",
    shortfall_cost: "Kosten der Unterlizenzierung",
    unused_cost: "Ungenutzt pro Jahr",
    money_at_risk: "Finanzielles Risiko",
    currency: "Währung",
    no_money: "Keine Unter- oder Überlizenzierung mit bekanntem Preis.",
    no_deadlines: "Keine Laufzeit endet in den nächsten 90 Tagen.",
    license: "Lizenz",
    end: "Ende",
    cancel_by: "Kündigen bis",
    auto_renew: "Automatische Verlängerung",
    yes: "ja",
    no: "nein",
    stale_usage: "Veraltete Nutzungszählungen",
    no_stale: "Alle Nutzungszählungen sind aktuell.",
    chain: "Kette",
    no_rows: "Für diese Ansicht gibt es nichts anzuzeigen.",
    licenses: "Lizenzen",
    filter: "Filtern",
    all: "alle",
    quantity: "Menge",
    start: "Beginn",
    cost: "Kosten",
    owner: "Verantwortlich",
    sort_by: "sortieren nach",
    terms: "Konditionen",
    not_yet: "Diese Lizenz hat an diesem Tag nach damaligem Stand keine Konditionen (noch nicht gekauft oder noch nicht erfasst).",
    maintenance_end: "Wartung bis",
    notice_days: "Kündigungsfrist (Tage)",
    po: "Bestellung / Rechnung",
    reseller: "Händler",
    tags: "Schlagwörter",
    documents: "Belege",
    no_documents: "Bis dahin keine Belege angehängt.",
    previous_page: "Zurück",
    extracted_text: "Extrahierter Text",
    next_page: "Weiter",
    result_pages: "Ergebnisseiten",
    file: "Datei",
    kind: "Art",
    hash: "BLAKE3",
    event_no: "Ereignis",
    history: "Verlauf",
    chart: "Verlauf auf beiden Zeitachsen",
    chart_caption: "Jedes Ereignis ist ein Punkt bei seinem Geschäftsdatum (waagerecht) und dem Zeitpunkt seiner Erfassung (senkrecht); ein storniertes Ereignis ist durchgestrichen, mit einer Linie von der Stornierung.",
    chart_across: "Geschäftsdatum →",
    chart_down: "erfasst ↓",
    event: "Ereignis",
    effective: "Wirksam ab",
    recorded: "Erfasst",
    actor: "Von",
    details: "Einzelheiten",
    note: "Notiz",
    voided_by: "storniert durch",
    voided_later_by: "später storniert durch",
    perpetual: "unbefristet",
    unlimited: "unbegrenzt",
    st_under: "Unterlizenzierung",
    st_over: "Überlizenzierung",
    st_compliant: "konform",
    st_mismatch: "Metrik passt nicht",
    st_no_usage: "keine Nutzungsdaten",
    ls_pending: "noch nicht begonnen",
    ls_active: "aktiv",
    ls_renewed: "verlängert (angenommen)",
    ls_expired: "abgelaufen",
    ls_cancelled: "gekündigt",
    dl_open: "offen",
    dl_passed: "Frist verpasst",
    m_user: "Benutzer",
    m_device: "Gerät",
    m_core: "Kern",
    m_processor: "Prozessor",
    m_concurrent: "gleichzeitiger Benutzer",
    m_instance: "Instanz",
    m_site: "Standort",
    ev_purchased: "gekauft",
    ev_extended: "verlängert",
    ev_adjusted: "angepasst",
    ev_cancelled: "gekündigt",
    ev_document: "Beleg angehängt",
    ev_usage: "Nutzung erfasst",
    ev_voided: "storniert",
    unknown: "—",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_numbers_and_money_are_written_as_each_language_writes_them() {
        let d: Date = "2024-03-31".parse().unwrap();
        assert_eq!(Lang::De.date(d), "31.03.2024");
        assert_eq!(Lang::En.date(d), "2024-03-31");
        let m: Decimal = "1234.56".parse().unwrap();
        assert_eq!(Lang::De.money(m, "EUR"), "1.234,56\u{a0}€");
        assert_eq!(Lang::En.money(m, "EUR"), "€1,234.56");
        assert_eq!(Lang::En.money(m, "CHF"), "CHF\u{a0}1,234.56");
        assert_eq!(
            Lang::De.money("95000".parse().unwrap(), "EUR"),
            "95.000,00\u{a0}€"
        );
        assert_eq!(Lang::En.number(1_234_567), "1,234,567");
        assert_eq!(Lang::De.signed(-14), "−14");
        assert_eq!(Lang::En.signed(5), "+5");
    }

    #[test]
    fn accept_language_picks_the_preferred_of_the_two() {
        assert_eq!(Lang::from_accept("de-DE,de;q=0.9,en;q=0.8"), Lang::De);
        assert_eq!(Lang::from_accept("fr-FR, en;q=0.5, de;q=0.4"), Lang::En);
        assert_eq!(Lang::from_accept("fr"), Lang::En);
        assert_eq!(Lang::from_accept(""), Lang::En);
    }

    #[test]
    fn the_banner_counts_the_later_events_in_each_language() {
        let d: Date = "2024-06-30".parse().unwrap();
        let k = Known::Date("2024-09-02".parse().unwrap());
        assert_eq!(
            Lang::En.banner(Some(d), Some(&k), 18),
            "Showing 2024-06-30, as recorded on 2024-09-02 — 18 later events not shown."
        );
        assert_eq!(
            Lang::De.banner(Some(d), Some(&k), 1),
            "Ansicht zum 30.06.2024, Stand der Aufzeichnungen am 02.09.2024 — 1 späteres Ereignis ist nicht berücksichtigt."
        );
    }
}

/// The forms' words: labels, hints and problems, in both languages.
#[derive(Debug)]
pub(crate) struct FormTexts {
    pub new_purchase: &'static str,
    pub new_usage: &'static str,
    pub actions: &'static str,
    pub extend: &'static str,
    pub adjust: &'static str,
    pub cancel: &'static str,
    pub void: &'static str,
    pub back: &'static str,
    pub required_mark: &'static str,
    pub problems_title: &'static str,
    pub required: &'static str,
    pub confirm_missing: &'static str,
    pub choose: &'static str,
    pub choose_event: &'static str,
    pub whole_number: &'static str,
    pub bad_date: &'static str,
    pub bad_quantity: &'static str,
    pub bad_money: &'static str,
    pub cost_hint: &'static str,
    pub currency_hint: &'static str,
    pub qty_hint: &'static str,
    pub end_hint: &'static str,
    pub notice_hint: &'static str,
    pub renewal_months: &'static str,
    pub renewal_hint: &'static str,
    pub tags_hint: &'static str,
    pub id_hint: &'static str,
    pub effective_hint: &'static str,
    pub cancel_effective_hint: &'static str,
    pub note_hint: &'static str,
    pub until: &'static str,
    pub new_quantity: &'static str,
    pub keep_hint: &'static str,
    pub confirm_cancel: &'static str,
    pub confirm_void: &'static str,
    pub void_which: &'static str,
    pub void_note_hint: &'static str,
    pub count: &'static str,
    pub count_hint: &'static str,
    pub counted_on: &'static str,
    pub source: &'static str,
    pub source_hint: &'static str,
    pub intro_purchase: &'static str,
    pub intro_extend: &'static str,
    pub intro_adjust: &'static str,
    pub intro_cancel: &'static str,
    pub intro_void: &'static str,
    pub intro_usage: &'static str,
    pub submit_purchase: &'static str,
    pub submit_extend: &'static str,
    pub submit_adjust: &'static str,
    pub submit_cancel: &'static str,
    pub submit_void: &'static str,
    pub submit_usage: &'static str,
    pub file: &'static str,
    pub file_hint: &'static str,
    pub attach: &'static str,
    pub intro_attach: &'static str,
    pub intro_vendor_attach: &'static str,
    pub count_rule: &'static str,
    pub count_rule_hint: &'static str,
    pub count_rule_none: &'static str,
    pub vendor_document_hint: &'static str,
    pub choose_vendor: &'static str,
    pub disk_full: &'static str,
    pub new_vendor_document: &'static str,
    pub submit_attach: &'static str,
    pub choose_file: &'static str,
    pub file_empty: &'static str,
    pub file_too_large: &'static str,
    pub upload_broke: &'static str,
    pub drop_here: &'static str,
    pub upload_progress: &'static str,
    lang: Lang,
}

impl FormTexts {
    /// A form's heading (`id`: the license it changes).
    pub(crate) fn heading(&self, action: Action, id: &str) -> String {
        match (self.lang, action) {
            (_, Action::Purchase) => self.new_purchase.to_owned(),
            (_, Action::Usage) => self.new_usage.to_owned(),
            (Lang::De, Action::Attach) if id.is_empty() => {
                "Dokument eines Herstellers ablegen".to_owned()
            }
            (Lang::En, Action::Attach) if id.is_empty() => "Attach a vendor's document".to_owned(),
            (Lang::De, Action::Attach) => format!("Dokument an {id} anhängen"),
            (Lang::En, Action::Attach) => format!("Attach a document to {id}"),
            (Lang::De, Action::Extend) => format!("{id} verlängern"),
            (Lang::De, Action::Adjust) => format!("Menge von {id} ändern"),
            (Lang::De, Action::Cancel) => format!("{id} kündigen"),
            (Lang::De, Action::Void) => format!("Ereignis von {id} stornieren"),
            (Lang::En, Action::Extend) => format!("Extend {id}"),
            (Lang::En, Action::Adjust) => format!("Adjust the quantity of {id}"),
            (Lang::En, Action::Cancel) => format!("Cancel {id}"),
            (Lang::En, Action::Void) => format!("Void an event of {id}"),
        }
    }

    /// What a form does, in a sentence.
    pub(crate) fn intro(&self, action: Action) -> &'static str {
        match action {
            Action::Purchase => self.intro_purchase,
            Action::Extend => self.intro_extend,
            Action::Adjust => self.intro_adjust,
            Action::Cancel => self.intro_cancel,
            Action::Void => self.intro_void,
            Action::Usage => self.intro_usage,
            Action::Attach => self.intro_attach,
        }
    }

    /// A form's button.
    pub(crate) fn submit(&self, action: Action) -> &'static str {
        match action {
            Action::Purchase => self.submit_purchase,
            Action::Extend => self.submit_extend,
            Action::Adjust => self.submit_adjust,
            Action::Cancel => self.submit_cancel,
            Action::Void => self.submit_void,
            Action::Usage => self.submit_usage,
            Action::Attach => self.submit_attach,
        }
    }

    /// A form refused because the license changed after it was drawn.
    pub(crate) fn stale(&self, head: u64) -> String {
        match self.lang {
            Lang::De => format!(
                "Diese Lizenz wurde geändert, nachdem das Formular geöffnet wurde (das Protokoll steht jetzt bei Ereignis #{head}). \
                 Es wurde nichts erfasst. Prüfen Sie die Angaben oben und senden Sie das Formular erneut."
            ),
            Lang::En => format!(
                "This license was changed after the form was opened (the log now ends at event #{head}). \
                 Nothing was recorded. Check the terms above and submit the form again."
            ),
        }
    }

    /// What a form recorded.
    pub(crate) fn recorded(&self, seq: u64) -> String {
        match self.lang {
            Lang::De => format!("Erfasst als Ereignis #{seq}."),
            Lang::En => format!("Recorded as event #{seq}."),
        }
    }

    /// Several events one form recorded.
    pub(crate) fn recorded_range(&self, first: u64, last: u64) -> String {
        match self.lang {
            Lang::De => format!("Erfasst als Ereignisse #{first}–#{last}."),
            Lang::En => format!("Recorded as events #{first}–#{last}."),
        }
    }
}

impl Lang {
    /// How many of a product's counts a page shows.
    pub(crate) fn counts_shown(self, shown: usize, total: usize) -> String {
        let n = self.number(i64::try_from(total).unwrap_or(i64::MAX));
        match (self, shown == total) {
            (Lang::De, true) => format!("{n} Zählungen"),
            (Lang::De, false) => format!("die letzten {shown} von {n} Zählungen"),
            (Lang::En, true) => format!("{n} counts"),
            (Lang::En, false) => format!("the latest {shown} of {n} counts"),
        }
    }

    /// A preview whose every row is good.
    pub(crate) fn preview_ok(self, rows: u64) -> String {
        let n = self.number(i64::try_from(rows).unwrap_or(i64::MAX));
        match (self, rows) {
            (Lang::De, 1) => "Die Zeile ist in Ordnung: 1 Zeile würde erfasst.".to_owned(),
            (Lang::De, _) => format!("Alle Zeilen sind in Ordnung: {n} Zeilen würden erfasst."),
            (Lang::En, 1) => "The row is good: 1 row would be recorded.".to_owned(),
            (Lang::En, _) => format!("Every row is good: {n} rows would be recorded."),
        }
    }

    /// A preview with bad rows.
    pub(crate) fn preview_bad(self, bad: u64) -> String {
        let n = self.number(i64::try_from(bad).unwrap_or(i64::MAX));
        match (self, bad) {
            (Lang::De, 1) => "Es kann nichts erfasst werden: 1 Zeile ist fehlerhaft. Korrigieren Sie sie in der Datei und prüfen Sie erneut.".to_owned(),
            (Lang::De, _) => format!("Es kann nichts erfasst werden: {n} Zeilen sind fehlerhaft. Korrigieren Sie sie in der Datei und prüfen Sie erneut."),
            (Lang::En, 1) => "Nothing can be recorded: 1 row is bad. Correct it in the file and check it again.".to_owned(),
            (Lang::En, _) => format!("Nothing can be recorded: {n} rows are bad. Correct them in the file and check it again."),
        }
    }

    /// An account was added.
    pub(crate) fn account_added(self, name: &str) -> String {
        match self {
            Lang::De => format!("Konto {name} angelegt."),
            Lang::En => format!("Account {name} added."),
        }
    }

    /// An account was changed.
    pub(crate) fn account_changed(self, name: &str) -> String {
        match self {
            Lang::De => format!("Konto {name} geändert."),
            Lang::En => format!("Account {name} changed."),
        }
    }

    /// A backup made: what the copy holds now and what was uploaded.
    pub(crate) fn backup_done(self, r: &entitle_app::backup::BackupReport) -> String {
        let head = r.head.get(..12).unwrap_or(&r.head);
        let new = r.uploaded.segments + r.uploaded.blobs;
        match (self, r.up_to_date) {
            (Lang::De, true) => format!(
                "Die Kopie in {} war schon aktuell: Ereignis #{}, Kette {head}…",
                r.dest, r.seq
            ),
            (Lang::De, false) => format!(
                "Gesichert nach {}: bis Ereignis #{}, Kette {head}…; {new} neue Objekte ({} Log-Abschnitte, {} Dokumente). Object Lock: {}.",
                r.dest, r.seq, r.uploaded.segments, r.uploaded.blobs, r.object_lock
            ),
            (Lang::En, true) => format!(
                "The copy in {} was up to date: event #{}, chain {head}…",
                r.dest, r.seq
            ),
            (Lang::En, false) => format!(
                "Backed up to {}: up to event #{}, chain {head}…; {new} new objects ({} log segments, {} documents). Object Lock: {}.",
                r.dest, r.seq, r.uploaded.segments, r.uploaded.blobs, r.object_lock
            ),
        }
    }

    /// A backup that failed, and why (the backup's own words).
    pub(crate) fn backup_failed(self, why: &str) -> String {
        match self {
            Lang::De => {
                format!("Die Sicherung ist fehlgeschlagen; die vorige Kopie bleibt gültig: {why}")
            }
            Lang::En => format!("The backup failed; the previous copy stays valid: {why}"),
        }
    }

    /// An e-mail address that is not one.
    pub(crate) fn email_invalid(self, typed: &str) -> String {
        match self {
            Lang::De => format!(
                "„{typed}“ ist keine E-Mail-Adresse: bitte eine Adresse wie ada@example.com angeben, oder das Feld leer lassen."
            ),
            Lang::En => format!(
                "\"{typed}\" is not an e-mail address: give one address like ada@example.com, or leave the field empty."
            ),
        }
    }

    /// A token was created.
    pub(crate) fn token_created(self, id: &str, user: &str) -> String {
        match self {
            Lang::De => format!("Token {id} für {user} erstellt."),
            Lang::En => format!("Token {id} created for {user}."),
        }
    }

    /// A token was revoked.
    pub(crate) fn token_revoked(self, id: &str) -> String {
        match self {
            Lang::De => format!("Token {id} widerrufen; es gilt ab sofort nicht mehr."),
            Lang::En => format!("Token {id} revoked; it is refused from now on."),
        }
    }

    /// How many documents a search found.
    pub(crate) fn documents_found(self, n: usize) -> String {
        let count = self.number(i64::try_from(n).unwrap_or(i64::MAX));
        match (self, n) {
            (Lang::De, 1) => "1 Dokument gefunden".to_owned(),
            (Lang::De, _) => format!("{count} Dokumente gefunden"),
            (Lang::En, 1) => "1 document found".to_owned(),
            (Lang::En, _) => format!("{count} documents found"),
        }
    }

    /// The rest of a list not shown: "and 12 more".
    pub(crate) fn and_more(self, n: usize) -> String {
        let n = self.number(i64::try_from(n).unwrap_or(i64::MAX));
        match self {
            Lang::De => format!("und {n} weitere"),
            Lang::En => format!("and {n} more"),
        }
    }

    /// A document's text shown cut short.
    pub(crate) fn text_cut(self, shown: usize, total: usize) -> String {
        let n = |v: usize| self.number(i64::try_from(v).unwrap_or(i64::MAX));
        match self {
            Lang::De => format!(
                "Die ersten {} von {} Zeichen; der Download enthält das ganze Dokument.",
                n(shown),
                n(total)
            ),
            Lang::En => format!(
                "The first {} of {} characters; the download holds the whole document.",
                n(shown),
                n(total)
            ),
        }
    }

    /// Which licenses of how many a page of the list shows.
    pub(crate) fn licenses_shown(self, first: usize, last: usize, total: usize) -> String {
        let n = |v: usize| self.number(i64::try_from(v).unwrap_or(i64::MAX));
        match self {
            Lang::De => format!("Lizenzen {}–{} von {}", n(first), n(last), n(total)),
            Lang::En => format!("Licenses {}–{} of {}", n(first), n(last), n(total)),
        }
    }

    /// Which rows of how many a page of a long table shows.
    pub(crate) fn rows_shown(self, first: usize, last: usize, total: usize) -> String {
        let n = |v: usize| self.number(i64::try_from(v).unwrap_or(i64::MAX));
        match self {
            Lang::De => format!("Zeilen {}–{} von {}", n(first), n(last), n(total)),
            Lang::En => format!("Rows {}–{} of {}", n(first), n(last), n(total)),
        }
    }

    /// A link to every notice deadline when the dashboard shows a few.
    pub(crate) fn all_deadlines(self, total: usize) -> String {
        let n = self.number(i64::try_from(total).unwrap_or(i64::MAX));
        match self {
            Lang::De => format!("Alle {n} Fristen unter Verlängerungen"),
            Lang::En => format!("All {n} deadlines on the renewals page"),
        }
    }

    /// A status choice with how many rows have it: "Under (3)".
    pub(crate) fn with_count(self, label: &str, count: usize) -> String {
        format!(
            "{label} ({})",
            self.number(i64::try_from(count).unwrap_or(i64::MAX))
        )
    }

    /// Which hits of how many a result page shows.
    pub(crate) fn hits_shown(self, first: usize, last: usize, total: usize) -> String {
        let n = |v: usize| self.number(i64::try_from(v).unwrap_or(i64::MAX));
        match self {
            Lang::De => format!("Treffer {}–{} von {}", n(first), n(last), n(total)),
            Lang::En => format!("Hits {}–{} of {}", n(first), n(last), n(total)),
        }
    }

    /// A document's searchable text, by its length.
    pub(crate) fn searchable(self, characters: i64) -> String {
        let count = self.number(characters);
        match self {
            Lang::De => format!("durchsuchbar, {count} Zeichen"),
            Lang::En => format!("searchable, {count} characters"),
        }
    }

    /// The forms' words.
    pub(crate) fn forms(self) -> &'static FormTexts {
        match self {
            Lang::De => &FORMS_DE,
            Lang::En => &FORMS_EN,
        }
    }
}

static FORMS_EN: FormTexts = FormTexts {
    new_purchase: "Record a purchase",
    new_usage: "Record a usage count",
    actions: "Record a change",
    extend: "Extend",
    adjust: "Adjust quantity",
    cancel: "Cancel",
    void: "Void an event",
    back: "Back without recording",
    required_mark: "required",
    problems_title: "Nothing was recorded. Please correct:",
    required: "Fill this in.",
    confirm_missing: "Tick the box to confirm.",
    choose: "— choose —",
    choose_event: "Choose the event to void.",
    whole_number: "Enter a whole number, e.g. 30.",
    bad_date: "Enter a real date as YYYY-MM-DD, e.g. 2024-06-30.",
    bad_quantity: "Enter a whole number of at least 1, e.g. 25 (for a count: 0 or more).",
    bad_money: "Write the amount as 1,234.56 (a point before the cents) and give its currency, e.g. EUR.",
    cost_hint: "e.g. 1,234.56 — with a currency",
    currency_hint: "three letters, e.g. EUR",
    qty_hint: "how many users, devices, cores …; or unlimited",
    end_hint: "empty for a perpetual license",
    notice_hint: "days before the end by which it must be cancelled",
    renewal_months: "Renews for (months)",
    renewal_hint: "the length of an automatic renewal",
    tags_hint: "separated by commas",
    id_hint: "empty: entitle gives one (L-…)",
    effective_hint: "the business date it takes effect; empty: the usual date",
    cancel_effective_hint: "the date the license ends; empty: today",
    note_hint: "why, where from (an order, a letter)",
    until: "New end",
    new_quantity: "New quantity",
    keep_hint: "empty: unchanged",
    confirm_cancel: "Yes, record the cancellation of this license",
    confirm_void: "Yes, void this event (it stays in the log, marked as voided)",
    void_which: "Event to void",
    void_note_hint: "required: why the event was wrong",
    count: "Count",
    count_hint: "how many were in use on that date",
    counted_on: "Counted on",
    source: "Source",
    source_hint: "where the count comes from, e.g. the inventory tool",
    intro_purchase: "A new license as bought: what, how many, for how long, at what cost. Documents can be attached on the license's page.",
    intro_extend: "Moves the end of the license later, optionally with a new quantity and cost.",
    intro_adjust: "Sets the licensed quantity from a date on (true-up or reduction).",
    intro_cancel: "Ends the license on a date. The record stays; it cannot be reopened, only voided.",
    intro_void: "Marks a wrong event as void: it no longer counts from now on, and stays in the log as it was.",
    intro_usage: "How many of a product were in use on a date, e.g. from an inventory.",
    submit_purchase: "Record purchase",
    submit_extend: "Record extension",
    submit_adjust: "Record adjustment",
    submit_cancel: "Record cancellation",
    submit_void: "Void event",
    submit_usage: "Record count",
    file: "File",
    file_hint: "one or several: PDFs, office files, pictures, e-mails; each at most 1 GiB",
    attach: "Attach a document",
    intro_attach: "Stores each file unchanged under its BLAKE3 hash and binds them to this license in one write; their text becomes searchable.",
    submit_attach: "Attach",
    choose_file: "Choose a file.",
    intro_vendor_attach: "Stores each file unchanged under its BLAKE3 hash and binds them to the vendor in one write, for documents that belong to no one license: a framework agreement, the vendor's terms, correspondence. Their text becomes searchable.",
    vendor_document_hint: "as the vendor is written on its licenses",
    count_rule: "Count rule",
    count_rule_hint: "only when the use is counted from the inventory of installations (entitle inventory import); otherwise from usage counts",
    count_rule_none: "none: usage counts",
    choose_vendor: "Enter the vendor the documents belong to.",
    disk_full: "The server's disk is full; nothing was stored. Ask an admin to free space, then upload again.",
    new_vendor_document: "Attach a vendor's document",
    file_empty: "The file is empty (0 bytes). Choose the right file.",
    file_too_large: "The file is larger than 1 GiB, the most a single upload may be.",
    upload_broke: "The upload broke off. Nothing was stored; try again.",
    drop_here: "Or drop files here",
    upload_progress: "Upload progress",
    lang: Lang::En,
};

static FORMS_DE: FormTexts = FormTexts {
    new_purchase: "Kauf erfassen",
    new_usage: "Nutzung erfassen",
    actions: "Änderung erfassen",
    extend: "Verlängern",
    adjust: "Menge ändern",
    cancel: "Kündigen",
    void: "Ereignis stornieren",
    back: "Zurück ohne zu erfassen",
    required_mark: "Pflichtfeld",
    problems_title: "Es wurde nichts erfasst. Bitte korrigieren Sie:",
    required: "Bitte ausfüllen.",
    confirm_missing: "Bitte bestätigen Sie mit dem Häkchen.",
    choose: "— bitte wählen —",
    choose_event: "Wählen Sie das Ereignis, das storniert werden soll.",
    whole_number: "Geben Sie eine ganze Zahl ein, z. B. 30.",
    bad_date: "Geben Sie ein gültiges Datum als JJJJ-MM-TT ein, z. B. 2024-06-30.",
    bad_quantity: "Geben Sie eine ganze Zahl ab 1 ein, z. B. 25 (bei einer Zählung: ab 0).",
    bad_money: "Schreiben Sie den Betrag als 1.234,56 (ein Komma vor den Cent) und geben Sie die Währung an, z. B. EUR.",
    cost_hint: "z. B. 1.234,56 – mit Währung",
    currency_hint: "drei Buchstaben, z. B. EUR",
    qty_hint: "wie viele Benutzer, Geräte, Kerne …; oder unlimited",
    end_hint: "leer für eine unbefristete Lizenz",
    notice_hint: "Tage vor dem Ende, bis zu denen gekündigt werden muss (Kündigungsfrist)",
    renewal_months: "Verlängert sich um (Monate)",
    renewal_hint: "die Dauer einer automatischen Verlängerung",
    tags_hint: "durch Kommas getrennt",
    id_hint: "leer: entitle vergibt eine (L-…)",
    effective_hint: "das Datum, ab dem es gilt; leer: das übliche Datum",
    cancel_effective_hint: "das Datum, an dem die Lizenz endet; leer: heute",
    note_hint: "warum, woher (eine Bestellung, ein Schreiben)",
    until: "Neues Ende",
    new_quantity: "Neue Menge",
    keep_hint: "leer: unverändert",
    confirm_cancel: "Ja, die Kündigung dieser Lizenz erfassen",
    confirm_void: "Ja, dieses Ereignis stornieren (es bleibt im Protokoll, als storniert markiert)",
    void_which: "Zu stornierendes Ereignis",
    void_note_hint: "Pflicht: warum das Ereignis falsch war",
    count: "Anzahl",
    count_hint: "wie viele an dem Tag in Benutzung waren",
    counted_on: "Gezählt am",
    source: "Quelle",
    source_hint: "woher die Zahl kommt, z. B. das Inventarisierungswerkzeug",
    intro_purchase: "Eine neue Lizenz, wie gekauft: was, wie viele, wie lange, zu welchen Kosten. Dokumente lassen sich auf der Seite der Lizenz anhängen.",
    intro_extend: "Verschiebt das Ende der Lizenz nach hinten, wahlweise mit neuer Menge und neuen Kosten.",
    intro_adjust: "Setzt die lizenzierte Menge ab einem Datum neu (Nachlizenzierung oder Reduzierung).",
    intro_cancel: "Beendet die Lizenz zu einem Datum. Der Eintrag bleibt; er lässt sich nicht wieder öffnen, nur stornieren.",
    intro_void: "Markiert ein falsches Ereignis als storniert: Es zählt ab jetzt nicht mehr und bleibt unverändert im Protokoll.",
    intro_usage: "Wie viele Exemplare eines Produkts an einem Tag in Benutzung waren, z. B. aus einer Inventur.",
    submit_purchase: "Kauf erfassen",
    submit_extend: "Verlängerung erfassen",
    submit_adjust: "Änderung erfassen",
    submit_cancel: "Kündigung erfassen",
    submit_void: "Ereignis stornieren",
    submit_usage: "Anzahl erfassen",
    file: "Datei",
    file_hint: "eine oder mehrere: PDFs, Office-Dateien, Bilder, E-Mails; jede höchstens 1 GiB",
    attach: "Dokument anhängen",
    intro_attach: "Speichert jede Datei unverändert unter ihrem BLAKE3-Hash und verknüpft sie in einem Schreibvorgang mit dieser Lizenz; ihr Text wird durchsuchbar.",
    submit_attach: "Anhängen",
    choose_file: "Wählen Sie eine Datei.",
    intro_vendor_attach: "Speichert jede Datei unverändert unter ihrem BLAKE3-Hash und verknüpft sie in einem Schreibvorgang mit dem Hersteller – für Dokumente, die zu keiner einzelnen Lizenz gehören: Rahmenvertrag, Lizenzbedingungen, Schriftverkehr. Ihr Text wird durchsuchbar.",
    vendor_document_hint: "so geschrieben wie bei seinen Lizenzen",
    count_rule: "Zählregel",
    count_rule_hint: "nur wenn die Nutzung aus dem Inventar der Installationen gezählt wird (entitle inventory import); sonst aus Nutzungszählungen",
    count_rule_none: "keine: Nutzungszählungen",
    choose_vendor: "Geben Sie den Hersteller ein, zu dem die Dokumente gehören.",
    disk_full: "Der Datenträger des Servers ist voll; nichts wurde gespeichert. Bitten Sie einen Admin, Platz zu schaffen, und laden Sie dann erneut hoch.",
    new_vendor_document: "Dokument eines Herstellers ablegen",
    file_empty: "Die Datei ist leer (0 Bytes). Wählen Sie die richtige Datei.",
    file_too_large: "Die Datei ist größer als 1 GiB, das Höchstmaß für ein Hochladen.",
    upload_broke: "Das Hochladen brach ab. Es wurde nichts gespeichert; versuchen Sie es erneut.",
    drop_here: "Oder Dateien hierher ziehen",
    upload_progress: "Fortschritt des Hochladens",
    lang: Lang::De,
};

/// The words of the reminders page.
pub(crate) struct RemindTexts {
    pub nav: &'static str,
    pub intro: &'static str,
    pub due_heading: &'static str,
    pub no_due: &'static str,
    pub sent_heading: &'static str,
    pub nothing_sent: &'static str,
    pub kind: &'static str,
    pub stage: &'static str,
    pub deadline: &'static str,
    pub recipient: &'static str,
    pub sent_at: &'static str,
    pub for_day: &'static str,
    pub message_id: &'static str,
    pub items: &'static str,
    pub no_address: &'static str,
    pub hidden: &'static str,
    pub schedule_off: &'static str,
    pub cancel_by: &'static str,
    pub expiry: &'static str,
    pub under: &'static str,
    pub mismatch: &'static str,
    pub stale: &'static str,
}

const REMIND_EN: RemindTexts = RemindTexts {
    nav: "Reminders",
    intro: "E-mail reminders before notice deadlines and expiries, and of shortfalls: what a run would send on the date above, and what was sent. `entitle remind log` shows the same log.",
    due_heading: "Due and not sent yet",
    no_due: "Nothing is due on this date that was not sent already.",
    sent_heading: "Sent",
    nothing_sent: "Nothing was sent yet.",
    kind: "Reminder",
    stage: "Stage",
    deadline: "Deadline",
    recipient: "Recipient",
    sent_at: "Sent at",
    for_day: "For",
    message_id: "Message-ID",
    items: "Items",
    no_address: "no address: reaches nobody",
    hidden: "(hidden)",
    schedule_off: "The server sends no reminders by itself: set [remind] daily_at in the settings file, or run `entitle remind` from cron.",
    cancel_by: "cancel by",
    expiry: "expiry",
    under: "shortfall",
    mismatch: "metric mismatch",
    stale: "stale usage",
};

const REMIND_DE: RemindTexts = RemindTexts {
    nav: "Erinnerungen",
    intro: "E-Mail-Erinnerungen vor Kündigungsfristen und Laufzeitende sowie bei Unterlizenzierung: was ein Lauf am obigen Datum senden würde und was gesendet wurde. `entitle remind log` zeigt dasselbe Protokoll.",
    due_heading: "Fällig und noch nicht gesendet",
    no_due: "An diesem Datum ist nichts fällig, was nicht schon gesendet wurde.",
    sent_heading: "Gesendet",
    nothing_sent: "Es wurde noch nichts gesendet.",
    kind: "Erinnerung",
    stage: "Stufe",
    deadline: "Frist",
    recipient: "Empfänger",
    sent_at: "Gesendet am",
    for_day: "Für",
    message_id: "Message-ID",
    items: "Punkte",
    no_address: "keine Adresse: erreicht niemanden",
    hidden: "(verborgen)",
    schedule_off: "Der Server sendet keine Erinnerungen von sich aus: [remind] daily_at in der Einstellungsdatei setzen oder `entitle remind` per cron ausführen.",
    cancel_by: "Kündigen bis",
    expiry: "Laufzeitende",
    under: "Unterlizenzierung",
    mismatch: "falsche Lizenzmetrik",
    stale: "veraltete Nutzung",
};

impl Lang {
    /// The reminders page's words.
    pub(crate) fn inv(self) -> &'static InventoryTexts {
        match self {
            Lang::De => &INVENTORY_DE,
            Lang::En => &INVENTORY_EN,
        }
    }

    /// The inventory's heading on a date.
    pub(crate) fn inventory_on(self, d: Date) -> String {
        match self {
            Lang::De => format!("Inventar am {}", self.date(d)),
            Lang::En => format!("Inventory on {}", self.date(d)),
        }
    }

    /// How many hosts run a variant.
    pub(crate) fn hosts_count(self, n: u64) -> String {
        let count = self.number(i64::try_from(n).unwrap_or(i64::MAX));
        match (self, n) {
            (Lang::De, 1) => "1 Host".to_owned(),
            (Lang::De, _) => format!("{count} Hosts"),
            (Lang::En, 1) => "1 host".to_owned(),
            (Lang::En, _) => format!("{count} hosts"),
        }
    }

    pub(crate) fn r(self) -> &'static RemindTexts {
        match self {
            Lang::De => &REMIND_DE,
            Lang::En => &REMIND_EN,
        }
    }

    /// A reminder's kind in words.
    pub(crate) fn reminder_kind(self, kind: &str) -> &'static str {
        let r = self.r();
        match kind {
            "cancel-by" => r.cancel_by,
            "expiry" => r.expiry,
            "under" => r.under,
            "metric-mismatch" => r.mismatch,
            _ => r.stale,
        }
    }

    /// The daily run's time: "Sent every day at 07:00 (server time)."
    pub(crate) fn daily_at(self, at: &str) -> String {
        match self {
            Lang::De => format!("Der Server sendet täglich um {at} Uhr (Serverzeit)."),
            Lang::En => format!("The server sends every day at {at} (server time)."),
        }
    }

    /// The last run since the server started.
    pub(crate) fn last_run(
        self,
        at: &str,
        sent: usize,
        failed: usize,
        unaddressed: usize,
    ) -> String {
        match self {
            Lang::De => format!(
                "Letzter Lauf: {at}; {sent} gesendet, {failed} nicht angenommen, {unaddressed} ohne Adresse."
            ),
            Lang::En => format!(
                "Last run: {at}; {sent} sent, {failed} not accepted, {unaddressed} without an address."
            ),
        }
    }

    /// How many of the sent messages the page shows.
    pub(crate) fn messages_shown(self, shown: usize, total: usize) -> String {
        let n = self.number(i64::try_from(total).unwrap_or(i64::MAX));
        match self {
            Lang::De => {
                format!("die letzten {shown} von {n} Nachrichten; alle: entitle remind log")
            }
            Lang::En => {
                format!("the latest {shown} of {n} messages; all of them: entitle remind log")
            }
        }
    }

    /// A stage: "30 days before", "on the day".
    pub(crate) fn stage(self, days: u32) -> String {
        match (self, days) {
            (Lang::De, 0) => "am Tag".into(),
            (Lang::En, 0) => "on the day".into(),
            (Lang::De, n) => format!("{} vorher", self.days(n)),
            (Lang::En, n) => format!("{} before", self.days(n)),
        }
    }
}

/// The inventory page's words.
#[derive(Debug)]
pub(crate) struct InventoryTexts {
    pub nav: &'static str,
    pub intro: &'static str,
    pub host: &'static str,
    pub facts: &'static str,
    pub software: &'static str,
    pub since: &'static str,
    pub facts_as_of: &'static str,
    pub last_seen: &'static str,
    pub no_facts: &'static str,
    pub nothing_installed: &'static str,
    pub no_hosts: &'static str,
    pub in_use: &'static str,
    pub hosts: &'static str,
}

static INVENTORY_EN: InventoryTexts = InventoryTexts {
    nav: "Inventory",
    intro: "The hosts as the inventory imports recorded them, with their hardware and the software on them, on the chosen date as known at the chosen moment. Licenses with a count rule count their use from these.",
    host: "Host",
    facts: "Hardware and operating system",
    software: "Software",
    since: "since",
    facts_as_of: "as of",
    last_seen: "Last seen",
    no_facts: "no facts recorded",
    nothing_installed: "nothing installed",
    no_hosts: "No host is recorded on this date.",
    in_use: "Editions and versions in use",
    hosts: "Hosts",
};

static INVENTORY_DE: InventoryTexts = InventoryTexts {
    nav: "Inventar",
    intro: "Die Hosts, wie die Inventarimporte sie erfasst haben, mit ihrer Hardware und der Software darauf, am gewählten Datum und nach dem Stand des gewählten Zeitpunkts. Lizenzen mit Zählregel zählen ihre Nutzung daraus.",
    host: "Host",
    facts: "Hardware und Betriebssystem",
    software: "Software",
    since: "seit",
    facts_as_of: "Stand",
    last_seen: "Zuletzt gesehen",
    no_facts: "keine Angaben erfasst",
    nothing_installed: "nichts installiert",
    no_hosts: "An diesem Datum ist kein Host erfasst.",
    in_use: "Eingesetzte Editionen und Versionen",
    hosts: "Hosts",
};
