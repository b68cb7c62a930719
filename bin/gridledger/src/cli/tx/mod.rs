//! `gridledger tx <payload> ...`: sign one transaction, submit it, optionally wait for finality.
use super::{client, load_key, parse_hash, parse_won, Exit, EXIT_TX_FAILED};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gridledger_sdk::{chain_time_ms, TxSigner};
use gridledger_types::{
    Address, BindMeter, ChainId, ChargerId, ChargerKind, ConfigureCharging, ConfigureMarket,
    CorrectReadings, DeviceKind, GrantMandate, Hash32, MandateSides, MarketId, MemberStatus,
    MilliWon, Payload, PeriodKind, PriceMilliWonPerKwh, Pricing, RegisterCharger, RegisterSite,
    Role, SetMember, Side, SiteId, SiteKind, SubmitIntention, TxStatus, ValidatorEntry,
    CARD_MAX_BYTES, EXPIRE_BATCH_MAX, HOLD_EXPIRY_MAX_MS, HOLD_EXPIRY_MIN_MS, MANDATE_MAX_MARKETS,
    MAX_CONNECTORS, MAX_VALIDATORS, SHARE_MAX_BP, TEXT_MAX_BYTES,
};
use std::{path::PathBuf, time::Duration};

#[derive(Debug, Args)]
pub struct TxArgs {
    #[command(subcommand)]
    pub payload: PayloadCmd,
    /// Node API base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, global = true, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// Encrypted key file of the signer (required).
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// Read the key's password from the first line of this file instead of prompting.
    #[arg(long, global = true)]
    pub password_file: Option<PathBuf>,
    /// Chain id (default: fetched from /api/v1/status, as is the chain's time for expiries).
    #[arg(long, global = true)]
    pub chain_id: Option<String>,
    /// Nonce (default: the account's next nonce from the node).
    #[arg(long, global = true)]
    pub nonce: Option<u64>,
    /// The transaction expires this many seconds after the chain's now (its clock from
    /// /api/v1/status, which a devnet may run ahead of or behind the wall clock).
    #[arg(
        long,
        global = true,
        default_value_t = 600,
        visible_alias = "tx-expires-in-secs"
    )]
    pub expires_in_secs: u64,
    /// Wait until the transaction is finalized and print its receipt.
    #[arg(long, global = true)]
    pub wait: bool,
    /// How long --wait waits.
    #[arg(long, global = true, default_value_t = 60)]
    pub wait_timeout_secs: u64,
    /// Print one JSON object instead of lines.
    #[arg(long, global = true)]
    pub json: bool,
}

/// An amount: `--amount-won` (integer or up to 3 decimals) or `--amount-mwon`.
#[derive(Debug, Args, Clone, Copy)]
#[group(required = true, multiple = false)]
pub struct Amount {
    /// Amount in won (1 won = 1,000 milli-won), e.g. 1500 or 12.345.
    #[arg(long, value_parser = parse_won)]
    pub amount_won: Option<MilliWon>,
    /// Amount in milli-won.
    #[arg(long)]
    pub amount_mwon: Option<u64>,
}

impl Amount {
    pub fn milli_won(self) -> MilliWon {
        self.amount_won
            .or(self.amount_mwon.map(MilliWon))
            .unwrap_or(MilliWon::ZERO)
    }
}

