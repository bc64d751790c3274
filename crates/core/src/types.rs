//! The small value types of the domain: metrics, quantities, money, keys.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{InputError, MAX_QUANTITY};

/// What a license counts.
///
/// Frozen: the lowercase names are written into the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Named users.
    User,
    /// Devices (installations on a machine).
    Device,
    /// Physical or virtual cores.
    Core,
    /// Processors (sockets), as some vendors count.
    Processor,
    /// Concurrent users.
    Concurrent,
    /// Instances (servers, VMs, containers).
    Instance,
}

impl Metric {
    /// Every metric, in the order the help text lists them.
    pub const ALL: [Metric; 6] = [
        Metric::User,
        Metric::Device,
        Metric::Core,
        Metric::Processor,
        Metric::Concurrent,
        Metric::Instance,
    ];

    /// The lowercase name used on the command line and in the log.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Metric::User => "user",
            Metric::Device => "device",
            Metric::Core => "core",
            Metric::Processor => "processor",
            Metric::Concurrent => "concurrent",
            Metric::Instance => "instance",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Metric {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_lowercase();
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str() == wanted)
            .ok_or_else(|| InputError::UnknownMetric(s.to_owned()))
    }
}

/// How many units a license grants: a count, or unlimited (a site or
/// enterprise agreement). In the log: a JSON number or the string
/// `"unlimited"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantity {
    /// A positive number of units.
    Count(u64),
    /// Any usage is covered.
    Unlimited,
}

impl Quantity {
    /// The count, or `None` when unlimited.
    #[must_use]
    pub const fn count(self) -> Option<u64> {
        match self {
            Quantity::Count(n) => Some(n),
            Quantity::Unlimited => None,
        }
    }

    /// Adds two quantities; unlimited absorbs everything.
    #[must_use]
    pub fn saturating_add(self, other: Quantity) -> Quantity {
        match (self, other) {
            (Quantity::Count(a), Quantity::Count(b)) => Quantity::Count(a.saturating_add(b)),
            _ => Quantity::Unlimited,
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Count(n) => write!(f, "{n}"),
            Quantity::Unlimited => f.write_str("unlimited"),
        }
    }
}

/// The words a quantity may be written as to mean [`Quantity::Unlimited`]
/// (case is ignored): the one list for the command line, forms and imports.
pub const UNLIMITED_WORDS: [&str; 3] = ["unlimited", "unbegrenzt", "unbeschränkt"];

/// Whether `text` (trimmed) is one of [`UNLIMITED_WORDS`].
fn is_unlimited(text: &str) -> bool {
    let t = text.to_lowercase();
    UNLIMITED_WORDS.contains(&t.as_str())
}

impl FromStr for Quantity {
    type Err = InputError;

