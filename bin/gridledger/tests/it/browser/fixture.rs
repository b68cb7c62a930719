//! What the browser tests see: a devnet whose clock starts on 25 May 2026 (before June's gate
//! closes), seeded through the SDK with a monthly market, billing, a seller (prosumer with a
//! household site and its meter) and a buyer (consumer, likewise), each with a portal keystore
//! `<data-dir>/portal/<login>.json` (the devnet adds `operator`, `bank` and `charging`);
//! optionally an EV charging session prepaid, stopped and settled through the keypad JSON API.
use crate::devnet::{clock_to, free_port, key_from_seed, wait_all, Devnet};
use gridledger_sdk::{
    api::{PrepayBody, StopBody},
    client::Client,
    keystore::{KdfParams, Keystore},
    readings::{batches, cumulative, IntervalEnergy},
    signer::TxSigner,
    BasicAuth,
};
use gridledger_types::{
    kst_month_start_ms, Address, BindMeter, ChainId, ChargerId, ChargerKind, ConfigureBilling,
    ConfigureMarket, DeviceKind, MarketId, MilliWon, Payload, PeriodKind, PriceMilliWonPerKwh,
    Pricing, PrivateKey, RegisterCharger, RegisterSite, Registers, Role, SiteId, SiteKind,
};
use serde_json::Value;
use std::{
    path::Path,
    time::{Duration, Instant},
};

pub const HOUR: u64 = 3_600_000;
pub const MARKET: &str = "monthly";
/// The EV member's keypad password.
pub const EV_PASSWORD: &str = "975310";
/// The month traded: June 2026.
pub const MONTH: u32 = 202606;
pub const CHARGER: &str = "CP-BROWSER.1";
/// 300 won/kWh.
pub const CHARGER_PRICE: u64 = 300_000;
/// 7.5 kWh charged: 2,250 won.
pub const EV_ENERGY_WH: u64 = 7_500;

/// A portal user.
pub struct User {
    pub login: &'static str,
    pub password: &'static str,
    /// The participant's name on chain (shown in `#who`).
    pub name: &'static str,
    pub key: PrivateKey,
    pub site: &'static str,
    pub meter: PrivateKey,
}

impl User {
    pub fn address(&self) -> Address {
        Address::of(&self.key)
    }
}

/// A sales company's portal user (no site of its own).
pub struct Company {
    pub login: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    pub key: PrivateKey,
}

impl Company {
    pub fn address(&self) -> Address {
        Address::of(&self.key)
    }
}

/// An EV session that went through prepay, cancel and settle.
pub struct EvSession {
    pub charger: &'static str,
    pub session: u64,
    /// `GET /api/v1/charging/sessions/{charger}/{session}` once settled.
    pub view: Value,
    /// A second session of the same member, prepaid on connector 2 and still open (for the
    /// soft stop).
    pub open_session: u64,
}

pub struct World {
    pub net: Devnet,
    pub client: Client,
    pub op: TxSigner,
    op_key: PrivateKey,
    pub bank: TxSigner,
    pub seller: User,
    pub buyer: User,
    /// A registered sales company that no site owner has mandated yet.
    pub company: Company,
    /// The password of the devnet's own logins (`operator`, `bank`, `charging`).
    pub devnet_password: &'static str,
    /// 00:00 KST on 1 June and 1 July 2026.
    pub june: u64,
    pub july: u64,
    pub ev: Option<EvSession>,
    _tmp: tempfile::TempDir,
}

fn seller() -> User {
    User {
        login: "sunny",
        password: "sunny-roof-2026",
        name: "Sunny Rooftop",
        key: key_from_seed(150),
        site: "home-sunny",
        meter: key_from_seed(151),
    }
}

fn buyer() -> User {
    User {
        login: "baker",
        password: "baker-bread-2026",
        name: "Kim Bakery",
        key: key_from_seed(160),
        site: "home-baker",
        meter: key_from_seed(161),
    }
}

