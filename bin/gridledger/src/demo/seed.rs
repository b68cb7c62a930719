//! Seeding the demo once: participants, sites and meters, billing settings, the monthly
//! market, chargers and EV members; every person's portal keystore. Each step checks the chain
//! (or the demo's state file) first, so an interrupted seeding completes on the next start and a
//! seeded chain is left alone.
use super::{
    cast::{self, SITES},
    say,
};
use crate::node_cmd::DEVNET_PASSWORD;
use anyhow::{Context, Result};
use gridledger_api_types::AutoChargeBody;
use gridledger_sdk::{
    client::Client,
    keystore::{generate_key, KdfParams, Keystore},
    signer::TxSigner,
};
use gridledger_types::{
    Address, BindMeter, ChargerId, ChargerKind, ConfigureBilling, ConfigureMarket, DeviceKind,
    MarketId, MilliWon, Payload, PeriodKind, PriceMilliWonPerKwh, Pricing, PrivateKey,
    RegisterCharger, RegisterSite, Role, SignedTransaction, SiteId, SiteKind, TxStatus,
};
use serde::{Deserialize, Serialize};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// What the demo remembers between starts (`<data-dir>/demo/state.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Chain time when the demo first started: meters report from here.
    pub start_ms: u64,
    pub seeded: bool,
    pub members: Vec<MemberState>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberState {
    pub login: String,
    pub name: String,
    pub member_no: u64,
    pub address: Address,
    pub card: String,
    pub auto_charge: bool,
}

impl State {
    fn path(dir: &Path) -> PathBuf {
        dir.join("demo").join("state.json")
    }

    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let p = Self::path(dir);
        if !p.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p)?;
        Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("{} is corrupt", p.display()))?,
        ))
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let p = Self::path(dir);
        let tmp = p.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)?)?;
        std::fs::rename(&tmp, &p)?;
        Ok(())
    }
}

/// The keys the running demo signs with.
pub struct Cast {
    pub operator: PrivateKey,
    pub bank: PrivateKey,
    pub grid: PrivateKey,
    /// Owner and meter key of each of [SITES], in order.
    pub owners: Vec<PrivateKey>,
    pub meters: Vec<PrivateKey>,
    /// Each charger's OCPP secret, in the order of [cast::CHARGERS].
    pub secrets: Vec<String>,
    pub state: State,
}

/// A keystore at `path` (password `devnet`), created with a fresh key if missing.
fn load_or_create(path: &Path) -> Result<PrivateKey> {
    if path.exists() {
        return Ok(Keystore::load(path)?.decrypt(DEVNET_PASSWORD.as_bytes())?);
    }
    let key = generate_key()?;
    Keystore::encrypt(&key, DEVNET_PASSWORD.as_bytes(), KdfParams::default())?.save(path, false)?;
    Ok(key)
}