    /// Parses a quantity: a whole number from 1 to [`MAX_QUANTITY`], or
    /// one of [`UNLIMITED_WORDS`] (`unlimited`, `unbegrenzt`, `unbeschränkt`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if is_unlimited(t) {
            return Ok(Quantity::Unlimited);
        }
        match t.parse::<u64>() {
            Ok(0) => Err(InputError::QuantityNotPositive(s.to_owned())),
            Ok(n) if n > MAX_QUANTITY => Err(InputError::TooLarge {
                field: "qty",
                value: s.to_owned(),
            }),
            Ok(n) => Ok(Quantity::Count(n)),
            Err(_)
                if t.len() > 1
                    && t.starts_with('-')
                    && t[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                Err(InputError::QuantityNotPositive(s.to_owned()))
            }
            Err(_) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                Err(InputError::TooLarge {
                    field: "qty",
                    value: s.to_owned(),
                })
            }
            Err(_) => Err(InputError::QuantityNotANumber(s.to_owned())),
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            // Binary derived state (postcard): `None` is unlimited.
            return self.count().serialize(serializer);
        }
        match self {
            Quantity::Count(n) => serializer.serialize_u64(*n),
            Quantity::Unlimited => serializer.serialize_str("unlimited"),
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        if !deserializer.is_human_readable() {
            return Ok(Option::<u64>::deserialize(deserializer)?
                .map_or(Quantity::Unlimited, Quantity::Count));
        }
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a positive whole number or \"unlimited\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                if v == 0 {
                    Err(E::custom("quantity must be at least 1"))
                } else {
                    Ok(Quantity::Count(v))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("quantity {v} is negative")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                if v == "unlimited" {
                    Ok(Quantity::Unlimited)
                } else {
                    Err(E::custom(format!(
                        "quantity {v:?} is neither a number nor \"unlimited\""
                    )))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// An exact amount of money in one currency. Never a float.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, exact.
    pub amount: Decimal,
    /// ISO 4217 code, three uppercase letters.
    pub currency: String,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses `--cost` and `--currency` together: a cost needs a currency, and a
/// currency is three letters (stored uppercase).
///
/// # Errors
///
/// When the amount is not a decimal number, is negative, the currency is not
/// three ASCII letters, or one is given without the other.
pub fn parse_money(
    cost: Option<&str>,
    currency: Option<&str>,
) -> Result<Option<Money>, InputError> {
    match (cost, currency) {
        (None, None) => Ok(None),
        (Some(c), None) => Err(InputError::CostWithoutCurrency(c.to_owned())),
        (None, Some(c)) => Err(InputError::CurrencyWithoutCost(c.to_owned())),
        (Some(cost), Some(cur)) => {
            let amount = parse_amount(cost)?;
            Ok(Some(Money {
                amount,
                currency: parse_currency(cur)?,
            }))
        }
    }
}

/// Parses an amount of money: a decimal number with at most
/// [`MAX_COST_DECIMALS`] decimal places, not negative.
///
/// # Errors
///
/// When it is not a decimal number, negative, or too precise.
pub fn parse_amount(cost: &str) -> Result<Decimal, InputError> {
    let t = cost.trim();
    let decimals = t.split_once('.').map_or(0, |(_, frac)| frac.len());
    let looks_decimal = !t.is_empty()
        && t.trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|&b| b == b'.').count() <= 1;
    if looks_decimal && decimals > MAX_COST_DECIMALS as usize {
        return Err(InputError::CostTooPrecise(cost.to_owned()));
    }
    let amount =
        Decimal::from_str_exact(t).map_err(|_| InputError::CostNotANumber(cost.to_owned()))?;
    if amount.is_sign_negative() {
        return Err(InputError::CostNegative(cost.to_owned()));
    }
    Ok(amount)
}

/// Checks an ISO 4217 code: one of [`CURRENCIES`], returned uppercase.
///
/// # Errors
///
/// When it is anything else.
pub fn parse_currency(text: &str) -> Result<String, InputError> {
    let t = text.trim().to_ascii_uppercase();
    if CURRENCIES.binary_search(&t.as_str()).is_ok() {
        Ok(t)
    } else {
        Err(InputError::BadCurrency(text.to_owned()))
    }
}

/// The most decimal places a new cost may have.
pub const MAX_COST_DECIMALS: u32 = 4;

/// ISO 4217 currency codes a new cost may be in, sorted: the active codes
/// (ISO 4217 list one of 2025, without the test and "no currency" codes),
/// the precious metals and units of account, and the European currencies
/// the euro replaced (`DEM`, `FRF`, …) and `HRK`, for purchases recorded
/// from old contracts.
pub const CURRENCIES: [&str; 200] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "ATS", "AUD", "AWG", "AZN", "BAM", "BBD",
    "BDT", "BEF", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP",
    "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC",
    "CUC", "CUP", "CVE", "CYP", "CZK", "DEM", "DJF", "DKK", "DOP", "DZD", "EEK", "EGP", "ERN",
    "ESP", "ETB", "EUR", "FIM", "FJD", "FKP", "FRF", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF",
    "GRD", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "IEP", "ILS", "INR", "IQD",
    "IRR", "ISK", "ITL", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LTL", "LUF", "LVL", "LYD", "MAD", "MDL",
    "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MTL", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR",
    "MZN", "NAD", "NGN", "NIO", "NLG", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP",
    "PKR", "PLN", "PTE", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG",
    "SEK", "SGD", "SHP", "SIT", "SKK", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
    "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU",
    "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA",
    "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// Parses a usage count: a whole number from zero up to [`MAX_QUANTITY`].
/// The same rule for every way a count comes in.
///
/// # Errors
///
/// For a negative number, anything that is not a whole number, or a count
/// above the cap.
pub fn parse_count(text: &str) -> Result<u64, InputError> {
    let t = text.trim();
    match t.parse::<u64>() {
        Ok(n) if n > MAX_QUANTITY => Err(InputError::TooLarge {
            field: "count",
            value: text.to_owned(),
        }),
        Ok(n) => Ok(n),
        Err(_)
            if t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_digit()) && t.len() > 1 =>
        {
            Err(InputError::CountNegative(text.to_owned()))
        }
        Err(_) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
            Err(InputError::TooLarge {
                field: "count",
                value: text.to_owned(),
            })
        }
        Err(_) => Err(InputError::CountNotANumber(text.to_owned())),
    }
}