fn company() -> Company {
    Company {
        login: "hanbit",
        password: "hanbit-energy-2026",
        name: "Hanbit Energy",
        key: key_from_seed(170),
    }
}

/// Saves `key` as `<portal>/<login>.json` under `password`.
fn save_portal_key(portal: &Path, login: &str, key: &PrivateKey, password: &str) {
    std::fs::create_dir_all(portal).unwrap();
    Keystore::encrypt(key, password.as_bytes(), KdfParams::default())
        .unwrap()
        .save(portal.join(format!("{login}.json")), true)
        .unwrap();
}

impl World {
    /// Starts the devnet and seeds it; with `ev`, also an EV session settled on chain.
    pub async fn start(ev: bool) -> Self {
        let june = kst_month_start_ms(MONTH).unwrap();
        let july = kst_month_start_ms(MONTH + 1).unwrap();
        let may25 = june - 7 * 24 * HOUR;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("chain");
        std::fs::create_dir_all(&dir).unwrap();
        let (seller, buyer, company) = (seller(), buyer(), company());
        // The participants' portal keystores exist before the node starts (it reads a login's
        // keystore when that login signs in).
        let portal = dir.join("portal");
        for u in [&seller, &buyer] {
            save_portal_key(&portal, u.login, &u.key, u.password);
        }
        save_portal_key(&portal, company.login, &company.key, company.password);
        let start = may25.to_string();
        let mut net = Devnet::start_with(
            &dir,
            free_port(),
            free_port(),
            &["--clock-start", &start, "--clock-control"],
        );
        let client = net.ready().await;
        // The devnet adds its own logins (operator, bank, charging; password `devnet`).
        assert!(portal.join("operator.json").is_file(), "no operator login");
        let op_key = net.key("operator");
        let mut op = TxSigner::connect(&client, op_key.clone(), None)
            .await
            .unwrap();
        let bank = TxSigner::connect(&client, net.key("bank"), None)
            .await
            .unwrap();

        // Participants, sites, meters, billing and the monthly market.
        let grid = key_from_seed(140);
        let mut regs = vec![op.sign(
            Payload::RegisterParticipant {
                account: Address::of(&grid),
                role: Role::GridCompany,
                name: "Grid company".into(),
            },
            None,
        )];
        for (u, role) in [(&seller, Role::Prosumer), (&buyer, Role::Consumer)] {
            regs.push(op.sign(
                Payload::RegisterParticipant {
                    account: u.address(),
                    role,
                    name: u.name.into(),
                },
                None,
            ));
        }
        regs.push(op.sign(
            Payload::RegisterParticipant {
                account: company.address(),
                role: Role::SalesCompany,
                name: company.name.into(),
            },
            None,
        ));
        wait_all(&client, &regs).await;
        let mut setup = Vec::new();
        for u in [&seller, &buyer] {
            setup.push(op.sign(
                Payload::RegisterSite(RegisterSite {
                    site: SiteId::new(u.site).unwrap(),
                    owner: u.address(),
                    kind: SiteKind::Household,
                    tariff_class: "residential-low".into(),
                    contract_kw: 0,
                    feeder: 1,
                    name: format!("{} home", u.name),
                }),
                None,
            ));
            setup.push(op.sign(
                Payload::RegisterDevice {
                    device: Address::of(&u.meter),
                    kind: DeviceKind::Meter,
                    owner: u.address(),
                    label: format!("AMI {}", u.site),
                },
                None,
            ));
        }
        setup.push(op.sign(
            Payload::ConfigureBilling(ConfigureBilling {
                grid_company: Address::of(&grid),
                platform_account: Address::of(&net.key("operator")),
                feed_in_price: PriceMilliWonPerKwh(100_000),
                due_day: 18,
            }),
            None,
        ));
        setup.push(op.sign(
            Payload::ConfigureMarket(ConfigureMarket {
                market: MarketId::new(MARKET).unwrap(),
                period_kind: PeriodKind::Monthly,
                pricing: Pricing::Uniform,
                gate_lead_ms: 24 * HOUR,
                wheeling_fee: PriceMilliWonPerKwh(10_000),
                platform_fee: PriceMilliWonPerKwh(2_000),
                prefer_same_feeder: false,
                active: true,
                approval_window_ms: 0,
                dispute_window_ms: HOUR,
            }),
            None,
        ));
        wait_all(&client, &setup).await;
        let binds: Vec<_> = [&seller, &buyer]
            .iter()
            .map(|u| {
                op.sign(
                    Payload::BindMeter(BindMeter {
                        meter: Address::of(&u.meter),
                        site: SiteId::new(u.site).unwrap(),
                    }),
                    None,
                )
            })
            .collect();
        wait_all(&client, &binds).await;

        let mut world = Self {
            net,
            client,
            op,
            op_key,
            bank,
            seller,
            buyer,
            company,
            devnet_password: "devnet",
            june,
            july,
            ev: None,
            _tmp: tmp,
        };
        if ev {
            world.ev = Some(world.ev_session().await);
        }
        world
    }

