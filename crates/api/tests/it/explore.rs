//! The dashboard's composed reads: a contract's trace (steps 1-7 from the period's indexed
//! transactions, the meters' readings and the bill), one search box, the directory.
use crate::fake::{alice, bob, key, tx_view, FakeNode, CHAIN, OPERATOR};
use crate::{app, get, get_as};
use axum::http::StatusCode;
use gridledger_api_types::ContractView;
use gridledger_types::{
    Address, ChainId, Hash32, Payload, Registers, SignedTransaction, SiteId, SubmitReadings, Topic,
    Transaction,
};
use serde_json::json;

const START: u64 = 1_754_006_400_000;
const END: u64 = START + 31 * 86_400_000;

fn sign(seed: u8, nonce: u64, payload: Payload) -> SignedTransaction {
    let k = key(seed);
    Transaction {
        chain_id: ChainId::new(CHAIN).unwrap(),
        signer: Address::of(&k),
        nonce,
        expires_at_ms: 1_800_000_000_000,
        payload,
    }
    .sign(&k)
}

fn site(s: &str) -> SiteId {
    SiteId::new(s).unwrap()
}

/// Contract `n` of the `monthly` market: alice's `bldg-a` sells to bob's `apt-1`.
pub fn contract(n: u32) -> ContractView {
    ContractView {
        number: n,
        sell: Hash32::digest(&[b"sell"]),
        buy: Hash32::digest(&[b"buy"]),
        seller: alice(),
        buyer: bob(),
        seller_site: site("bldg-a"),
        buyer_site: site("apt-1"),
        energy_wh: 5_000,
        price: 120_000,
        approved: true,
        seller_approved: true,
        buyer_approved: true,
        approval_deadline_ms: 0,
        delivered_wh: Some(5_000),
        energy_amount: Some(600_000),
        fees: Some(1_000),
    }
}

fn readings(seed: u8, until_ms: u64) -> SignedTransaction {
    let r = Registers {
        import_wh: 1,
        export_wh: 1,
    };
    sign(
        seed,
        1,
        Payload::SubmitReadings(SubmitReadings {
            first_interval_start_ms: until_ms - 3_600_000,
            interval_ms: 3_600_000,
            registers: vec![r, r],
        }),
    )
}

/// A node where contract 0 was offered, paired, approved, supplied and settled.
fn traced() -> std::sync::Arc<FakeNode> {
    let node = FakeNode::new();
    let sell = sign(
        7,
        0,
        Payload::CancelIntention {
            intention: Hash32::ZERO,
        },
    );
    let buy = sign(
        8,
        0,
        Payload::CancelIntention {
            intention: Hash32::ZERO,
        },
    );
    let mut c = contract(0);
    c.sell = sell.hash();
    c.buy = buy.hash();
    node.contracts.lock().unwrap().push(c);
    *node.cleared_settled.lock().unwrap() = (true, true);
    for (t, hgt) in [(&sell, 2), (&buy, 4)] {
        node.txs
            .lock()
            .unwrap()
            .insert(t.hash(), tx_view(t, hgt, 0));
    }
    let m = site("monthly");
    let period = |payload| sign(9, 0, payload);
    let clear = period(Payload::ClearPeriod {
        market: m.clone(),
        period_start_ms: START,
    });
    let approve0 = period(Payload::ApproveContract {
        market: m.clone(),
        period_start_ms: START,
        number: 0,
    });
    let approve1 = period(Payload::ApproveContract {
        market: m.clone(),
        period_start_ms: START,
        number: 1,
    });
    let settle = period(Payload::SettlePeriod {
        market: m.clone(),
        period_start_ms: START,
    });
    // Newest first, all successful (even index).
    node.topics.lock().unwrap().insert(
        Topic::Period(m, START).key(),
        vec![
            tx_view(&settle, 40, 0),
            tx_view(&approve1, 12, 0),
            tx_view(&approve0, 11, 0),
            tx_view(&clear, 10, 0),
        ],
    );
    let (seller_meter, buyer_meter) = (Address::of(&key(20)), Address::of(&key(21)));
    *node.directory.lock().unwrap() = json!({
        "participants": [], "devices": [], "markets": [], "tariffs": [], "billing": null,
        "sites": [
            { "site": "bldg-a", "owner": alice(), "kind": "commercial_building", "meters": [seller_meter] },
            { "site": "apt-1", "owner": bob(), "kind": "household", "meters": [buyer_meter] },
        ]
    });
    // The seller's meter reported past the period's end; the buyer's stopped before it.
    node.history
        .lock()
        .unwrap()
        .insert(seller_meter, vec![tx_view(&readings(20, END), 30, 0)]);
    node.history.lock().unwrap().insert(
        buyer_meter,
        vec![tx_view(&readings(21, END - 7_200_000), 31, 0)],
    );
    node
}

