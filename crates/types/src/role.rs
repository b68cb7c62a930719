//! Participant roles and device kinds.
use bytes::{Buf, BufMut};
use commonware_codec::{FixedSize, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub fn code(self) -> u8 { match self { $(Self::$variant => $code),+ } }
            pub fn from_code(c: u8) -> Option<Self> { match c { $($code => Some(Self::$variant),)+ _ => None } }
            pub fn as_str(self) -> &'static str { match self { $(Self::$variant => $text),+ } }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, crate::Error> {
                let norm = s.replace('-', "_");
                Self::ALL.iter().copied().find(|v| v.as_str() == norm).ok_or(crate::Error::Unknown {
                    kind: stringify!($name),
                    value: s.to_string(),
                })
            }
        }

        impl Write for $name {
            fn write(&self, buf: &mut impl BufMut) { self.code().write(buf) }
        }
        impl FixedSize for $name { const SIZE: usize = 1; }
        impl Read for $name {
            type Cfg = ();
            fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
                let c = u8::read(buf)?;
                Self::from_code(c).ok_or(commonware_codec::Error::InvalidEnum(c))
            }
        }
    };
}

pub(crate) use code_enum;

code_enum!(
    /// What a participant is to the market. Only the operator registers participants.
    Role {
        Operator = 0 => "operator",
        Bank = 1 => "bank",
        GridCompany = 2 => "grid_company",
        SalesCompany = 3 => "sales_company",
        Generator = 4 => "generator",
        Prosumer = 5 => "prosumer",
        Consumer = 6 => "consumer",
        ChargingOperator = 7 => "charging_operator",
        Member = 8 => "member",
        // Auditor: reads every participant's records; signs nothing (refused at admission).
        Auditor = 9 => "auditor",
    }
);

code_enum!(
    /// A device with its own signing key, bound to an owner.
    DeviceKind {
        Meter = 0 => "meter",
        Charger = 1 => "charger",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    #[test]
    fn roles_round_trip_and_reject_unknown_codes() {
        for r in Role::ALL {
            assert_eq!(Role::decode(r.encode()).unwrap(), *r);
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        assert!(Role::decode([200u8].as_slice()).is_err());
        assert_eq!("grid-company".parse::<Role>().unwrap(), Role::GridCompany);
        assert!("nobody".parse::<Role>().is_err());
    }
}
