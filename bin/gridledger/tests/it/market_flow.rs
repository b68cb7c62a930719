//! Trading through a real node: the operator opens a quarter-hour market, two prosumers offer,
//! two consumers bid, gate closure passes, `gridledger tx clear-period` pairs them, and the
//! period's order book and contracts are read over the API.
use crate::devnet::{key_from_seed, wait_all, Devnet, BIN};
use gridledger_execution::test_utils::{MarketBuilder, SiteBuilder};
use gridledger_sdk::signer::TxSigner;
use gridledger_types::{
    Address, MarketId, Payload, PeriodKind, PriceMilliWonPerKwh, Role, Side, SiteId,
    SubmitIntention,
};
use std::{process::Command, time::Duration};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intentions_are_paired_at_gate_closure() {
    let (tmp, dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let chain = client.status().await.unwrap().chain_id;
    let mut op = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();
    let keys: Vec<_> = (0..4).map(|i| key_from_seed(70 + i)).collect();
    let regs: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            op.sign(
                Payload::RegisterParticipant {
                    account: Address::of(k),
                    role: Role::Prosumer,
                    name: format!("p{i}"),
                },
                None,
            )
        })
        .collect();
    wait_all(&client, &regs).await;
    let sites: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            op.sign(
                SiteBuilder::default()
                    .site(SiteId::new(format!("h{i}")).unwrap())
                    .owner(Address::of(k))
                    .name(format!("house {i}"))
                    .payload(),
                None,
            )
        })
        .collect();
    wait_all(&client, &sites).await;
    // The buyers hold their maximum cost in escrow (a real-time market): fund them.
    let mut bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    let mints: Vec<_> = keys[2..]
        .iter()
        .map(|k| {
            bank.sign(
                Payload::Mint {
                    to: Address::of(k),
                    amount: gridledger_types::MilliWon::from_won(1_000).unwrap(),
                    bank_ref: "DEP".into(),
                },
                None,
            )
        })
        .collect();
    wait_all(&client, &mints).await;

    // The next quarter-hour period at least 30 s away; its gate closes 6 s from now.
    let q = 900_000u64;
    let now = gridledger_sdk::now_ms();
    let start = (now + 30_000).div_ceil(q) * q;
    let gate = now + 6_000;
    let market = MarketId::new("rt15").unwrap();
    wait_all(
        &client,
        &[op.sign(
            MarketBuilder::default()
                .market(market.clone())
                .period_kind(PeriodKind::QuarterHour)
                .gate_lead_ms(start - gate)
                .payload(),
            None,
        )],
    )
    .await;

    let book = [
        (Side::Sell, 2_000, 150),
        (Side::Sell, 1_000, 180),
        (Side::Buy, 1_200, 250),
        (Side::Buy, 1_800, 200),
    ];
    let chain_id = gridledger_types::ChainId::new(chain).unwrap();
    let intents: Vec<_> = keys
        .iter()
        .zip(book)
        .enumerate()
        .map(|(i, (k, (side, wh, won)))| {
            TxSigner::new(k.clone(), chain_id.clone(), 0).sign(
                Payload::SubmitIntention(SubmitIntention {
                    market: market.clone(),
                    period_start_ms: start,
                    side,
                    site: SiteId::new(format!("h{i}")).unwrap(),
                    energy_wh: wh,
                    limit: PriceMilliWonPerKwh(won * 1_000),
                }),
                None,
            )
        })
        .collect();
    wait_all(&client, &intents).await;
    let url = format!("/api/v1/markets/rt15/periods/{start}");
    let open = net.get_json(&url).await;
    assert_eq!(
        open["sells"][0]["limit"], 150_000,
        "sells sorted cheapest first: {open}"
    );
    assert_eq!(
        open["buys"][0]["limit"], 250_000,
        "buys sorted highest first: {open}"
    );
    assert_eq!(open["cleared"], false);

    // Wait for the gate, then pair with the CLI.
    tokio::time::sleep(Duration::from_millis(
        gate.saturating_sub(gridledger_sdk::now_ms()) + 1_500,
    ))
    .await;
    let out = Command::new(BIN)
        .args([
            "tx",
            "clear-period",
            "--market",
            "rt15",
            "--period",
            &start.to_string(),
            "--rpc",
            &net.rpc,
            "--key",
            dir.join("keys/operator.json").to_str().unwrap(),
            "--password-file",
            dir.join("keys/password.txt").to_str().unwrap(),
            "--wait",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let cleared = net.get_json(&url).await;
    assert_eq!(cleared["cleared"], true);
    assert_eq!(cleared["matched_wh"], 3_000);
    assert_eq!(cleared["clearing_price"], 190_000);
    assert_eq!(cleared["contracts"].as_array().unwrap().len(), 3);
    assert!(cleared["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["approved"] == true));
    // The history index files the period's transactions under the period: four intentions,
    // then the pairing, newest first.
    // Anyone sees the book's energies and prices; whose contracts they are only the parties
    // and the entitled roles.
    let public: serde_json::Value = reqwest::get(format!("{}{url}", net.rpc))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["matched_wh"], 3_000);
    assert_eq!(
        public["contracts"][0]["energy_wh"],
        cleared["contracts"][0]["energy_wh"]
    );
    assert!(public["contracts"][0]["seller"].is_null(), "{public}");
    assert!(cleared["contracts"][0]["seller"].is_string(), "{cleared}");
    let txs = net.get_json(&format!("{url}/txs")).await;
    let kinds: Vec<&str> = txs
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tx"]["payload"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "clear_period",
            "submit_intention",
            "submit_intention",
            "submit_intention",
            "submit_intention"
        ]
    );
    // Contract 0's trace: offered, paired, approved at pairing; nothing metered or paid yet.
    let trace = net.get_json(&format!("{url}/contracts/0/trace")).await;
    let done: Vec<bool> = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["done"].as_bool().unwrap())
        .collect();
    assert_eq!(
        done,
        [true, true, true, true, false, false, false],
        "{trace}"
    );
    assert_eq!(trace["steps"][2]["txs"][0]["kind"], "clear_period");
    let _ = tmp;
    net.kill();
}
