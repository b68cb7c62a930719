//! GET routes: status, txs, blocks, accounts, history, participants.
use crate::fake::{alice, block_view, h, key, signed, tx_view, FakeNode, NOBODY, OPERATOR, SALES};
use crate::{app, assert_error, get, get_as};
use gridledger_types::Address;

/// alice's key seed (the fake's prosumer).
const ALICE: u8 = 7;
use axum::http::StatusCode;

use gridledger_api_types::*;

#[tokio::test]
async fn status_is_the_nodes() {
    let node = FakeNode::new();
    let (s, v) = get(&app(&node), "/api/v1/status").await;
    assert_eq!(s, StatusCode::OK);
    let got: StatusView = serde_json::from_value(v).unwrap();
    assert_eq!(got, node.status());
}

#[tokio::test]
async fn tx_found_missing_and_invalid_hash() {
    let node = FakeNode::new();
    let app = app(&node);
    let tx = signed(0);
    let (s, v) = get_as(&app, &format!("/api/v1/txs/{}", tx.hash()), ALICE).await;
    assert_eq!(s, StatusCode::OK);
    let got: TxView = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(got, tx_view(&tx, 2, 0));
    assert_eq!(v["tx"]["payload"]["type"], "transfer");
    assert_eq!(v["receipt"]["status"], "success");

    // 0x prefix accepted.
    let (s, _) = get_as(&app, &format!("/api/v1/txs/0x{}", tx.hash()), ALICE).await;
    assert_eq!(s, StatusCode::OK);

    let (s, v) = get_as(&app, &format!("/api/v1/txs/{}", h("missing")), ALICE).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");

    for bad in ["zz", "abcd", &"0".repeat(66), "%FF%FE"] {
        let (s, v) = get_as(&app, &format!("/api/v1/txs/{bad}"), ALICE).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "invalid_hash");
    }
}

#[tokio::test]
async fn blocks_by_height_latest_missing_and_invalid() {
    let node = FakeNode::new();
    let app = app(&node);
    let (s, v) = get(&app, "/api/v1/blocks/2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_value::<BlockView>(v).unwrap(),
        block_view(2)
    );

    let (s, v) = get(&app, "/api/v1/blocks/latest").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_value::<BlockView>(v).unwrap(),
        block_view(3)
    );

    let (s, v) = get(&app, "/api/v1/blocks/4").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");

    // The status says height 5 but the block is not stored (yet): 404, not 500.
    node.status.lock().unwrap().height = 5;
    let (s, v) = get(&app, "/api/v1/blocks/latest").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");

    for bad in ["-1", "abc", "1.5", "18446744073709551616", "0x10"] {
        let (s, v) = get(&app, &format!("/api/v1/blocks/{bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "invalid_height");
    }
}

#[tokio::test]
async fn accounts_known_unknown_and_invalid() {
    let node = FakeNode::new();
    let app = app(&node);
    let (s, v) = get_as(&app, &format!("/api/v1/accounts/{}", alice()), ALICE).await;
    assert_eq!(s, StatusCode::OK);
    let a: AccountView = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(a, node.accounts.lock().unwrap()[&alice()]);
    assert_eq!(v["balance"], 10_000);
    assert_eq!(v["role"], "prosumer");

    // Unknown address: a zero account, not an error (the operator may read any account).
    let nobody = Address::of(&key(NOBODY));
    let (s, v) = get_as(&app, &format!("/api/v1/accounts/{nobody}"), OPERATOR).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["balance"], 0);
    assert!(v["role"].is_null());

    for bad in ["zz", "00", &"g".repeat(64)] {
        let (s, v) = get_as(&app, &format!("/api/v1/accounts/{bad}"), ALICE).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "invalid_address");
    }
}

