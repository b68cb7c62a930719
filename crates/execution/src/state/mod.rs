//! The state: an ordered map from [StateKey] to [StateValue], its canonical encoding (what storage
//! persists), write-sets and layered reads for speculative execution.
//!
//! Every key and value encodes as one tag byte followed by its fields; text is bounded by
//! [TEXT_MAX_BYTES], so decoding hostile bytes fails instead of allocating or panicking.
pub mod billing;
pub mod charging;
pub mod escrow;
pub mod ledger;
pub mod mandates;
pub mod metering;
pub mod payments;
pub mod ppa;
pub mod registry;
pub mod settlement;
pub mod trading;
pub mod validators;
use crate::fail::{fail, Fail, FailCode};
use crate::state::billing::{MonthBilling, SiteBill, SiteP2p};
use crate::state::charging::{Charger, ChargerDay, Member, Session};
use crate::state::mandates::Mandate;
use crate::state::metering::{IntervalEnergy, MeterState, MonthTotals, Site};
use crate::state::payments::{AccountBill, Payment};
use crate::state::ppa::Ppa;
use crate::state::settlement::SettlementLine;
use crate::state::trading::{Contract, Intention, PeriodState};
use gridledger_tariff::TariffVersion;
use gridledger_types::codec::{Boxed, Text, VecMax};
use gridledger_types::{
    Address, ChargerId, ConfigureBilling, ConfigureCharging, ConfigureMarket, Hash32, MarketId,
    MilliWon, SiteId, ValidatorEntry,
};
use gridledger_types::{CARD_MAX_BYTES, MAX_VALIDATORS};
pub use ledger::{account, hold, supply, AccountState, Hold};
pub use registry::{device, participant, Device, Participant};
use std::collections::BTreeMap;
use std::ops::Range;

gridledger_types::tagged_enum! {
    /// Where a value lives. Ordered, so write-sets and the state root are deterministic.
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub enum StateKey {
        /// Total credits in existence: minted minus burned.
        0 => Supply,
        1 => Account(Address),
        2 => Participant(Address),
        3 => Device(Address),
        /// A hold, by the hash of the transaction that placed it.
        4 => Hold(Hash32),
        5 => Site(SiteId),
        /// A meter device's binding and last reading.
        6 => Meter(Address),
        /// A site's measured energy in a KST month (`YYYYMM`).
        7 => SiteMonth(SiteId, u32),
        /// A site's energy in the interval starting at this time (ms).
        8 => Interval(SiteId, u64),
        9 => Market(MarketId),
        /// A market's period, by its start (ms).
        10 => Period(MarketId, u64),
        /// An intention, by market, period start and arrival number.
        11 => Intention(MarketId, u64, u32),
        /// Where the intention with this id (its transaction hash) lives.
        12 => IntentionRef(Hash32),
        /// A contract, by market, period start and pairing number.
        13 => Contract(MarketId, u64, u32),
        /// A contract's settlement, same key.
        14 => Settlement(MarketId, u64, u32),
        /// The grid company, feed-in price and due day.
        15 => BillingConfig,
        /// A tariff version by the date it takes effect (`YYYYMMDD`).
        16 => Tariff(u32),
        /// A site's P2P trade in a month (`YYYYMM`).
        17 => SiteP2p(SiteId, u32),
        /// A payment line: month, payer (address bytes), line number.
        18 => Payment(u32, [u8; 32], u32),
        /// A payer's bill of a month.
        19 => AccountBill(u32, [u8; 32]),
        /// A site's bill of a month.
        20 => SiteBill(u32, SiteId),
        /// Progress of a month's billing.
        21 => MonthBilling(u32),
        /// A PPA, by the hash of the transaction that proposed it.
        22 => Ppa(Hash32),
        /// A live PPA of a market (proposed, or accepted with months still to settle), for
        /// settlement to find in id order.
        23 => PpaByMarket(MarketId, Hash32),
        /// A PPA's settlement of a month (`YYYYMM`).
        24 => PpaSettlement(Hash32, u32),
        /// A charging operator's hold rules.
        25 => ChargingConfig(Address),
        26 => Charger(ChargerId),
        /// A member by member number.
        27 => Member(u64),
        /// The member number of an account.
        28 => MemberByAccount(Address),
        /// The member number of a card (idTag).
        29 => MemberCard(String => Text(CARD_MAX_BYTES)),
        /// A session by charger and session number.
        30 => ChargingSession(ChargerId, u64),
        /// A `Prepaid` session by its expiry time (index for `ExpireChargingHolds`).
        31 => ChargingExpiry(u64, ChargerId, u64),
        /// A charger's totals of a KST day (`YYYYMMDD`).
        32 => ChargerDay(ChargerId, u32),
        /// The next member number.
        33 => ChargingMeta,
        /// The validator set in force from this epoch until the next record (genesis writes epoch
        /// 0; `ChangeValidators` writes the next epoch's).
        34 => ValidatorSet(u64),
        /// Blocks per epoch (from the genesis).
        35 => EpochLength,
        /// A sales company's mandate for a site: site, company (address bytes).
        36 => Mandate(SiteId, [u8; 32]),
    }
}