#[derive(Debug, Subcommand)]
pub enum PayloadCmd {
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
    /// Operator: register a building or household site.
    RegisterSite {
        /// Site id: 1-32 of a-z 0-9 - _
        #[arg(long)]
        site: SiteId,
        #[arg(long)]
        owner: Address,
        /// commercial_building or household
        #[arg(long)]
        kind: SiteKind,
        /// residential-low, residential-high or general-low
        #[arg(long)]
        tariff_class: String,
        /// Contracted demand in kW (general service).
        #[arg(long, default_value_t = 0)]
        contract_kw: u32,
        #[arg(long)]
        feeder: u32,
        #[arg(long)]
        name: String,
    },
    /// Operator: bind a registered meter device to a site.
    BindMeter {
        #[arg(long)]
        meter: Address,
        #[arg(long)]
        site: SiteId,
    },
    /// Operator: correct a site's measured month, with a reason (kept on chain).
    CorrectReadings {
        #[arg(long)]
        site: SiteId,
        /// YYYY-MM
        #[arg(long, value_parser = parse_month)]
        month: u32,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        import_adjust_wh: i64,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        export_adjust_wh: i64,
        #[arg(long)]
        reason: String,
    },
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
    /// Operator: the grid company, the platform fee account, the feed-in price, the due day.
    ConfigureBilling {
        #[arg(long)]
        grid_company: Address,
        #[arg(long)]
        platform_account: Address,
        /// Feed-in price, won per kWh.
        #[arg(long, value_parser = parse_won)]
        feed_in_won: MilliWon,
        #[arg(long, default_value_t = 18)]
        due_day: u8,
    },
    /// Operator: a tariff version from a data file in the format of crates/tariff/data/kepco.json.
    SetTariff {
        #[arg(long)]
        file: std::path::PathBuf,
        /// Which version of the file (needed when it holds several).
        #[arg(long)]
        id: Option<String>,
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
    /// Anyone, after the month: bill the next sites (repeat until `done`).
    IssueBills {
        #[arg(long, value_parser = parse_month)]
        month: u32,
    },
    /// Pay the signer's whole bill of a month.
    PayBill {
        #[arg(long, value_parser = parse_month)]
        month: u32,
    },
    /// Anyone, on or after the due day: auto-debit the next unpaid bills.
    CollectBills {
        #[arg(long, value_parser = parse_month)]
        month: u32,
    },
    /// Settle an ended period from the measured values (anyone).
    SettlePeriod {
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
    /// Site owner: propose a long-term agreement (PPA) to the owner of the other site.
    ProposePpa(super::ppa::ProposePpaArgs),
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
    /// Site owner: let a sales company trade for the site (granting again to the same company
    /// replaces its mandate).
    GrantMandate {
        #[arg(long)]
        site: SiteId,
        /// A registered participant with the role sales_company.
        #[arg(long)]
        company: Address,
        /// sell, buy or both
        #[arg(long)]
        sides: MandateSides,
        /// A market the mandate covers; repeat for each (at most 8; default: every market).
        #[arg(long = "market")]
        markets: Vec<MarketId>,
        /// The company may act from this time: ms since the epoch or RFC 3339 (default: at
        /// once).
        #[arg(long, value_parser = crate::time_arg::parse_time_ms)]
        from: Option<u64>,
        /// ... until before this time (default: until revoked).
        #[arg(long, value_parser = crate::time_arg::parse_time_ms)]
        until: Option<u64>,
        /// Basis points of the site's energy sales (VAT excluded) paid to the company at
        /// settlement (0 to 10000; a buy-only mandate keeps 0).
        #[arg(long, default_value_t = 0,
              value_parser = clap::value_parser!(u32).range(0..=i64::from(SHARE_MAX_BP)))]
        share_bp: u32,
    },
    /// Site owner: end a sales company's mandate now (periods whose gate has closed keep what
    /// it entered).
    RevokeMandate {
        #[arg(long)]
        site: SiteId,
        #[arg(long)]
        company: Address,
    },
    /// Anyone: refund prepaid charging sessions whose hold expired (at block time).
    ExpireChargingHolds {
        /// Refund at most this many sessions (1 to 500).
        #[arg(long, default_value_t = EXPIRE_BATCH_MAX,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(EXPIRE_BATCH_MAX)))]
        max: u32,
    },
}

/// A charger id (for clap).
pub fn parse_charger(s: &str) -> Result<ChargerId, String> {
    ChargerId::new(s).map_err(|_| {
        format!(
            "'{s}' is not a charger id: 1-{} of A-Z a-z 0-9 . _ - (not . or ..)",
            ChargerId::MAX_LEN
        )
    })
}

/// `fast` or `slow` (for clap).
/// Parses `HEXKEY@IP:PORT` (for clap); the address must be dialable (not port 0, not
/// `0.0.0.0`).
pub fn parse_validator_entry(s: &str) -> Result<ValidatorEntry, String> {
    ValidatorEntry::parse(s).map_err(|e| e.to_string())
}

pub fn parse_charger_kind(s: &str) -> Result<ChargerKind, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not a charger kind: fast or slow"))
}

/// A member's RFID card / OCPP idTag: 1-36 printable ASCII characters (for clap).
pub fn parse_card(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > CARD_MAX_BYTES || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "a card id is 1-{CARD_MAX_BYTES} printable ASCII characters (no spaces)"
        ));
    }
    Ok(s.to_string())
}

/// `active` or `blocked` (for clap).
pub fn parse_member_status(s: &str) -> Result<MemberStatus, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not a member status: active or blocked"))
}

/// A period: `YYYY-MM` (its 00:00 KST start) or Unix ms.
pub fn parse_period(s: &str) -> Result<u64, String> {
    if let Ok(ms) = s.parse::<u64>() {
        return Ok(ms);
    }
    gridledger_types::kst_month_start_ms(parse_month(s)?)
        .ok_or_else(|| format!("{s} is not a month"))
}

