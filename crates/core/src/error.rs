//! Why an input or an event is refused. Messages name the field in plain
//! words (`qty`, `maintenance_end`), never a command-line flag: each error
//! also says which field it concerns ([`InputError::field`]), the value that
//! was given and what is wrong apart from both, so that a command line can
//! say `--qty "0" must be at least 1` and a web form can put `must be at
//! least 1` next to its `qty` input.

use jiff::civil::Date;

/// The largest quantity a license may grant, and the largest usage count:
/// one trillion. Far beyond any real count, and small enough that the sum
/// of the quantities of millions of licenses cannot overflow.
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;

/// A value that cannot be what it claims to be, regardless of the ledger's
/// state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The metric is not one of the known metrics.
    #[error("metric {0:?} is not a known metric; use one of user, device, core, processor, concurrent, instance")]
    UnknownMetric(String),
    /// A quantity of zero or below.
    #[error("qty {0:?} must be at least 1 (or \"unlimited\")")]
    QuantityNotPositive(String),
    /// A quantity that is not a whole number.
    #[error("qty {0:?} is not a whole number (or \"unlimited\")")]
    QuantityNotANumber(String),
    /// A quantity or count above [`MAX_QUANTITY`].
    #[error("{field} {value:?} is larger than the largest count entitle accepts, {MAX_QUANTITY}")]
    TooLarge {
        /// `qty` or `count`.
        field: &'static str,
        /// What was given.
        value: String,
    },
    /// A cost without a currency.
    #[error("cost {0:?} needs a currency (a three-letter code such as EUR)")]
    CostWithoutCurrency(String),
    /// A currency without a cost.
    #[error("currency {0:?} needs a cost")]
    CurrencyWithoutCost(String),
    /// The cost is not a decimal number.
    #[error("cost {0:?} is not a decimal number (write 1234.50)")]
    CostNotANumber(String),
    /// The cost has more decimal places than an amount of money can have.
    #[error("cost {0:?} has more than 4 decimal places (write 1234.50)")]
    CostTooPrecise(String),
    /// The cost is below zero.
    #[error("cost {0:?} is negative")]
    CostNegative(String),
    /// The currency is not an ISO 4217 code.
    #[error("currency {0:?} is not an ISO 4217 currency code such as EUR, USD or CHF")]
    BadCurrency(String),
    /// A date that does not exist or is not `YYYY-MM-DD`.
    #[error("{field} {value:?} is not a valid date: {reason} (write YYYY-MM-DD)")]
    BadDate {
        /// The field that carried it (`start`, `effective`, `as_of`, …).
        field: String,
        /// What was given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A term end before its start.
    #[error("end {end} is before the start {start}")]
    EndBeforeStart {
        /// Term start.
        start: Date,
        /// Term end.
        end: Date,
    },
    /// A maintenance end before the term start.
    #[error("maintenance end {end} is before the start {start}")]
    MaintenanceBeforeStart {
        /// Term start.
        start: Date,
        /// Maintenance end.
        end: Date,
    },
    /// A usage count below zero.
    #[error("count {0:?} must be zero or more")]
    CountNegative(String),
    /// A usage count that is not a whole number.
    #[error("count {0:?} is not a whole number")]
    CountNotANumber(String),
    /// A field that must not be empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A license id with characters that make it hard to type or quote.
    #[error("id {0:?} may contain only letters, digits, '-', '_' and '.' (at most 64)")]
    BadId(String),
    /// A void without a reason.
    #[error("a void needs a note: say why the event no longer counts")]
    VoidWithoutReason,
    /// A renewal period out of range.
    #[error("renewal months {0} must be between 1 and 120")]
    BadRenewalMonths(u32),
    /// A document kind that is not one of [`crate::document::DocKind`].
    #[error("kind {0:?} is not a document kind; use contract, invoice, order, eula, terms, usage-report, correspondence or other")]
    UnknownKind(String),
    /// A document hash that is not 64 lowercase hex digits.
    #[error("hash {0:?} is not a BLAKE3 hash (64 lowercase hex digits, as b3sum prints it)")]
    BadHash(String),
    /// A document file name that is empty, a path, or holds control
    /// characters.
    #[error("filename {value:?} {why}")]
    BadFilename {
        /// What was given.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Free text (a name, a note) with a character that changes what a
    /// reader sees, or too long.
    #[error("{field} {value:?} {problem}")]
    BadText {
        /// The field (`vendor`, `note`, …).
        field: &'static str,
        /// What was given.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A value that does not fit its field (an inventory fact, a count
    /// rule), with what is wrong and what to do in `problem`.
    #[error("{field} {value:?} {problem}")]
    Invalid {
        /// The field (`cores`, `count_rule`, …).
        field: &'static str,
        /// What was given.
        value: String,
        /// What is wrong with it, and what to give instead.
        problem: String,
    },
    /// Free text longer than is kept.
    #[error("{field} {value:?} is {chars} characters long; at most {max} are kept")]
    TooLong {
        /// The field (`vendor`, `note`, …).
        field: &'static str,
        /// The start of what was given.
        value: String,
        /// Its length in characters.
        chars: usize,
        /// The longest kept.
        max: usize,
    },
}

impl InputError {
    /// The field the error concerns, as a plain name (`qty`, `end`,
    /// `maintenance_end`, `note`).
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            InputError::UnknownMetric(_) => "metric",
            InputError::QuantityNotPositive(_) | InputError::QuantityNotANumber(_) => "qty",
            InputError::TooLarge { field, .. } | InputError::Empty(field) => field,
            InputError::CostWithoutCurrency(_)
            | InputError::CostNotANumber(_)
            | InputError::CostTooPrecise(_)
            | InputError::CostNegative(_) => "cost",
            InputError::CurrencyWithoutCost(_) | InputError::BadCurrency(_) => "currency",
            InputError::BadDate { field, .. } => field,
            InputError::EndBeforeStart { .. } => "end",
            InputError::MaintenanceBeforeStart { .. } => "maintenance_end",
            InputError::CountNegative(_) | InputError::CountNotANumber(_) => "count",
            InputError::BadId(_) => "id",
            InputError::VoidWithoutReason => "note",
            InputError::BadRenewalMonths(_) => "renewal_months",
            InputError::UnknownKind(_) => "kind",
            InputError::BadHash(_) => "hash",
            InputError::BadFilename { .. } => "filename",
            InputError::BadText { field, .. }
            | InputError::TooLong { field, .. }
            | InputError::Invalid { field, .. } => field,
        }
    }

    /// The value that was given, when the error is about one.
    #[must_use]
    pub fn value(&self) -> Option<String> {
        match self {
            InputError::UnknownMetric(v)
            | InputError::QuantityNotPositive(v)
            | InputError::QuantityNotANumber(v)
            | InputError::TooLarge { value: v, .. }
            | InputError::CostWithoutCurrency(v)
            | InputError::CurrencyWithoutCost(v)
            | InputError::CostNotANumber(v)
            | InputError::CostTooPrecise(v)
            | InputError::CostNegative(v)
            | InputError::BadCurrency(v)
            | InputError::BadDate { value: v, .. }
            | InputError::CountNegative(v)
            | InputError::CountNotANumber(v)
            | InputError::BadId(v)
            | InputError::UnknownKind(v)
            | InputError::BadHash(v)
            | InputError::BadFilename { value: v, .. }
            | InputError::BadText { value: v, .. }
            | InputError::TooLong { value: v, .. }
            | InputError::Invalid { value: v, .. } => Some(v.clone()),
            InputError::EndBeforeStart { end, .. }
            | InputError::MaintenanceBeforeStart { end, .. } => Some(end.to_string()),
            InputError::BadRenewalMonths(m) => Some(m.to_string()),
            InputError::Empty(_) | InputError::VoidWithoutReason => None,
        }
    }

    /// What is wrong, as it reads after the field and the value
    /// (`must be at least 1`).
    #[must_use]
    pub fn problem(&self) -> String {
        match self {
            InputError::UnknownMetric(_) => "is not a known metric".into(),
            InputError::QuantityNotPositive(_) => "must be at least 1".into(),
            InputError::QuantityNotANumber(_) => "is not a whole number".into(),
            InputError::TooLarge { .. } => {
                format!("is larger than the largest count entitle accepts, {MAX_QUANTITY}")
            }
            InputError::CostWithoutCurrency(_) => "needs a currency".into(),
            InputError::CurrencyWithoutCost(_) => "needs a cost".into(),
            InputError::CostNotANumber(_) => "is not a decimal number".into(),
            InputError::CostTooPrecise(_) => "has more than 4 decimal places".into(),
            InputError::CostNegative(_) => "is negative".into(),
            InputError::BadCurrency(_) => "is not an ISO 4217 currency code".into(),
            InputError::BadDate { reason, .. } => format!("is not a valid date: {reason}"),
            InputError::EndBeforeStart { start, .. }
            | InputError::MaintenanceBeforeStart { start, .. } => {
                format!("is before the start {start}")
            }
            InputError::CountNegative(_) => "must be zero or more".into(),
            InputError::CountNotANumber(_) => "is not a whole number".into(),
            InputError::Empty(_) => "must not be empty".into(),
            InputError::BadId(_) => {
                "may contain only letters, digits, '-', '_' and '.' (at most 64)".into()
            }
            InputError::VoidWithoutReason => "is required for a void".into(),
            InputError::BadRenewalMonths(_) => "must be between 1 and 120".into(),
            InputError::UnknownKind(_) => "is not a document kind".into(),
            InputError::BadHash(_) => "is not a BLAKE3 hash (64 lowercase hex digits)".into(),
            InputError::BadFilename { why, .. } => (*why).to_owned(),
            InputError::BadText { problem, .. } | InputError::Invalid { problem, .. } => {
                problem.clone()
            }
            InputError::TooLong { chars, max, .. } => {
                format!("is {chars} characters long; at most {max} are kept")
            }
        }
    }

    /// What to do about it, when there is more to say than the problem.
    #[must_use]
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            InputError::UnknownMetric(_) => {
                Some("use one of user, device, core, processor, concurrent, instance")
            }
            InputError::QuantityNotPositive(_) | InputError::QuantityNotANumber(_) => {
                Some("write a whole number, or \"unlimited\" for a site agreement")
            }
            InputError::CostWithoutCurrency(_) => {
                Some("give the currency as a three-letter code such as EUR")
            }
            InputError::CostNotANumber(_) | InputError::CostTooPrecise(_) => {
                Some("write the amount as 1234.50")
            }
            InputError::BadCurrency(_) => Some("use a code such as EUR, USD, GBP or CHF"),
            InputError::BadDate { .. } => Some("write YYYY-MM-DD"),
            InputError::VoidWithoutReason => Some("say why the event no longer counts"),
            InputError::UnknownKind(_) => Some(
                "use contract, invoice, order, eula, terms, usage-report, correspondence or other",
            ),
            InputError::BadText { .. } => {
                Some("type it again without it (text copied from web pages and PDFs often carries such characters)")
            }
            InputError::TooLong { field, .. } if *field != "note" => {
                Some("shorten it; details belong in the note")
            }
            _ => None,
        }
    }
}

