//! The one error type of the crate.

/// Everything that can go wrong loading tariff data or computing a bill. No function of this
/// crate panics on input: bad input is one of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A decimal string (rate, base charge, kWh, percentage) that could not be read exactly.
    #[error("{value:?} is not a valid decimal: {reason}")]
    Decimal { value: String, reason: &'static str },
    /// The tariff data file is not JSON of the expected shape.
    #[error("tariff data is not valid JSON: {0}")]
    Json(String),
    /// The tariff data is well-formed but breaks a rule (tiers not ascending, overlapping
    /// seasons, versions out of order, ...).
    #[error("invalid tariff data ({context}): {reason}")]
    InvalidData { context: String, reason: String },
    /// A tariff class name that is not one of `residential-low`, `residential-high`,
    /// `general-low`.
    #[error(
        "unknown tariff class {0:?} (expected residential-low, residential-high or general-low)"
    )]
    UnknownClass(String),
    /// A month outside 1..=12.
    #[error("invalid month {year}-{month:02} (month must be 1..=12)")]
    InvalidMonth { year: u16, month: u8 },
    /// No version of the tariff set is in force on the first day of the billed month.
    #[error("no tariff version in force on {year}-{month:02}-01")]
    NoVersionInForce { year: u16, month: u8 },
    /// The class bills per kW of contracted demand and none was given.
    #[error("tariff class {0} requires the contracted demand in kW")]
    ContractDemandRequired(crate::TariffClass),
    /// A contracted demand of 0 kW.
    #[error("contracted demand must be at least 1 kW")]
    ContractDemandZero,
    /// An amount does not fit in u64 milli-won (or energy in u64 Wh).
    #[error("bill arithmetic overflows ({0})")]
    Overflow(&'static str),
}

/// Shorthand for invalid data errors.
pub(crate) fn invalid(context: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidData {
        context: context.into(),
        reason: reason.into(),
    }
}