#[tokio::test]
async fn participants_found_missing_and_invalid() {
    let node = FakeNode::new();
    let app = app(&node);
    let (s, v) = get(&app, &format!("/api/v1/participants/{}", alice())).await;
    assert_eq!(s, StatusCode::OK);
    let p: ParticipantView = serde_json::from_value(v).unwrap();
    assert_eq!(p.name, "건물 A");
    assert_eq!(p.address, alice());

    let nobody = Address::of(&key(NOBODY));
    let (s, v) = get(&app, &format!("/api/v1/participants/{nobody}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");

    let (s, v) = get(&app, "/api/v1/participants/xyz").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_address");
}

/// Five transactions of alice at heights 5..1, newest first.
fn seed_history(node: &FakeNode) -> Vec<TxView> {
    let items: Vec<TxView> = (1..=5u64)
        .rev()
        .map(|height| tx_view(&signed(height), height, (height % 2) as u32))
        .collect();
    node.history.lock().unwrap().insert(alice(), items.clone());
    items
}

async fn page(app: &axum::Router, query: &str) -> HistoryPage {
    let (s, v) = get_as(
        app,
        &format!("/api/v1/accounts/{}/txs{query}", alice()),
        ALICE,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn history_pages_with_a_cursor_until_the_end() {
    let node = FakeNode::new();
    let all = seed_history(&node);
    let app = app(&node);

    let p1 = page(&app, "?limit=2").await;
    assert_eq!(p1.items, all[..2]);
    let c1 = p1.next_cursor.expect("a full page has a cursor");

    let p2 = page(&app, &format!("?limit=2&cursor={c1}")).await;
    assert_eq!(p2.items, all[2..4]);
    let c2 = p2.next_cursor.expect("a full page has a cursor");

    let p3 = page(&app, &format!("?limit=2&cursor={c2}")).await;
    assert_eq!(p3.items, all[4..]);
    assert_eq!(p3.next_cursor, None, "the last page has no cursor");

    // The cursor carries the (height, index) of the last item, and the API asks one extra row.
    let calls = node.history_calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![
            (None, 3),
            (Some((all[1].height, all[1].index)), 3),
            (Some((all[3].height, all[3].index)), 3),
        ]
    );
}

#[tokio::test]
async fn history_exactly_full_last_page_has_no_cursor_and_defaults_apply() {
    let node = FakeNode::new();
    let all = seed_history(&node);
    let app = app(&node);
    let p = page(&app, "?limit=5").await;
    assert_eq!(p.items, all);
    assert_eq!(p.next_cursor, None);

    let p = page(&app, "").await;
    assert_eq!(p.items, all);
    assert_eq!(node.history_calls.lock().unwrap().last().unwrap().1, 21);

    let p = page(&app, "?limit=100&cursor=").await;
    assert_eq!(p.items.len(), 5);

    // Unknown account: an empty page.
    let nobody = Address::of(&key(NOBODY));
    let (s, v) = get_as(&app, &format!("/api/v1/accounts/{nobody}/txs"), OPERATOR).await;
    assert_eq!(s, StatusCode::OK);
    let p: HistoryPage = serde_json::from_value(v).unwrap();
    assert!(p.items.is_empty() && p.next_cursor.is_none());
}

#[tokio::test]
async fn history_rejects_bad_limits_cursors_and_addresses() {
    let node = FakeNode::new();
    seed_history(&node);
    let app = app(&node);
    let base = format!("/api/v1/accounts/{}/txs", alice());
    for q in [
        "limit=101",
        "limit=0",
        "limit=-1",
        "limit=abc",
        "limit=99999999999999999999999",
    ] {
        let (s, v) = get_as(&app, &format!("{base}?{q}"), ALICE).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        assert_error(&v, "invalid_limit");
    }
    for q in [
        "cursor=abc",
        "cursor=1",
        "cursor=1-x",
        "cursor=1-2-3",
        "cursor=-5",
    ] {
        let (s, v) = get_as(&app, &format!("{base}?{q}"), ALICE).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        assert_error(&v, "invalid_cursor");
    }
    let (s, v) = get_as(&app, "/api/v1/accounts/nothex/txs", ALICE).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_address");
    assert!(node.history_calls.lock().unwrap().is_empty());
}

/// Alice's commercial building `bldg-a` (300 kW, feeder 4).
fn building() -> SiteView {
    SiteView {
        site: gridledger_types::SiteId::new("bldg-a").unwrap(),
        owner: alice(),
        kind: "commercial_building".into(),
        tariff_class: "general-low".into(),
        contract_kw: 300,
        feeder: 4,
        name: "Building A".into(),
        registered_at: 7,
    }
}

#[tokio::test]
async fn sites_and_monthly_readings() {
    let node = FakeNode::new();
    let app = app(&node);
    let id = gridledger_types::SiteId::new("bldg-a").unwrap();
    node.sites.lock().unwrap().insert(id.clone(), building());
    node.readings.lock().unwrap().insert(
        (id.clone(), 202507),
        SiteReadingsView {
            site: id.clone(),
            month: 202507,
            import_wh: 900,
            export_wh: 10,
            corrections: 1,
            intervals: vec![IntervalView {
                start_ms: 1_751_295_600_000,
                import_wh: 900,
                export_wh: 10,
            }],
        },
    );
    let (s, v) = get(&app, "/api/v1/sites/bldg-a").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_value::<SiteView>(v).unwrap().contract_kw,
        300
    );
    let (s, v) = get_as(&app, "/api/v1/sites/bldg-a/readings?month=202507", ALICE).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r: SiteReadingsView = serde_json::from_value(v).unwrap();
    assert_eq!((r.import_wh, r.intervals.len()), (900, 1));
    // Another month of a known site is empty, not an error.
    let (s, v) = get_as(&app, "/api/v1/sites/bldg-a/readings?month=202508", ALICE).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["import_wh"], 0);
    // Errors.
    let (s, v) = get(&app, "/api/v1/sites/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");
    let (s, v) = get(&app, "/api/v1/sites/Bad%20Id").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_site");
    for q in ["", "?month=2025-07", "?month=202513", "?month=abc"] {
        let (s, v) = get_as(&app, &format!("/api/v1/sites/bldg-a/readings{q}"), ALICE).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        assert_error(&v, "invalid_month");
    }
}

