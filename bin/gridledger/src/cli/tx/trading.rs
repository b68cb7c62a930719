//! `gridledger tx` commands for markets, intentions, pairing and contract approval (execution `trading`).
use super::{parse_kwh, parse_period};
use crate::cli::{parse_hash, parse_won};
use anyhow::Context;
use clap::Subcommand;
use gridledger_types::{
    ConfigureMarket, Hash32, MarketId, MilliWon, Payload, PeriodKind, PriceMilliWonPerKwh, Pricing,
    Side, SiteId, SubmitIntention,
};

#[derive(Debug, Subcommand)]
pub enum TradingCmd {
    /// Operator: create or change a market.
    ConfigureMarket {
        #[arg(long)]
        market: MarketId,
        /// monthly, hourly or quarter_hour
        #[arg(long)]
        period_kind: PeriodKind,
        /// uniform or pay_as_bid
        #[arg(long, default_value = "uniform")]
        pricing: Pricing,
        /// Intentions close this many minutes before a period starts.
        #[arg(long, default_value_t = 0)]
        gate_lead_min: u64,
        /// Wheeling fee to the grid company, won per kWh.
        #[arg(long, value_parser = parse_won, default_value = "0")]
        wheeling_fee_won: MilliWon,
        /// Platform fee to the operator, won per kWh.
        #[arg(long, value_parser = parse_won, default_value = "0")]
        platform_fee_won: MilliWon,
        #[arg(long)]
        prefer_same_feeder: bool,
        /// Create the market inactive (no intentions accepted).
        #[arg(long)]
        inactive: bool,
        /// Both parties must approve each contract within this many minutes (0: approved
        /// when paired).
        #[arg(long, default_value_t = 0)]
        approval_window_min: u64,
        /// After a period ends its buyers may dispute contracts for this many minutes;
        /// settlement waits for it.
        #[arg(long, default_value_t = 0)]
        dispute_window_min: u64,
    },
    /// Site owner: offer to sell or bid to buy energy in a period.
    Intend {
        #[arg(long)]
        market: MarketId,
        /// The period: YYYY-MM for a monthly market, or its start in Unix ms.
        #[arg(long, value_parser = parse_period)]
        period: u64,
        /// sell or buy
        #[arg(long)]
        side: Side,
        #[arg(long)]
        site: SiteId,
        /// Energy in kWh (up to 3 decimals).
        #[arg(long, value_parser = parse_kwh)]
        kwh: u64,
        /// Minimum (sell) or maximum (buy) price, won per kWh.
        #[arg(long, value_parser = parse_won)]
        price_won: MilliWon,
    },
    /// Withdraw one of your intentions before gate closure.
    CancelIntention {
        #[arg(long, value_parser = parse_hash)]
        intention: Hash32,
    },
    /// Pair a period's intentions into contracts (at or after gate closure).
    ClearPeriod {
        #[arg(long)]
        market: MarketId,
        #[arg(long, value_parser = parse_period)]
        period: u64,
    },
    /// Seller or buyer: approve a contract (markets that require approval).
    ApproveContract {
        #[arg(long)]
        market: MarketId,
        #[arg(long, value_parser = parse_period)]
        period: u64,
        /// The contract's number in its period.
        #[arg(long)]
        number: u32,
    },
}

impl TradingCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::ConfigureMarket {
                market,
                period_kind,
                pricing,
                gate_lead_min,
                wheeling_fee_won,
                platform_fee_won,
                prefer_same_feeder,
                inactive,
                approval_window_min,
                dispute_window_min,
            } => Payload::ConfigureMarket(ConfigureMarket {
                market: market.clone(),
                period_kind: *period_kind,
                pricing: *pricing,
                gate_lead_ms: gate_lead_min
                    .checked_mul(60_000)
                    .context("gate lead too long")?,
                wheeling_fee: PriceMilliWonPerKwh(wheeling_fee_won.0),
                platform_fee: PriceMilliWonPerKwh(platform_fee_won.0),
                prefer_same_feeder: *prefer_same_feeder,
                active: !*inactive,
                approval_window_ms: approval_window_min
                    .checked_mul(60_000)
                    .context("approval window too long")?,
                dispute_window_ms: dispute_window_min
                    .checked_mul(60_000)
                    .context("dispute window too long")?,
            }),
            Self::Intend {
                market,
                period,
                side,
                site,
                kwh,
                price_won,
            } => Payload::SubmitIntention(SubmitIntention {
                market: market.clone(),
                period_start_ms: *period,
                side: *side,
                site: site.clone(),
                energy_wh: *kwh,
                limit: PriceMilliWonPerKwh(price_won.0),
            }),
            Self::CancelIntention { intention } => Payload::CancelIntention {
                intention: *intention,
            },
            Self::ClearPeriod { market, period } => Payload::ClearPeriod {
                market: market.clone(),
                period_start_ms: *period,
            },
            Self::ApproveContract {
                market,
                period,
                number,
            } => Payload::ApproveContract {
                market: market.clone(),
                period_start_ms: *period,
                number: *number,
            },
        })
    }
}
