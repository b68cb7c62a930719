//! The validator set on chain: one record per epoch that has a change, and the operator's
//! `ChangeValidators`.
//!
//! Genesis writes the set of epoch 0 and the epoch length. A `ChangeValidators` included at
//! height `h` changes the set of the next epoch, `epoch_of(h) + 1`: it starts from the set
//! already scheduled for that epoch (an earlier change in the same epoch) or else the set in
//! force now, and writes the result as that epoch's record. Every record is kept, so the set of
//! any past epoch can be read (to check old certificates): the set in force at epoch `e` is the
//! latest record at or before `e`.
use crate::executor::{fail, require_role, Fail, Scratch};
use crate::fail::FailCode;
use crate::state::{Participant, StateKey, StateRead, StateValue};
use gridledger_types::{
    check_p2p_addr, epoch_of, Address, ChangeValidators, Event, Role, ValidatorEntry,
    DEFAULT_EPOCH_LENGTH, MAX_VALIDATORS,
};
use std::collections::{BTreeMap, BTreeSet};

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

/// Applies a `ChangeValidators` included at `height`. Nothing changes on failure.
pub(crate) fn change<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    height: u64,
    me: &Participant,
    p: &ChangeValidators,
) -> Result<Vec<Event>, Fail> {
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    if p.add.is_empty() && p.remove.is_empty() {
        return Err(fail(
            FailCode::EmptyChange,
            "add or remove at least one validator",
        ));
    }
    let mut named: BTreeSet<&Address> = BTreeSet::new();
    for key in p.add.iter().map(|v| &v.public_key).chain(&p.remove) {
        if !named.insert(key) {
            return Err(fail(
                FailCode::DuplicateValidator,
                format!("{key} is named more than once in this change"),
            ));
        }
    }
    for v in &p.add {
        check_p2p_addr(&v.p2p_addr).map_err(|e| {
            fail(
                FailCode::BadAddress,
                format!("validator {}: {e}", v.public_key),
            )
        })?;
    }
    let next = epoch_at_height(s, height)
        .checked_add(1)
        .ok_or_else(|| fail(FailCode::EpochOverflow, "no epoch follows this one"))?;
    let base = match validator_record(s, next) {
        Some(scheduled) => scheduled,
        None => validators_at(s, next),
    };
    let mut set: BTreeMap<Address, ValidatorEntry> = base
        .into_iter()
        .map(|v| (v.public_key.clone(), v))
        .collect();
    for key in &p.remove {
        if set.remove(key).is_none() {
            return Err(fail(
                FailCode::UnknownValidator,
                format!("{key} is not in the validator set of epoch {next}"),
            ));
        }
    }
    for v in &p.add {
        if set.contains_key(&v.public_key) {
            return Err(fail(
                FailCode::ValidatorExists,
                format!(
                    "{} is already in the validator set of epoch {next}",
                    v.public_key
                ),
            ));
        }
        set.insert(v.public_key.clone(), v.clone());
    }
    if set.is_empty() {
        return Err(fail(
            FailCode::EmptyValidatorSet,
            format!("the change would leave epoch {next} without validators"),
        ));
    }
    if set.len() > MAX_VALIDATORS {
        return Err(fail(
            FailCode::TooManyValidators,
            format!(
                "the change would give epoch {next} {} validators; at most {MAX_VALIDATORS}",
                set.len()
            ),
        ));
    }
    let validators: Vec<ValidatorEntry> = set.into_values().collect();
    s.put(
        StateKey::ValidatorSet(next),
        StateValue::ValidatorSet(validators.clone()),
    );
    Ok(vec![Event::ValidatorsScheduled {
        epoch: next,
        validators,
    }])
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
