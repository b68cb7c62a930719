//! `gridledger tx <payload> ...`: sign one transaction, submit it, optionally wait for finality.
mod billing;
mod charging;
mod ledger;
mod mandates;
mod metering;
mod ppa;
mod registry;
mod settlement;
mod trading;
mod validators;

use super::{client, load_key, parse_won, Exit, EXIT_TX_FAILED};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gridledger_sdk::{chain_time_ms, TxSigner};
use gridledger_types::{
    Address, ChainId, ChargerId, ChargerKind, MarketId, MemberStatus, MilliWon, Payload, TxStatus,
    ValidatorEntry, CARD_MAX_BYTES, TEXT_MAX_BYTES,
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
    #[command(flatten)]
    Registry(registry::RegistryCmd),
    #[command(flatten)]
    Ledger(ledger::LedgerCmd),
    #[command(flatten)]
    Metering(metering::MeteringCmd),
    #[command(flatten)]
    Trading(trading::TradingCmd),
    #[command(flatten)]
    Settlement(settlement::SettlementCmd),
    #[command(flatten)]
    Billing(billing::BillingCmd),
    #[command(flatten)]
    Ppa(ppa::PpaCmd),
    #[command(flatten)]
    Charging(charging::ChargingCmd),
    #[command(flatten)]
    Validators(validators::ValidatorsCmd),
    #[command(flatten)]
    Mandates(mandates::MandatesCmd),
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
        match self {
            Self::Registry(c) => c.to_payload(),
            Self::Ledger(c) => c.to_payload(now_ms),
            Self::Metering(c) => c.to_payload(),
            Self::Trading(c) => c.to_payload(),
            Self::Settlement(c) => c.to_payload(),
            Self::Billing(c) => c.to_payload(),
            Self::Ppa(c) => c.to_payload(),
            Self::Charging(c) => c.to_payload(),
            Self::Validators(c) => c.to_payload(),
            Self::Mandates(c) => c.to_payload(),
        }
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
    use gridledger_types::{
        DecodeExt, GrantMandate, Hash32, MandateSides, PriceMilliWonPerKwh, PrivateKey,
        RegisterCharger, SetMember, SiteId,
    };

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
