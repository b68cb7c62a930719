//! The validator set: its entries (consensus key and p2p address), the operator's
//! `ChangeValidators` payload, epochs and limits.
//!
//! Epochs follow commonware's `FixedEpocher`: with `epoch_length` L, epoch `e` covers heights
//! `[e*L, (e+1)*L - 1]`. A change included in epoch `e` takes effect in epoch `e + 1`.
use crate::{Address, Error};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, RangeCfg, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeSet, fmt, net::SocketAddr};

/// Most validators in a set (and most entries in each list of one `ChangeValidators`).
pub const MAX_VALIDATORS: usize = 100;

/// Blocks per epoch when a genesis file does not say.
pub const DEFAULT_EPOCH_LENGTH: u64 = 1_000;

/// The epoch of `height`: `height / epoch_length` (an epoch length of 0 counts as 1).
pub fn epoch_of(height: u64, epoch_length: u64) -> u64 {
    height / epoch_length.max(1)
}

/// The first height of `epoch`, `None` if it does not fit in a u64.
pub fn epoch_start(epoch: u64, epoch_length: u64) -> Option<u64> {
    epoch.checked_mul(epoch_length.max(1))
}

/// One validator: its ed25519 consensus key and where its authenticated p2p endpoint listens.
/// JSON: `{"public_key": "<hex>", "p2p_addr": "ip:port"}`; text: `HEXKEY@IP:PORT`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ValidatorEntry {
    /// The validator's ed25519 consensus key (hex).
    pub public_key: Address,
    /// Where its authenticated p2p endpoint listens.
    pub p2p_addr: SocketAddr,
}

impl ValidatorEntry {
    /// Parses `HEXKEY@IP:PORT` and checks the address with [check_p2p_addr].
    pub fn parse(s: &str) -> Result<Self, Error> {
        let invalid = |why: String| Error::Invalid {
            what: "validator (HEXKEY@IP:PORT)",
            why,
        };
        let (key, addr) = s
            .split_once('@')
            .ok_or_else(|| invalid(format!("'{s}' has no '@'")))?;
        let public_key = Address::from_hex(key).map_err(|e| invalid(format!("key: {e}")))?;
        let p2p_addr: SocketAddr = addr
            .parse()
            .map_err(|_| invalid(format!("'{addr}' is not IP:PORT")))?;
        check_p2p_addr(&p2p_addr)?;
        Ok(Self {
            public_key,
            p2p_addr,
        })
    }
}

impl fmt::Display for ValidatorEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.public_key, self.p2p_addr)
    }
}

impl std::str::FromStr for ValidatorEntry {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// A validator's p2p address must be dialable: a port other than 0 and a unicast IP that is not
/// unspecified (`0.0.0.0`, `::`) or broadcast; an IPv6 address carries no flow info or scope id
/// (the canonical encoding keeps neither).
pub fn check_p2p_addr(addr: &SocketAddr) -> Result<(), Error> {
    let why = if addr.port() == 0 {
        Some("port 0")
    } else if addr.ip().is_unspecified() {
        Some("unspecified IP")
    } else if addr.ip().is_multicast() {
        Some("multicast IP")
    } else {
        match addr {
            SocketAddr::V4(a) if a.ip().is_broadcast() => Some("broadcast IP"),
            SocketAddr::V6(a) if a.flowinfo() != 0 || a.scope_id() != 0 => {
                Some("flow info or scope id")
            }
            _ => None,
        }
    };
    match why {
        Some(why) => Err(Error::Invalid {
            what: "validator p2p address",
            why: format!("{addr}: {why}"),
        }),
        None => Ok(()),
    }
}

/// A whole validator set: 1 to [MAX_VALIDATORS] entries, no key twice, every address valid.
/// (The chain stores sets sorted by key; this does not require an order.)
pub fn check_validator_set(set: &[ValidatorEntry]) -> Result<(), Error> {
    let invalid = |why: String| Error::Invalid {
        what: "validator set",
        why,
    };
    if set.is_empty() {
        return Err(invalid("it is empty".into()));
    }
    if set.len() > MAX_VALIDATORS {
        return Err(invalid(format!(
            "{} validators; at most {MAX_VALIDATORS}",
            set.len()
        )));
    }
    let mut keys = BTreeSet::new();
    for v in set {
        if !keys.insert(&v.public_key) {
            return Err(invalid(format!("{} is listed twice", v.public_key)));
        }
        check_p2p_addr(&v.p2p_addr)?;
    }
    Ok(())
}

/// Operator only: change the validator set of the next epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeValidators {
    /// Validators to add (key not in the set).
    pub add: Vec<ValidatorEntry>,
    /// Keys to remove (in the set).
    pub remove: Vec<Address>,
}

