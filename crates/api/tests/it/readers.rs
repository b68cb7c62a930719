//! Who may read what (docs/SECURITY.md, "Who may read"): for every route that serves personal
//! data, an anonymous caller is `401 unauthorized` with the signed-read challenge, another
//! participant `403 forbidden`, and the owner (by its key, by a device it owns, by its session
//! cookie) and each entitled role are served. Signed reads that are stale, forged, malformed or
//! for another chain are `401`. Mixed views (a period, search, lists) are redacted or filtered.
use crate::explore::contract;
use crate::fake::*;
use crate::portal::FakePortal;
use crate::{app_with_services, now_ms, read_header, signed_get};
use axum::{
    body::Body,
    http::{Request, StatusCode},
    Router,
};
use gridledger_api_types::{ChargingQuery, TxView};
use gridledger_types::{Address, ChainId, Payload, Transaction};
use serde_json::{json, Value};
use std::sync::Arc;

const ALICE: u8 = 7;
const BOB: u8 = 8;
const START: u64 = 1_754_006_400_000;

/// alice (a prosumer and charging member 10000001) owns site `bldg-a` and a meter; bob is the
/// charging operator; contract 0 of the monthly market sells alice's energy to bob.
fn world() -> (Arc<FakeNode>, Router) {
    let node = FakeNode::new();
    add_site(&node, "bldg-a", alice());
    node.contracts.lock().unwrap().push(contract(0));
    node.charging.lock().unwrap().push((
        ChargingQuery::MemberByAccount { account: alice() },
        json!({"member_no": 10_000_001, "address": alice(), "operator": bob()}),
    ));
    let app = app_with_services(
        &node,
        &FakeCharging::new(),
        &Arc::new(FakePortal::default()),
    );
    (node, app)
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value, Option<String>) {
    let resp = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, v, challenge)
}