    pub fn base(&self) -> &str {
        &self.net.rpc
    }

    /// Moves the chain clock to `to_ms` (waiting for a block at that time).
    pub async fn clock_to(&mut self, to_ms: u64) {
        clock_to(&self.client, to_ms, &mut [&mut self.op, &mut self.bank]).await;
    }

    /// Signs `payload` as the operator and waits for its successful receipt. The nonce is read
    /// from the chain first: the operator also signs through its browser session.
    pub async fn operator_tx(&mut self, payload: Payload) {
        self.op = TxSigner::connect(&self.client, self.op_key.clone(), None)
            .await
            .unwrap();
        let tx = self.op.sign(payload, None);
        wait_all(&self.client, &[tx]).await;
    }

    /// June's hourly readings of both meters: the seller's home exports 500 Wh and imports
    /// 100 Wh an hour, the buyer's imports 600 Wh. Call after June has ended on chain.
    pub async fn post_june_readings(&mut self) {
        let hours = (self.july - self.june) / HOUR;
        let offset = self.op.clock_offset_ms();
        let chain = ChainId::new(self.client.status().await.unwrap().chain_id).unwrap();
        for (u, e) in [
            (
                &self.seller,
                IntervalEnergy {
                    import_wh: 100,
                    export_wh: 500,
                },
            ),
            (
                &self.buyer,
                IntervalEnergy {
                    import_wh: 600,
                    export_wh: 0,
                },
            ),
        ] {
            let start = Registers {
                import_wh: 0,
                export_wh: 0,
            };
            let regs = cumulative(start, (0..hours).map(|_| e)).unwrap();
            let meter_nonce = self
                .client
                .account(&Address::of(&u.meter))
                .await
                .unwrap()
                .nonce;
            let mut signer = TxSigner::new(u.meter.clone(), chain.clone(), meter_nonce)
                .with_clock_offset_ms(offset);
            let txs: Vec<_> = batches(self.june, HOUR as u32, &regs)
                .into_iter()
                .map(|b| signer.sign(Payload::SubmitReadings(b), None))
                .collect();
            wait_all(&self.client, &txs).await;
        }
    }