impl Write for ValidatorEntry {
    fn write(&self, b: &mut impl BufMut) {
        self.public_key.write(b);
        self.p2p_addr.write(b);
    }
}
impl EncodeSize for ValidatorEntry {
    fn encode_size(&self) -> usize {
        Address::SIZE + self.p2p_addr.encode_size()
    }
}
impl Read for ValidatorEntry {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            public_key: Address::read(b)?,
            p2p_addr: SocketAddr::read(b)?,
        })
    }
}

/// Reads a list of at most [MAX_VALIDATORS] validator entries.
pub fn read_validators(b: &mut impl Buf) -> Result<Vec<ValidatorEntry>, commonware_codec::Error> {
    Vec::<ValidatorEntry>::read_cfg(b, &(RangeCfg::from(..=MAX_VALIDATORS), ()))
}

impl Write for ChangeValidators {
    fn write(&self, b: &mut impl BufMut) {
        self.add.write(b);
        self.remove.write(b);
    }
}
impl EncodeSize for ChangeValidators {
    fn encode_size(&self) -> usize {
        self.add.encode_size() + self.remove.encode_size()
    }
}
impl Read for ChangeValidators {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            add: read_validators(b)?,
            remove: Vec::<Address>::read_cfg(b, &(RangeCfg::from(..=MAX_VALIDATORS), ()))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PrivateKey;
    use commonware_codec::{DecodeExt, Encode};

    fn key(seed: u8) -> Address {
        Address::of(&PrivateKey::decode([seed; 32].as_slice()).unwrap())
    }

    fn entry(seed: u8, addr: &str) -> ValidatorEntry {
        ValidatorEntry {
            public_key: key(seed),
            p2p_addr: addr.parse().unwrap(),
        }
    }

    #[test]
    fn epochs_follow_the_fixed_epocher() {
        assert_eq!(epoch_of(0, 10), 0);
        assert_eq!(epoch_of(9, 10), 0);
        assert_eq!(epoch_of(10, 10), 1);
        assert_eq!(epoch_of(5, 1), 5);
        assert_eq!(epoch_of(5, 0), 5);
        assert_eq!(epoch_start(3, 10), Some(30));
        assert_eq!(epoch_start(u64::MAX, 2), None);
    }

    #[test]
    fn entries_parse_display_and_round_trip() {
        let e = entry(1, "10.0.0.7:7070");
        let text = e.to_string();
        assert_eq!(text, format!("{}@10.0.0.7:7070", key(1)));
        assert_eq!(text.parse::<ValidatorEntry>().unwrap(), e);
        let v6 = entry(2, "[2001:db8::1]:9000");
        for e in [e, v6] {
            let enc = e.encode();
            assert_eq!(enc.len(), e.encode_size());
            assert_eq!(ValidatorEntry::decode(enc).unwrap(), e);
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["p2p_addr"], e.p2p_addr.to_string());
            assert_eq!(serde_json::from_value::<ValidatorEntry>(json).unwrap(), e);
        }
    }

    #[test]
    fn bad_entries_and_addresses_are_refused() {
        let k = key(1).to_hex();
        for bad in [
            k.clone(),
            format!("{k}@"),
            format!("{k}@10.0.0.1"),
            format!("{k}@host.example:7070"),
            format!("{k}@10.0.0.1:0"),
            format!("{k}@0.0.0.0:7070"),
            format!("{k}@[::]:7070"),
            format!("{k}@255.255.255.255:7070"),
            format!("{k}@224.0.0.1:7070"),
            "zz@10.0.0.1:7070".to_string(),
        ] {
            assert!(ValidatorEntry::parse(&bad).is_err(), "{bad}");
        }
        assert!(check_p2p_addr(&"127.0.0.1:1".parse().unwrap()).is_ok());
    }

    #[test]
    fn sets_are_non_empty_unique_and_bounded() {
        assert!(check_validator_set(&[]).is_err());
        let a = entry(1, "10.0.0.1:1");
        assert!(check_validator_set(std::slice::from_ref(&a)).is_ok());
        assert!(check_validator_set(&[a.clone(), entry(1, "10.0.0.2:1")]).is_err());
        assert!(check_validator_set(&[a, entry(2, "10.0.0.2:0")]).is_err());
        let many: Vec<_> = (0..=MAX_VALIDATORS as u8)
            .map(|i| entry(i, "10.0.0.1:1"))
            .collect();
        assert!(check_validator_set(&many[..MAX_VALIDATORS]).is_ok());
        assert!(check_validator_set(&many).is_err());
    }

    #[test]
    fn change_round_trips_and_long_lists_do_not_decode() {
        let c = ChangeValidators {
            add: vec![entry(1, "10.0.0.1:7070"), entry(2, "[::1]:7071")],
            remove: vec![key(3)],
        };
        let enc = c.encode();
        assert_eq!(enc.len(), c.encode_size());
        assert_eq!(ChangeValidators::decode(enc).unwrap(), c);
        let long = ChangeValidators {
            add: vec![],
            remove: vec![key(3); MAX_VALIDATORS + 1],
        };
        assert!(ChangeValidators::decode(long.encode()).is_err());
    }
}