/// Vendors and products match case-insensitively after trimming: this is the
/// form they are compared in.
#[must_use]
pub fn match_key(name: &str) -> String {
    let name = name.trim();
    // The same fold for ASCII, without `to_lowercase`'s walk through
    // Unicode's case tables: most names are ASCII, and a position folds
    // every product's name.
    if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        name.to_lowercase()
    }
}

/// What a position row and a usage series are keyed by:
/// vendor, product and metric, as [`match_key`] folds them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProductKey {
    /// Folded vendor.
    pub vendor: String,
    /// Folded product.
    pub product: String,
    /// The metric counted.
    pub metric: Metric,
}

impl ProductKey {
    /// Builds the key from names as the user typed them.
    #[must_use]
    pub fn new(vendor: &str, product: &str, metric: Metric) -> Self {
        Self {
            vendor: match_key(vendor),
            product: match_key(product),
            metric,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unlimited_word_is_unlimited() {
        for w in ["unlimited", "UNBEGRENZT", " Unbeschränkt ", "UNBESCHRÄNKT"] {
            assert_eq!(w.parse::<Quantity>().unwrap(), Quantity::Unlimited, "{w}");
        }
        assert!("unbounded".parse::<Quantity>().is_err());
    }

    #[test]
    fn quantity_parsing() {
        assert_eq!("5".parse::<Quantity>().unwrap(), Quantity::Count(5));
        assert_eq!(
            "Unlimited".parse::<Quantity>().unwrap(),
            Quantity::Unlimited
        );
        assert!(matches!(
            "0".parse::<Quantity>(),
            Err(InputError::QuantityNotPositive(_))
        ));
        assert!(matches!(
            "-3".parse::<Quantity>(),
            Err(InputError::QuantityNotPositive(_))
        ));
        assert!(matches!(
            "ten".parse::<Quantity>(),
            Err(InputError::QuantityNotANumber(_))
        ));
    }

    #[test]
    fn quantity_json_round_trip() {
        for q in [Quantity::Count(12), Quantity::Unlimited] {
            let json = serde_json::to_string(&q).unwrap();
            assert_eq!(serde_json::from_str::<Quantity>(&json).unwrap(), q);
        }
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
    }

    #[test]
    fn money_rules() {
        let m = parse_money(Some("1234.50"), Some("eur")).unwrap().unwrap();
        assert_eq!(m.currency, "EUR");
        assert_eq!(m.amount.to_string(), "1234.50");
        assert!(matches!(
            parse_money(Some("10"), None),
            Err(InputError::CostWithoutCurrency(_))
        ));
        assert!(matches!(
            parse_money(Some("10"), Some("EURO")),
            Err(InputError::BadCurrency(_))
        ));
        assert!(matches!(
            parse_money(Some("ten"), Some("EUR")),
            Err(InputError::CostNotANumber(_))
        ));
    }

    #[test]
    fn metric_parsing_is_case_insensitive() {
        assert_eq!("Core".parse::<Metric>().unwrap(), Metric::Core);
        assert!("seat".parse::<Metric>().is_err());
    }
}
