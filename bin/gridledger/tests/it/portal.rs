//! The dashboard's sign-in against a real devnet: the operator's login unlocks its keystore,
//! transactions signed through the session are final, and the directory, search and sign-out
//! behave as documented.
use crate::devnet::{key_from_seed, Devnet};
use gridledger_types::{Address, Hash32};
use serde_json::{json, Value};
use std::time::Duration;

async fn post(
    http: &reqwest::Client,
    url: String,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Value,
) -> (u16, Value, Option<String>) {
    let mut req = http.post(url).json(&body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    (status, resp.json().await.unwrap_or(Value::Null), cookie)
}

#[tokio::test]
async fn the_operator_signs_in_and_registers_participants_through_the_session() {
    let (_tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let http = reqwest::Client::new();
    let api = |p: &str| format!("{}/api/v1{p}", net.rpc);

    let v: Value = http
        .get(api("/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["signed_in"], false);
    let (s, v, cookie) = post(
        &http,
        api("/session"),
        None,
        None,
        json!({"login": "operator", "password": "nope"}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (401, Some("bad_credentials")));
    assert!(cookie.is_none());

    let (s, me, cookie) = post(
        &http,
        api("/session"),
        None,
        None,
        json!({"login": "operator", "password": "devnet"}),
    )
    .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["role"], "operator");
    assert_eq!(me["operator"], true);
    assert_eq!(me["address"], Address::of(&net.key("operator")).to_hex());
    let cookie = cookie.expect("session cookie");
    let csrf = me["csrf"].as_str().unwrap().to_string();

    // Two transactions back to back: the session keeps the nonce.
    let mut hashes = Vec::new();
    for (seed, name) in [(61u8, "Minji household"), (62, "Seoyeon household")] {
        let payload = json!({"type": "register_participant",
            "account": Address::of(&key_from_seed(seed)).to_hex(), "role": "consumer", "name": name});
        let (s, v, _) = post(
            &http,
            api("/session/txs"),
            Some(&cookie),
            Some(&csrf),
            json!({"payload": payload}),
        )
        .await;
        assert_eq!(s, 202, "{v}");
        hashes.push(Hash32::from_hex(v["hash"].as_str().unwrap()).unwrap());
    }
    for h in &hashes {
        let view = client
            .wait_for_tx(h, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(view.receipt.is_success(), "{:?}", view.receipt);
    }
    let dir: Value = http
        .get(api("/directory"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = dir["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"Minji household") && names.contains(&"Seoyeon household"),
        "{names:?}"
    );
    let found: Value = http
        .get(api(&format!("/search?q={}", hashes[0])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["kind"], "tx");

    // A wrong CSRF token, a bad payload and a refused one change nothing.
    let payload = json!({"type": "mint", "to": Address::of(&key_from_seed(61)).to_hex(), "amount": 1000, "bank_ref": "X"});
    let (s, v, _) = post(
        &http,
        api("/session/txs"),
        Some(&cookie),
        Some("forged"),
        json!({"payload": payload}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (403, Some("bad_csrf")));
    let (s, v, _) = post(
        &http,
        api("/session/txs"),
        Some(&cookie),
        Some(&csrf),
        json!({"payload": {"type": "mint"}}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_payload")));

    // Signed out, the cookie no longer signs.
    let resp = http
        .delete(api("/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let (s, v, _) = post(
        &http,
        api("/session/txs"),
        Some(&cookie),
        Some(&csrf),
        json!({"payload": payload}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (401, Some("not_signed_in")));
}
