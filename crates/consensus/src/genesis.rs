//! The genesis file: the chain's first participants (execution genesis) plus the validator set
//! and its static peer addresses (the pilot's "static configuration file").
use crate::{block::ChainBlock, Error};
use gridledger_execution::{genesis_outcome, BlockOutcome, Genesis};
use gridledger_types::Address;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeSet, net::SocketAddr, path::Path};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorInfo {
    /// The validator's ed25519 consensus key (hex).
    pub public_key: Address,
    /// Where its authenticated p2p endpoint listens.
    pub p2p_addr: SocketAddr,
}

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

    pub fn validate(&self) -> Result<(), Error> {
        if self.validators.is_empty() {
            return Err(Error::Config("genesis names no validators".into()));
        }
        let keys: BTreeSet<_> = self.validators.iter().map(|v| &v.public_key).collect();
        if keys.len() != self.validators.len() {
            return Err(Error::Config("duplicate validator key in genesis".into()));
        }
        if self.chain.operator == self.chain.bank {
            return Err(Error::Config(
                "operator and bank must be different keys".into(),
            ));
        }
        Ok(())
    }

    /// The genesis block (height 0) and the state it creates.
    pub fn genesis_block(&self) -> (ChainBlock, BlockOutcome) {
        let outcome = genesis_outcome(&self.chain);
        let leader = self.validators[0].public_key.0.clone();
        let block = ChainBlock::genesis(leader, self.chain.genesis_time_ms, outcome.state_root);
        (block, outcome)
    }
}