/// An event that is well-formed but does not fit the ledger as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A field was invalid on its own.
    #[error(transparent)]
    Input(#[from] InputError),
    /// No license has this id.
    #[error("unknown license id {0:?}")]
    UnknownLicense(String),
    /// The license's purchase was voided.
    #[error("license {id} no longer counts: its purchase #{purchase} was voided by #{void}")]
    LicenseVoided {
        /// License id.
        id: String,
        /// Seq of the purchase.
        purchase: u64,
        /// Seq of the void.
        void: u64,
    },
    /// The license was cancelled.
    #[error("license {id} was cancelled by #{cancel} (effective {effective}); void #{cancel} first if the cancellation was a mistake")]
    LicenseCancelled {
        /// License id.
        id: String,
        /// Seq of the cancellation.
        cancel: u64,
        /// Its effective date.
        effective: Date,
    },
    /// The id is taken.
    #[error("license id {id:?} is already used by #{seq}; choose another id")]
    DuplicateId {
        /// The id.
        id: String,
        /// The purchase that uses it.
        seq: u64,
    },
    /// An extension that does not move the end later.
    #[error(
        "until {until} is not after the current end {end} of {id}; extend moves the end later"
    )]
    ExtendNotLater {
        /// License id.
        id: String,
        /// Requested end.
        until: Date,
        /// Current end.
        end: Date,
    },
    /// An extension of a license without an end.
    #[error("license {0} is perpetual (no end date); there is nothing to extend")]
    ExtendPerpetual(String),
    /// An extension to before the term start.
    #[error("until {until} is before the start {start} of {id}")]
    UntilBeforeStart {
        /// License id.
        id: String,
        /// Requested end.
        until: Date,
        /// Term start.
        start: Date,
    },
    /// A void of a seq the log does not have.
    #[error("there is no event #{seq} to void (the log ends at #{last})")]
    UnknownSeq {
        /// The seq asked for.
        seq: u64,
        /// The last seq in the log.
        last: u64,
    },
    /// A void of a void.
    #[error("#{0} is itself a void; a void cannot be voided (record the event again instead)")]
    VoidOfVoid(u64),
    /// A void of an event voided before.
    #[error("#{seq} was already voided by #{by}")]
    AlreadyVoided {
        /// The seq asked for.
        seq: u64,
        /// The earlier void.
        by: u64,
    },
    /// A document bound to a license under another vendor's name.
    #[error("vendor {vendor:?} is not the vendor of {id} ({of:?}); a document bound to a license belongs to that license's vendor")]
    VendorNotOfLicense {
        /// The vendor given.
        vendor: String,
        /// The license.
        id: String,
        /// Its vendor.
        of: String,
    },
    /// Something the backing store could not read.
    #[error("reading the derived state failed: {0}")]
    Backing(String),
}

impl Rejection {
    /// The field the rejection concerns, as a plain name: `license` for the
    /// license an event is about, `seq` for the event a void names.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Rejection::Input(e) => Some(e.field()),
            Rejection::UnknownLicense(_)
            | Rejection::LicenseVoided { .. }
            | Rejection::LicenseCancelled { .. }
            | Rejection::ExtendPerpetual(_) => Some("license"),
            Rejection::DuplicateId { .. } => Some("id"),
            Rejection::VendorNotOfLicense { .. } => Some("vendor"),
            Rejection::ExtendNotLater { .. } | Rejection::UntilBeforeStart { .. } => Some("until"),
            Rejection::UnknownSeq { .. }
            | Rejection::VoidOfVoid(_)
            | Rejection::AlreadyVoided { .. } => Some("seq"),
            Rejection::Backing(_) => None,
        }
    }

    /// What to do about it, for the rejections that need more than the
    /// message.
    #[must_use]
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Rejection::Input(e) => e.hint(),
            Rejection::VendorNotOfLicense { .. } => {
                Some("leave the vendor out when the document belongs to one license")
            }
            _ => None,
        }
    }
}
