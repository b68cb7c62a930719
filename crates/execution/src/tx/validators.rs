//! The validator set on chain: one record per epoch that has a change, and the operator's
//! `ChangeValidators`.
//!
//! Genesis writes the set of epoch 0 and the epoch length. A `ChangeValidators` included at
//! height `h` changes the set of the next epoch, `epoch_of(h) + 1`: it starts from the set
//! already scheduled for that epoch (an earlier change in the same epoch) or else the set in
//! force now, and writes the result as that epoch's record. Every record is kept, so the set of
//! any past epoch can be read (to check old certificates): the set in force at epoch `e` is the
//! latest record at or before `e`.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{require_role, Scratch, TxCtx};
use crate::state::validators::{epoch_at_height, validator_record, validators_at};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{
    check_p2p_addr, Address, ChangeValidators, Event, Role, ValidatorEntry, MAX_VALIDATORS,
};
use std::collections::{BTreeMap, BTreeSet};

/// Applies a `ChangeValidators` included at `height`. Nothing changes on failure.
pub(crate) fn change<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &ChangeValidators,
) -> Result<Vec<Event>, Fail> {
    let height = cx.height;
    let me = cx.me()?;
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
