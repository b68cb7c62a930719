//! A month of the pilot through a real devnet, with a market clock: 3 buildings and 6
//! households register with their meters, enter intentions for June 2026 before the gate, the
//! chain pairs them on June 1st, meter agents (the real `gridledger meter-agent` processes)
//! post June's hourly readings from their synthetic profiles, settlement runs after the dispute
//! window on July 1st, every site's bill is issued with and without P2P, bills are paid or
//! auto-debited on the 18th (one stays overdue), and the bank report balances.
use crate::devnet::{clock_to, key_from_seed, wait_all, Devnet, BIN};
use gridledger_execution::test_utils::{MarketBuilder, SiteBuilder};
use gridledger_sdk::{
    keystore::{KdfParams, Keystore},
    signer::TxSigner,
};
use gridledger_types::{
    kst_month_start_ms, Address, BindMeter, ConfigureBilling, DeviceKind, MarketId, MilliWon,
    Payload, PriceMilliWonPerKwh, PrivateKey, ProposePpa, Role, Side, SiteId, SiteKind,
    SubmitIntention,
};
use serde_json::Value;
use std::{path::Path, process::Command};

const HOUR: u64 = 3_600_000;

struct Member {
    site: &'static str,
    building: bool,
    contract_kw: u32,
    profile: &'static str,
    side: Side,
    kwh: u64,
    limit_won: u64,
}

const MEMBERS: [Member; 9] = [
    Member {
        site: "bldg-a",
        building: true,
        contract_kw: 60,
        profile: "prosumer:6000,80000",
        side: Side::Sell,
        kwh: 2_000,
        limit_won: 120,
    },
    Member {
        site: "bldg-b",
        building: true,
        contract_kw: 50,
        profile: "prosumer:5000,60000",
        side: Side::Sell,
        kwh: 1_500,
        limit_won: 130,
    },
    Member {
        site: "bldg-c",
        building: true,
        contract_kw: 100,
        profile: "building:100",
        side: Side::Buy,
        kwh: 2_500,
        limit_won: 160,
    },
    Member {
        site: "home-1",
        building: false,
        contract_kw: 0,
        profile: "prosumer:300,6000",
        side: Side::Sell,
        kwh: 200,
        limit_won: 140,
    },
    Member {
        site: "home-2",
        building: false,
        contract_kw: 0,
        profile: "prosumer:350,5000",
        side: Side::Sell,
        kwh: 150,
        limit_won: 150,
    },
    Member {
        site: "home-3",
        building: false,
        contract_kw: 0,
        profile: "household:450",
        side: Side::Buy,
        kwh: 150,
        limit_won: 250,
    },
    Member {
        site: "home-4",
        building: false,
        contract_kw: 0,
        profile: "household:500",
        side: Side::Buy,
        kwh: 150,
        limit_won: 250,
    },
    Member {
        site: "home-5",
        building: false,
        contract_kw: 0,
        profile: "household:600",
        side: Side::Buy,
        kwh: 200,
        limit_won: 240,
    },
    Member {
        site: "home-6",
        building: false,
        contract_kw: 0,
        profile: "household:380",
        side: Side::Buy,
        kwh: 100,
        limit_won: 230,
    },
];

fn save_key(dir: &Path, name: &str, k: &PrivateKey) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.json"));
    Keystore::encrypt(k, b"pw", KdfParams::insecure_for_tests())
        .unwrap()
        .save(&path, true)
        .unwrap();
    path
}

