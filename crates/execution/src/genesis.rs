//! The genesis state: the operator and the bank, a supply of zero, the built-in tariffs, the
//! epoch length and the validator set of epoch 0.
use crate::{
    executor::{state_root, BlockOutcome},
    state::{AccountState, Participant, StateKey, StateValue, WriteSet},
    Error,
};
use gridledger_types::{
    check_validator_set, Address, ChainId, Hash32, MilliWon, Role, ValidatorEntry,
    DEFAULT_EPOCH_LENGTH, TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the chain starts from (the genesis file).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Genesis {
    pub chain_id: ChainId,
    pub genesis_time_ms: u64,
    pub operator: Address,
    pub operator_name: String,
    pub bank: Address,
    pub bank_name: String,
    /// Blocks per epoch (at least 1); the validator set can change only from one epoch to the
    /// next. Genesis files written before epochs existed get [DEFAULT_EPOCH_LENGTH].
    #[serde(default = "default_epoch_length")]
    pub epoch_length: u64,
}

fn default_epoch_length() -> u64 {
    DEFAULT_EPOCH_LENGTH
}

impl Genesis {
    /// Refuses a genesis whose operator is its bank or whose names are empty or too long.
    pub fn validate(&self) -> Result<(), Error> {
        if self.operator == self.bank {
            return Err(Error::Genesis("operator and bank must differ".into()));
        }
        if self.epoch_length == 0 {
            return Err(Error::Genesis("epoch_length must be at least 1".into()));
        }
        for (field, name) in [
            ("operator_name", &self.operator_name),
            ("bank_name", &self.bank_name),
        ] {
            if name.is_empty() || name.len() > TEXT_MAX_BYTES {
                return Err(Error::Genesis(format!(
                    "{field} must be 1 to {TEXT_MAX_BYTES} bytes"
                )));
            }
        }
        Ok(())
    }
}

/// Refuses a genesis validator set that is empty, larger than `MAX_VALIDATORS`, names a key
/// twice or has an address that is not dialable.
pub fn validate_validators(validators: &[ValidatorEntry]) -> Result<(), Error> {
    check_validator_set(validators).map_err(|e| Error::Genesis(e.to_string()))
}

/// The writes of block 0: the operator ([Role::Operator]) and the bank ([Role::Bank]) with empty
/// accounts, a zero supply, the built-in KEPCO tariff versions ([builtin_tariffs]), the epoch
/// length and `validators` as the set of epoch 0 (sorted by key; a key listed twice is kept
/// once). Check the inputs first with [Genesis::validate] and [validate_validators]. No
/// receipts; the root chains from [Hash32::ZERO].
pub fn genesis_outcome(g: &Genesis, validators: &[ValidatorEntry]) -> BlockOutcome {
    let mut writes = WriteSet::new();
    writes.insert(StateKey::Supply, Some(StateValue::Supply(MilliWon::ZERO)));
    writes.insert(
        StateKey::EpochLength,
        Some(StateValue::EpochLength(g.epoch_length.max(1))),
    );
    let set: BTreeMap<&Address, &ValidatorEntry> =
        validators.iter().map(|v| (&v.public_key, v)).collect();
    writes.insert(
        StateKey::ValidatorSet(0),
        Some(StateValue::ValidatorSet(
            set.into_values().cloned().collect(),
        )),
    );
    for (addr, role, name) in [
        (&g.operator, Role::Operator, &g.operator_name),
        (&g.bank, Role::Bank, &g.bank_name),
    ] {
        writes.insert(
            StateKey::Participant(addr.clone()),
            Some(StateValue::Participant(Participant {
                role,
                name: name.clone(),
                suspended: false,
                registered_at: 0,
            })),
        );
        writes.insert(
            StateKey::Account(addr.clone()),
            Some(StateValue::Account(AccountState::default())),
        );
    }
    for v in builtin_tariffs() {
        writes.insert(
            StateKey::Tariff(crate::billing::effective_key(&v)),
            Some(StateValue::Tariff(Box::new(v))),
        );
    }
    let state_root = state_root(Hash32::ZERO, 0, &writes, &[]);
    BlockOutcome {
        writes,
        receipts: Vec::new(),
        state_root,
    }
}

/// The tariff versions every chain starts with: the tariff crate's embedded KEPCO data (checked
/// by that crate's tests; the operator adds versions with `SetTariff`).
pub fn builtin_tariffs() -> Vec<gridledger_tariff::TariffVersion> {
    gridledger_tariff::TariffSet::kepco()
        .map(|t| t.versions().to_vec())
        .unwrap_or_default()
}