    /// A charger of the devnet's charging operator and a member who charges 7.5 kWh on it
    /// through the keypad JSON API: prepay, stop, then Cancel + Settle by the gateway.
    async fn ev_session(&mut self) -> EvSession {
        let token = std::fs::read_to_string(self.net.dir.join("keys/charging-token.txt"))
            .unwrap()
            .trim()
            .to_string();
        // The devnet registers and configures its charging operator in the background.
        let charging_key = self.net.key("charging");
        let deadline = Instant::now() + Duration::from_secs(30);
        while self
            .client
            .account(&Address::of(&charging_key))
            .await
            .map(|a| a.role.is_none() || a.nonce == 0)
            .unwrap_or(true)
        {
            assert!(
                Instant::now() < deadline,
                "charging operator never configured"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut charging = TxSigner::connect(&self.client, charging_key, None)
            .await
            .unwrap();
        let register = charging.sign(
            Payload::RegisterCharger(RegisterCharger {
                charger: ChargerId::new(CHARGER).unwrap(),
                kind: ChargerKind::Fast,
                connectors: 2,
                price: PriceMilliWonPerKwh(CHARGER_PRICE),
                idle_fee_per_min: MilliWon(0),
                idle_grace_min: 0,
                active: true,
                label: "Browser test bay".into(),
            }),
            None,
        );
        wait_all(&self.client, &[register]).await;
        let secret = self
            .client
            .charging_charger_secret(Some(&token), CHARGER)
            .await
            .unwrap()
            .secret;
        let password = EV_PASSWORD;
        let member = self
            .client
            .charging_signup(Some(&token), password, None)
            .await
            .unwrap();
        let mint = self.bank.sign(
            Payload::Mint {
                to: member.address.clone(),
                amount: MilliWon::from_won(30_000).unwrap(),
                bank_ref: "TOPUP-EV".into(),
            },
            None,
        );
        wait_all(&self.client, &[mint]).await;
        let basic = BasicAuth::new(CHARGER, secret);
        let prepay = self
            .client
            .charging_prepay(
                Some(&basic),
                &PrepayBody {
                    charger: CHARGER.into(),
                    connector: 1,
                    member_no: member.member_no,
                    password: password.into(),
                    amount_mwon: 10_000_000,
                },
            )
            .await
            .unwrap();
        self.client
            .charging_stop(
                Some(&basic),
                &StopBody {
                    charger: CHARGER.into(),
                    session: prepay.session,
                    energy_wh: EV_ENERGY_WH,
                    idle_min: 0,
                    reason: None,
                },
            )
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(45);
        let view = loop {
            let v = self
                .client
                .charging_session(CHARGER, prepay.session)
                .await
                .unwrap()
                .unwrap();
            if v["state"] == "settled" {
                break v;
            }
            assert!(Instant::now() < deadline, "EV session never settled: {v}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let open = self
            .client
            .charging_prepay(
                Some(&basic),
                &PrepayBody {
                    charger: CHARGER.into(),
                    connector: 2,
                    member_no: member.member_no,
                    password: password.into(),
                    amount_mwon: 5_000_000,
                },
            )
            .await
            .unwrap();
        EvSession {
            charger: CHARGER,
            session: prepay.session,
            view,
            open_session: open.session,
        }
    }
}

/// Digits grouped by thousands with commas, as `lib.js` does.
fn group(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milli-won as the dashboard shows it in English (`lib.js` `won`): whole won, rounded toward
/// zero, with thousands separators ("₩12,345", "-₩5").
pub fn won_en(milli: i128) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    format!(
        "{sign}₩{}",
        group(&(milli / 1000).unsigned_abs().to_string())
    )
}

/// Milli-won per kWh as the dashboard shows it in English (`lib.js` `pricePerKwh`).
pub fn price_en(milli: u64) -> String {
    format!(
        "{}.{:03} won/kWh",
        group(&(milli / 1000).to_string()),
        milli % 1000
    )
}

#[test]
fn money_is_formatted_as_the_dashboard_does() {
    assert_eq!(won_en(12_345_678), "₩12,345");
    assert_eq!(won_en(999), "₩0");
    assert_eq!(won_en(-5_400), "-₩5");
    assert_eq!(won_en(1_000_000_000), "₩1,000,000");
    assert_eq!(price_en(162_500), "162.500 won/kWh");
    assert_eq!(price_en(1_234_005), "1,234.005 won/kWh");
}
