//! The two times of every query, parsed the same way for every front-end:
//! the business date (`as_of`, default today) and the moment of knowledge
//! (`known_at`: `#N`, an RFC 3339 time, or a date meaning the end of that
//! day in UTC; default everything recorded). And the clock of a write.

use entitle_core::ledger::{parse_date, Context};
use entitle_store::KnownAt;
use jiff::civil::Date;
use jiff::Timestamp;

use crate::error::{Error, Result};

/// Today in the local time zone.
#[must_use]
pub fn today() -> Date {
    jiff::Zoned::now().date()
}

/// Now, to the second (records carry whole seconds).
#[must_use]
pub fn now() -> Timestamp {
    let t = Timestamp::now();
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// The clock and the person for a write made now.
#[must_use]
pub fn context(actor: &str) -> Context {
    Context {
        actor: actor.to_owned(),
        now: now(),
        today: today(),
    }
}

/// A date given in field `field` (`YYYY-MM-DD`).
///
/// # Errors
///
/// For anything but a real date, naming the field.
pub fn date(field: &str, value: &str) -> Result<Date> {
    Ok(parse_date(field, value)?)
}

/// An optional date field.
///
/// # Errors
///
/// As [`date`].
pub fn opt_date(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    value.map(|v| date(field, v)).transpose()
}

/// `as_of`, defaulting to today.
///
/// # Errors
///
/// As [`date`].
pub fn as_of(value: Option<&str>) -> Result<Date> {
    Ok(opt_date("as_of", value)?.unwrap_or_else(today))
}

/// `known_at`: `#N`, an RFC 3339 time, or a date (the end of that day,
/// UTC); none means everything recorded.
///
/// # Errors
///
/// For anything else, naming the forms it takes.
pub fn known_at(value: Option<&str>) -> Result<KnownAt> {
    let Some(v) = value else {
        return Ok(KnownAt::Now);
    };
    let t = v.trim();
    if let Some(n) = t.strip_prefix('#') {
        return n.parse::<u64>().map(KnownAt::Seq).map_err(|_| {
            Error::invalid("known_at", v, "is not an event number")
                .hint("after # comes an event number, e.g. #42")
        });
    }
    if t.len() == 10 {
        let d = date("known_at", t)?;
        let end = d
            .at(23, 59, 59, 999_999_999)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|_| Error::invalid("known_at", v, "is out of range"))?;
        return Ok(KnownAt::Time(end.timestamp()));
    }
    t.parse::<Timestamp>().map(KnownAt::Time).map_err(|e| {
        Error::invalid(
            "known_at",
            v,
            format!(
                "is not an RFC 3339 time (2024-09-02T17:00:00Z), a date (2024-09-02) or an event number (#42): {e}"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_at_takes_three_forms() {
        assert_eq!(known_at(None).unwrap(), KnownAt::Now);
        assert_eq!(known_at(Some("#12")).unwrap(), KnownAt::Seq(12));
        assert!(matches!(
            known_at(Some("2024-09-02")).unwrap(),
            KnownAt::Time(_)
        ));
        assert!(matches!(
            known_at(Some("2024-09-02T17:00:00Z")).unwrap(),
            KnownAt::Time(_)
        ));
        for bad in ["#x", "last week", "2024-02-30"] {
            let e = known_at(Some(bad)).unwrap_err();
            assert_eq!(e.field(), Some("known_at"), "{bad}");
            assert_eq!(e.value(), Some(bad));
        }
    }

    #[test]
    fn as_of_names_its_field() {
        let e = as_of(Some("2024-02-30")).unwrap_err();
        assert_eq!(e.field(), Some("as_of"));
        assert!(
            e.message().starts_with("is not a valid date"),
            "{}",
            e.message()
        );
    }
}
