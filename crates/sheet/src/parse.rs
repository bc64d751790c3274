//! Parsers for single values: counts, money, dates, yes/no.
//!
//! Each returns a [`ValueError`] whose message names the value and says how
//! to write it; [`Row`](crate::Row)'s typed getters add the file, line and
//! column.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::error::ValueError;

/// How numbers are written in a file: which character is the decimal mark
/// and which separates thousands.
///
/// By default it follows the delimiter: a semicolon-separated file is what
/// German (and most continental) Excel writes, with `1.234,56`; a comma- or
/// tab-separated file uses `1,234.56`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberStyle {
    /// `1,234.56`: `.` is the decimal mark, `,` separates thousands.
    DecimalPoint,
    /// `1.234,56`: `,` is the decimal mark, `.` separates thousands.
    DecimalComma,
}

impl NumberStyle {
    fn marks(self) -> (char, char) {
        match self {
            Self::DecimalPoint => ('.', ','),
            Self::DecimalComma => (',', '.'),
        }
    }

    fn example(self) -> &'static str {
        match self {
            Self::DecimalPoint => "1234.56 or 1,234.56",
            Self::DecimalComma => "1234,56 or 1.234,56",
        }
    }

    fn file_kind(self) -> &'static str {
        match self {
            Self::DecimalPoint => "comma-separated",
            Self::DecimalComma => "semicolon-separated",
        }
    }
}

/// Which date forms besides ISO `2024-03-31` a file may use.
///
/// ISO dates are always accepted. The others are accepted only when the
/// caller says so, because `03/04/2024` means 3 April in Germany and
/// 4 March in the US, and guessing would silently get dates wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// Only `2024-03-31`.
    #[default]
    Iso,
    /// Also day.month.year: `31.03.2024`, `31.3.2024` or `31/03/2024`.
    Dmy,
    /// Also month/day/year: `03/31/2024` or `3/31/2024`.
    Mdy,
}

impl FromStr for DateFormat {
    type Err = ValueError;

    /// Parses `iso`, `dmy` or `mdy` (any case), as given to `--date-format`.
    fn from_str(s: &str) -> Result<Self, ValueError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "iso" | "ymd" => Ok(Self::Iso),
            "dmy" => Ok(Self::Dmy),
            "mdy" => Ok(Self::Mdy),
            _ => Err(ValueError::new(format!(
                "`{s}` is not a date format; use iso (2024-03-31), dmy (31.03.2024) or mdy (03/31/2024)"
            ))),
        }
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Iso => "iso",
            Self::Dmy => "dmy",
            Self::Mdy => "mdy",
        })
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Digits, optionally grouped in threes by `sep` (`1.234.567`). Returns the
/// bare digits, or `None` if the grouping is not exact.
fn ungroup(s: &str, sep: char) -> Option<String> {
    if !s.contains(sep) {
        return all_digits(s).then(|| s.to_owned());
    }
    let mut groups = s.split(sep);
    let first = groups.next()?;
    if !all_digits(first) || first.len() > 3 {
        return None;
    }
    let mut out = first.to_owned();
    for g in groups {
        if g.len() != 3 || !all_digits(g) {
            return None;
        }
        out.push_str(g);
    }
    Some(out)
}

/// Parses a count of seats, devices, installations: a whole number, 0 or more.
///
/// Plain digits are always accepted. Thousands separators are accepted only
/// where they cannot be a decimal mark, and only in exact groups of three:
/// `1.234` in a [`NumberStyle::DecimalComma`] (semicolon) file, `1,234` in a
/// [`NumberStyle::DecimalPoint`] (comma) file, where a field holding a comma
/// has to be quoted. `1.234` in a comma file is a decimal, not a count, and is
/// rejected, as are `1.23` (bad grouping), `-3`, `12,5` and `abc`.
///
/// # Errors
///
/// A [`ValueError`] naming the value: not a number, negative, not whole, too large.
///
/// # Examples
///
/// ```
/// use entitle_sheet::{parse_count, NumberStyle};
/// assert_eq!(parse_count("1.234", NumberStyle::DecimalComma), Ok(1234));
/// assert_eq!(parse_count("1,234", NumberStyle::DecimalPoint), Ok(1234));
/// assert!(parse_count("1.234", NumberStyle::DecimalPoint).is_err());
/// assert!(parse_count("-3", NumberStyle::DecimalPoint).is_err());
/// ```
pub fn parse_count(s: &str, style: NumberStyle) -> Result<u64, ValueError> {
    let s = s.trim();
    let (decimal, thousands) = style.marks();
    if s.is_empty() {
        return Err(ValueError::new("the count is empty"));
    }
    if let Some(rest) = s.strip_prefix('-') {
        // A count never starts with `-`: do not recurse into `--…` (a cell
        // of a million dashes would overflow the stack, one call per dash).
        let count = !rest.trim_start().starts_with('-') && parse_count(rest, style).is_ok();
        if count || parse_money(rest, style).is_ok() {
            return Err(ValueError::new(format!(
                "`{s}` is negative; a count must be 0 or more"
            )));
        }
    }
    if let Some(digits) = ungroup(s, thousands) {
        return digits
            .parse::<u64>()
            .map_err(|_| ValueError::new(format!("`{s}` is too large for a count")));
    }
    if parse_money(s, style).is_ok() {
        return Err(ValueError::new(format!(
            "`{s}` is not a whole number (in a {} file `{decimal}` is the decimal mark); a count is a whole number",
            style.file_kind()
        )));
    }
    if s.contains(thousands) {
        return Err(ValueError::new(format!(
            "`{s}` is not a count: `{thousands}` separates thousands in a {} file, in groups of three digits (1{thousands}234)",
            style.file_kind()
        )));
    }
    Err(ValueError::new(format!(
        "`{s}` is not a number; a count is a whole number such as 12 or 1{thousands}234"
    )))
}