gridledger_types::tagged_enum! {
    /// What lives at a key. The variant always matches the key's variant.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum StateValue {
        0 => Supply(MilliWon),
        1 => Account(AccountState),
        2 => Participant(Participant),
        3 => Device(Device),
        4 => Hold(Hold),
        5 => Site(Site),
        6 => Meter(MeterState),
        7 => SiteMonth(MonthTotals),
        8 => Interval(IntervalEnergy),
        9 => Market(ConfigureMarket),
        10 => Period(PeriodState),
        11 => Intention(Intention),
        12 => IntentionRef(MarketId, u64, u32),
        13 => Contract(Contract),
        14 => Settlement(SettlementLine),
        15 => BillingConfig(ConfigureBilling),
        16 => Tariff(Box<TariffVersion> => Boxed),
        17 => SiteP2p(SiteP2p),
        18 => Payment(Payment),
        19 => AccountBill(AccountBill),
        20 => SiteBill(SiteBill),
        21 => MonthBilling(MonthBilling),
        22 => Ppa(Box<Ppa> => Boxed),
        /// The index entry carries nothing.
        23 => PpaByMarket,
        24 => PpaSettlement(SettlementLine),
        25 => ChargingConfig(ConfigureCharging),
        26 => Charger(Box<Charger> => Boxed),
        27 => Member(Box<Member> => Boxed),
        28 => MemberByAccount(u64),
        29 => MemberCard(u64),
        30 => ChargingSession(Box<Session> => Boxed),
        /// The index entry carries nothing.
        31 => ChargingExpiry,
        32 => ChargerDay(ChargerDay),
        33 => ChargingMeta(u64),
        /// Sorted by key, unique, 1 to `MAX_VALIDATORS` entries.
        34 => ValidatorSet(Vec<ValidatorEntry> => VecMax(MAX_VALIDATORS)),
        35 => EpochLength(u64),
        36 => Mandate(Box<Mandate> => Boxed),
    }
}

// ---- canonical encoding -------------------------------------------------------------------

// ---- reading and writing state ------------------------------------------------------------

/// Read access to a state.
pub trait StateRead {
    fn get(&self, key: &StateKey) -> Option<StateValue>;
    /// Every entry with a key in `range`, in key order.
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)>;
    /// The first `limit` entries of [StateRead::scan].
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        let mut v = self.scan(range);
        v.truncate(limit);
        v
    }
}

impl StateRead for BTreeMap<StateKey, StateValue> {
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        BTreeMap::get(self, key).cloned()
    }
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        self.range(range.clone())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        self.range(range.clone())
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl<T: StateRead + ?Sized> StateRead for &T {
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        (**self).get(key)
    }
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        (**self).scan(range)
    }
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        (**self).scan_limit(range, limit)
    }
}

/// Deletes in `writes` within `range`: each can hide at most one entry below.
pub(crate) fn deletes_in(writes: &WriteSet, range: &Range<StateKey>) -> usize {
    writes
        .range(range.clone())
        .filter(|(_, v)| v.is_none())
        .count()
}

