//! Golden bytes: one representative value of every variant of every tagged enum, encoded
//! today, checked in as hex. A codec change that moves one byte of any variant fails here; a
//! variant added without a golden entry fails to compile (each table's exhaustive `tag_of`) or
//! fails `*_golden_bytes_of_every_variant` (the cases must cover the tags `0..COUNT`) and
//! `*_next_tag_is_unknown` (tag `COUNT` must be refused).
//!
//! The literals were printed from the hand-written codecs before the generated ones replaced
//! them; never regenerate them to make a test pass.
mod envelope;
mod event;
mod payload;

use gridledger_types::{
    Address, ChargerId, ContractRef, Decode, DecodeExt, Encode, Hash32, MarketId, PrivateKey,
    SiteId,
};
use std::collections::BTreeSet;
use std::fmt::Debug;

pub(crate) fn key(seed: u8) -> PrivateKey {
    PrivateKey::decode([seed; 32].as_slice()).unwrap()
}

/// A distinct address per seed, so a golden also pins which field comes first.
pub(crate) fn addr(seed: u8) -> Address {
    Address::of(&key(seed))
}

pub(crate) fn hash(label: &str) -> Hash32 {
    Hash32::digest(&[label.as_bytes()])
}

pub(crate) fn site(s: &str) -> SiteId {
    SiteId::new(s).unwrap()
}

pub(crate) fn market(s: &str) -> MarketId {
    MarketId::new(s).unwrap()
}

pub(crate) fn charger(s: &str) -> ChargerId {
    ChargerId::new(s).unwrap()
}

pub(crate) fn contract() -> ContractRef {
    ContractRef {
        market: market("monthly"),
        period_start_ms: 1_780_000_000_000,
        number: 7,
    }
}

/// Encodes `value`, compares with `golden` (hex), and decodes `golden` back to `value`.
pub(crate) fn check<T>(name: &str, value: &T, golden: &str)
where
    T: Encode + Decode<Cfg = ()> + PartialEq + Debug,
{
    let bytes = value.encode();
    assert_eq!(hex::encode(&bytes), golden, "{name}: encoding moved");
    assert_eq!(value.encode_size(), bytes.len(), "{name}: encode_size");
    let golden_bytes = hex::decode(golden).unwrap();
    let back = T::decode(golden_bytes.as_slice()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&back, value, "{name}: decoding the golden");
}

/// Checks every case of one enum: its golden bytes, that the first byte is the tag its
/// exhaustive `tag_of` names, and that the cases cover the tags `0..count` exactly once, which
/// are the tags of the enum's table (`all_tags`).
pub(crate) fn check_table<T>(cases: &[(T, &str)], tag_of: fn(&T) -> u8, count: u8, all_tags: &[u8])
where
    T: Encode + Decode<Cfg = ()> + PartialEq + Debug,
{
    let mut seen = BTreeSet::new();
    for (i, (value, golden)) in cases.iter().enumerate() {
        let tag = tag_of(value);
        check(&format!("case {i}: {value:?}"), value, golden);
        assert_eq!(value.encode()[0], tag, "{value:?}: tag");
        assert!(seen.insert(tag), "tag {tag} has two golden cases");
    }
    assert_eq!(seen, (0..count).collect(), "a tag has no golden case");
    assert_eq!(seen, all_tags.iter().copied().collect(), "the table's tags");
}

/// The tag after the last is refused with the codec's unknown-enum error, never a panic.
pub(crate) fn check_next_tag_unknown<T>(count: u8)
where
    T: Decode<Cfg = ()> + Debug,
{
    let err = T::decode([count, 0, 0, 0].as_slice()).unwrap_err();
    assert!(
        matches!(err, commonware_codec::Error::InvalidEnum(t) if t == count),
        "{err:?}"
    );
}