#[tokio::test]
async fn a_contract_trace_has_its_seven_steps_with_their_transactions() {
    let node = traced();
    let (s, v) = get_as(
        &app(&node),
        &format!("/api/v1/markets/monthly/periods/{START}/contracts/0/trace"),
        OPERATOR,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let steps = v["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "sell_intention",
            "buy_intention",
            "pairing",
            "approval",
            "supply",
            "confirmation",
            "payment"
        ]
    );
    let done: Vec<bool> = steps.iter().map(|s| s["done"].as_bool().unwrap()).collect();
    // Supplied (seller's meter reached the end); not confirmed (the buyer's meter did not);
    // not paid (the buyer's bill has no payment).
    assert_eq!(done, [true, true, true, true, true, false, false]);
    let kinds = |i: usize| -> Vec<String> {
        steps[i]["txs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(2), ["clear_period"]);
    assert_eq!(kinds(3), ["approve_contract"], "only contract 0's approval");
    assert_eq!(steps[3]["txs"][0]["height"], 11);
    assert_eq!(kinds(4), ["submit_readings"]);
    assert_eq!(kinds(5), ["submit_readings", "settle_period"]);
    assert_eq!(steps[0]["txs"][0]["height"], 2);
    assert_eq!(v["period_end_ms"], END);
    // Unknown contracts and bad parameters.
    let (s, _) = get_as(
        &app(&node),
        &format!("/api/v1/markets/monthly/periods/{START}/contracts/1/trace"),
        OPERATOR,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get_as(
        &app(&node),
        &format!("/api/v1/markets/monthly/periods/{START}/contracts/x/trace"),
        OPERATOR,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = get_as(
        &app(&node),
        "/api/v1/markets/monthly/periods/soon/contracts/0/trace",
        OPERATOR,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_period_lists_its_indexed_transactions_newest_first() {
    let node = traced();
    let (s, v) = get_as(
        &app(&node),
        &format!("/api/v1/markets/monthly/periods/{START}/txs"),
        OPERATOR,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let heights: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["height"].as_u64().unwrap())
        .collect();
    assert_eq!(heights, [40, 12, 11, 10]);
    let (_, v) = get_as(
        &app(&node),
        "/api/v1/markets/monthly/periods/1/txs",
        OPERATOR,
    )
    .await;
    assert_eq!(v, json!([]));
}

#[tokio::test]
async fn search_finds_each_kind_and_says_null_for_nothing() {
    let node = traced();
    let app = app(&node);
    let tx = crate::fake::signed(0).hash().to_hex();
    let cases = [
        ("2", "block", "/blocks/2".to_string()),
        (tx.as_str(), "tx", format!("/txs/{tx}")),
        (
            &alice().to_hex(),
            "account",
            format!("/accounts/{}", alice().to_hex()),
        ),
        ("bldg-a", "site", "/sites/bldg-a".to_string()),
    ];
    node.sites.lock().unwrap().insert(
        site("bldg-a"),
        serde_json::from_value(
            json!({"site": "bldg-a", "owner": alice(), "kind": "household",
            "tariff_class": "x", "contract_kw": 0, "feeder": 1, "name": "A", "registered_at": 1}),
        )
        .unwrap(),
    );
    for (q, kind, path) in cases {
        let (s, v) = get_as(&app, &format!("/api/v1/search?q={q}"), OPERATOR).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["kind"], kind, "{q}: {v}");
        assert_eq!(v["path"], path.as_str());
    }
    let (_, v) = get_as(
        &app,
        &format!("/api/v1/search?q=monthly/{START}/0"),
        OPERATOR,
    )
    .await;
    assert_eq!(v["kind"], "contract");
    assert_eq!(v["value"]["steps"].as_array().unwrap().len(), 7);
    for nothing in [
        "999",
        "nosuchsite",
        &"ab".repeat(32),
        "hourly/1/0",
        "monthly/1/9",
        "a/b/c/d",
        "%20%21",
    ] {
        let (s, v) = get_as(&app, &format!("/api/v1/search?q={nothing}"), OPERATOR).await;
        assert_eq!(s, StatusCode::OK, "{nothing}");
        assert_eq!(v["kind"], serde_json::Value::Null, "{nothing}: {v}");
    }
    for bad in ["", &"1".repeat(101)] {
        let (s, _) = get(&app, &format!("/api/v1/search?q={bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad:?}");
    }
}

#[tokio::test]
async fn the_directory_is_the_node_s() {
    let node = traced();
    let (s, v) = get(&app(&node), "/api/v1/directory").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["sites"][0]["site"], "bldg-a");
    node.broken.store(true, std::sync::atomic::Ordering::SeqCst);
    let (s, _) = get(&app(&node), "/api/v1/directory").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
}
