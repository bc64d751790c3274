//! Property tests for the number parsers.

use entitle_sheet::{parse_count, parse_money, NumberStyle};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn group(digits: &str, sep: char) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

proptest! {
    #[test]
    fn counts_round_trip(n: u64, grouped: bool) {
        let plain = n.to_string();
        for (style, sep) in [(NumberStyle::DecimalComma, '.'), (NumberStyle::DecimalPoint, ',')] {
            let s = if grouped { group(&plain, sep) } else { plain.clone() };
            prop_assert_eq!(parse_count(&s, style), Ok(n));
        }
    }

    #[test]
    fn money_round_trips(units in -10_000_000_000i64..10_000_000_000, scale in 0u32..5, grouped: bool) {
        let d = Decimal::new(units, scale);
        let plain = d.abs().to_string();
        let (int, frac) = plain.split_once('.').map_or((plain.as_str(), None), |(i, f)| (i, Some(f)));
        for (style, dec, sep) in [(NumberStyle::DecimalComma, ',', '.'), (NumberStyle::DecimalPoint, '.', ',')] {
            let mut s = String::new();
            if d.is_sign_negative() && !d.is_zero() { s.push('-'); }
            s.push_str(&if grouped { group(int, sep) } else { int.to_owned() });
            if let Some(f) = frac { s.push(dec); s.push_str(f); }
            prop_assert_eq!(parse_money(&s, style), Ok(d), "{}", s);
        }
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,24}") {
        for style in [NumberStyle::DecimalComma, NumberStyle::DecimalPoint] {
            let _ = parse_count(&s, style);
            let _ = parse_money(&s, style);
        }
    }

    #[test]
    fn negative_counts_are_rejected(n in 1u64..u64::MAX) {
        let s = format!("-{n}");
        let e = parse_count(&s, NumberStyle::DecimalPoint).unwrap_err();
        prop_assert!(e.message().contains("is negative"));
    }
}
