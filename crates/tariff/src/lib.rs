//! KEPCO electricity tariffs as versioned data, and the monthly bill of a site computed from
//! them in integers.
//!
//! Pure and deterministic, for the execution crate: no I/O (the default data is embedded with
//! `include_str!`), no clock (the billed month is an argument), no floats (decimal strings in
//! the data are parsed exactly into milli-won, Wh and basis points), no hash-ordered
//! collections, and no panic on any input: every failure is an [Error].
//!
//! ```
//! use gridledger_tariff::{bill, TariffClass, TariffSet};
//! use gridledger_types::{EnergyWh, MilliWon};
//!
//! let set = TariffSet::kepco().unwrap();
//! let b = bill(&set, TariffClass::ResidentialLow, 2025, 10, EnergyWh(350_000), None).unwrap();
//! assert_eq!(b.version_id, "kepco-2025-07");
//! assert_eq!(b.total, MilliWon(70_640_000)); // 70,640 won
//! ```
#![forbid(unsafe_code)]

mod bill;
mod codec;
mod data;
mod decimal;
mod error;
mod model;

pub use bill::{bill, bill_with, marginal, Bill, EnergyLine};
pub use codec::VERSION_MAX_BYTES;
pub use data::{TariffSet, DATA_MAX_BYTES, FORMAT, KEPCO_JSON};
pub use decimal::{format_decimal, parse_decimal, parse_kwh, DECIMAL_MAX_LEN};
pub use error::Error;
pub use model::{
    Classes, Common, Date, GeneralSeason, GeneralTariff, MonthSet, ResidentialSeason,
    ResidentialTariff, Rounding, RoundingRules, SuperUser, TariffClass, TariffVersion, Tier,
    BP_PER_UNIT, ID_MAX_BYTES, MAX_SEASONS, MAX_TIERS, MAX_VERSIONS, NAME_MAX_BYTES,
};
