//! The operator agent (`gridledger agent operator`, a process of its own) runs a month on a
//! devnet started without `--demo`: a monthly and an hourly market, four sites with meters,
//! intentions and readings entered as users would. The test only moves the clock; the agent
//! pairs, settles, bills and collects. It is killed (SIGKILL) mid-month and restarted as two
//! agents racing with the same key; the chain's receipts show every step taken exactly once.
use crate::devnet::{clock_to, key_from_seed, wait_all, Devnet, BIN};
use gridledger_sdk::{signer::TxSigner, Client};
use gridledger_types::{
    kst_month_start_ms, Address, BindMeter, ConfigureBilling, ConfigureMarket, DeviceKind, Event,
    MarketId, MilliWon, Payload, PeriodKind, PriceMilliWonPerKwh, Pricing, PrivateKey,
    RegisterSite, Role, Side, SiteId, SiteKind, SubmitIntention,
};
use std::{
    collections::BTreeMap,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;
/// (site, seller?, meter profile)
const SITES: [(&str, bool, &str); 4] = [
    ("sun-1", true, "prosumer:400,8000"),
    ("sun-2", true, "prosumer:300,6000"),
    ("home-1", false, "household:450"),
    ("home-2", false, "household:500"),
];

fn agent(net: &Devnet, dir: &Path, name: &str) -> Child {
    let pw = dir.join("devnet-pw.txt");
    std::fs::write(&pw, "devnet").unwrap();
    let out = std::fs::File::create(dir.join(format!("{name}.out"))).unwrap();
    Command::new(BIN)
        .args(["agent", "operator", "--rpc", &net.rpc, "--key"])
        .arg(net.dir.join("keys").join("operator.json"))
        .arg("--password-file")
        .arg(&pw)
        .args(["--poll-secs", "1"])
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn gridledger agent operator")
}

/// Waits (up to 60 s) until `what` holds on chain.
async fn until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the operator agent never got to: {what}");
}

async fn period_is(client: &Client, market: &str, start: u64, field: &str) -> bool {
    client
        .market_period(market, start)
        .await
        .ok()
        .flatten()
        .is_some_and(|p| p[field] == true)
}

async fn billing_is(client: &Client, month: u32, field: &str) -> bool {
    client
        .month_billing(month)
        .await
        .ok()
        .flatten()
        .is_some_and(|b| b["progress"][field] == true)
}

/// Every event of every successful transaction the operator's key signed.
async fn operator_events(client: &Client, operator: &Address) -> Vec<Event> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client
            .history(operator, Some(100), cursor.as_deref())
            .await
            .unwrap();
        for t in &page.items {
            if t.receipt.is_success() {
                events.extend(t.receipt.events.iter().cloned());
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return events,
        }
    }
}

fn market(id: &str, kind: PeriodKind, gate_lead_ms: u64) -> Payload {
    Payload::ConfigureMarket(ConfigureMarket {
        market: MarketId::new(id).unwrap(),
        period_kind: kind,
        pricing: Pricing::Uniform,
        gate_lead_ms,
        wheeling_fee: PriceMilliWonPerKwh(10_000),
        platform_fee: PriceMilliWonPerKwh(2_000),
        prefer_same_feeder: false,
        active: true,
        approval_window_ms: 0,
        dispute_window_ms: HOUR,
    })
}

type Counts = (
    BTreeMap<(String, u64), u32>,
    BTreeMap<(String, u64), u32>,
    BTreeMap<u32, (u32, u32)>,
    BTreeMap<(u32, Address), u32>,
);

/// How often each period was paired and settled, each month's sites billed (and batches that
/// completed it), each account bill debited or found overdue.
fn count(events: &[Event]) -> Counts {
    let mut cleared = BTreeMap::<(String, u64), u32>::new();
    let mut settled = BTreeMap::<(String, u64), u32>::new();
    let mut billed = BTreeMap::<u32, (u32, u32)>::new();
    let mut debited = BTreeMap::<(u32, Address), u32>::new();
    for e in events {
        match e {
            Event::PeriodCleared {
                market,
                period_start_ms,
                ..
            } => {
                *cleared
                    .entry((market.to_string(), *period_start_ms))
                    .or_default() += 1
            }
            Event::PeriodSettled {
                market,
                period_start_ms,
                ..
            } => {
                *settled
                    .entry((market.to_string(), *period_start_ms))
                    .or_default() += 1
            }
            Event::BillsIssued { month, sites, done } => {
                let b = billed.entry(*month).or_default();
                b.0 += sites;
                b.1 += u32::from(*done);
            }
            Event::BillPaid { month, payer, .. } | Event::BillOverdue { month, payer, .. } => {
                *debited.entry((*month, payer.clone())).or_default() += 1
            }
            _ => {}
        }
    }
    (cleared, settled, billed, debited)
}