/// The first `limit` entries of `below` as changed by `writes`, where `below` reads enough
/// entries that deletes in `writes` cannot leave fewer than `limit` that exist.
pub(crate) fn scan_limit_over(
    below: &(impl StateRead + ?Sized),
    writes: &WriteSet,
    range: &Range<StateKey>,
    limit: usize,
) -> Vec<(StateKey, StateValue)> {
    let want = limit.saturating_add(deletes_in(writes, range));
    let read = below.scan_limit(range, want);
    // If `below` was cut short, keys after the last one it returned are unknown here: only
    // merged keys up to it are complete (and at least `limit` of those survive the deletes).
    let last = (read.len() >= want)
        .then(|| read.last().map(|(k, _)| k.clone()))
        .flatten();
    let mut merged = scan_over(read, writes, range);
    if let Some(last) = last {
        merged.retain(|(k, _)| k <= &last);
    }
    merged.truncate(limit);
    merged
}

/// `below` as changed by `writes`, within `range`.
pub(crate) fn scan_over(
    below: Vec<(StateKey, StateValue)>,
    writes: &WriteSet,
    range: &Range<StateKey>,
) -> Vec<(StateKey, StateValue)> {
    let mut merged: BTreeMap<StateKey, StateValue> = below.into_iter().collect();
    for (k, v) in writes.range(range.clone()) {
        match v {
            Some(v) => {
                merged.insert(k.clone(), v.clone());
            }
            None => {
                merged.remove(k);
            }
        }
    }
    merged.into_iter().collect()
}

/// The writes of one transaction, as the domain files store their records (the transaction's
/// scratch overlay implements it). Money moves keep `balance` and `held` checked.
pub(crate) trait StateWrite: StateRead {
    fn put(&mut self, key: StateKey, value: StateValue);
    fn delete(&mut self, key: StateKey);
    fn put_account(&mut self, addr: &Address, a: AccountState) {
        self.put(StateKey::Account(addr.clone()), StateValue::Account(a));
    }
    fn put_supply(&mut self, s: MilliWon) {
        self.put(StateKey::Supply, StateValue::Supply(s));
    }
    /// Credits `amount` to `addr`'s balance.
    fn credit(&mut self, addr: &Address, amount: MilliWon) -> Result<(), Fail> {
        let mut a = account(self, addr);
        a.balance = a.balance.checked_add(amount).ok_or_else(|| {
            fail(
                FailCode::Overflow,
                format!("balance of {addr} would overflow"),
            )
        })?;
        self.put_account(addr, a);
        Ok(())
    }
    /// Debits `amount` from `addr`'s balance.
    fn debit(&mut self, addr: &Address, amount: MilliWon) -> Result<(), Fail> {
        let mut a = account(self, addr);
        a.balance = a.balance.checked_sub(amount).ok_or_else(|| {
            fail(
                FailCode::InsufficientBalance,
                format!("balance is {} mKRW, need {} mKRW", a.balance.0, amount.0),
            )
        })?;
        self.put_account(addr, a);
        Ok(())
    }
    /// Moves `amount` of `addr`'s balance into its `held` (escrow).
    fn escrow(&mut self, addr: &Address, amount: MilliWon) -> Result<(), Fail> {
        self.debit(addr, amount)?;
        let mut a = account(self, addr);
        a.held = a
            .held
            .checked_add(amount)
            .ok_or_else(|| fail(FailCode::Overflow, "held amount overflows"))?;
        self.put_account(addr, a);
        Ok(())
    }
    /// Takes `amount` out of `addr`'s `held` (the caller puts it somewhere).
    fn take_held(&mut self, addr: &Address, amount: MilliWon) -> Result<(), Fail> {
        let mut a = account(self, addr);
        // Unreachable while `held` covers every escrow and hold of the account.
        a.held = a
            .held
            .checked_sub(amount)
            .ok_or_else(|| fail(FailCode::Overflow, "held amount would go below zero"))?;
        self.put_account(addr, a);
        Ok(())
    }
    /// Returns `amount` of `addr`'s escrow to its balance.
    fn release(&mut self, addr: &Address, amount: MilliWon) -> Result<(), Fail> {
        self.take_held(addr, amount)?;
        self.credit(addr, amount)
    }
    /// Pays `amount` of `from`'s escrow to `to`'s balance.
    fn pay_from_held(
        &mut self,
        from: &Address,
        to: &Address,
        amount: MilliWon,
    ) -> Result<(), Fail> {
        self.take_held(from, amount)?;
        self.credit(to, amount)
    }
}

/// The changes one block makes, in key order. `None` deletes the key; a delete may name a key the
/// base never held (a hold placed and settled within the same block), and applying it is a no-op.
pub type WriteSet = BTreeMap<StateKey, Option<StateValue>>;

