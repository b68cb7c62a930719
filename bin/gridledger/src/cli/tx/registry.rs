//! `gridledger tx` commands for participants and devices (execution `registry`).
use super::text;
use clap::Subcommand;
use gridledger_types::{Address, DeviceKind, Payload, Role};

#[derive(Debug, Subcommand)]
pub enum RegistryCmd {
    /// Operator: admit an account as a participant.
    RegisterParticipant {
        #[arg(long)]
        account: Address,
        /// operator, bank, grid_company, sales_company, generator, prosumer, consumer,
        /// charging_operator, member, auditor (reads only)
        #[arg(long)]
        role: Role,
        #[arg(long)]
        name: String,
    },
    /// Operator: suspend a participant.
    Suspend {
        #[arg(long)]
        account: Address,
        #[arg(long)]
        reason: String,
    },
    /// Operator: lift a suspension.
    Reinstate {
        #[arg(long)]
        account: Address,
    },
    /// Operator: bind a device key to an owner.
    RegisterDevice {
        #[arg(long)]
        device: Address,
        /// meter or charger
        #[arg(long)]
        kind: DeviceKind,
        #[arg(long)]
        owner: Address,
        #[arg(long)]
        label: String,
    },
}

impl RegistryCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::RegisterParticipant {
                account,
                role,
                name,
            } => Payload::RegisterParticipant {
                account: account.clone(),
                role: *role,
                name: text("name", name)?,
            },
            Self::Suspend { account, reason } => Payload::SuspendParticipant {
                account: account.clone(),
                reason: text("reason", reason)?,
            },
            Self::Reinstate { account } => Payload::ReinstateParticipant {
                account: account.clone(),
            },
            Self::RegisterDevice {
                device,
                kind,
                owner,
                label,
            } => Payload::RegisterDevice {
                device: device.clone(),
                kind: *kind,
                owner: owner.clone(),
                label: text("label", label)?,
            },
        })
    }
}
