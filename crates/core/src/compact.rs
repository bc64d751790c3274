//! Compact encodings for derived binary state (postcard): dates as days
//! since 1970-01-01 and timestamps as whole seconds, instead of strings to
//! parse on every query. Human-readable formats (JSON) keep the ISO text.
//! Used with `#[serde(with = …)]` on the projection types only; the log's
//! records never use these.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const EPOCH: Date = jiff::civil::date(1970, 1, 1);

/// Days since 1970-01-01 (negative before).
#[must_use]
pub fn to_days(d: Date) -> i32 {
    // Dates are within jiff's range (years -9999..=9999): fits in i32.
    EPOCH.until(d).map_or(0, |span| span.get_days())
}

/// The date `days` after 1970-01-01; `None` outside jiff's range.
#[must_use]
pub fn date_from_days(days: i32) -> Option<Date> {
    EPOCH
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .ok()
}

fn from_days<E: serde::de::Error>(days: i32) -> Result<Date, E> {
    date_from_days(days).ok_or_else(|| E::custom(format!("day number {days} out of range")))
}

/// `Date` as an `i32` day number.
pub mod date {
    use super::*;

    /// Serialises.
    ///
    /// # Errors
    ///
    /// As the serializer does.
    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            d.serialize(s)
        } else {
            to_days(*d).serialize(s)
        }
    }

    /// Deserialises.
    ///
    /// # Errors
    ///
    /// As the deserializer does, or for a day number out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        if d.is_human_readable() {
            Date::deserialize(d)
        } else {
            from_days(i32::deserialize(d)?)
        }
    }
}

/// `Option<Date>` as an optional `i32` day number.
pub mod opt_date {
    use super::*;

    /// Serialises.
    ///
    /// # Errors
    ///
    /// As the serializer does.
    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            d.serialize(s)
        } else {
            d.map(to_days).serialize(s)
        }
    }

    /// Deserialises.
    ///
    /// # Errors
    ///
    /// As the deserializer does, or for a day number out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        if d.is_human_readable() {
            Option::<Date>::deserialize(d)
        } else {
            Option::<i32>::deserialize(d)?.map(from_days).transpose()
        }
    }
}

/// `Timestamp` as whole seconds since the Unix epoch.
pub mod timestamp {
    use super::*;

    /// Serialises.
    ///
    /// # Errors
    ///
    /// As the serializer does.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            t.serialize(s)
        } else {
            t.as_second().serialize(s)
        }
    }

    /// Deserialises.
    ///
    /// # Errors
    ///
    /// As the deserializer does, or for seconds out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        if d.is_human_readable() {
            Timestamp::deserialize(d)
        } else {
            let secs = i64::deserialize(d)?;
            Timestamp::from_second(secs).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        for d in [
            "1970-01-01",
            "2024-02-29",
            "1899-12-31",
            "9999-12-31",
            "2099-01-01",
        ] {
            let date: Date = d.parse().unwrap();
            let back: Date = from_days::<serde::de::value::Error>(to_days(date)).unwrap();
            assert_eq!(back, date);
        }
        assert_eq!(to_days("1970-01-02".parse().unwrap()), 1);
    }
}