/// kWh with up to 3 decimals as Wh.
pub fn parse_kwh(s: &str) -> Result<u64, String> {
    parse_won(s)
        .map(|m| m.0)
        .map_err(|e| e.replace("won", "kWh"))
}

/// `YYYY-MM` as `YYYYMM`.
pub fn parse_month(s: &str) -> Result<u32, String> {
    let (y, m) = s.split_once('-').ok_or("expected YYYY-MM")?;
    let y: u32 = y.parse().map_err(|_| "bad year")?;
    let m: u32 = m.parse().map_err(|_| "bad month")?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return Err(format!("{s} is not a month"));
    }
    Ok(y * 100 + m)
}

fn contract_ref(market: &MarketId, period: u64, number: u32) -> gridledger_types::ContractRef {
    gridledger_types::ContractRef {
        market: market.clone(),
        period_start_ms: period,
        number,
    }
}

fn text(field: &str, s: &str) -> anyhow::Result<String> {
    if s.len() > TEXT_MAX_BYTES {
        bail!("--{field} is longer than {TEXT_MAX_BYTES} bytes");
    }
    Ok(s.to_string())
}

/// Ms since the epoch `secs` from `now_ms`, or an error on overflow.
pub fn expiry_ms(now_ms: u64, secs: u64) -> anyhow::Result<u64> {
    secs.checked_mul(1_000)
        .and_then(|ms| now_ms.checked_add(ms))
        .context("expiry is too far in the future")
}