fn copy_if_missing(from: &Path, to: &Path) -> Result<()> {
    if !to.exists() {
        std::fs::copy(from, to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// Submits `txs` and waits for each; prints the failures (a step already done on chain fails
/// harmlessly on a second seeding); the number that succeeded.
pub async fn submit_all(client: &Client, what: &str, txs: &[SignedTransaction]) -> Result<usize> {
    let mut ok = 0;
    for chunk in txs.chunks(50) {
        let res = client.submit_batch(chunk).await?;
        for (tx, r) in chunk.iter().zip(res.results) {
            if !r.accepted {
                let e = r.error.map(|e| format!("{}: {}", e.code, e.message));
                say(&format!("{what}: refused {}", e.unwrap_or_default()));
                continue;
            }
            let v = client
                .wait_for_tx(&tx.hash(), Duration::from_secs(60))
                .await?;
            match v.receipt.status {
                TxStatus::Success => ok += 1,
                TxStatus::Failed { code, message } => {
                    say(&format!("{what}: {} failed {code}: {message}", tx.hash()))
                }
            }
        }
    }
    Ok(ok)
}

/// Waits until the devnet has registered and configured its charging operator (it does so in
/// the background with the operator's key, so the demo waits before signing with that key).
async fn charging_ready(client: &Client, charging: &Address) -> Result<()> {
    for _ in 0..600 {
        if let Ok(a) = client.account(charging).await {
            if a.role.is_some() && a.nonce > 0 {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the devnet never configured its charging operator")
}

pub async fn seed(client: &Client, data_dir: &Path) -> Result<Cast> {
    let keys = data_dir.join("keys");
    let portal = data_dir.join("portal");
    let demo = data_dir.join("demo");
    std::fs::create_dir_all(&portal)?;
    std::fs::create_dir_all(demo.join("meters"))?;
    let pw = DEVNET_PASSWORD.as_bytes();
    let operator = Keystore::load(keys.join("operator.json"))?.decrypt(pw)?;
    let bank = Keystore::load(keys.join("bank.json"))?.decrypt(pw)?;
    let charging = Keystore::load(keys.join("charging.json"))?.decrypt(pw)?;
    // The demo reads as the market operator, who may read every record.
    let client = &client.clone().with_signer(operator.clone());
    for (from, to) in [
        ("operator.json", "operator.json"),
        ("bank.json", "bank.json"),
        ("charging.json", "charging.json"),
    ] {
        copy_if_missing(&keys.join(from), &portal.join(to))?;
    }
    let grid = load_or_create(&portal.join("grid.json"))?;
    let mut owners = Vec::new();
    let mut meters = Vec::new();
    for s in &SITES {
        owners.push(load_or_create(&portal.join(format!("{}.json", s.login)))?);
        meters.push(load_or_create(
            &demo.join("meters").join(format!("{}.json", s.login)),
        )?);
    }
    let mut state = match State::load(data_dir)? {
        Some(s) => s,
        None => {
            let s = State {
                start_ms: client.status().await?.timestamp_ms,
                ..State::default()
            };
            s.save(data_dir)?;
            s
        }
    };
    charging_ready(client, &Address::of(&charging)).await?;
    let mut secrets = Vec::new();
    if state.seeded {
        for c in &cast::CHARGERS {
            secrets.push(std::fs::read_to_string(
                demo.join(format!("{}.secret", c.id)),
            )?);
        }
        say("continuing the seeded demo (participants, sites, chargers and members exist)");
    } else {
        say("seeding: grid company, 3 buildings, 12 households, chargers, EV members");
        let mut op = TxSigner::connect(client, operator.clone(), None).await?;
        let mut bk = TxSigner::connect(client, bank.clone(), None).await?;
        let mut ch = TxSigner::connect(client, charging.clone(), None).await?;
        participants(client, &mut op, &grid, &owners, &operator).await?;
        sites(client, &mut op, &owners, &meters).await?;
        wallets(client, &mut bk, &grid, &owners).await?;
        secrets = chargers(client, &mut ch, &keys, &demo).await?;
        members(client, &mut bk, &keys, data_dir, &mut state).await?;
        state.seeded = true;
        state.save(data_dir)?;
        say("seeding done");
    }
    write_readme(&portal, &state)?;
    Ok(Cast {
        operator,
        bank,
        grid,
        owners,
        meters,
        secrets,
        state,
    })
}

async fn participants(
    client: &Client,
    op: &mut TxSigner,
    grid: &PrivateKey,
    owners: &[PrivateKey],
    operator: &PrivateKey,
) -> Result<()> {
    let mut txs = Vec::new();
    let mut people = vec![(Address::of(grid), Role::GridCompany, "KEPCO grid (demo)")];
    for (s, k) in SITES.iter().zip(owners) {
        people.push((Address::of(k), s.role(), s.owner_name));
    }
    for (account, role, name) in people {
        if client.participant(&account).await?.is_none() {
            txs.push(op.sign(
                Payload::RegisterParticipant {
                    account,
                    role,
                    name: name.into(),
                },
                None,
            ));
        }
    }
    txs.push(op.sign(
        Payload::ConfigureBilling(ConfigureBilling {
            grid_company: Address::of(grid),
            platform_account: Address::of(operator),
            feed_in_price: PriceMilliWonPerKwh(cast::FEED_IN_WON * 1_000),
            due_day: cast::DUE_DAY,
        }),
        None,
    ));
    txs.push(op.sign(
        Payload::ConfigureMarket(ConfigureMarket {
            market: MarketId::new(cast::MARKET)?,
            period_kind: PeriodKind::Monthly,
            pricing: Pricing::Uniform,
            gate_lead_ms: cast::GATE_LEAD_MS,
            wheeling_fee: PriceMilliWonPerKwh(cast::WHEELING_WON * 1_000),
            platform_fee: PriceMilliWonPerKwh(cast::PLATFORM_WON * 1_000),
            prefer_same_feeder: true,
            active: true,
            approval_window_ms: cast::APPROVAL_WINDOW_MS,
            dispute_window_ms: cast::DISPUTE_WINDOW_MS,
        }),
        None,
    ));
    let n = submit_all(client, "participants", &txs).await?;
    say(&format!(
        "operator: registered the grid company and 15 site owners; billing (feed-in {} won/kWh, \
         due on the {}th) and the monthly market (gate 24 h before the month, approvals within 2 \
         days, disputes within 1 h of the month's end) configured ({n} transactions)",
        cast::FEED_IN_WON,
        cast::DUE_DAY
    ));
    Ok(())
}

async fn sites(
    client: &Client,
    op: &mut TxSigner,
    owners: &[PrivateKey],
    meters: &[PrivateKey],
) -> Result<()> {
    let mut regs = Vec::new();
    let mut binds = Vec::new();
    for ((s, owner), meter) in SITES.iter().zip(owners).zip(meters) {
        let site = SiteId::new(s.login)?;
        if client.site(&site).await?.is_some() {
            continue;
        }
        regs.push(
            op.sign(
                Payload::RegisterSite(RegisterSite {
                    site: site.clone(),
                    owner: Address::of(owner),
                    kind: if s.building {
                        SiteKind::CommercialBuilding
                    } else {
                        SiteKind::Household
                    },
                    tariff_class: if s.building {
                        "general-low"
                    } else {
                        "residential-low"
                    }
                    .into(),
                    contract_kw: s.contract_kw,
                    feeder: s.feeder,
                    name: s.site_name.into(),
                }),
                None,
            ),
        );
        regs.push(op.sign(
            Payload::RegisterDevice {
                device: Address::of(meter),
                kind: DeviceKind::Meter,
                owner: Address::of(owner),
                label: format!("AMI meter {}", s.login),
            },
            None,
        ));
        binds.push((Address::of(meter), site));
    }
    submit_all(client, "sites", &regs).await?;
    let binds: Vec<_> = binds
        .into_iter()
        .map(|(meter, site)| op.sign(Payload::BindMeter(BindMeter { meter, site }), None))
        .collect();
    let n = submit_all(client, "meters", &binds).await?;
    say(&format!(
        "operator: 15 sites registered with their AMI meters ({n} bound now)"
    ));
    Ok(())
}

async fn wallets(
    client: &Client,
    bk: &mut TxSigner,
    grid: &PrivateKey,
    owners: &[PrivateKey],
) -> Result<()> {
    let mut txs = Vec::new();
    let mut funds = vec![(Address::of(grid), 50_000_000u64, "grid")];
    for (s, k) in SITES.iter().zip(owners) {
        funds.push((Address::of(k), s.wallet_won, s.login));
    }
    for (to, won, login) in funds {
        let a = client.account(&to).await?;
        if a.balance.0 == 0 && a.held.0 == 0 {
            txs.push(bk.sign(
                Payload::Mint {
                    to,
                    amount: MilliWon::from_won(won).unwrap_or_default(),
                    bank_ref: format!("DEMO-DEPOSIT-{login}"),
                },
                None,
            ));
        }
    }
    let n = submit_all(client, "wallets", &txs).await?;
    say(&format!("bank: {n} wallets funded (deposits)"));
    Ok(())
}

async fn chargers(
    client: &Client,
    ch: &mut TxSigner,
    keys: &Path,
    demo: &Path,
) -> Result<Vec<String>> {
    let token = std::fs::read_to_string(keys.join("charging-token.txt"))?;
    let token = token.trim();
    let mut txs = Vec::new();
    for c in &cast::CHARGERS {
        if client.charging_charger(c.id).await?.is_none() {
            txs.push(ch.sign(
                Payload::RegisterCharger(RegisterCharger {
                    charger: ChargerId::new(c.id)?,
                    kind: if c.fast {
                        ChargerKind::Fast
                    } else {
                        ChargerKind::Slow
                    },
                    connectors: c.connectors,
                    price: PriceMilliWonPerKwh(c.price_mwon),
                    idle_fee_per_min: MilliWon(0),
                    idle_grace_min: 0,
                    active: true,
                    label: c.label.into(),
                }),
                None,
            ));
        }
    }
    submit_all(client, "chargers", &txs).await?;
    let mut secrets = Vec::new();
    for c in &cast::CHARGERS {
        let path = demo.join(format!("{}.secret", c.id));
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(_) => {
                let s = client
                    .charging_charger_secret(Some(token), c.id)
                    .await?
                    .secret;
                std::fs::write(&path, &s)?;
                s
            }
        };
        secrets.push(secret);
        say(&format!(
            "charging operator: charger {} ({}, {} won/kWh) registered, OCPP secret issued",
            c.id,
            c.label,
            c.price_mwon as f64 / 1_000.0
        ));
    }
    Ok(secrets)
}

async fn members(
    client: &Client,
    bk: &mut TxSigner,
    keys: &Path,
    data_dir: &Path,
    state: &mut State,
) -> Result<()> {
    let token = std::fs::read_to_string(keys.join("charging-token.txt"))?;
    let token = token.trim();
    for (i, &(name, card, won)) in cast::MEMBERS.iter().enumerate() {
        if state.members.len() <= i {
            let s = client
                .charging_signup(Some(token), DEVNET_PASSWORD, Some(card))
                .await
                .context("member sign-up")?;
            state.members.push(MemberState {
                login: cast::member_login(i),
                name: name.to_string(),
                member_no: s.member_no,
                address: s.address.clone(),
                card: card.to_string(),
                auto_charge: false,
            });
            state.save(data_dir)?;
            let mint = bk.sign(
                Payload::Mint {
                    to: s.address,
                    amount: MilliWon::from_won(won).unwrap_or_default(),
                    bank_ref: format!("DEMO-EV-{}", cast::member_login(i)),
                },
                None,
            );
            submit_all(client, "member wallet", &[mint]).await?;
        }
        let m = state.members[i].clone();
        copy_if_missing(
            &data_dir
                .join("charging")
                .join("members")
                .join(format!("{}.json", m.address)),
            &data_dir.join("portal").join(format!("{}.json", m.login)),
        )?;
        if !m.auto_charge {
            client
                .charging_auto_charge(&AutoChargeBody {
                    member_no: m.member_no,
                    password: DEVNET_PASSWORD.into(),
                    cap_mwon: cast::AUTO_CHARGE_CAP_WON * 1_000,
                    valid_until_ms: 0,
                })
                .await
                .context("auto-charge")?;
            state.members[i].auto_charge = true;
            state.save(data_dir)?;
        }
        say(&format!(
            "charging operator: member {} ({}) no. {} with card {} and {} won, auto-charge up to \
             {} won a session",
            m.login,
            m.name,
            m.member_no,
            m.card,
            won,
            cast::AUTO_CHARGE_CAP_WON
        ));
    }
    Ok(())
}

/// `<data-dir>/portal/README.txt`: who can sign in to the dashboard.
fn write_readme(portal: &Path, state: &State) -> Result<()> {
    let mut t = String::from(
        "GridLedger devnet demo: dashboard sign-in (password for every login: devnet)\n\n\
         login       name                          role               site\n",
    );
    let mut row = |login: &str, name: &str, role: &str, site: &str| {
        t.push_str(&format!("{login:<11} {name:<29} {role:<18} {site}\n"));
    };
    row("operator", "Market operator (devnet)", "operator", "-");
    row("bank", "Settlement bank (devnet)", "bank", "-");
    row("grid", "KEPCO grid (demo)", "grid_company", "-");
    row(
        "charging",
        "Charging operator",
        "charging_operator",
        "CP-FAST-1, CP-SLOW-1",
    );
    for s in &SITES {
        let role = s.role().as_str();
        row(
            s.login,
            s.owner_name,
            role,
            &format!("{}, {}", s.login, s.kind_label()),
        );
    }
    for m in &state.members {
        row(
            &m.login,
            &m.name,
            "member",
            &format!("EV member no. {}, card {}", m.member_no, m.card),
        );
    }
    t.push_str(
        "\nBuildings bldg-a/b/c are on feeder 1; apartment complex 1 (apt1-*) on feeder 2,\n\
         complex 2 (apt2-*) on feeder 3. Keystores: <login>.json (argon2id, the SDK format).\n",
    );
    std::fs::write(portal.join("README.txt"), t)?;
    Ok(())
}
