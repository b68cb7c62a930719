//! The genesis state: the operator and the bank, and a supply of zero.
use crate::{
    executor::{state_root, BlockOutcome},
    state::{AccountState, Participant, StateKey, StateValue, WriteSet},
    Error,
};
use gridledger_types::{Address, ChainId, Hash32, MilliWon, Role, TEXT_MAX_BYTES};
use serde::{Deserialize, Serialize};

/// What the chain starts from (the genesis file).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Genesis {
    pub chain_id: ChainId,
    pub genesis_time_ms: u64,
    pub operator: Address,
    pub operator_name: String,
    pub bank: Address,
    pub bank_name: String,
}

impl Genesis {
    /// Refuses a genesis whose operator is its bank or whose names are empty or too long.
    pub fn validate(&self) -> Result<(), Error> {
        if self.operator == self.bank {
            return Err(Error::Genesis("operator and bank must differ".into()));
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

/// The writes of block 0: the operator ([Role::Operator]) and the bank ([Role::Bank]) with empty
/// accounts, a zero supply and the built-in KEPCO tariff versions ([builtin_tariffs]). No receipts; the root chains from [Hash32::ZERO].
pub fn genesis_outcome(g: &Genesis) -> BlockOutcome {
    let mut writes = WriteSet::new();
    writes.insert(StateKey::Supply, Some(StateValue::Supply(MilliWon::ZERO)));
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
