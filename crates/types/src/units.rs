//! Units as integers. Energy in watt-hours, money in milli-won (1 won = 1,000 milli-won),
//! prices in milli-won per kWh. No floats anywhere; every rounding is a named function.
use bytes::{Buf, BufMut};
use commonware_codec::{FixedSize, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! unit {
    ($(#[$doc:meta])* $name:ident, $suffix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            pub const ZERO: Self = Self(0);
            pub fn checked_add(self, o: Self) -> Option<Self> { self.0.checked_add(o.0).map(Self) }
            pub fn checked_sub(self, o: Self) -> Option<Self> { self.0.checked_sub(o.0).map(Self) }
            pub fn saturating_sub(self, o: Self) -> Self { Self(self.0.saturating_sub(o.0)) }
            pub fn is_zero(self) -> bool { self.0 == 0 }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0, $suffix)
            }
        }

        impl Write for $name {
            fn write(&self, buf: &mut impl BufMut) { self.0.write(buf) }
        }
        impl FixedSize for $name { const SIZE: usize = 8; }
        impl Read for $name {
            type Cfg = ();
            fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
                Ok(Self(u64::read(buf)?))
            }
        }
    };
}

unit!(
    /// Money in milli-won. The settlement token is 1 credit = 1 won = 1,000 milli-won.
    MilliWon,
    "mKRW"
);
unit!(
    /// Energy in watt-hours.
    EnergyWh,
    "Wh"
);
unit!(
    /// A price in milli-won per kWh.
    PriceMilliWonPerKwh,
    "mKRW/kWh"
);

impl MilliWon {
    pub const PER_WON: u64 = 1_000;

    /// Whole won, dropping the fraction (KEPCO's "drop fractions of a won").
    pub fn won_floor(self) -> u64 {
        self.0 / Self::PER_WON
    }

    pub fn from_won(won: u64) -> Option<Self> {
        won.checked_mul(Self::PER_WON).map(Self)
    }
}

impl PriceMilliWonPerKwh {
    /// Cost of `energy` at this price, rounding the fraction of a milli-won down.
    pub fn cost_floor(self, energy: EnergyWh) -> Option<MilliWon> {
        let v = (self.0 as u128).checked_mul(energy.0 as u128)? / 1_000;
        u64::try_from(v).ok().map(MilliWon)
    }

    /// Cost of `energy` at this price, rounding the fraction of a milli-won up.
    pub fn cost_ceil(self, energy: EnergyWh) -> Option<MilliWon> {
        let v = (self.0 as u128)
            .checked_mul(energy.0 as u128)?
            .div_ceil(1_000);
        u64::try_from(v).ok().map(MilliWon)
    }
}

impl MilliWon {
    /// `bp` basis points of this amount, the fraction of a milli-won dropped (saturating).
    pub fn bp_floor(self, bp: u32) -> MilliWon {
        let v = (u128::from(self.0) * u128::from(bp)) / 10_000;
        MilliWon(u64::try_from(v).unwrap_or(u64::MAX))
    }

    /// `bp` basis points of this amount, the fraction of a milli-won rounded up.
    pub fn bp_ceil(self, bp: u32) -> Option<MilliWon> {
        u64::try_from((u128::from(self.0) * u128::from(bp)).div_ceil(10_000))
            .ok()
            .map(MilliWon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_rounds_down_and_never_overflows_silently() {
        // 120.0 won/kWh = 120_000 mKRW/kWh; 1,501 Wh costs 180,120 mKRW.
        let p = PriceMilliWonPerKwh(120_000);
        assert_eq!(p.cost_floor(EnergyWh(1_501)), Some(MilliWon(180_120)));
        // 1 mKRW/kWh for 999 Wh is 0.999 mKRW: rounded down to 0.
        assert_eq!(
            PriceMilliWonPerKwh(1).cost_floor(EnergyWh(999)),
            Some(MilliWon(0))
        );
        assert_eq!(
            PriceMilliWonPerKwh(u64::MAX).cost_floor(EnergyWh(u64::MAX)),
            None
        );
        assert_eq!(MilliWon(12_345).won_floor(), 12);
        assert_eq!(MilliWon::from_won(u64::MAX), None);
    }
}
