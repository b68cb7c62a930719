//! `gridledger tx` commands for EV charging operators, chargers, members and hold expiry (execution `charging`).
use super::{parse_card, parse_charger, parse_charger_kind, parse_member_status, text};
use crate::cli::parse_won;
use anyhow::Context;
use clap::Subcommand;
use gridledger_types::{
    ChargerId, ChargerKind, ConfigureCharging, MemberStatus, MilliWon, Payload,
    PriceMilliWonPerKwh, RegisterCharger, SetMember, EXPIRE_BATCH_MAX, HOLD_EXPIRY_MAX_MS,
    HOLD_EXPIRY_MIN_MS, MAX_CONNECTORS,
};

#[derive(Debug, Subcommand)]
pub enum ChargingCmd {
    /// Charging operator: its rules for session holds.
    ConfigureCharging {
        /// A prepaid session not stopped within this many minutes is refunded (10 min to 7 days).
        #[arg(long)]
        hold_expiry_min: u64,
        /// Largest prepayment of one session, in won.
        #[arg(long, value_parser = parse_won)]
        max_prepay_won: MilliWon,
        /// Largest standing authorisation (auto-charge) a member may give, in won.
        #[arg(long, value_parser = parse_won)]
        auto_charge_max_won: MilliWon,
    },
    /// Charging operator: create a charger, or update one it owns (prices apply to later
    /// prepayments).
    RegisterCharger {
        /// Charger id, also its OCPP identity: 1-48 of A-Z a-z 0-9 . _ -
        #[arg(long, value_parser = parse_charger)]
        charger: ChargerId,
        /// fast or slow
        #[arg(long, value_parser = parse_charger_kind)]
        kind: ChargerKind,
        /// Connectors, numbered 1..=N (1 to 8).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=i64::from(MAX_CONNECTORS)))]
        connectors: u8,
        /// Energy price, won per kWh (up to 3 decimals, e.g. 324.4).
        #[arg(long, value_parser = parse_won)]
        price_won_per_kwh: MilliWon,
        /// Idle fee per whole minute plugged in after charging, past the grace time, in won.
        #[arg(long, value_parser = parse_won, default_value = "0")]
        idle_fee_won_per_min: MilliWon,
        /// Minutes of idling before the idle fee applies.
        #[arg(long, default_value_t = 0)]
        idle_grace_min: u32,
        /// Register the charger inactive (no prepayments accepted).
        #[arg(long)]
        inactive: bool,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// The member's charging operator: block or unblock a member, set its expiry and card.
    SetMember {
        #[arg(long)]
        member_no: u64,
        /// active or blocked
        #[arg(long, value_parser = parse_member_status)]
        status: MemberStatus,
        /// The membership ends at this time: ms since the epoch or RFC 3339 (default: never).
        #[arg(long, value_parser = crate::time_arg::parse_time_ms)]
        valid_until: Option<u64>,
        /// RFID card / OCPP idTag (default: none).
        #[arg(long, value_parser = parse_card)]
        card: Option<String>,
    },
    /// Anyone: refund prepaid charging sessions whose hold expired (at block time).
    ExpireChargingHolds {
        /// Refund at most this many sessions (1 to 500).
        #[arg(long, default_value_t = EXPIRE_BATCH_MAX,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(EXPIRE_BATCH_MAX)))]
        max: u32,
    },
}

impl ChargingCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::ConfigureCharging {
                hold_expiry_min,
                max_prepay_won,
                auto_charge_max_won,
            } => {
                let hold_expiry_ms = hold_expiry_min
                    .checked_mul(60_000)
                    .filter(|ms| (HOLD_EXPIRY_MIN_MS..=HOLD_EXPIRY_MAX_MS).contains(ms))
                    .with_context(|| {
                        format!(
                            "--hold-expiry-min must be {} to {} (10 minutes to 7 days)",
                            HOLD_EXPIRY_MIN_MS / 60_000,
                            HOLD_EXPIRY_MAX_MS / 60_000
                        )
                    })?;
                Payload::ConfigureCharging(ConfigureCharging {
                    hold_expiry_ms,
                    max_prepay: *max_prepay_won,
                    auto_charge_max: *auto_charge_max_won,
                })
            }
            Self::RegisterCharger {
                charger,
                kind,
                connectors,
                price_won_per_kwh,
                idle_fee_won_per_min,
                idle_grace_min,
                inactive,
                label,
            } => Payload::RegisterCharger(RegisterCharger {
                charger: charger.clone(),
                kind: *kind,
                connectors: *connectors,
                price: PriceMilliWonPerKwh(price_won_per_kwh.0),
                idle_fee_per_min: *idle_fee_won_per_min,
                idle_grace_min: *idle_grace_min,
                active: !*inactive,
                label: text("label", label)?,
            }),
            Self::SetMember {
                member_no,
                status,
                valid_until,
                card,
            } => Payload::SetMember(SetMember {
                member_no: *member_no,
                status: *status,
                valid_until_ms: valid_until.unwrap_or(0),
                card: card.clone().unwrap_or_default(),
            }),
            Self::ExpireChargingHolds { max } => Payload::ExpireChargingHolds { max: *max },
        })
    }
}
