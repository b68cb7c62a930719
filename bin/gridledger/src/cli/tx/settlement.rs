//! `gridledger tx` commands for settlement and disputes (execution `settlement`, `disputes`).
use super::{contract_ref, parse_kwh, parse_period, text};
use clap::Subcommand;
use gridledger_types::{MarketId, Payload};

#[derive(Debug, Subcommand)]
pub enum SettlementCmd {
    /// Settle an ended period from the measured values (anyone).
    SettlePeriod {
        #[arg(long)]
        market: MarketId,
        #[arg(long, value_parser = parse_period)]
        period: u64,
    },
    /// Buyer: object to a contract's delivery within the dispute window.
    Dispute {
        #[arg(long)]
        market: MarketId,
        #[arg(long, value_parser = parse_period)]
        period: u64,
        #[arg(long)]
        number: u32,
        #[arg(long)]
        reason: String,
    },
    /// Operator: fix the energy a disputed contract delivered.
    ResolveDispute {
        #[arg(long)]
        market: MarketId,
        #[arg(long, value_parser = parse_period)]
        period: u64,
        #[arg(long)]
        number: u32,
        #[arg(long, value_parser = parse_kwh)]
        delivered_kwh: u64,
        #[arg(long)]
        reason: String,
    },
}

impl SettlementCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::SettlePeriod { market, period } => Payload::SettlePeriod {
                market: market.clone(),
                period_start_ms: *period,
            },
            Self::Dispute {
                market,
                period,
                number,
                reason,
            } => Payload::DisputeContract {
                contract: contract_ref(market, *period, *number),
                reason: text("reason", reason)?,
            },
            Self::ResolveDispute {
                market,
                period,
                number,
                delivered_kwh,
                reason,
            } => Payload::ResolveDispute {
                contract: contract_ref(market, *period, *number),
                delivered_wh: *delivered_kwh,
                reason: text("reason", reason)?,
            },
        })
    }
}
