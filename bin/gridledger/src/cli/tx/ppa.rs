//! `gridledger tx` commands for long-term agreements (execution `ppa`).
use crate::cli::parse_hash;
use clap::Subcommand;
use gridledger_types::{Hash32, Payload};

// The variants are the commands' names (`propose-ppa`, `accept-ppa`, ...).
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Subcommand)]
pub enum PpaCmd {
    /// Site owner: propose a long-term agreement (PPA) to the owner of the other site.
    ProposePpa(crate::cli::ppa::ProposePpaArgs),
    /// Accept a PPA proposed to you, before its start month.
    AcceptPpa {
        #[arg(long, value_parser = parse_hash)]
        ppa: Hash32,
    },
    /// End an accepted PPA after its notice (at once if the other party has already).
    TerminatePpa {
        #[arg(long, value_parser = parse_hash)]
        ppa: Hash32,
    },
    /// Withdraw (proposer) or reject (other party) a PPA not accepted yet.
    WithdrawPpa {
        #[arg(long, value_parser = parse_hash)]
        ppa: Hash32,
    },
}

impl PpaCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::ProposePpa(a) => a.to_payload()?,
            Self::AcceptPpa { ppa } => Payload::AcceptPpa { ppa: *ppa },
            Self::TerminatePpa { ppa } => Payload::TerminatePpa { ppa: *ppa },
            Self::WithdrawPpa { ppa } => Payload::WithdrawPpa { ppa: *ppa },
        })
    }
}