fn anonymous(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn with_session(path: &str) -> Request<Body> {
    Request::get(path)
        .header("cookie", format!("gl_session={}", crate::portal::TOKEN))
        .body(Body::empty())
        .unwrap()
}

fn with_header(path: &str, authorization: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", authorization)
        .body(Body::empty())
        .unwrap()
}

/// A personal route: who is served (200) and who is refused (403); `session` says whether
/// alice's dashboard session is served.
struct Case {
    path: String,
    served: &'static [u8],
    refused: &'static [u8],
    session: bool,
}

fn cases() -> Vec<Case> {
    let a = alice();
    let tx = signed(0).hash();
    // alice's records: alice, her meter, and the four entitled roles.
    const ALICES: &[u8] = &[ALICE, ALICE_METER, OPERATOR, BANK, GRID, AUDITOR];
    const NOT_ALICES: &[u8] = &[CAROL, BOB, OTHER_CPO, SALES];
    // The records of alice's site: also the sales company with her mandate in force, not the
    // one whose mandate she revoked.
    const SITES: &[u8] = &[ALICE, ALICE_METER, SALES, OPERATOR, BANK, GRID, AUDITOR];
    const NOT_SITES: &[u8] = &[CAROL, BOB, OTHER_CPO, SALES_ENDED];
    // Records of alice and bob together (a transfer, a PPA, a contract).
    const PARTIES: &[u8] = &[ALICE, BOB, ALICE_METER, OPERATOR, BANK, GRID, AUDITOR];
    const STRANGERS: &[u8] = &[CAROL, OTHER_CPO, SALES_ENDED];
    // A contract of alice's site: also the sales company under her mandate.
    const CONTRACT: &[u8] = &[
        ALICE,
        BOB,
        ALICE_METER,
        SALES,
        OPERATOR,
        BANK,
        GRID,
        AUDITOR,
    ];
    // Charging records of member alice with operator bob (the grid company has no business
    // with charging).
    const CHARGING: &[u8] = &[ALICE, BOB, ALICE_METER, OPERATOR, BANK, AUDITOR];
    const NOT_CHARGING: &[u8] = &[GRID, CAROL, OTHER_CPO];
    let case = |path: String, served, refused, session| Case {
        path,
        served,
        refused,
        session,
    };
    vec![
        case(format!("/api/v1/accounts/{a}"), ALICES, NOT_ALICES, true),
        case(
            format!("/api/v1/accounts/{a}/txs"),
            ALICES,
            NOT_ALICES,
            true,
        ),
        case(
            format!("/api/v1/accounts/{a}/bills/202508"),
            ALICES,
            NOT_ALICES,
            true,
        ),
        case(
            "/api/v1/sites/bldg-a/readings?month=202508".into(),
            SITES,
            NOT_SITES,
            true,
        ),
        case(
            "/api/v1/sites/bldg-a/bills/202508".into(),
            SITES,
            NOT_SITES,
            true,
        ),
        case(
            "/api/v1/sites/bldg-a/forecast/202508".into(),
            SITES,
            NOT_SITES,
            true,
        ),
        case(format!("/api/v1/txs/{tx}"), PARTIES, STRANGERS, true),
        case(
            format!("/api/v1/ppas/{}", h("ppa")),
            PARTIES,
            STRANGERS,
            true,
        ),
        case(
            format!("/api/v1/markets/monthly/periods/{START}/contracts/0/trace"),
            CONTRACT,
            STRANGERS,
            true,
        ),
        // Every record to alice and the entitled roles, each company its own (see
        // a_company_reads_only_its_own_mandate).
        case(
            "/api/v1/sites/bldg-a/mandates".into(),
            &[
                ALICE,
                ALICE_METER,
                SALES,
                SALES_ENDED,
                OPERATOR,
                BANK,
                GRID,
                AUDITOR,
            ],
            &[CAROL, BOB, OTHER_CPO],
            true,
        ),
        case(
            "/api/v1/reports/bank/202508".into(),
            &[OPERATOR, BANK, GRID, AUDITOR],
            &[ALICE, BOB, CAROL, ALICE_METER, OTHER_CPO],
            false,
        ),
        case(
            "/api/v1/charging/members/10000001".into(),
            CHARGING,
            NOT_CHARGING,
            true,
        ),
        case(
            "/api/v1/charging/sessions/CP-1/7".into(),
            CHARGING,
            NOT_CHARGING,
            true,
        ),
        case(
            "/api/v1/charging/sessions".into(),
            CHARGING,
            &[GRID, CAROL],
            true,
        ),
        case(
            "/api/v1/charging/revenue".into(),
            &[BOB, OPERATOR, BANK, AUDITOR],
            &[ALICE, ALICE_METER, GRID, CAROL],
            false,
        ),
    ]
}

#[tokio::test]
async fn every_personal_route_serves_its_owner_and_the_entitled_roles_and_refuses_others() {
    let (_, app) = world();
    let personal = cases();
    for c in &personal {
        let p = c.path.as_str();
        let (s, v, challenge) = call(&app, anonymous(p)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "anonymous {p}: {v}");
        assert_eq!(v["code"], "unauthorized", "{p}");
        assert_eq!(
            challenge.as_deref(),
            Some(r#"GridLedger-Ed25519 realm="gridledger""#),
            "{p}"
        );
        for seed in c.served {
            let (s, v, _) = call(&app, signed_get(p, *seed)).await;
            assert_eq!(s, StatusCode::OK, "key {seed} {p}: {v}");
        }
        for seed in c.refused {
            let (s, v, challenge) = call(&app, signed_get(p, *seed)).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "key {seed} {p}: {v}");
            assert_eq!(v["code"], "forbidden", "{p}");
            assert_eq!(challenge, None);
        }
        let (s, v, _) = call(&app, with_session(p)).await;
        let want = if c.session {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(s, want, "alice's session {p}: {v}");
    }
    // Every personal route of ROUTES is in the table (the rest are public or filtered lists,
    // tested below).
    let listed: Vec<&str> = personal
        .iter()
        .map(|c| c.path.split('?').next().unwrap())
        .collect();
    for route in [
        "/api/v1/accounts/",
        "/txs",
        "/bills/",
        "/readings",
        "/forecast/",
        "/mandates",
        "/api/v1/txs/",
        "/api/v1/ppas/",
        "/trace",
        "/reports/bank/",
        "/charging/members/",
        "/charging/sessions",
        "/charging/revenue",
    ] {
        assert!(listed.iter().any(|p| p.contains(route)), "{route}");
    }
}

#[tokio::test]
async fn stale_forged_malformed_and_foreign_signatures_are_401() {
    let (_, app) = world();
    let path = format!("/api/v1/accounts/{}", alice());
    let p = path.as_str();
    let alice_key = key(ALICE);
    let now = now_ms();
    let sign = |target: &str, t: u64| read_header(&alice_key, target, t);
    let other_chain =
        gridledger_types::ReadAuth::sign(&alice_key, "testnet", "GET", p, now).header_value();
    // carol's signature under alice's address.
    let carol_sig = gridledger_types::ReadAuth::sign(&key(CAROL), CHAIN, "GET", p, now);
    let alice_sig = gridledger_types::ReadAuth::sign(&alice_key, CHAIN, "GET", p, now);
    let forged = gridledger_types::ReadAuth {
        signature: carol_sig.signature,
        ..alice_sig.clone()
    }
    .header_value();
    let cases = [
        (sign(p, now - 61_000), "stale_read"),
        (sign(p, now + 61_000), "stale_read"),
        (sign("/api/v1/accounts/other", now), "bad_read_signature"),
        (sign(&format!("{p}?x=1"), now), "bad_read_signature"),
        (other_chain, "bad_read_signature"),
        (forged, "bad_read_signature"),
        ("GridLedger-Ed25519 address=zz".into(), "bad_read_signature"),
        (
            gridledger_types::ReadAuth {
                time_ms: now + 1,
                ..alice_sig.clone()
            }
            .header_value(),
            "bad_read_signature",
        ),
    ];
    for (header, code) in cases {
        let (s, v, challenge) = call(&app, with_header(p, &header)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{header}: {v}");
        assert_eq!(v["code"], code, "{header}");
        assert!(challenge.is_some());
    }
    // Within the window either way is fine; a POST signature does not open a GET.
    for t in [now - 50_000, now + 50_000] {
        let (s, _, _) = call(&app, with_header(p, &sign(p, t))).await;
        assert_eq!(s, StatusCode::OK);
    }
    let post = gridledger_types::ReadAuth::sign(&alice_key, CHAIN, "POST", p, now).header_value();
    let (s, _, _) = call(&app, with_header(p, &post)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Credentials nobody checks out are anonymous (401 unauthorized).
    for header in ["Bearer wrong", "Basic Q1AtMTp3cm9uZw==", "Digest x"] {
        let (s, v, _) = call(&app, with_header(p, header)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(v["code"], "unauthorized");
    }
    // A bad signature on a public route is ignored (public routes do not read credentials).
    let (s, _, _) = call(&app, with_header("/api/v1/status", "GridLedger-Ed25519 x")).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_suspended_participant_keeps_its_own_records_but_loses_its_role() {
    let (node, app) = world();
    let bank = Address::of(&key(BANK));
    node.participants
        .lock()
        .unwrap()
        .get_mut(&bank)
        .unwrap()
        .suspended = true;
    let alices = format!("/api/v1/accounts/{}", alice());
    let (s, _, _) = call(&app, signed_get(&alices, BANK)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = call(&app, signed_get(&format!("/api/v1/accounts/{bank}"), BANK)).await;
    assert_eq!(s, StatusCode::OK);
    // A device never carries its owner's role: the operator's meter reads the operator's
    // account, not alice's.
    let op = Address::of(&key(OPERATOR));
    node.devices.lock().unwrap().insert(
        Address::of(&key(42)),
        gridledger_api_types::DeviceView {
            device: Address::of(&key(42)),
            kind: gridledger_types::DeviceKind::Meter,
            owner: op.clone(),
        },
    );
    let (s, _, _) = call(&app, signed_get(&format!("/api/v1/accounts/{op}"), 42)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&app, signed_get(&alices, 42)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_member_card_is_shown_only_to_the_member_and_its_charging_operator() {
    let (node, app) = world();
    let p = "/api/v1/charging/members/10000001";
    for seed in [ALICE, BOB, ALICE_METER] {
        let (s, v, _) = call(&app, signed_get(p, seed)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["card"], "04A2B9C1", "key {seed}");
    }
    let (_, v, _) = call(&app, with_session(p)).await;
    assert_eq!(v["card"], "04A2B9C1");
    // bob's bearer token (the charging operator's back office) too.
    let bearer = format!("Bearer {}", crate::charging::TOKEN);
    let (s, v, _) = call(&app, with_header(p, &bearer)).await;
    assert_eq!((s, &v["card"]), (StatusCode::OK, &json!("04A2B9C1")));
    for seed in [OPERATOR, BANK, AUDITOR] {
        let (s, v, _) = call(&app, signed_get(p, seed)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["card"], Value::Null, "key {seed}");
        assert_eq!(v["balance_mwon"], 50_000_000, "the rest is shown");
    }
    // The card in the enrolling transaction: the same rule.
    let k = key(BOB);
    let enroll = Transaction {
        chain_id: ChainId::new(CHAIN).unwrap(),
        signer: bob(),
        nonce: 3,
        expires_at_ms: 1_800_000_000_000,
        payload: Payload::EnrollMember {
            account: alice(),
            card: "04A2B9C1".into(),
        },
    }
    .sign(&k);
    let view: TxView = tx_view(&enroll, 2, 0);
    node.txs.lock().unwrap().insert(enroll.hash(), view.clone());
    node.history.lock().unwrap().insert(bob(), vec![view]);
    let tp = format!("/api/v1/txs/{}", enroll.hash());
    for (seed, card) in [
        (ALICE, json!("04A2B9C1")),
        (BOB, json!("04A2B9C1")),
        (AUDITOR, Value::Null),
        (OPERATOR, Value::Null),
    ] {
        let (s, v, _) = call(&app, signed_get(&tp, seed)).await;
        assert_eq!(s, StatusCode::OK, "key {seed}");
        assert_eq!(v["tx"]["payload"]["card"], card, "key {seed}");
    }
    let hp = format!("/api/v1/accounts/{}/txs", bob());
    let (_, v, _) = call(&app, signed_get(&hp, AUDITOR)).await;
    assert_eq!(v["items"][0]["tx"]["payload"]["card"], Value::Null);
    let (_, v, _) = call(&app, signed_get(&hp, BOB)).await;
    assert_eq!(v["items"][0]["tx"]["payload"]["card"], "04A2B9C1");
}

#[tokio::test]
async fn charging_lists_show_each_reader_its_own() {
    let (_, app) = world();
    // Another charging operator sees none of bob's sessions and none of his revenue.
    let (s, v, _) = call(&app, signed_get("/api/v1/charging/sessions", OTHER_CPO)).await;
    assert_eq!((s, v["sessions"].clone()), (StatusCode::OK, json!([])));
    let (s, v, _) = call(&app, signed_get("/api/v1/charging/revenue", OTHER_CPO)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["days"].clone(), v["total_mwon"].clone()),
        (json!([]), json!(0))
    );
    let (s, _, _) = call(
        &app,
        signed_get("/api/v1/charging/revenue?charger=CP-1", OTHER_CPO),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // bob sees his.
    let (_, v, _) = call(&app, signed_get("/api/v1/charging/revenue", BOB)).await;
    assert_eq!(v["total_mwon"], 16_000_000);
    // A member asks for its own sessions only.
    let (s, _, _) = call(
        &app,
        signed_get("/api/v1/charging/sessions?member=10000002", ALICE),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A charger (Basic) reads the sessions at itself, no other; its secret is no key to a
    // member.
    let basic = crate::charging::basic("CP-1", crate::charging::SECRET);
    for (path, want) in [
        ("/api/v1/charging/sessions/CP-1/7", StatusCode::OK),
        ("/api/v1/charging/sessions/CP-2/7", StatusCode::FORBIDDEN),
        (
            "/api/v1/charging/sessions?charger=CP-2",
            StatusCode::FORBIDDEN,
        ),
        ("/api/v1/charging/members/10000001", StatusCode::FORBIDDEN),
    ] {
        let (s, v, _) = call(&app, with_header(path, &basic)).await;
        assert_eq!(s, want, "{path}: {v}");
    }
    let (s, v, _) = call(&app, with_header("/api/v1/charging/sessions", &basic)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["charger"] == "CP-1"));
}

#[tokio::test]
async fn lists_of_ppas_and_period_transactions_show_each_reader_its_own() {
    let (node, app) = world();
    let ppas = "/api/v1/markets/monthly/ppas";
    let (s, _, _) = call(&app, anonymous(ppas)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for (seed, n) in [(CAROL, 0), (ALICE, 1), (BOB, 1), (AUDITOR, 1)] {
        let (s, v, _) = call(&app, signed_get(ppas, seed)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v.as_array().unwrap().len(), n, "key {seed}");
    }
    // A period's transactions: alice's transfer to bob, and one of carol's.
    let carols_tx = Transaction {
        chain_id: ChainId::new(CHAIN).unwrap(),
        signer: carol(),
        nonce: 0,
        expires_at_ms: 1_800_000_000_000,
        payload: Payload::CancelIntention {
            intention: h("carol's"),
        },
    }
    .sign(&key(CAROL));
    let key_of =
        gridledger_types::Topic::Period(gridledger_types::SiteId::new("monthly").unwrap(), START)
            .key();
    let mut carols = tx_view(&carols_tx, 5, 0);
    carols.receipt.events.clear();
    node.topics
        .lock()
        .unwrap()
        .insert(key_of, vec![carols, tx_view(&signed(0), 4, 0)]);
    let txs = format!("/api/v1/markets/monthly/periods/{START}/txs");
    let (s, _, _) = call(&app, anonymous(&txs)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let heights = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["height"].as_u64().unwrap())
            .collect()
    };
    for (seed, want) in [
        (CAROL, vec![5]),
        (ALICE, vec![4]),
        (OTHER_CPO, vec![]),
        (GRID, vec![5, 4]),
    ] {
        let (s, v, _) = call(&app, signed_get(&txs, seed)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(heights(&v), want, "key {seed}");
    }
}

#[tokio::test]
async fn a_period_shows_aggregates_to_all_and_identities_to_their_parties() {
    let (node, app) = world();
    let mut c1 = contract(1);
    c1.seller = carol();
    c1.buyer = Address::of(&key(OTHER_CPO));
    c1.seller_site = gridledger_types::SiteId::new("carols").unwrap();
    c1.buyer_site = gridledger_types::SiteId::new("other").unwrap();
    node.contracts.lock().unwrap().push(c1);
    let p = format!("/api/v1/markets/monthly/periods/{START}");
    let identities = |v: &Value, i: usize| -> Vec<Value> {
        gridledger_api::policy::CONTRACT_IDENTITIES
            .iter()
            .map(|k| v["contracts"][i][*k].clone())
            .collect()
    };
    let hidden = vec![Value::Null; 6];
    // Anonymous: every contract's energy and price, nobody's identity.
    let (s, v, _) = call(&app, anonymous(&p)).await;
    assert_eq!(s, StatusCode::OK);
    for i in 0..2 {
        assert_eq!(identities(&v, i), hidden, "{v}");
        assert_eq!(v["contracts"][i]["energy_wh"], 5_000);
        assert_eq!(v["contracts"][i]["price"], 120_000);
    }
    // alice sees her contract, not carol's; carol the other way round.
    let (_, v, _) = call(&app, signed_get(&p, ALICE)).await;
    assert_eq!(v["contracts"][0]["seller"], alice().to_hex());
    assert_eq!(identities(&v, 1), hidden);
    let (_, v, _) = call(&app, signed_get(&p, CAROL)).await;
    assert_eq!(identities(&v, 0), hidden);
    assert_eq!(v["contracts"][1]["seller"], carol().to_hex());
    // The sales company with alice's mandate in force sees her site's contract; the one whose
    // mandate she revoked sees neither.
    let (_, v, _) = call(&app, signed_get(&p, SALES)).await;
    assert_eq!(v["contracts"][0]["seller_site"], "bldg-a");
    assert_eq!(identities(&v, 1), hidden);
    let (_, v, _) = call(&app, signed_get(&p, SALES_ENDED)).await;
    assert_eq!(identities(&v, 0), hidden);
    // The auditor sees both.
    let (_, v, _) = call(&app, signed_get(&p, AUDITOR)).await;
    assert_eq!(v["contracts"][0]["buyer"], bob().to_hex());
    assert_eq!(v["contracts"][1]["buyer_site"], "other");
}

#[tokio::test]
async fn a_company_reads_only_its_own_mandate() {
    let (_, app) = world();
    let p = "/api/v1/sites/bldg-a/mandates";
    let companies = |v: &Value| -> Vec<String> {
        v["mandates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["company"].as_str().unwrap().to_string())
            .collect()
    };
    let (sales, ended) = (
        Address::of(&key(SALES)).to_hex(),
        Address::of(&key(SALES_ENDED)).to_hex(),
    );
    // The owner, its meter and the entitled roles: every record, live and ended.
    for seed in [ALICE, ALICE_METER, OPERATOR, AUDITOR] {
        let (s, v, _) = call(&app, signed_get(p, seed)).await;
        assert_eq!(s, StatusCode::OK, "{seed}: {v}");
        assert_eq!(companies(&v), [sales.clone(), ended.clone()], "{seed}");
    }
    // Each company: its own record only (the revoked one still reads that it was revoked).
    let (_, v, _) = call(&app, signed_get(p, SALES)).await;
    assert_eq!(companies(&v), [sales]);
    assert_eq!(v["owner"], alice().to_hex());
    let (_, v, _) = call(&app, signed_get(p, SALES_ENDED)).await;
    assert_eq!(companies(&v), [ended]);
    assert_eq!(v["mandates"][0]["active"], false);
}

#[tokio::test]
async fn search_never_shows_what_the_reader_may_not_read() {
    let (node, app) = world();
    node.history
        .lock()
        .unwrap()
        .insert(alice(), vec![tx_view(&signed(0), 2, 0)]);
    let tx = signed(0).hash();
    let q = |x: &str| format!("/api/v1/search?q={x}");
    // A transaction: restricted to strangers and anonymous callers, shown to its parties.
    for req in [
        anonymous(&q(&tx.to_hex())),
        signed_get(&q(&tx.to_hex()), CAROL),
    ] {
        let (s, v, _) = call(&app, req).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["kind"], "tx");
        assert_eq!(
            (v["value"].clone(), v["restricted"].clone()),
            (Value::Null, json!(true))
        );
    }
    let (_, v, _) = call(&app, signed_get(&q(&tx.to_hex()), BOB)).await;
    assert_eq!(v["value"]["hash"], tx.to_hex());
    // An account: the public registration only.
    let (_, v, _) = call(&app, anonymous(&q(&alice().to_hex()))).await;
    assert_eq!(v["kind"], "account");
    assert_eq!(v["restricted"], true);
    assert_eq!(v["value"]["participant"]["name"], "건물 A");
    assert!(v["value"].get("account").is_none() && v["value"].get("history").is_none());
    let (_, v, _) = call(&app, signed_get(&q(&alice().to_hex()), ALICE)).await;
    assert_eq!(v["value"]["account"]["balance"], 10_000);
    assert_eq!(v["value"]["history"].as_array().unwrap().len(), 1);
    // An unregistered account with history is nothing to a stranger.
    let (_, v, _) = call(&app, signed_get(&q(&bob().to_hex()), CAROL)).await;
    assert_eq!(
        v["kind"], "account",
        "bob is a registered charging operator"
    );
    assert_eq!(v["restricted"], true);
    let nobody = Address::of(&key(NOBODY));
    node.history
        .lock()
        .unwrap()
        .insert(nobody.clone(), vec![tx_view(&signed(0), 2, 0)]);
    let (_, v, _) = call(&app, anonymous(&q(&nobody.to_hex()))).await;
    assert_eq!(v["kind"], Value::Null);
    // A contract.
    let cq = q(&format!("monthly/{START}/0"));
    let (_, v, _) = call(&app, signed_get(&cq, CAROL)).await;
    assert_eq!(
        (v["kind"].clone(), v["restricted"].clone()),
        (json!("contract"), json!(true))
    );
    let (_, v, _) = call(&app, signed_get(&cq, BOB)).await;
    assert_eq!(v["value"]["steps"].as_array().unwrap().len(), 7);
    // A site is public registry data.
    let (_, v, _) = call(&app, anonymous(&q("bldg-a"))).await;
    assert_eq!(v["value"]["owner"], alice().to_hex());
}
