//! `gridledger tx` commands for the validator set (execution `validators`).
use super::parse_validator_entry;
use anyhow::bail;
use clap::Subcommand;
use gridledger_types::{Address, Payload, ValidatorEntry, MAX_VALIDATORS};

#[derive(Debug, Subcommand)]
pub enum ValidatorsCmd {
    /// Operator: add and remove validators. The change applies to the next epoch (from its first
    /// block); several changes in one epoch build on each other.
    ChangeValidators {
        /// A validator to add, as HEXKEY@IP:PORT; repeat for each.
        #[arg(long = "add", value_name = "KEY@IP:PORT", value_parser = parse_validator_entry)]
        add: Vec<ValidatorEntry>,
        /// The key of a validator to remove; repeat for each.
        #[arg(long = "remove", value_name = "KEY")]
        remove: Vec<Address>,
    },
}

impl ValidatorsCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::ChangeValidators { add, remove } => {
                if add.is_empty() && remove.is_empty() {
                    bail!("change-validators needs at least one --add KEY@IP:PORT or --remove KEY");
                }
                if add.len() > MAX_VALIDATORS || remove.len() > MAX_VALIDATORS {
                    bail!("at most {MAX_VALIDATORS} --add and {MAX_VALIDATORS} --remove");
                }
                Payload::ChangeValidators(gridledger_types::ChangeValidators {
                    add: add.clone(),
                    remove: remove.clone(),
                })
            }
        })
    }
}