/// Parses an amount of money exactly, as a [`Decimal`] (never a float).
///
/// [`NumberStyle::DecimalComma`] (semicolon files): `1234,56`, `1.234,56`,
/// `1.234` (one thousand two hundred thirty-four). [`NumberStyle::DecimalPoint`]
/// (comma files): `1234.56`, `1,234.56`, `1,234`. Thousands separators must
/// group exactly three digits, so `1.23` in a semicolon file and `1,23` in a
/// comma file are rejected rather than guessed. A leading `-` is allowed
/// (credit notes); currency symbols are not (currency is a column of its own).
///
/// # Errors
///
/// A [`ValueError`] naming the value and showing how to write it.
///
/// # Examples
///
/// ```
/// use entitle_sheet::{parse_money, NumberStyle};
/// use rust_decimal::Decimal;
/// assert_eq!(parse_money("1.234,56", NumberStyle::DecimalComma), Ok(Decimal::new(123456, 2)));
/// assert_eq!(parse_money("1,234.56", NumberStyle::DecimalPoint), Ok(Decimal::new(123456, 2)));
/// assert!(parse_money("1,234.56", NumberStyle::DecimalComma).is_err());
/// ```
pub fn parse_money(s: &str, style: NumberStyle) -> Result<Decimal, ValueError> {
    let s = s.trim();
    let (decimal, thousands) = style.marks();
    let bad = || {
        ValueError::new(format!(
            "`{s}` is not an amount as a {} file writes it; write it as {}",
            style.file_kind(),
            style.example()
        ))
    };
    if s.is_empty() {
        return Err(ValueError::new("the amount is empty"));
    }
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match body.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int = ungroup(int, thousands).ok_or_else(bad)?;
    let mut text = String::with_capacity(s.len() + 1);
    if negative {
        text.push('-');
    }
    text.push_str(&int);
    if let Some(f) = frac {
        if !all_digits(f) {
            return Err(bad());
        }
        text.push('.');
        text.push_str(f);
    }
    Decimal::from_str_exact(&text)
        .map_err(|_| ValueError::new(format!("`{s}` is too large or too precise for an amount")))
}

