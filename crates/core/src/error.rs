//! Why an input or an event is refused. Every message names the flag or value
//! that is wrong and, where it helps, what to do instead.

use jiff::civil::Date;

/// A value that cannot be what it claims to be, regardless of the ledger's
/// state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// `--metric` is not one of the known metrics.
    #[error(
        "unknown metric {0:?}: use one of user, device, core, processor, concurrent, instance"
    )]
    UnknownMetric(String),
    /// A quantity of zero or below.
    #[error("quantity {0:?} must be at least 1 (or \"unlimited\")")]
    QuantityNotPositive(String),
    /// A quantity that is not a whole number.
    #[error("quantity {0:?} is not a whole number (or \"unlimited\")")]
    QuantityNotANumber(String),
    /// `--cost` without `--currency`.
    #[error("--cost {0} needs --currency (a three-letter code such as EUR)")]
    CostWithoutCurrency(String),
    /// `--currency` without `--cost`.
    #[error("--currency {0} needs --cost")]
    CurrencyWithoutCost(String),
    /// `--cost` is not a decimal number.
    #[error("--cost {0:?} is not a decimal number (write 1234.50)")]
    CostNotANumber(String),
    /// `--cost` below zero.
    #[error("--cost {0:?} is negative")]
    CostNegative(String),
    /// `--currency` is not three letters.
    #[error("--currency {0:?} is not a three-letter ISO 4217 code such as EUR or USD")]
    BadCurrency(String),
    /// A date that does not exist or is not `YYYY-MM-DD`.
    #[error("{flag} {value:?} is not a valid date: {reason} (write YYYY-MM-DD)")]
    BadDate {
        /// The flag or field that carried it.
        flag: String,
        /// What was given.
        value: String,
        /// What the date parser said.
        reason: String,
    },
    /// A term end before its start.
    #[error("--end {end} is before --start {start}")]
    EndBeforeStart {
        /// Term start.
        start: Date,
        /// Term end.
        end: Date,
    },
    /// A maintenance end before the term start.
    #[error("--maintenance-end {end} is before --start {start}")]
    MaintenanceBeforeStart {
        /// Term start.
        start: Date,
        /// Maintenance end.
        end: Date,
    },
    /// A usage count below zero.
    #[error("--count {0:?} must be zero or more")]
    CountNegative(String),
    /// A usage count that is not a whole number.
    #[error("--count {0:?} is not a whole number")]
    CountNotANumber(String),
    /// A field that must not be empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A license id with characters that make it hard to type or quote.
    #[error("--id {0:?} may contain only letters, digits, '-', '_' and '.' (at most 64)")]
    BadId(String),
    /// A void without a reason.
    #[error("void needs --note REASON: say why the event no longer counts")]
    VoidWithoutReason,
    /// `--renewal-months` without auto-renewal, or zero.
    #[error("--renewal-months {0} must be between 1 and 120")]
    BadRenewalMonths(u32),
}

/// An event that is well-formed but does not fit the ledger as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A field was invalid on its own.
    #[error(transparent)]
    Input(#[from] InputError),
    /// No license has this id.
    #[error("unknown license id {0:?}: `entitle state` lists the licenses")]
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
    /// `--id` is taken.
    #[error("license id {id:?} is already used by #{seq}; choose another --id")]
    DuplicateId {
        /// The id.
        id: String,
        /// The purchase that uses it.
        seq: u64,
    },
    /// An extension that does not move the end later.
    #[error(
        "--until {until} is not after the current end {end} of {id}; extend moves the end later"
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
    #[error("--until {until} is before the start {start} of {id}")]
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
    /// Something the backing store could not read.
    #[error("reading the derived state failed: {0}")]
    Backing(String),
}