/// Reads through a stack of write-sets (newest last) over a base; used for speculative execution
/// of unfinalized blocks.
pub struct Layered<'a, S: StateRead + ?Sized> {
    pub base: &'a S,
    pub layers: Vec<&'a WriteSet>,
}

impl<S: StateRead + ?Sized> StateRead for Layered<'_, S> {
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        let mut out = self.base.scan(range);
        for layer in &self.layers {
            out = scan_over(out, layer, range);
        }
        out
    }
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        let deletes: usize = self.layers.iter().map(|l| deletes_in(l, range)).sum();
        let mut out = self.base.scan_limit(range, limit.saturating_add(deletes));
        let cut = out.len() >= limit.saturating_add(deletes);
        let last = out.last().map(|(k, _)| k.clone());
        for layer in &self.layers {
            out = scan_over(out, layer, range);
        }
        if let (true, Some(last)) = (cut, last) {
            out.retain(|(k, _)| k <= &last);
        }
        out.truncate(limit);
        out
    }
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        for layer in self.layers.iter().rev() {
            if let Some(v) = layer.get(key) {
                return v.clone();
            }
        }
        self.base.get(key)
    }
}

/// Applies a write-set to a state.
pub fn apply_writes(state: &mut BTreeMap<StateKey, StateValue>, writes: &WriteSet) {
    for (key, value) in writes {
        match value {
            Some(v) => {
                state.insert(key.clone(), v.clone());
            }
            None => {
                state.remove(key);
            }
        }
    }
}

// ---- typed helpers ------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::EncodeSize;
    use commonware_codec::{DecodeExt, Encode};
    use gridledger_types::PrivateKey;
    use gridledger_types::{DeviceKind, Role, TEXT_MAX_BYTES};

    fn addr(seed: u8) -> Address {
        Address::of(&PrivateKey::decode([seed; 32].as_slice()).unwrap())
    }

    fn samples() -> Vec<(StateKey, StateValue)> {
        let a = addr(1);
        let h = Hash32::digest(&[b"hold"]);
        vec![
            (StateKey::Supply, StateValue::Supply(MilliWon(77))),
            (
                StateKey::Account(a.clone()),
                StateValue::Account(AccountState {
                    balance: MilliWon(5),
                    held: MilliWon(6),
                    nonce: 7,
                }),
            ),
            (
                StateKey::Participant(a.clone()),
                StateValue::Participant(Participant {
                    role: Role::Prosumer,
                    name: "건물 A".into(),
                    suspended: true,
                    registered_at: 3,
                }),
            ),
            (
                StateKey::Device(addr(2)),
                StateValue::Device(Device {
                    kind: DeviceKind::Charger,
                    owner: a.clone(),
                    label: "c-1".into(),
                }),
            ),
            (
                StateKey::Hold(h),
                StateValue::Hold(Hold {
                    payer: a.clone(),
                    beneficiary: addr(3),
                    amount: MilliWon(9),
                    expires_at_ms: 1_000,
                    memo: "escrow".into(),
                }),
            ),
            (
                StateKey::ValidatorSet(7),
                StateValue::ValidatorSet(vec![
                    ValidatorEntry {
                        public_key: a,
                        p2p_addr: "10.0.0.1:7070".parse().unwrap(),
                    },
                    ValidatorEntry {
                        public_key: addr(4),
                        p2p_addr: "[2001:db8::4]:7070".parse().unwrap(),
                    },
                ]),
            ),
            (StateKey::EpochLength, StateValue::EpochLength(1_000)),
            (
                StateKey::Mandate(SiteId::new("s0").unwrap(), addr(5).key_bytes()),
                StateValue::Mandate(Box::new(Mandate {
                    company: addr(5),
                    sides: gridledger_types::MandateSides::Both,
                    markets: vec![MarketId::new("monthly").unwrap()],
                    from_ms: 1,
                    until_ms: Some(2),
                    share_bp: 10_000,
                    granted_at_ms: 1,
                    revoked_at_ms: None,
                })),
            ),
        ]
    }

    #[test]
    fn keys_and_values_round_trip_with_exact_sizes() {
        for (k, v) in samples() {
            let ke = k.encode();
            assert_eq!(ke.len(), k.encode_size());
            assert_eq!(StateKey::decode(ke).unwrap(), k);
            let ve = v.encode();
            assert_eq!(ve.len(), v.encode_size());
            assert_eq!(StateValue::decode(ve).unwrap(), v);
        }
    }

    #[test]
    fn unknown_tags_trailing_bytes_and_bad_bools_are_rejected() {
        assert!(StateKey::decode([9u8].as_slice()).is_err());
        assert!(StateValue::decode([9u8].as_slice()).is_err());
        assert!(StateKey::decode([0u8, 0].as_slice()).is_err());
        let (_, p) = samples().swap_remove(2);
        let mut enc = p.encode().to_vec();
        // `suspended` sits 9 bytes from the end (bool, then the u64 height).
        let i = enc.len() - 9;
        enc[i] = 2;
        assert!(StateValue::decode(enc.as_slice()).is_err());
    }

    #[test]
    fn oversized_text_does_not_decode() {
        let d = StateValue::Device(Device {
            kind: DeviceKind::Meter,
            owner: addr(1),
            label: "x".repeat(TEXT_MAX_BYTES + 1),
        });
        assert!(StateValue::decode(d.encode()).is_err());
    }

    #[test]
    fn key_order_is_variant_then_field() {
        let mut keys: Vec<StateKey> = samples().into_iter().map(|(k, _)| k).collect();
        keys.reverse();
        keys.sort();
        assert_eq!(keys[0], StateKey::Supply);
        assert!(matches!(keys[4], StateKey::Hold(_)));
    }

    #[test]
    fn layered_reads_newest_layer_first_and_honours_deletes() {
        let mut base = BTreeMap::new();
        base.insert(StateKey::Supply, StateValue::Supply(MilliWon(1)));
        let a = StateKey::Account(addr(1));
        base.insert(a.clone(), StateValue::Account(AccountState::default()));
        let mut l1 = WriteSet::new();
        l1.insert(StateKey::Supply, Some(StateValue::Supply(MilliWon(2))));
        l1.insert(a.clone(), None);
        let mut l2 = WriteSet::new();
        l2.insert(StateKey::Supply, Some(StateValue::Supply(MilliWon(3))));
        let view = Layered {
            base: &base,
            layers: vec![&l1, &l2],
        };
        assert_eq!(supply(&view), MilliWon(3));
        assert_eq!(view.get(&a), None);
        let only_l1 = Layered {
            base: &base,
            layers: vec![&l1],
        };
        assert_eq!(supply(&only_l1), MilliWon(2));

        apply_writes(&mut base, &l1);
        apply_writes(&mut base, &l2);
        assert_eq!(supply(&base), MilliWon(3));
        assert!(!base.contains_key(&a));
    }
}