/// Parses a yes/no value: `yes`, `y`, `ja`, `j`, `true`, `wahr` (German
/// Excel's TRUE), `1`, `x` are true; `no`, `n`, `nein`, `false`, `falsch`,
/// `0` and the empty field are false. Case is ignored.
///
/// # Errors
///
/// A [`ValueError`] naming the value and the accepted words.
///
/// # Examples
///
/// ```
/// use entitle_sheet::parse_bool;
/// assert_eq!(parse_bool("Ja"), Ok(true));
/// assert_eq!(parse_bool(""), Ok(false));
/// assert!(parse_bool("maybe").is_err());
/// ```
pub fn parse_bool(s: &str) -> Result<bool, ValueError> {
    match s.trim().to_lowercase().as_str() {
        "yes" | "y" | "ja" | "j" | "true" | "wahr" | "1" | "x" => Ok(true),
        "no" | "n" | "nein" | "false" | "falsch" | "0" | "" => Ok(false),
        _ => Err(ValueError::new(format!(
            "`{}` is not yes or no; write yes/no, true/false, ja/nein, 1/0, or x for yes and nothing for no",
            s.trim()
        ))),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Builds a date from parts, explaining an impossible one.
fn make_date(s: &str, y: &str, m: &str, d: &str) -> Result<Date, ValueError> {
    let num = |p: &str, max: usize| -> Option<i16> {
        (all_digits(p) && p.len() <= max)
            .then(|| p.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return Err(ValueError::new(format!("`{s}` is not a date")));
    };
    if y.len() != 4 || year < 1 {
        return Err(ValueError::new(format!(
            "`{s}` is not a date: write the year with four digits"
        )));
    }
    if !(1..=12).contains(&month) {
        return Err(ValueError::new(format!(
            "`{s}` is not a date: there is no month {month}"
        )));
    }
    // Both fit i8: checked above, and day has at most two digits.
    let (month, day) = (month as i8, day as i8);
    let first =
        Date::new(year, month, 1).map_err(|_| ValueError::new(format!("`{s}` is not a date")))?;
    let days = first.days_in_month();
    if day < 1 || day > days {
        return Err(ValueError::new(format!(
            "`{s}` is not a date: {} {year} has {days} days",
            MONTHS[month as usize - 1]
        )));
    }
    Date::new(year, month, day).map_err(|_| ValueError::new(format!("`{s}` is not a date")))
}

/// Parses a calendar date: ISO `2024-03-31` always; `31.03.2024` (or
/// `31/03/2024`) only with [`DateFormat::Dmy`]; `03/31/2024` only with
/// [`DateFormat::Mdy`]. Years have four digits.
///
/// # Errors
///
/// A [`ValueError`] naming the value: an impossible date
/// (``"`2023-02-30` is not a date: February 2023 has 28 days"``), or a form the
/// [`DateFormat`] does not allow, with the `--date-format` that would.
///
/// # Examples
///
/// ```
/// use entitle_sheet::{parse_date, DateFormat};
/// use jiff::civil::date;
/// assert_eq!(parse_date("2024-02-29", DateFormat::Iso), Ok(date(2024, 2, 29)));
/// assert_eq!(parse_date("31.03.2024", DateFormat::Dmy), Ok(date(2024, 3, 31)));
/// assert!(parse_date("31.03.2024", DateFormat::Iso).is_err());
/// assert!(parse_date("2023-02-30", DateFormat::Iso).is_err());
/// ```
pub fn parse_date(s: &str, format: DateFormat) -> Result<Date, ValueError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ValueError::new("the date is empty"));
    }
    let parts = |sep: char| -> Option<(&str, &str, &str)> {
        let mut it = s.split(sep);
        let (a, b, c) = (it.next()?, it.next()?, it.next()?);
        it.next().is_none().then_some((a, b, c))
    };
    if let Some((y, m, d)) = parts('-') {
        if y.len() == 4 {
            return make_date(s, y, m, d);
        }
    }
    let dotted = parts('.');
    let slashed = parts('/');
    match format {
        DateFormat::Dmy => {
            if let Some((d, m, y)) = dotted.or(slashed) {
                return make_date(s, y, m, d);
            }
        }
        DateFormat::Mdy => {
            if let Some((m, d, y)) = slashed {
                return make_date(s, y, m, d);
            }
            if dotted.is_some() {
                return Err(ValueError::new(format!(
                    "`{s}` is not a date as month/day/year (03/31/2024); for day.month.year use --date-format dmy"
                )));
            }
        }
        DateFormat::Iso => {
            if dotted.is_some() {
                return Err(ValueError::new(format!(
                    "`{s}` is not a date as year-month-day (2024-03-31); if the file writes day.month.year, use --date-format dmy"
                )));
            }
            if slashed.is_some() {
                return Err(ValueError::new(format!(
                    "`{s}` is not a date as year-month-day (2024-03-31); say how the file writes dates: --date-format mdy (03/31/2024) or dmy (31/03/2024)"
                )));
            }
        }
    }
    let want = match format {
        DateFormat::Iso => "2024-03-31",
        DateFormat::Dmy => "31.03.2024 or 2024-03-31",
        DateFormat::Mdy => "03/31/2024 or 2024-03-31",
    };
    Err(ValueError::new(format!(
        "`{s}` is not a date; write it as {want}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use NumberStyle::{DecimalComma as DE, DecimalPoint as EN};

    #[test]
    fn counts() {
        assert_eq!(parse_count("0", EN), Ok(0));
        assert_eq!(parse_count(" 17 ", DE), Ok(17));
        assert_eq!(parse_count("1.234.567", DE), Ok(1_234_567));
        assert_eq!(parse_count("1,234", EN), Ok(1234));
        for (s, st, msg) in [
            ("-3", EN, "`-3` is negative; a count must be 0 or more"),
            ("-1.234", DE, "`-1.234` is negative; a count must be 0 or more"),
            ("abc", EN, "`abc` is not a number; a count is a whole number such as 12 or 1,234"),
            ("1.5", EN, "`1.5` is not a whole number (in a comma-separated file `.` is the decimal mark); a count is a whole number"),
            ("1.234", EN, "`1.234` is not a whole number (in a comma-separated file `.` is the decimal mark); a count is a whole number"),
            ("12,5", DE, "`12,5` is not a whole number (in a semicolon-separated file `,` is the decimal mark); a count is a whole number"),
            ("1.23", DE, "`1.23` is not a count: `.` separates thousands in a semicolon-separated file, in groups of three digits (1.234)"),
            ("99999999999999999999", EN, "`99999999999999999999` is too large for a count"),
            ("", EN, "the count is empty"),
        ] {
            assert_eq!(parse_count(s, st).unwrap_err().message(), msg, "{s}");
        }
    }

    #[test]
    fn money() {
        let d = |n, s| Decimal::new(n, s);
        assert_eq!(parse_money("1.234,56", DE), Ok(d(123_456, 2)));
        assert_eq!(parse_money("1234,5", DE), Ok(d(12345, 1)));
        assert_eq!(parse_money("1.234", DE), Ok(d(1234, 0)));
        assert_eq!(parse_money("-0,99", DE), Ok(d(-99, 2)));
        assert_eq!(parse_money("1,234.56", EN), Ok(d(123_456, 2)));
        assert_eq!(parse_money("1234.56", EN), Ok(d(123_456, 2)));
        assert_eq!(parse_money("0.1", EN).unwrap().to_string(), "0.1");
        for (s, st) in [
            ("1,234.56", DE),
            ("1.234,56", EN),
            ("1,23", EN),
            ("1.23", DE),
            ("12 €", DE),
            ("", EN),
            ("1,2,3", DE),
        ] {
            assert!(parse_money(s, st).is_err(), "{s}");
        }
        assert_eq!(
            parse_money("1,234.56", DE).unwrap_err().message(),
            "`1,234.56` is not an amount as a semicolon-separated file writes it; write it as 1234,56 or 1.234,56"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2024-03-31", DateFormat::Iso),
            Ok(date(2024, 3, 31))
        );
        assert_eq!(
            parse_date("2024-03-31", DateFormat::Mdy),
            Ok(date(2024, 3, 31))
        );
        assert_eq!(
            parse_date("31.3.2024", DateFormat::Dmy),
            Ok(date(2024, 3, 31))
        );
        assert_eq!(
            parse_date("31/03/2024", DateFormat::Dmy),
            Ok(date(2024, 3, 31))
        );
        assert_eq!(
            parse_date("03/31/2024", DateFormat::Mdy),
            Ok(date(2024, 3, 31))
        );
        for (s, f, msg) in [
            ("2023-02-30", DateFormat::Iso, "`2023-02-30` is not a date: February 2023 has 28 days"),
            ("2024-02-30", DateFormat::Iso, "`2024-02-30` is not a date: February 2024 has 29 days"),
            ("2024-13-01", DateFormat::Iso, "`2024-13-01` is not a date: there is no month 13"),
            ("31.04.2024", DateFormat::Dmy, "`31.04.2024` is not a date: April 2024 has 30 days"),
            ("03/31/2024", DateFormat::Dmy, "`03/31/2024` is not a date: there is no month 31"),
            ("31.03.2024", DateFormat::Iso, "`31.03.2024` is not a date as year-month-day (2024-03-31); if the file writes day.month.year, use --date-format dmy"),
            ("31.03.24", DateFormat::Dmy, "`31.03.24` is not a date: write the year with four digits"),
            ("tomorrow", DateFormat::Iso, "`tomorrow` is not a date; write it as 2024-03-31"),
        ] {
            assert_eq!(parse_date(s, f).unwrap_err().message(), msg, "{s}");
        }
    }

    #[test]
    fn bools() {
        for t in ["yes", "YES", "ja", "true", "WAHR", "1", "x", "X"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["no", "Nein", "false", "FALSCH", "0", "", "  "] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        assert!(parse_bool("vielleicht").is_err());
    }

    #[test]
    fn date_format_from_str() {
        assert_eq!("DMY".parse::<DateFormat>(), Ok(DateFormat::Dmy));
        assert!("european".parse::<DateFormat>().is_err());
    }
}