fn key(market: &str, start: u64) -> (String, u64) {
    (market.to_string(), start)
}

/// The test's calendar: June 2026 and its two hourly periods with intentions.
struct Month {
    june: u64,
    july: u64,
    h3: u64,
    h20: u64,
    /// An hourly period whose only intention was cancelled.
    h25: u64,
}

/// A devnet without `--demo` whose chain clock starts on 2026-05-25 (KST), with `extra` flags.
async fn start(extra: &[&str]) -> (tempfile::TempDir, Devnet, Client) {
    let may25 = kst_month_start_ms(202605).unwrap() + 24 * DAY;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    let start = may25.to_string();
    let mut args = vec!["--clock-start", &start, "--clock-control"];
    args.extend_from_slice(extra);
    let mut net = Devnet::start_with(
        &dir,
        crate::devnet::free_port(),
        crate::devnet::free_port(),
        &args,
    );
    let client = net.ready().await;
    (tmp, net, client)
}

/// Seeds the network as its users would: the operator's set-up, then the sites' intentions.
/// Returns the meters' keys and the calendar.
async fn seed(net: &Devnet, client: &Client, bank: &mut TxSigner) -> (Vec<PrivateKey>, Month) {
    let client = client.clone();
    let bank = &mut *bank;
    let mut op = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();

    // The operator's set-up (as `gridledger tx ...` would send it): the grid company, four
    // sites with their meters, billing, a monthly and an hourly market.
    let grid = key_from_seed(60);
    let owners: Vec<PrivateKey> = (0..4).map(|i| key_from_seed(61 + i)).collect();
    let meters: Vec<PrivateKey> = (0..4).map(|i| key_from_seed(71 + i)).collect();
    let mut regs = vec![op.sign(
        Payload::RegisterParticipant {
            account: Address::of(&grid),
            role: Role::GridCompany,
            name: "Grid company".into(),
        },
        None,
    )];
    for ((site, sells, _), k) in SITES.iter().zip(&owners) {
        regs.push(op.sign(
            Payload::RegisterParticipant {
                account: Address::of(k),
                role: if *sells {
                    Role::Prosumer
                } else {
                    Role::Consumer
                },
                name: (*site).into(),
            },
            None,
        ));
    }
    wait_all(&client, &regs).await;
    let mut setup = Vec::new();
    for (((site, _, _), k), meter) in SITES.iter().zip(&owners).zip(&meters) {
        setup.push(op.sign(
            Payload::RegisterSite(RegisterSite {
                site: SiteId::new(*site).unwrap(),
                owner: Address::of(k),
                kind: SiteKind::Household,
                tariff_class: "residential-low".into(),
                contract_kw: 0,
                feeder: 1,
                name: (*site).into(),
            }),
            None,
        ));
        setup.push(op.sign(
            Payload::RegisterDevice {
                device: Address::of(meter),
                kind: DeviceKind::Meter,
                owner: Address::of(k),
                label: format!("AMI {site}"),
            },
            None,
        ));
        setup.push(bank.sign(
            Payload::Mint {
                to: Address::of(k),
                amount: MilliWon::from_won(1_000_000).unwrap(),
                bank_ref: format!("DEP-{site}"),
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
    setup.push(bank.sign(
        Payload::Mint {
            to: Address::of(&grid),
            amount: MilliWon::from_won(1_000_000).unwrap(),
            bank_ref: "GRID".into(),
        },
        None,
    ));
    wait_all(&client, &setup).await;
    let binds: Vec<_> = SITES
        .iter()
        .zip(&meters)
        .map(|((site, _, _), meter)| {
            op.sign(
                Payload::BindMeter(BindMeter {
                    meter: Address::of(meter),
                    site: SiteId::new(*site).unwrap(),
                }),
                None,
            )
        })
        .collect();
    wait_all(&client, &binds).await;
    // The markets last: an operator agent running in the node may act from here on.
    wait_all(
        &client,
        &[
            op.sign(market("monthly", PeriodKind::Monthly, DAY), None),
            op.sign(market("hourly", PeriodKind::Hourly, HOUR), None),
        ],
    )
    .await;

    // The sites' intentions: June on the monthly market, June 3rd and 20th 10:00 on the hourly.
    let june = kst_month_start_ms(202606).unwrap();
    let h3 = june + 2 * DAY + HOUR; // 10:00 KST = 01:00 UTC
    let h20 = june + 19 * DAY + HOUR;
    let mut intents = Vec::new();
    for ((site, sells, _), k) in SITES.iter().zip(&owners) {
        let mut s = TxSigner::connect(&client, k.clone(), None).await.unwrap();
        let (side, limit) = if *sells {
            (Side::Sell, 100_000)
        } else {
            (Side::Buy, 200_000)
        };
        for (mk, start, kwh) in [
            ("monthly", june, 100),
            ("hourly", h3, 1),
            ("hourly", h20, 1),
        ] {
            intents.push(s.sign(
                Payload::SubmitIntention(SubmitIntention {
                    market: MarketId::new(mk).unwrap(),
                    period_start_ms: start,
                    side,
                    site: SiteId::new(*site).unwrap(),
                    energy_wh: kwh * 1_000,
                    limit: PriceMilliWonPerKwh(limit),
                }),
                None,
            ));
        }
    }
    wait_all(&client, &intents).await;

    // June 25th 10:00 on the hourly market: one intention, cancelled before the gate. Nothing is
    // open at the gate, yet June's bills wait for the period to be paired.
    let h25 = june + 24 * DAY + HOUR;
    let mut first = TxSigner::connect(&client, owners[0].clone(), None)
        .await
        .unwrap();
    let entered = first.sign(
        Payload::SubmitIntention(SubmitIntention {
            market: MarketId::new("hourly").unwrap(),
            period_start_ms: h25,
            side: Side::Sell,
            site: SiteId::new(SITES[0].0).unwrap(),
            energy_wh: 1_000,
            limit: PriceMilliWonPerKwh(100_000),
        }),
        None,
    );
    wait_all(&client, std::slice::from_ref(&entered)).await;
    let cancel = first.sign(
        Payload::CancelIntention {
            intention: entered.hash(),
        },
        None,
    );
    wait_all(&client, &[cancel]).await;

    let july = kst_month_start_ms(202607).unwrap();
    (
        meters,
        Month {
            june,
            july,
            h3,
            h20,
            h25,
        },
    )
}

/// Moves the clock to June 1st 02:00 and to June 3rd 12:00 and waits for the agent: June paired,
/// May billed, June 3rd 10:00 settled.
async fn first_days_of_june(client: &Client, bank: &mut TxSigner, june: u64, h3: u64) {
    clock_to(client, june + 2 * HOUR, &mut [bank]).await;
    until("pair June", || {
        period_is(client, "monthly", june, "cleared")
    })
    .await;
    until("bill May", || billing_is(client, 202605, "done")).await;
    clock_to(client, h3 + 2 * HOUR, &mut [bank]).await;
    until("settle June 3rd 10:00", || {
        period_is(client, "hourly", h3, "settled")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_agent_runs_a_month_exactly_once_across_a_kill_and_a_race_slow_() {
    let (tmp, net, client) = start(&[]).await;
    let operator = Address::of(&net.key("operator"));
    let mut bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    let (
        meters,
        Month {
            june,
            july,
            h3,
            h20,
            h25,
        },
    ) = seed(&net, &client, &mut bank).await;

    // From here on only the agent signs as the operator; the test moves the clock.
    let mut a = agent(&net, tmp.path(), "agent-a");
    first_days_of_june(&client, &mut bank, june, h3).await;
    let p = client.market_period("hourly", h3).await.unwrap().unwrap();
    assert!(!p["contracts"].as_array().unwrap().is_empty(), "{p}");

    // Mid-month: the agent dies without warning; two come back, with the same key.
    clock_to(&client, june + 14 * DAY, &mut [&mut bank]).await;
    a.kill().unwrap();
    a.wait().unwrap();
    let b = agent(&net, tmp.path(), "agent-b");
    let c = agent(&net, tmp.path(), "agent-c");
    clock_to(&client, june + 17 * DAY + 60_000, &mut [&mut bank]).await;
    until("collect May", || billing_is(&client, 202605, "collected")).await;
    clock_to(&client, h20 + 2 * HOUR, &mut [&mut bank]).await;
    until("settle June 20th 10:00", || {
        period_is(&client, "hourly", h20, "settled")
    })
    .await;

    // July 1st 00:10: each meter posts June (as `gridledger meter-agent` would at the site).
    clock_to(&client, july + 10 * 60_000, &mut [&mut bank]).await;
    let pw = tmp.path().join("meter-pw.txt");
    std::fs::write(&pw, "pw").unwrap();
    for (i, ((site, _, profile), meter)) in SITES.iter().zip(&meters).enumerate() {
        let key = tmp.path().join(format!("meter-{i}.json"));
        gridledger_sdk::Keystore::encrypt(
            meter,
            b"pw",
            gridledger_sdk::KdfParams::insecure_for_tests(),
        )
        .unwrap()
        .save(&key, true)
        .unwrap();
        let ok = Command::new(BIN)
            .args(["meter-agent", "--rpc", &net.rpc, "--key"])
            .arg(&key)
            .arg("--password-file")
            .arg(&pw)
            .args(["--profile", profile, "--seed", site])
            .args(["--from", &june.to_string(), "--to", &july.to_string()])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success());
    }
    clock_to(&client, july + 2 * HOUR, &mut [&mut bank]).await;
    until("settle June", || {
        period_is(&client, "monthly", june, "settled")
    })
    .await;
    until("bill June", || billing_is(&client, 202606, "done")).await;
    clock_to(&client, july + 17 * DAY + 60_000, &mut [&mut bank]).await;
    until("collect June", || billing_is(&client, 202606, "collected")).await;
    // A few more rounds of both agents: nothing is left to do, nothing is done again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for mut x in [b, c] {
        x.kill().unwrap();
        x.wait().unwrap();
    }

    // Exactly once, counted from the operator's receipts.
    let events = operator_events(&client, &operator).await;
    let (cleared, settled, billed, debited) = count(&events);
    let may = kst_month_start_ms(202605).unwrap();
    // Pairing: every monthly period up to July's (its gate closed on June 30th) and the three
    // hourly periods that had intentions (one only a cancelled one); nothing else, nothing twice.
    let want_cleared = BTreeMap::from([
        (key("monthly", may), 1),
        (key("monthly", june), 1),
        (key("monthly", july), 1),
        (key("hourly", h3), 1),
        (key("hourly", h20), 1),
        (key("hourly", h25), 1),
    ]);
    assert_eq!(cleared, want_cleared);
    let want_settled = BTreeMap::from([
        (key("monthly", may), 1),
        (key("monthly", june), 1),
        (key("hourly", h3), 1),
        (key("hourly", h20), 1),
    ]);
    assert_eq!(settled, want_settled);
    // Bills: May and June, each site billed once, one batch completing the month.
    assert_eq!(billed, BTreeMap::from([(202605, (4, 1)), (202606, (4, 1))]));
    // Collection: every account bill of each month tried once (paid or overdue), never twice.
    assert!(debited.values().all(|n| *n == 1), "{debited:?}");
    for m in [202605u32, 202606] {
        let mb = client.month_billing(m).await.unwrap().unwrap();
        let tried = debited.keys().filter(|(x, _)| *x == m).count();
        assert!(tried > 0, "{mb}");
        assert!(
            mb["paid"].as_u64().unwrap() + mb["overdue"].as_u64().unwrap() >= tried as u64,
            "{mb}"
        );
    }
    drop(net);
}

/// `devnet --operator-agent`: the same agent runs inside the node with the devnet's operator key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_operator_agent_runs_the_calendar_inside_the_node_slow_() {
    let (_tmp, net, client) = start(&["--operator-agent"]).await;
    let operator = Address::of(&net.key("operator"));
    let mut bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    let (_, Month { june, h3, .. }) = seed(&net, &client, &mut bank).await;
    first_days_of_june(&client, &mut bank, june, h3).await;
    let (cleared, settled, billed, _) = count(&operator_events(&client, &operator).await);
    let may = kst_month_start_ms(202605).unwrap();
    assert_eq!(
        cleared,
        BTreeMap::from([
            (key("monthly", may), 1),
            (key("monthly", june), 1),
            (key("hourly", h3), 1)
        ])
    );
    assert_eq!(
        settled,
        BTreeMap::from([(key("monthly", may), 1), (key("hourly", h3), 1)])
    );
    assert_eq!(billed, BTreeMap::from([(202605, (4, 1))]));
    let out = net.stdout();
    assert!(
        out.contains("operator: gate closed for monthly 2026-06"),
        "{out}"
    );
}