#[tokio::test]
async fn a_site_s_mandates_known_unknown_and_invalid() {
    let node = FakeNode::new();
    let app = app(&node);
    let id = gridledger_types::SiteId::new("farm").unwrap();
    let site = SiteView {
        site: id.clone(),
        ..building()
    };
    node.sites.lock().unwrap().insert(id.clone(), site);
    let (s, v) = get_as(&app, "/api/v1/sites/farm/mandates", ALICE).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got: SiteMandatesView = serde_json::from_value(v.clone()).unwrap();
    assert_eq!((got.site, got.owner), (id, alice()));
    assert_eq!(got.mandates[0].company, Address::of(&key(SALES)));
    assert_eq!(v["mandates"][0]["sides"], "sell");
    assert_eq!(v["mandates"][0]["share_bp"], 500);
    let (s, v) = get(&app, "/api/v1/sites/nope/mandates").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");
    let (s, v) = get(&app, "/api/v1/sites/Bad%20Id/mandates").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_site");
}

#[tokio::test]
async fn market_periods() {
    let node = FakeNode::new();
    let app = app(&node);
    let (s, v) = get(&app, "/api/v1/markets/monthly/periods/1754006400000").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["period_start_ms"], 1_754_006_400_000u64);
    let (s, v) = get(&app, "/api/v1/markets/nope/periods/1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");
    let (s, v) = get(&app, "/api/v1/markets/monthly/periods/2025-08").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_height");
    let (s, v) = get(&app, "/api/v1/markets/Bad%20M/periods/1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_site");
}

#[tokio::test]
async fn billing_routes_parse_their_parameters_and_pass_the_query_on() {
    use gridledger_types::SiteId;
    let node = FakeNode::new();
    crate::fake::add_site(&node, "h1", alice());
    crate::fake::add_site(&node, "nobill", alice());
    let app = app(&node);
    let (s, v) = get_as(&app, "/api/v1/sites/h1/bills/202508", OPERATOR).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = get_as(&app, "/api/v1/sites/nobill/bills/202508", OPERATOR).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");
    let a = alice();
    let (s, _) = get_as(
        &app,
        &format!("/api/v1/accounts/{a}/bills/202508"),
        OPERATOR,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get(&app, "/api/v1/billing/202508").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get_as(
        &app,
        "/api/v1/reports/bank/202508?market=monthly&period_start_ms=1754006400000",
        OPERATOR,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        node.billing_calls.lock().unwrap().clone(),
        vec![
            BillingQuery::SiteBill {
                site: SiteId::new("h1").unwrap(),
                month: 202508
            },
            BillingQuery::SiteBill {
                site: SiteId::new("nobill").unwrap(),
                month: 202508
            },
            BillingQuery::AccountBill {
                account: a.clone(),
                month: 202508
            },
            BillingQuery::Month { month: 202508 },
            BillingQuery::BankReport {
                month: 202508,
                period: Some((SiteId::new("monthly").unwrap(), 1_754_006_400_000)),
                csv: false
            },
        ]
    );
    // CSV comes as text/csv.
    let req = crate::signed_get("/api/v1/reports/bank/202508?format=csv", OPERATOR);
    let (s, ctype, body) = crate::send(&app, req).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    assert!(String::from_utf8(body).unwrap().ends_with("TOTAL,,0,0,0\n"));
    // Bad parameters are refused before the node is asked.
    let before = node.billing_calls.lock().unwrap().len();
    for (path, code) in [
        ("/api/v1/sites/h1/bills/2025-08", "invalid_month"),
        ("/api/v1/sites/h1/bills/202513", "invalid_month"),
        ("/api/v1/sites/Bad%20Site/bills/202508", "invalid_site"),
        ("/api/v1/accounts/zz/bills/202508", "invalid_address"),
        ("/api/v1/billing/20250", "invalid_month"),
        ("/api/v1/reports/bank/202508?format=xml", "invalid_request"),
        (
            "/api/v1/reports/bank/202508?market=monthly",
            "invalid_request",
        ),
        (
            "/api/v1/reports/bank/202508?market=monthly&period_start_ms=x",
            "invalid_request",
        ),
    ] {
        let (s, v) = get_as(&app, path, OPERATOR).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}");
        assert_error(&v, code);
    }
    assert_eq!(node.billing_calls.lock().unwrap().len(), before);
}
