//! Validator-set and epoch records and lookups (the set of an epoch, the epoch length).
//!
//! The rules that change them are in `tx/validators.rs`.
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_types::{
    check_p2p_addr, epoch_of, ValidatorEntry, DEFAULT_EPOCH_LENGTH, MAX_VALIDATORS,
};

/// Blocks per epoch, as the genesis recorded it ([DEFAULT_EPOCH_LENGTH] before genesis).
pub fn epoch_length(state: &(impl StateRead + ?Sized)) -> u64 {
    match state.get(&StateKey::EpochLength) {
        Some(StateValue::EpochLength(l)) => l.max(1),
        _ => DEFAULT_EPOCH_LENGTH,
    }
}

/// The epoch a block at `height` belongs to on this chain.
pub fn epoch_at_height(state: &(impl StateRead + ?Sized), height: u64) -> u64 {
    epoch_of(height, epoch_length(state))
}

/// The set recorded for exactly `epoch`, if a change (or genesis) wrote one.
pub fn validator_record(
    state: &(impl StateRead + ?Sized),
    epoch: u64,
) -> Option<Vec<ValidatorEntry>> {
    match state.get(&StateKey::ValidatorSet(epoch)) {
        Some(StateValue::ValidatorSet(v)) => Some(v),
        _ => None,
    }
}

/// The validator set in force at `epoch` (the latest record at or before it), sorted by key.
/// Empty only before genesis.
pub fn validators_at(state: &(impl StateRead + ?Sized), epoch: u64) -> Vec<ValidatorEntry> {
    let end = match epoch.checked_add(1) {
        Some(next) => StateKey::ValidatorSet(next),
        None => StateKey::EpochLength,
    };
    state
        .scan(&(StateKey::ValidatorSet(0)..end))
        .into_iter()
        .rev()
        .find_map(|(_, v)| match v {
            StateValue::ValidatorSet(v) => Some(v),
            _ => None,
        })
        .unwrap_or_default()
}

/// The first record after `epoch` (a set scheduled for a later epoch), if any.
pub fn scheduled_after(
    state: &(impl StateRead + ?Sized),
    epoch: u64,
) -> Option<(u64, Vec<ValidatorEntry>)> {
    let start = StateKey::ValidatorSet(epoch.checked_add(1)?);
    state
        .scan_limit(&(start..StateKey::EpochLength), 1)
        .into_iter()
        .find_map(|(k, v)| match (k, v) {
            (StateKey::ValidatorSet(e), StateValue::ValidatorSet(v)) => Some((e, v)),
            _ => None,
        })
}

/// Why a recorded set is malformed (for the invariants): empty, too large, not strictly sorted
/// by key, or with an address that is not dialable.
pub(crate) fn record_problem(set: &[ValidatorEntry]) -> Option<String> {
    if set.is_empty() || set.len() > MAX_VALIDATORS {
        return Some(format!(
            "{} validators (1..={MAX_VALIDATORS} allowed)",
            set.len()
        ));
    }
    if set.windows(2).any(|w| w[0].public_key >= w[1].public_key) {
        return Some("not sorted by key, or a key repeats".into());
    }
    set.iter()
        .find_map(|v| check_p2p_addr(&v.p2p_addr).err())
        .map(|e| e.to_string())
}