impl PayloadCmd {
    /// The payload, with relative times resolved against `now_ms`.
    pub fn to_payload(&self, now_ms: u64) -> anyhow::Result<Payload> {
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
            Self::RegisterSite {
                site,
                owner,
                kind,
                tariff_class,
                contract_kw,
                feeder,
                name,
            } => Payload::RegisterSite(RegisterSite {
                site: site.clone(),
                owner: owner.clone(),
                kind: *kind,
                tariff_class: tariff_class.clone(),
                contract_kw: *contract_kw,
                feeder: *feeder,
                name: text("name", name)?,
            }),
            Self::BindMeter { meter, site } => Payload::BindMeter(BindMeter {
                meter: meter.clone(),
                site: site.clone(),
            }),
            Self::CorrectReadings {
                site,
                month,
                import_adjust_wh,
                export_adjust_wh,
                reason,
            } => Payload::CorrectReadings(CorrectReadings {
                site: site.clone(),
                month: *month,
                import_adjust_wh: *import_adjust_wh,
                export_adjust_wh: *export_adjust_wh,
                reason: text("reason", reason)?,
            }),
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
            Self::ConfigureBilling {
                grid_company,
                platform_account,
                feed_in_won,
                due_day,
            } => Payload::ConfigureBilling(gridledger_types::ConfigureBilling {
                grid_company: grid_company.clone(),
                platform_account: platform_account.clone(),
                feed_in_price: PriceMilliWonPerKwh(feed_in_won.0),
                due_day: *due_day,
            }),
            Self::SetTariff { file, id } => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let set = gridledger_tariff::TariffSet::from_json(&text)
                    .with_context(|| format!("{} is not tariff data", file.display()))?;
                let picked: Vec<_> = set
                    .versions()
                    .iter()
                    .filter(|v| id.as_ref().is_none_or(|id| &v.id == id))
                    .collect();
                let [v] = picked.as_slice() else {
                    bail!(
                        "{} holds {} matching versions; pick one with --id",
                        file.display(),
                        picked.len()
                    );
                };
                Payload::SetTariff {
                    version: gridledger_types::Encode::encode(*v).to_vec(),
                }
            }
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
            Self::IssueBills { month } => Payload::IssueBills { month: *month },
            Self::PayBill { month } => Payload::PayBill { month: *month },
            Self::CollectBills { month } => Payload::CollectBills { month: *month },
            Self::SettlePeriod { market, period } => Payload::SettlePeriod {
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
            Self::ProposePpa(a) => a.to_payload()?,
            Self::AcceptPpa { ppa } => Payload::AcceptPpa { ppa: *ppa },
            Self::TerminatePpa { ppa } => Payload::TerminatePpa { ppa: *ppa },
            Self::WithdrawPpa { ppa } => Payload::WithdrawPpa { ppa: *ppa },
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
            Self::GrantMandate {
                site,
                company,
                sides,
                markets,
                from,
                until,
                share_bp,
            } => {
                if markets.len() > MANDATE_MAX_MARKETS {
                    bail!("at most {MANDATE_MAX_MARKETS} --market");
                }
                Payload::GrantMandate(GrantMandate {
                    site: site.clone(),
                    company: company.clone(),
                    sides: *sides,
                    markets: markets.clone(),
                    from_ms: from.unwrap_or(0),
                    until_ms: *until,
                    share_bp: *share_bp,
                })
            }
            Self::RevokeMandate { site, company } => Payload::RevokeMandate {
                site: site.clone(),
                company: company.clone(),
            },
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

pub async fn run(a: TxArgs) -> anyhow::Result<()> {
    let client = client(a.rpc.as_deref())?;
    let Some(key_path) = a.key.as_ref() else {
        bail!("missing --key FILE");
    };
    // Relative times (expiry, hold expiry) count from the chain's time, not the local clock:
    // transactions expire against block time.
    let status = client.status().await?;
    let now = chain_time_ms(&status);
    let payload = a.payload.to_payload(now)?;
    let expires_at_ms = expiry_ms(now, a.expires_in_secs)?;
    let key = load_key(key_path, a.password_file.as_ref())?;
    let chain_id = match &a.chain_id {
        Some(c) => ChainId::new(c.clone())?,
        None => ChainId::new(status.chain_id)?,
    };
    // The nonce and the receipt are read with the signer's own key.
    let client = client.with_signer_on(key.clone(), chain_id.as_str());
    let nonce = match a.nonce {
        Some(n) => n,
        None => client.account(&Address::of(&key)).await?.nonce,
    };
    let mut signer = TxSigner::new(key, chain_id, nonce);
    let signed = signer.sign(payload, Some(expires_at_ms));
    let hash = client.submit(&signed).await?;
    if !a.json {
        println!("tx {hash}");
    }
    if !a.wait {
        if a.json {
            println!("{}", serde_json::json!({ "hash": hash }));
        }
        return Ok(());
    }
    let view = client
        .wait_for_tx(&hash, Duration::from_secs(a.wait_timeout_secs))
        .await?;
    let receipt = &view.receipt;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "hash": hash,
                "height": view.height,
                "index": view.index,
                "block_hash": view.block_hash,
                "receipt": receipt,
            })
        );
    } else {
        match &receipt.status {
            TxStatus::Success => println!("status: success"),
            TxStatus::Failed { code, message } => println!("status: failed {code}: {message}"),
        }
        println!("height: {}", view.height);
        println!("index: {}", view.index);
        for ev in &receipt.events {
            println!("event: {}", serde_json::to_string(ev)?);
        }
    }
    if !receipt.is_success() {
        return Err(Exit(EXIT_TX_FAILED).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use gridledger_types::{DecodeExt, PrivateKey};

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        tx: TxArgs,
    }

    fn addr(seed: u8) -> String {
        Address::of(&PrivateKey::decode([seed; 32].as_slice()).unwrap()).to_hex()
    }

    fn parse(args: &[&str]) -> Result<TxArgs, clap::Error> {
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        T::try_parse_from(v).map(|t| t.tx)
    }

    #[test]
    fn transfer_with_common_args_before_and_after() {
        let to = addr(2);
        let a = parse(&[
            "--rpc",
            "http://n:1",
            "transfer",
            "--to",
            &to,
            "--amount-won",
            "12.5",
            "--key",
            "k.json",
            "--wait",
            "--nonce",
            "7",
        ])
        .unwrap();
        assert_eq!(a.rpc.as_deref(), Some("http://n:1"));
        assert_eq!(a.key, Some(PathBuf::from("k.json")));
        assert!(a.wait && !a.json);
        assert_eq!(a.nonce, Some(7));
        assert_eq!(a.expires_in_secs, 600);
        let p = a.payload.to_payload(0).unwrap();
        assert_eq!(
            p,
            Payload::Transfer {
                to: to.parse().unwrap(),
                amount: MilliWon(12_500),
                memo: String::new()
            }
        );
    }

    #[test]
    fn amounts_in_won_or_milli_won_but_not_both() {
        let to = addr(2);
        let a = parse(&[
            "mint",
            "--to",
            &to,
            "--amount-mwon",
            "5",
            "--bank-ref",
            "d1",
        ])
        .unwrap();
        let Payload::Mint { amount, .. } = a.payload.to_payload(0).unwrap() else {
            panic!()
        };
        assert_eq!(amount, MilliWon(5));
        assert!(parse(&["burn", "--bank-ref", "w"]).is_err());
        assert!(parse(&[
            "burn",
            "--amount-won",
            "1",
            "--amount-mwon",
            "1",
            "--bank-ref",
            "w"
        ])
        .is_err());
        assert!(parse(&[
            "burn",
            "--amount-won",
            "18446744073709552",
            "--bank-ref",
            "w"
        ])
        .is_err());
        assert!(parse(&["burn", "--amount-won", "-3", "--bank-ref", "w"]).is_err());
    }

    #[test]
    fn every_payload_parses() {
        let a1 = addr(1);
        let a2 = addr(2);
        let h = Hash32::digest(&[b"h"]).to_hex();
        let cases: Vec<Vec<&str>> = vec![
            vec![
                "register-participant",
                "--account",
                &a1,
                "--role",
                "consumer",
                "--name",
                "n",
            ],
            vec!["suspend", "--account", &a1, "--reason", "r"],
            vec!["reinstate", "--account", &a1],
            vec![
                "register-device",
                "--device",
                &a1,
                "--kind",
                "meter",
                "--owner",
                &a2,
                "--label",
                "l",
            ],
            vec!["mint", "--to", &a1, "--amount-won", "1", "--bank-ref", "b"],
            vec!["burn", "--amount-won", "1", "--bank-ref", "b"],
            vec!["transfer", "--to", &a1, "--amount-won", "1", "--memo", "m"],
            vec![
                "hold-place",
                "--beneficiary",
                &a1,
                "--amount-won",
                "1",
                "--hold-expires-in-secs",
                "60",
            ],
            vec!["hold-release", "--hold", &h],
            vec!["hold-capture", "--hold", &h, "--amount-mwon", "1"],
            vec![
                "register-site",
                "--site",
                "bldg-a",
                "--owner",
                &a1,
                "--kind",
                "commercial-building",
                "--tariff-class",
                "general-low",
                "--contract-kw",
                "300",
                "--feeder",
                "4",
                "--name",
                "A",
            ],
            vec!["bind-meter", "--meter", &a2, "--site", "bldg-a"],
            vec![
                "configure-market",
                "--market",
                "monthly",
                "--period-kind",
                "monthly",
                "--wheeling-fee-won",
                "10",
                "--platform-fee-won",
                "2.5",
            ],
            vec![
                "intend",
                "--market",
                "monthly",
                "--period",
                "2025-08",
                "--side",
                "sell",
                "--site",
                "bldg-a",
                "--kwh",
                "120.5",
                "--price-won",
                "150",
            ],
            vec!["cancel-intention", "--intention", &h],
            vec!["clear-period", "--market", "monthly", "--period", "2025-08"],
            vec![
                "approve-contract",
                "--market",
                "monthly",
                "--period",
                "2025-08",
                "--number",
                "0",
            ],
            vec![
                "settle-period",
                "--market",
                "monthly",
                "--period",
                "2025-08",
            ],
            vec![
                "correct-readings",
                "--site",
                "bldg-a",
                "--month",
                "2025-07",
                "--import-adjust-wh",
                "-500",
                "--reason",
                "meter swap",
            ],
        ];
        let kinds = [
            "register_participant",
            "suspend_participant",
            "reinstate_participant",
            "register_device",
            "mint",
            "burn",
            "transfer",
            "hold_place",
            "hold_release",
            "hold_capture",
            "register_site",
            "bind_meter",
            "configure_market",
            "submit_intention",
            "cancel_intention",
            "clear_period",
            "approve_contract",
            "settle_period",
            "correct_readings",
        ];
        assert!(parse(&[
            "correct-readings",
            "--site",
            "b",
            "--month",
            "2025-13",
            "--reason",
            "r"
        ])
        .is_err());
        for (args, kind) in cases.iter().zip(kinds) {
            let a = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert_eq!(a.payload.to_payload(1_000).unwrap().kind(), kind);
        }
        let a = parse(&cases[7]).unwrap();
        let Payload::HoldPlace { expires_at_ms, .. } = a.payload.to_payload(1_000).unwrap() else {
            panic!()
        };
        assert_eq!(expires_at_ms, 61_000);
    }

    #[test]
    fn billing_commands_parse_into_their_payloads() {
        let (a1, a2) = (addr(1), addr(2));
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                vec![
                    "configure-billing",
                    "--grid-company",
                    &a1,
                    "--platform-account",
                    &a2,
                    "--feed-in-won",
                    "100",
                ],
                "configure_billing",
            ),
            (
                vec![
                    "dispute", "--market", "monthly", "--period", "2026-12", "--number", "3",
                    "--reason", "short",
                ],
                "dispute_contract",
            ),
            (
                vec![
                    "resolve-dispute",
                    "--market",
                    "monthly",
                    "--period",
                    "2026-12",
                    "--number",
                    "3",
                    "--delivered-kwh",
                    "20.5",
                    "--reason",
                    "visit",
                ],
                "resolve_dispute",
            ),
            (vec!["issue-bills", "--month", "2026-12"], "issue_bills"),
            (vec!["pay-bill", "--month", "2026-12"], "pay_bill"),
            (vec!["collect-bills", "--month", "2026-12"], "collect_bills"),
        ];
        for (args, kind) in &cases {
            let a = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert_eq!(a.payload.to_payload(0).unwrap().kind(), *kind);
        }
        match parse(&cases[0].0).unwrap().payload.to_payload(0).unwrap() {
            Payload::ConfigureBilling(c) => {
                assert_eq!((c.feed_in_price.0, c.due_day), (100_000, 18));
            }
            p => panic!("{p:?}"),
        }
        match parse(&cases[2].0).unwrap().payload.to_payload(0).unwrap() {
            Payload::ResolveDispute { delivered_wh, .. } => assert_eq!(delivered_wh, 20_500),
            p => panic!("{p:?}"),
        }
        match parse(&cases[3].0).unwrap().payload.to_payload(0).unwrap() {
            Payload::IssueBills { month } => assert_eq!(month, 202612),
            p => panic!("{p:?}"),
        }
        assert!(parse(&["pay-bill", "--month", "2026-13"]).is_err());
        // A tariff file with several versions needs --id; with it, the version is encoded.
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../crates/tariff/data/kepco.json"
        );
        let a = parse(&["set-tariff", "--file", file]).unwrap();
        let e = a.payload.to_payload(0).unwrap_err().to_string();
        assert!(e.contains("--id"), "{e}");
        let set = gridledger_tariff::TariffSet::kepco().unwrap();
        let id = set.versions()[0].id.clone();
        let a = parse(&["set-tariff", "--file", file, "--id", &id]).unwrap();
        assert_eq!(a.payload.to_payload(0).unwrap().kind(), "set_tariff");
        let a = parse(&["set-tariff", "--file", "/nonexistent.json"]).unwrap();
        assert!(a.payload.to_payload(0).is_err());
    }

    #[test]
    fn bad_values_are_rejected_at_parse_time() {
        let a1 = addr(1);
        assert!(parse(&["reinstate", "--account", "zz"]).is_err());
        assert!(parse(&[
            "register-participant",
            "--account",
            &a1,
            "--role",
            "king",
            "--name",
            "n"
        ])
        .is_err());
        assert!(parse(&["hold-release", "--hold", "abcd"]).is_err());
        assert!(parse(&[
            "register-device",
            "--device",
            &a1,
            "--kind",
            "toaster",
            "--owner",
            &a1,
            "--label",
            "l"
        ])
        .is_err());
        let long = "x".repeat(TEXT_MAX_BYTES + 1);
        let a = parse(&[
            "transfer",
            "--to",
            &a1,
            "--amount-won",
            "1",
            "--memo",
            &long,
        ])
        .unwrap();
        assert!(a.payload.to_payload(0).is_err());
        assert!(expiry_ms(u64::MAX - 5, 1).is_err());
    }

    fn payload_of(args: &[&str]) -> Payload {
        parse(args)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .payload
            .to_payload(0)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// The error clap prints for `args`, which must be refused at parse time.
    fn refused(args: &[&str]) -> String {
        match parse(args) {
            Ok(a) => panic!("{args:?} was accepted: {a:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn charging_commands_parse_into_exactly_their_payloads() {
        use gridledger_types::{ChargerId, ChargerKind, ConfigureCharging, MemberStatus};
        assert_eq!(
            payload_of(&[
                "configure-charging",
                "--hold-expiry-min",
                "1440",
                "--max-prepay-won",
                "200000",
                "--auto-charge-max-won",
                "50000.5",
            ]),
            Payload::ConfigureCharging(ConfigureCharging {
                hold_expiry_ms: 86_400_000,
                max_prepay: MilliWon(200_000_000),
                auto_charge_max: MilliWon(50_000_500),
            })
        );
        assert_eq!(
            payload_of(&[
                "register-charger",
                "--charger",
                "CP-001.a_b",
                "--kind",
                "fast",
                "--connectors",
                "2",
                "--price-won-per-kwh",
                "324.455",
                "--idle-fee-won-per-min",
                "100",
                "--idle-grace-min",
                "10",
                "--inactive",
                "--label",
                "Lot B, bay 3",
            ]),
            Payload::RegisterCharger(RegisterCharger {
                charger: ChargerId::new("CP-001.a_b").unwrap(),
                kind: ChargerKind::Fast,
                connectors: 2,
                price: PriceMilliWonPerKwh(324_455),
                idle_fee_per_min: MilliWon(100_000),
                idle_grace_min: 10,
                active: false,
                label: "Lot B, bay 3".into(),
            })
        );
        // Defaults: no idle fee, no grace, active, no label; one connector and eight are fine.
        for (n, price, mwon) in [("1", "0.001", 1), ("8", "250", 250_000)] {
            assert_eq!(
                payload_of(&[
                    "register-charger",
                    "--charger",
                    "S1",
                    "--kind",
                    "slow",
                    "--connectors",
                    n,
                    "--price-won-per-kwh",
                    price,
                ]),
                Payload::RegisterCharger(RegisterCharger {
                    charger: ChargerId::new("S1").unwrap(),
                    kind: ChargerKind::Slow,
                    connectors: n.parse().unwrap(),
                    price: PriceMilliWonPerKwh(mwon),
                    idle_fee_per_min: MilliWon(0),
                    idle_grace_min: 0,
                    active: true,
                    label: String::new(),
                })
            );
        }
        assert_eq!(
            payload_of(&[
                "set-member",
                "--member-no",
                "10000001",
                "--status",
                "blocked",
                "--valid-until",
                "2026-06-01T00:00:00+09:00",
                "--card",
                "04A2B9C1",
            ]),
            Payload::SetMember(SetMember {
                member_no: 10_000_001,
                status: MemberStatus::Blocked,
                valid_until_ms: 1_780_239_600_000,
                card: "04A2B9C1".into(),
            })
        );
        assert_eq!(
            payload_of(&[
                "set-member",
                "--member-no",
                "10000002",
                "--status",
                "active"
            ]),
            Payload::SetMember(SetMember {
                member_no: 10_000_002,
                status: MemberStatus::Active,
                valid_until_ms: 0,
                card: String::new(),
            })
        );
        assert_eq!(
            payload_of(&["expire-charging-holds"]),
            Payload::ExpireChargingHolds { max: 500 }
        );
        assert_eq!(
            payload_of(&["expire-charging-holds", "--max", "7"]),
            Payload::ExpireChargingHolds { max: 7 }
        );
    }

    #[test]
    fn change_validators_parses_into_its_payload_and_refuses_bad_input() {
        let (k1, k2, k3) = (addr(1), addr(2), addr(3));
        let add1 = format!("{k1}@10.0.0.1:7070");
        let add2 = format!("{k2}@[2001:db8::2]:7071");
        let p = payload_of(&[
            "change-validators",
            "--add",
            &add1,
            "--add",
            &add2,
            "--remove",
            &k3,
        ]);
        assert_eq!(
            p,
            Payload::ChangeValidators(gridledger_types::ChangeValidators {
                add: vec![add1.parse().unwrap(), add2.parse().unwrap()],
                remove: vec![k3.parse().unwrap()],
            })
        );
        let p = payload_of(&["change-validators", "--remove", &k3]);
        let Payload::ChangeValidators(c) = p else {
            panic!("{p:?}")
        };
        assert!(c.add.is_empty() && c.remove.len() == 1);
        for bad in [
            k1.clone(),
            format!("{k1}@10.0.0.1"),
            format!("{k1}@10.0.0.1:0"),
            format!("{k1}@0.0.0.0:7070"),
            format!("{k1}@host:7070"),
            "nokey@10.0.0.1:7070".to_string(),
        ] {
            assert!(
                parse(&["change-validators", "--add", &bad]).is_err(),
                "{bad}"
            );
        }
        assert!(parse(&["change-validators", "--remove", "xyz"]).is_err());
        let e = parse(&["change-validators"])
            .unwrap()
            .payload
            .to_payload(0)
            .unwrap_err();
        assert!(e.to_string().contains("at least one"), "{e}");
    }

    #[test]
    fn mandate_commands_parse_into_exactly_their_payloads() {
        let (k1, k2) = (addr(1), addr(2));
        let p = payload_of(&[
            "grant-mandate",
            "--site",
            "farm",
            "--company",
            &k1,
            "--sides",
            "sell",
            "--market",
            "monthly",
            "--market",
            "rt",
            "--from",
            "2026-01-01T00:00:00+09:00",
            "--until",
            "1798736400000",
            "--share-bp",
            "250",
        ]);
        assert_eq!(
            p,
            Payload::GrantMandate(GrantMandate {
                site: SiteId::new("farm").unwrap(),
                company: k1.parse().unwrap(),
                sides: MandateSides::Sell,
                markets: vec![
                    MarketId::new("monthly").unwrap(),
                    MarketId::new("rt").unwrap()
                ],
                from_ms: 1_767_193_200_000,
                until_ms: Some(1_798_736_400_000),
                share_bp: 250,
            })
        );
        // Defaults: every market, at once, until revoked, no share.
        let p = payload_of(&[
            "grant-mandate",
            "--site",
            "farm",
            "--company",
            &k2,
            "--sides",
            "both",
        ]);
        let Payload::GrantMandate(g) = p else {
            panic!("{p:?}")
        };
        assert_eq!(
            (g.markets.len(), g.from_ms, g.until_ms, g.share_bp),
            (0, 0, None, 0)
        );
        assert_eq!(
            payload_of(&["revoke-mandate", "--site", "farm", "--company", &k1]),
            Payload::RevokeMandate {
                site: SiteId::new("farm").unwrap(),
                company: k1.parse().unwrap(),
            }
        );
        let grant = |extra: &[&str]| {
            let mut v = vec!["grant-mandate", "--site", "farm", "--company", &k1];
            v.extend_from_slice(extra);
            v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        };
        for bad in [
            grant(&["--sides", "sideways"]),
            grant(&["--sides", "sell", "--share-bp", "10001"]),
            grant(&["--sides", "sell", "--until", "tomorrow"]),
            grant(&["--sides", "sell", "--market", "Bad Market"]),
            grant(&[]),
        ] {
            let args: Vec<&str> = bad.iter().map(String::as_str).collect();
            refused(&args);
        }
        let nine: Vec<String> = (0..9)
            .flat_map(|i| ["--market".to_string(), format!("m{i}")])
            .collect();
        let mut args = grant(&["--sides", "sell"]);
        args.extend(nine);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let e = parse(&args).unwrap().payload.to_payload(0).unwrap_err();
        assert!(e.to_string().contains("at most 8"), "{e}");
    }

    #[test]
    fn bad_charging_values_are_refused_with_clear_errors() {
        let charger = |id: &'static str, connectors: &'static str, price: &'static str| {
            vec![
                "register-charger",
                "--charger",
                id,
                "--kind",
                "fast",
                "--connectors",
                connectors,
                "--price-won-per-kwh",
                price,
            ]
        };
        for id in [
            "",
            "bad id",
            "CP/1",
            "..",
            "충전기",
            &*"x".repeat(49).leak(),
        ] {
            let e = refused(&charger(id, "2", "300"));
            assert!(e.contains("is not a charger id"), "{id:?}: {e}");
        }
        let e = refused(&charger("CP-1", "2", "324.4555"));
        assert!(e.contains("more than 3 decimals"), "{e}");
        for bad in ["-1", "abc", "1e3"] {
            refused(&charger("CP-1", "2", bad));
        }
        for n in ["0", "9", "-1", "300"] {
            let e = refused(&charger("CP-1", n, "300"));
            assert!(e.contains("--connectors"), "{n}: {e}");
        }
        let mut kind = charger("CP-1", "2", "300");
        kind[4] = "turbo";
        let e = refused(&kind);
        assert!(e.contains("fast or slow"), "{e}");
        let e = refused(&[
            "set-member",
            "--member-no",
            "10000001",
            "--status",
            "banned",
        ]);
        assert!(e.contains("active or blocked"), "{e}");
        let e = refused(&[
            "set-member",
            "--member-no",
            "10000001",
            "--status",
            "active",
            "--valid-until",
            "tomorrow",
        ]);
        assert!(e.contains("RFC 3339"), "{e}");
        for card in ["", "with space", &*"C".repeat(37).leak()] {
            let e = refused(&[
                "set-member",
                "--member-no",
                "1",
                "--status",
                "active",
                "--card",
                card,
            ]);
            assert!(e.contains("card id"), "{card:?}: {e}");
        }
        for max in ["0", "501"] {
            refused(&["expire-charging-holds", "--max", max]);
        }
        // The hold expiry is checked against the chain's bounds before anything is signed.
        for min in ["9", "10081", "18446744073709551615"] {
            let a = parse(&[
                "configure-charging",
                "--hold-expiry-min",
                min,
                "--max-prepay-won",
                "1",
                "--auto-charge-max-won",
                "1",
            ])
            .unwrap();
            let e = a.payload.to_payload(0).unwrap_err().to_string();
            assert!(e.contains("10 minutes to 7 days"), "{min}: {e}");
        }
        let long = "x".repeat(TEXT_MAX_BYTES + 1);
        let mut label = charger("CP-1", "2", "300");
        label.extend(["--label", &long]);
        assert!(parse(&label).unwrap().payload.to_payload(0).is_err());
    }
}
