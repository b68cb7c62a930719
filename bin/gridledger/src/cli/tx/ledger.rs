//! `gridledger tx` commands for money: mint, burn, transfers and holds (execution `ledger`).
use super::{expiry_ms, text, Amount};
use crate::cli::parse_hash;
use clap::Subcommand;
use gridledger_types::{Address, Hash32, Payload};

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Bank: credit an account for a deposit.
    Mint {
        #[arg(long)]
        to: Address,
        #[command(flatten)]
        amount: Amount,
        #[arg(long)]
        bank_ref: String,
    },
    /// Withdraw own credits.
    Burn {
        #[command(flatten)]
        amount: Amount,
        #[arg(long)]
        bank_ref: String,
    },
    /// Move credits to another account.
    Transfer {
        #[arg(long)]
        to: Address,
        #[command(flatten)]
        amount: Amount,
        #[arg(long, default_value = "")]
        memo: String,
    },
    /// Escrow credits for a beneficiary until an expiry.
    HoldPlace {
        #[arg(long)]
        beneficiary: Address,
        #[command(flatten)]
        amount: Amount,
        /// The hold expires this many seconds after the chain's now.
        #[arg(long)]
        hold_expires_in_secs: u64,
        #[arg(long, default_value = "")]
        memo: String,
    },
    /// Return a hold to its payer.
    HoldRelease {
        #[arg(long, value_parser = parse_hash)]
        hold: Hash32,
    },
    /// Beneficiary: take (part of) a hold.
    HoldCapture {
        #[arg(long, value_parser = parse_hash)]
        hold: Hash32,
        #[command(flatten)]
        amount: Amount,
    },
}

impl LedgerCmd {
    /// The payload, with relative times resolved against `now_ms`.
    pub fn to_payload(&self, now_ms: u64) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::Mint {
                to,
                amount,
                bank_ref,
            } => Payload::Mint {
                to: to.clone(),
                amount: amount.milli_won(),
                bank_ref: text("bank-ref", bank_ref)?,
            },
            Self::Burn { amount, bank_ref } => Payload::Burn {
                amount: amount.milli_won(),
                bank_ref: text("bank-ref", bank_ref)?,
            },
            Self::Transfer { to, amount, memo } => Payload::Transfer {
                to: to.clone(),
                amount: amount.milli_won(),
                memo: text("memo", memo)?,
            },
            Self::HoldPlace {
                beneficiary,
                amount,
                hold_expires_in_secs,
                memo,
            } => Payload::HoldPlace {
                beneficiary: beneficiary.clone(),
                amount: amount.milli_won(),
                expires_at_ms: expiry_ms(now_ms, *hold_expires_in_secs)?,
                memo: text("memo", memo)?,
            },
            Self::HoldRelease { hold } => Payload::HoldRelease { hold: *hold },
            Self::HoldCapture { hold, amount } => Payload::HoldCapture {
                hold: *hold,
                amount: amount.milli_won(),
            },
        })
    }
}