#[cfg(test)]
mod scan_limit_tests {
    use super::*;
    use proptest::prelude::*;

    fn key(n: u32) -> StateKey {
        StateKey::SiteMonth(SiteId::new("s").unwrap(), n)
    }
    fn val(n: u32) -> StateValue {
        StateValue::Supply(MilliWon(u64::from(n)))
    }
    fn writes(ops: &[(u32, bool)]) -> WriteSet {
        ops.iter()
            .map(|(n, put)| (key(*n), put.then(|| val(*n + 1_000))))
            .collect()
    }

    proptest! {
        /// A limited scan through write-sets (with deletes) is the full scan cut short.
        #[test]
        fn scan_limit_is_the_prefix_of_scan(
            base in proptest::collection::btree_set(0u32..60, 0..40),
            l1 in proptest::collection::vec((0u32..60, any::<bool>()), 0..20),
            l2 in proptest::collection::vec((0u32..60, any::<bool>()), 0..20),
            from in 0u32..60,
            len in 0u32..60,
            limit in 0usize..30,
        ) {
            let base: BTreeMap<StateKey, StateValue> =
                base.into_iter().map(|n| (key(n), val(n))).collect();
            let (w1, w2) = (writes(&l1), writes(&l2));
            let range = key(from)..key(from + len);
            let layered = Layered { base: &base, layers: vec![&w1, &w2] };
            let mut full = layered.scan(&range);
            full.truncate(limit);
            prop_assert_eq!(layered.scan_limit(&range, limit), full);
            let mut one = scan_over(base.scan(&range), &w1, &range);
            one.truncate(limit);
            prop_assert_eq!(scan_limit_over(&base, &w1, &range, limit), one);
        }
    }
}
