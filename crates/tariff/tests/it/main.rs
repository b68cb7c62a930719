//! Integration tests of the tariff crate: golden bills worked out by hand, properties, data
//! validation.
mod data;
mod golden;
mod props;

use gridledger_tariff::{bill, Bill, TariffClass, TariffSet};
use gridledger_types::{EnergyWh, MilliWon};

pub fn set() -> TariffSet {
    TariffSet::kepco().expect("shipped data is valid")
}

/// Won as milli-won.
pub fn won(w: u64) -> MilliWon {
    MilliWon(w * 1_000)
}

/// The bill of whole `kwh` under the shipped data.
pub fn kwh_bill(class: TariffClass, year: u16, month: u8, kwh: u64, kw: Option<u32>) -> Bill {
    bill(&set(), class, year, month, EnergyWh(kwh * 1_000), kw).expect("bill")
}
