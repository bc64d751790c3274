//! Reading answers back: the result types of the use cases are also read
//! from the server's JSON (`entitle --server`), where a field the types
//! hold as `&'static str` (a status, an event type) arrives as text.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer};

/// A `&'static str` field read back from JSON. (The alias keeps serde's
/// derive from taking the field for one borrowed from the input, which
/// would tie every answer to a `'static` input.)
pub type Static = &'static str;

/// The text as a `&'static str`: each distinct text is kept once for the
/// life of the process (a handful of status and type names in a
/// short-lived command line).
fn intern(text: String) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&known) = seen.get(text.as_str()) {
        return known;
    }
    let kept: &'static str = Box::leak(text.into_boxed_str());
    seen.insert(kept);
    kept
}

/// A `&'static str` field.
pub(crate) fn static_str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    String::deserialize(d).map(intern)
}

/// An `Option<&'static str>` field.
pub(crate) fn static_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<&'static str>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(intern))
}

/// A sum of quantities (a position's `entitled`), which may be 0 where a
/// license's quantity may not.
pub(crate) fn total<'de, D: Deserializer<'de>>(d: D) -> Result<entitle_core::Quantity, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Total {
        Count(u64),
        Text(String),
    }
    match Total::deserialize(d)? {
        Total::Count(n) => Ok(entitle_core::Quantity::Count(n)),
        Total::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}
