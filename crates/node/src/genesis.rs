//! The genesis file: the chain's first participants and epoch length (execution genesis) plus
//! the validator set of epoch 0 and its static peer addresses (the pilot's "static
//! configuration file"). The set is also recorded in the genesis state, where
//! `ChangeValidators` changes it from one epoch to the next.
use crate::{block::ChainBlock, Error};
use gridledger_execution::{genesis_outcome, validate_validators, BlockOutcome, Genesis};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A validator: its ed25519 consensus key and p2p address (the on-chain entry type, so the
/// genesis file and the chain state use one shape: `{"public_key": hex, "p2p_addr": "ip:port"}`).
pub type ValidatorInfo = gridledger_types::ValidatorEntry;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenesisFile {
    #[serde(flatten)]
    pub chain: Genesis,
    pub validators: Vec<ValidatorInfo>,
}

impl GenesisFile {
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let g: Self = serde_json::from_str(&text)
            .map_err(|e| Error::Config(format!("invalid genesis {}: {e}", path.display())))?;
        g.validate()?;
        Ok(g)
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Config(format!("cannot encode genesis: {e}")))?;
        std::fs::write(path, text + "\n")?;
        Ok(())
    }

    /// Refuses an empty, oversized or duplicated validator set, an undialable validator
    /// address, an operator that is also the bank and an epoch length of 0.
    pub fn validate(&self) -> Result<(), Error> {
        if self.validators.is_empty() {
            return Err(Error::Config("genesis names no validators".into()));
        }
        validate_validators(&self.validators).map_err(|e| Error::Config(e.to_string()))?;
        if self.chain.operator == self.chain.bank {
            return Err(Error::Config(
                "operator and bank must be different keys".into(),
            ));
        }
        if self.chain.epoch_length == 0 {
            return Err(Error::Config("epoch_length must be at least 1".into()));
        }
        Ok(())
    }

    /// The genesis block (height 0) and the state it creates (including the validator set of
    /// epoch 0). Call [GenesisFile::validate] first ([GenesisFile::load] does).
    pub fn genesis_block(&self) -> (ChainBlock, BlockOutcome) {
        let outcome = genesis_outcome(&self.chain, &self.validators);
        let leader = self.validators[0].public_key.0.clone();
        let block = ChainBlock::genesis(leader, self.chain.genesis_time_ms, outcome.state_root);
        (block, outcome)
    }
}