fn num(v: &Value) -> i128 {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_the_pilot_from_intentions_to_the_bank_report_slow_() {
    let may25 = kst_month_start_ms(202605).unwrap() + 24 * 24 * HOUR;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    let start = may25.to_string();
    let mut net = Devnet::start_with(
        &dir,
        crate::devnet::free_port(),
        crate::devnet::free_port(),
        &["--clock-start", &start, "--clock-control"],
    );
    let client = net.ready().await;
    let mut op = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();
    let mut bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    let chain = gridledger_types::ChainId::new(client.status().await.unwrap().chain_id).unwrap();

    // Participants: the grid company and nine site owners; sites; meters bound to them.
    let grid = key_from_seed(90);
    let owners: Vec<PrivateKey> = (0..9).map(|i| key_from_seed(100 + i)).collect();
    let meters: Vec<PrivateKey> = (0..9).map(|i| key_from_seed(120 + i)).collect();
    let mut regs = vec![op.sign(
        Payload::RegisterParticipant {
            account: Address::of(&grid),
            role: Role::GridCompany,
            name: "Grid company".into(),
        },
        None,
    )];
    for (m, k) in MEMBERS.iter().zip(&owners) {
        regs.push(op.sign(
            Payload::RegisterParticipant {
                account: Address::of(k),
                role: if m.side == Side::Sell {
                    Role::Prosumer
                } else {
                    Role::Consumer
                },
                name: m.site.into(),
            },
            None,
        ));
    }
    wait_all(&client, &regs).await;
    let mut setup = Vec::new();
    for ((m, k), meter) in MEMBERS.iter().zip(&owners).zip(&meters) {
        setup.push(
            op.sign(
                SiteBuilder::default()
                    .site(SiteId::new(m.site).unwrap())
                    .owner(Address::of(k))
                    .kind(if m.building {
                        SiteKind::CommercialBuilding
                    } else {
                        SiteKind::Household
                    })
                    .tariff_class(
                        if m.building {
                            "general-low"
                        } else {
                            "residential-low"
                        }
                        .into(),
                    )
                    .contract_kw(m.contract_kw)
                    .name(m.site.into())
                    .payload(),
                None,
            ),
        );
        setup.push(op.sign(
            Payload::RegisterDevice {
                device: Address::of(meter),
                kind: DeviceKind::Meter,
                owner: Address::of(k),
                label: format!("AMI {}", m.site),
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
    let market = MarketId::new("monthly").unwrap();
    setup.push(
        op.sign(
            MarketBuilder::default()
                .market(market.clone())
                .gate_lead_ms(24 * HOUR)
                .wheeling_fee(PriceMilliWonPerKwh(10_000))
                .platform_fee(PriceMilliWonPerKwh(2_000))
                .dispute_window_ms(HOUR)
                .payload(),
            None,
        ),
    );
    wait_all(&client, &setup).await;
    let binds: Vec<_> = MEMBERS
        .iter()
        .zip(&meters)
        .map(|(m, meter)| {
            op.sign(
                Payload::BindMeter(BindMeter {
                    meter: Address::of(meter),
                    site: SiteId::new(m.site).unwrap(),
                }),
                None,
            )
        })
        .collect();
    wait_all(&client, &binds).await;

    // A long-term agreement beside the spot market: bldg-a proposes 300 kWh a month at 140 won
    // to bldg-c for June-December; bldg-c accepts with its own signature.
    let june = kst_month_start_ms(202606).unwrap();
    let offset = op.clock_offset_ms();
    let signer =
        |k: &PrivateKey| TxSigner::new(k.clone(), chain.clone(), 0).with_clock_offset_ms(offset);
    let propose = signer(&owners[0]).sign(
        Payload::ProposePpa(ProposePpa {
            market: market.clone(),
            seller_site: SiteId::new("bldg-a").unwrap(),
            buyer_site: SiteId::new("bldg-c").unwrap(),
            price: PriceMilliWonPerKwh(140_000),
            start_month: 202606,
            end_month: 202612,
            monthly_wh: vec![300_000; 12],
            notice_months: 1,
        }),
        None,
    );
    wait_all(&client, std::slice::from_ref(&propose)).await;
    let ppa_id = propose.hash();
    wait_all(
        &client,
        &[signer(&owners[2]).sign(Payload::AcceptPpa { ppa: ppa_id }, None)],
    )
    .await;
    let ppas = client.market_ppas("monthly").await.unwrap();
    assert_eq!(ppas.as_array().unwrap().len(), 1, "{ppas}");

    // Intentions for June before the gate (May 31 00:00 KST).
    let intents: Vec<_> = MEMBERS
        .iter()
        .zip(&owners)
        .enumerate()
        .map(|(i, (m, k))| {
            // The PPA's two parties have used nonce 0.
            let nonce = u64::from(i == 0 || i == 2);
            TxSigner::new(k.clone(), chain.clone(), nonce)
                .with_clock_offset_ms(offset)
                .sign(
                    Payload::SubmitIntention(SubmitIntention {
                        market: market.clone(),
                        period_start_ms: june,
                        side: m.side,
                        site: SiteId::new(m.site).unwrap(),
                        energy_wh: m.kwh * 1_000,
                        limit: PriceMilliWonPerKwh(m.limit_won * 1_000),
                    }),
                    None,
                )
        })
        .collect();
    wait_all(&client, &intents).await;

    // June 1st: the operator's system pairs the period; the pairs are visible to everyone.
    clock_to(&client, june + 60_000, &mut [&mut op, &mut bank]).await;
    wait_all(
        &client,
        &[op.sign(
            Payload::ClearPeriod {
                market: market.clone(),
                period_start_ms: june,
            },
            None,
        )],
    )
    .await;
    let period = client
        .market_period("monthly", june)
        .await
        .unwrap()
        .unwrap();
    let contracts = period["contracts"].as_array().unwrap().clone();
    assert!(!contracts.is_empty(), "{period}");
    let price = period["clearing_price"].as_u64().unwrap();
    assert!((130_000..=250_000).contains(&price), "{period}");

    // July 1st 00:10: the month is over; each meter agent posts June from its profile.
    let july = kst_month_start_ms(202607).unwrap();
    clock_to(&client, july + 10 * 60_000, &mut [&mut op, &mut bank]).await;
    let agents: Vec<_> = MEMBERS
        .iter()
        .zip(&meters)
        .enumerate()
        .map(|(i, (m, meter))| {
            let key = save_key(tmp.path(), &format!("meter-{i}"), meter);
            Command::new(BIN)
                .args(["meter-agent", "--rpc", &net.rpc, "--key"])
                .arg(&key)
                .args(["--password-file"])
                .arg(pw_file(tmp.path()))
                .args(["--profile", m.profile, "--seed", m.site])
                .args(["--from", &june.to_string(), "--to", &july.to_string()])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut a in agents {
        assert!(a.wait().unwrap().success());
    }
    for m in &MEMBERS {
        let site = SiteId::new(m.site).unwrap();
        let r = client.site_readings(&site, 202606).await.unwrap().unwrap();
        assert_eq!(r.intervals.len(), 720, "{}", m.site);
    }

    // Before the dispute window closes (01:00) settlement is refused; after it, it runs.
    let settle = op.sign(
        Payload::SettlePeriod {
            market: market.clone(),
            period_start_ms: june,
        },
        None,
    );
    client.submit(&settle).await.unwrap();
    let r = client
        .wait_for_tx(&settle.hash(), std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        matches!(&r.receipt.status, gridledger_types::TxStatus::Failed { code, .. } if code == "dispute_window_open"),
        "{:?}",
        r.receipt
    );
    clock_to(&client, july + 2 * HOUR, &mut [&mut op, &mut bank]).await;
    wait_all(
        &client,
        &[op.sign(
            Payload::SettlePeriod {
                market: market.clone(),
                period_start_ms: june,
            },
            None,
        )],
    )
    .await;
    wait_all(
        &client,
        &[op.sign(Payload::IssueBills { month: 202606 }, None)],
    )
    .await;
    let mb = client.month_billing(202606).await.unwrap().unwrap();
    assert_eq!(mb["progress"]["done"], true, "{mb}");
    // The PPA settled June first: its 300 kWh (bldg-a exports and bldg-c imports far more).
    let ppa = client.ppa(&ppa_id).await.unwrap().unwrap();
    assert_eq!(ppa["settlements"][0]["month"], 202606, "{ppa}");
    assert_eq!(ppa["settlements"][0]["delivered_wh"], 300_000, "{ppa}");
    assert_eq!(
        ppa["settlements"][0]["energy_amount"],
        300_000 * 140,
        "{ppa}"
    );
    assert_eq!(mb["progress"]["sites_billed"], 9);

    // Every site's bill, with and without P2P, and what P2P did for it.
    let mut bought_total = 0i128;
    for (m, k) in MEMBERS.iter().zip(&owners) {
        let b = client.site_bill(m.site, 202606).await.unwrap().unwrap();
        let (with, without) = (&b["with_p2p"], &b["without_p2p"]);
        assert_eq!(
            num(&b["savings"]),
            num(&without["net"]) - num(&with["net"]),
            "{b}"
        );
        assert!(
            with["kepco"]["total"].is_u64() && without["kepco"]["total"].is_u64(),
            "{b}"
        );
        assert_eq!(
            num(&b["bill"]["grid_wh"]) + num(&b["bill"]["p2p"]["bought_wh"]),
            num(&b["bill"]["import_wh"])
        );
        let bought = num(&b["bill"]["p2p"]["bought_wh"]);
        let sold = num(&b["bill"]["p2p"]["sold_wh"]);
        bought_total += bought - sold;
        // Sellers earn more than the feed-in price; households buying the top of their tiers
        // pay less than KEPCO would have charged.
        if sold > 0 {
            assert!(num(&b["savings"]) > 0, "{}: {b}", m.site);
        }
        if bought > 0 && !m.building {
            assert!(num(&b["savings"]) > 0, "{}: {b}", m.site);
        }
        let acct = client
            .account_bill(&Address::of(k), 202606)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(acct["status"], "unpaid", "{acct}");
    }
    assert_eq!(bought_total, 0, "P2P energy bought equals energy sold");

    // Before payment: the report lists everything as owed.
    let report = client.bank_report(202606, None).await.unwrap();
    assert_eq!(report["paid_total"], 0);
    let owed = num(&report["unpaid_total"]);
    assert!(owed > 0);

    // Everyone but home-6 is funded; the grid company funds its feed-in payouts.
    let mut mints = Vec::new();
    for (i, k) in owners.iter().enumerate().take(8) {
        let due = client
            .account_bill(&Address::of(k), 202606)
            .await
            .unwrap()
            .unwrap()["bill"]["due"]
            .as_u64()
            .unwrap();
        mints.push(bank.sign(
            Payload::Mint {
                to: Address::of(k),
                amount: MilliWon(due),
                bank_ref: format!("DEP-{i}"),
            },
            None,
        ));
    }
    if let Some(g) = client
        .account_bill(&Address::of(&grid), 202606)
        .await
        .unwrap()
    {
        mints.push(bank.sign(
            Payload::Mint {
                to: Address::of(&grid),
                amount: MilliWon(g["bill"]["due"].as_u64().unwrap()),
                bank_ref: "GRID".into(),
            },
            None,
        ));
    }
    wait_all(&client, &mints).await;

    // The 18th: auto-debit; home-6 cannot pay and is overdue.
    let due = july + 17 * 24 * HOUR;
    clock_to(&client, due + 60_000, &mut [&mut op, &mut bank]).await;
    wait_all(
        &client,
        &[op.sign(Payload::CollectBills { month: 202606 }, None)],
    )
    .await;
    let late = client
        .account_bill(&Address::of(&owners[8]), 202606)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(late["status"], "overdue", "{late}");
    let paid = client
        .account_bill(&Address::of(&owners[0]), 202606)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid["status"], "paid", "{paid}");
    let mb = client.month_billing(202606).await.unwrap().unwrap();
    assert_eq!(mb["overdue"], 1, "{mb}");

    // The bank report balances: paid and received each sum to the paid lines; the CSV agrees.
    let report = client.bank_report(202606, None).await.unwrap();
    let accounts = report["accounts"].as_array().unwrap();
    let paid_sum: i128 = accounts.iter().map(|a| num(&a["paid"])).sum();
    let recv_sum: i128 = accounts.iter().map(|a| num(&a["received"])).sum();
    let unpaid_sum: i128 = accounts.iter().map(|a| num(&a["unpaid"])).sum();
    assert_eq!(paid_sum, num(&report["paid_total"]));
    assert_eq!(recv_sum, num(&report["paid_total"]));
    assert_eq!(unpaid_sum, num(&report["unpaid_total"]));
    assert_eq!(paid_sum + unpaid_sum, owed);
    let overdue_due = num(&late["bill"]["due"]);
    assert_eq!(unpaid_sum, overdue_due);
    let csv = client.bank_report_csv(202606, None).await.unwrap();
    assert!(
        csv.ends_with(&format!("TOTAL,,{paid_sum},{paid_sum},{unpaid_sum}\n")),
        "{csv}"
    );
    let per = client
        .bank_report(202606, Some(("monthly", june)))
        .await
        .unwrap();
    assert!(num(&per["lines"]) >= contracts.len() as i128);
    drop(net);
}

fn pw_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("pw.txt");
    if !p.exists() {
        std::fs::write(&p, "pw").unwrap();
    }
    p
}
