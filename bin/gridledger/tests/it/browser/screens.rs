//! The participants' and the operator's screens through a month of the pilot: sign-in, sell
//! and buy intentions entered in the browser (bad input refused before anything is signed), the
//! operator's market screen through pairing and the contract's steps, the buyer's bill with its
//! tariff breakdown, a transaction and a contract found in the explorer; and an EV session's
//! three transactions on the charging screen.
use super::{
    fixture::{
        price_en, won_en, World, CHARGER_PRICE, EV_ENERGY_WH, EV_PASSWORD, HOUR, MARKET, MONTH,
    },
    Browser,
};
use crate::devnet::wait_all;
use gridledger_sdk::signer::TxSigner;
use gridledger_types::{Address, GrantMandate, Hash32, MandateSides, Payload, SiteId};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Chrome's console entry for the failed sign-in request (a 401 answer).
const SIGN_IN_401: &str =
    "/api/v1/session - Failed to load resource: the server responded with a status of 401";

/// Asks for `screen` signed out, which shows the sign-in form (`#/signin?next=<screen>`), signs
/// in there and waits for `#who` to name the user and for `screen` to be shown.
async fn sign_in(b: &mut Browser, screen: &str, login: &str, password: &str, who: &str) {
    b.goto(&format!("signin?next={screen}")).await;
    b.submit(
        "form#signin-form",
        &[("login", login), ("password", password)],
    )
    .await;
    b.wait_text("#who", who).await;
    b.wait_for(
        &format!("main#view[data-screen='{screen}']"),
        &format!("screen {screen} after signing in"),
    )
    .await;
}

async fn sign_out(b: &mut Browser) {
    b.click("#sign-out").await;
    b.wait_until(
        "signed out",
        "document.getElementById('who').textContent === '' && !document.getElementById('sign-in-link').hidden",
        vec![],
    )
    .await;
}

/// Waits for the form's error and returns its text.
async fn form_error(b: &mut Browser, form: &str) -> String {
    let css = format!("{form} .error[role=alert]");
    b.wait_until(
        &format!("an error under {form}"),
        "(() => { const e = document.querySelector(arguments[0]); \
          return e && !e.hidden && e.textContent.trim() !== ''; })()",
        vec![json!(css)],
    )
    .await;
    b.text(&css).await
}

/// Waits for a success message on the screen naming a transaction hash other than `seen`;
/// that hash.
async fn ok_hash(b: &mut Browser, seen: &[&str]) -> String {
    let v = b
        .wait_until(
            "a success message naming a new transaction hash",
            "(() => { for (const e of document.querySelectorAll('main#view .ok[role=status]')) { \
               if (e.hidden) continue; \
               for (const m of e.innerHTML.matchAll(/[0-9a-f]{64}/g)) \
                 if (!arguments[0].includes(m[0])) return m[0]; } \
               return null; })()",
            vec![json!(seen)],
        )
        .await;
    v.as_str().unwrap().to_string()
}

/// The classes of the steps `ol.steps li[data-step]` in `scope`: (step, done).
async fn steps(b: &mut Browser, scope: &str) -> Vec<(String, bool)> {
    let v = b
        .js(
            "return [...document.querySelectorAll(arguments[0] + ' ol.steps li[data-step]')]\
             .map((li) => [li.dataset.step, li.classList.contains('done'), li.classList.contains('pending')]);",
            vec![json!(scope)],
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (done, pending) = (s[1] == true, s[2] == true);
            assert!(done != pending, "a step is either done or pending: {v}");
            (s[0].as_str().unwrap().to_string(), done)
        })
        .collect()
}

/// Waits until steps `1..=7` are shown in `scope` and exactly `done` are done.
async fn wait_steps(b: &mut Browser, scope: &str, done: &[u8]) {
    let want: Vec<(String, bool)> = (1..=7u8)
        .map(|s| (s.to_string(), done.contains(&s)))
        .collect();
    let css = format!("{scope} ol.steps li[data-step]");
    let start = Instant::now();
    loop {
        if b.count(&css).await == 7 && steps(b, scope).await == want {
            return;
        }
        if start.elapsed() > super::WAIT {
            let got = steps(b, scope).await;
            b.fail(&format!("steps in {scope}: want {want:?}, got {got:?}"))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `hash` is final with a successful receipt and a payload of type `kind`.
async fn final_tx(w: &World, hash: &str, kind: &str) {
    let v = w
        .client
        .wait_for_tx(&Hash32::from_hex(hash).unwrap(), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(v.receipt.is_success(), "{hash}: {:?}", v.receipt);
    assert_eq!(v.tx["payload"]["type"], kind, "{hash}: {:?}", v.tx);
}

fn num(v: &Value) -> i128 {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn nonce(w: &World, a: &Address) -> u64 {
    w.client.account(a).await.unwrap().nonce
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_trade_pair_settle_and_read_the_bill_slow_() {
    let mut w = World::start(false).await;
    let mut b = Browser::start(
        "sign_in_trade_pair_settle_and_read_the_bill_slow_",
        w.base(),
    )
    .await;
    let june = w.june.to_string();
    let (seller, buyer) = (
        (
            w.seller.login,
            w.seller.password,
            w.seller.name,
            w.seller.site,
        ),
        (w.buyer.login, w.buyer.password, w.buyer.name, w.buyer.site),
    );

    // ---- Sign-in: a wrong password is refused on the form; the right one names the user.
    b.goto("signin").await;
    b.screenshot("signin-form").await;
    b.assert_no_console_errors(&[]).await;
    b.submit(
        "form#signin-form",
        &[("login", seller.0), ("password", "not-the-password")],
    )
    .await;
    let err = form_error(&mut b, "form#signin-form").await;
    assert!(!err.trim().is_empty());
    assert_eq!(b.text("#who").await, "", "nobody is signed in");
    b.screenshot("signin-wrong-password").await;
    b.assert_no_console_errors(&[SIGN_IN_401]).await;
    sign_in(
        &mut b,
        "trade",
        seller.0,
        seller.1,
        &format!("{} (prosumer)", seller.2),
    )
    .await;
    b.screenshot("signed-in-seller").await;

    // ---- The seller's sell intention; bad input first, which signs nothing.
    b.wait_for(
        &format!("form#sell-form select[name=period] option[value='{june}']"),
        "June offered for selling",
    )
    .await;
    b.screenshot("trade-seller").await;
    let before = nonce(&w, &w.seller.address()).await;
    let sell = "form#sell-form";
    b.submit(
        sell,
        &[
            ("site", seller.3),
            ("period", &june),
            ("energy_kwh", "abc"),
            ("price", "120.5"),
        ],
    )
    .await;
    let energy_error = form_error(&mut b, sell).await;
    b.screenshot("sell-energy-abc-refused").await;
    b.submit(sell, &[("energy_kwh", "100"), ("price", "-5")])
        .await;
    let price_error = form_error(&mut b, sell).await;
    b.screenshot("sell-negative-price-refused").await;
    assert_ne!(energy_error, price_error, "each error names its field");
    assert_eq!(
        b.count(&format!("{sell} .ok[role=status]:not([hidden])"))
            .await,
        0
    );
    assert_eq!(b.count("#my-orders tr[data-intention]").await, 0);
    assert_eq!(
        nonce(&w, &w.seller.address()).await,
        before,
        "nothing was signed"
    );
    let period = w.client.market_period(MARKET, w.june).await.unwrap();
    assert!(
        period
            .as_ref()
            .is_none_or(|p| p["sells"].as_array().unwrap().is_empty()),
        "{period:?}"
    );

    b.submit(sell, &[("energy_kwh", "100"), ("price", "120.5")])
        .await;
    let sell_tx = ok_hash(&mut b, &[]).await;
    final_tx(&w, &sell_tx, "submit_intention").await;
    let p = w
        .client
        .market_period(MARKET, w.june)
        .await
        .unwrap()
        .unwrap();
    let sells = p["sells"].as_array().unwrap();
    assert_eq!(sells.len(), 1, "{p}");
    assert_eq!(sells[0]["energy_wh"], 100_000, "{p}");
    assert_eq!(sells[0]["limit"], 120_500, "{p}");
    let sell_id = sells[0]["id"].as_str().unwrap().to_string();
    b.wait_for(
        &format!("#my-orders tr[data-intention='{sell_id}']"),
        "the sell intention in my orders",
    )
    .await;
    b.screenshot("sell-entered").await;
    b.assert_no_console_errors(&[]).await;
    sign_out(&mut b).await;

    // ---- The buyer's buy intention.
    sign_in(
        &mut b,
        "trade",
        buyer.0,
        buyer.1,
        &format!("{} (consumer)", buyer.2),
    )
    .await;
    b.submit(
        "form#buy-form",
        &[
            ("site", buyer.3),
            ("period", &june),
            ("energy_kwh", "100"),
            ("price", "200"),
        ],
    )
    .await;
    let buy_tx = ok_hash(&mut b, &[]).await;
    assert_ne!(buy_tx, sell_tx);
    final_tx(&w, &buy_tx, "submit_intention").await;
    let p = w
        .client
        .market_period(MARKET, w.june)
        .await
        .unwrap()
        .unwrap();
    let buy_id = p["buys"][0]["id"].as_str().unwrap().to_string();
    b.wait_for(
        &format!("#my-orders tr[data-intention='{buy_id}']"),
        "the buy intention in my orders",
    )
    .await;
    assert_eq!(
        b.count(&format!("#my-orders tr[data-intention='{sell_id}']"))
            .await,
        0,
        "the buyer sees only its own orders"
    );
    b.screenshot("buy-entered").await;
    b.assert_no_console_errors(&[]).await;
    sign_out(&mut b).await;

    // ---- The operator's market screen: both intentions, then the pair after gate closure.
    sign_in(
        &mut b,
        "market",
        "operator",
        w.devnet_password,
        "(operator)",
    )
    .await;
    b.choose("select#market-select", MARKET).await;
    b.choose("select#period-select", &june).await;
    b.wait_for(
        &format!("#sells tr[data-intention='{sell_id}']"),
        "the sell intention on the market screen",
    )
    .await;
    b.wait_for(
        &format!("#buys tr[data-intention='{buy_id}']"),
        "the buy intention on the market screen",
    )
    .await;
    b.wait_for("#supply-demand svg.chart", "the supply/demand chart")
        .await;
    b.screenshot("market-before-gate").await;

    // Past gate closure the operator pairs the period from the screen.
    let gate = p["gate_closure_ms"].as_u64().unwrap();
    w.clock_to(gate + 60_000).await;
    b.wait_for(
        "button[data-action='clear']:not([disabled])",
        "Pair now enabled",
    )
    .await;
    b.screenshot("market-gate-closed").await;
    b.click("button[data-action='clear']").await;
    let clear_tx = ok_hash(&mut b, &[]).await;
    final_tx(&w, &clear_tx, "clear_period").await;
    let p = w
        .client
        .market_period(MARKET, w.june)
        .await
        .unwrap()
        .unwrap();
    let contract = &p["contracts"][0];
    assert_eq!(contract["energy_wh"], 100_000, "{p}");
    let price = p["clearing_price"].as_u64().unwrap();
    let contract_id = format!("{MARKET}/{}/{}", w.june, contract["number"]);
    let pair = format!("#pairs tr[data-contract='{contract_id}']");
    b.wait_for(&pair, "the pair on the market screen after clearing")
        .await;
    b.wait_text("#clearing-price", &price_en(price)).await;
    wait_steps(&mut b, &pair, &[1, 2, 3, 4]).await;
    b.screenshot("market-paired").await;
    b.assert_no_console_errors(&[]).await;

    // ---- The month passes: readings, settlement after the dispute window, bills.
    w.clock_to(w.july + 10 * 60_000).await;
    w.post_june_readings().await;
    w.clock_to(w.july + 2 * HOUR).await;
    // The market screen follows (no reload); the operator settles from it.
    b.wait_for(
        "button[data-action='settle']:not([disabled])",
        "Settle enabled",
    )
    .await;
    b.click("button[data-action='settle']").await;
    let settle_tx = ok_hash(&mut b, &[&clear_tx]).await;
    assert_ne!(settle_tx, clear_tx);
    final_tx(&w, &settle_tx, "settle_period").await;
    w.operator_tx(Payload::IssueBills { month: MONTH }).await;
    wait_steps(&mut b, &pair, &[1, 2, 3, 4, 5, 6]).await;
    b.screenshot("market-settled").await;

    // The contract's trace in the explorer, by its id.
    b.goto("explorer").await;
    b.submit("form#search-form", &[("q", &contract_id)]).await;
    b.wait_for(
        "#search-result[data-kind='contract']",
        "the contract found by the explorer",
    )
    .await;
    wait_steps(&mut b, "#trace", &[1, 2, 3, 4, 5, 6]).await;
    b.screenshot("explorer-contract-trace").await;
    b.assert_no_console_errors(&[]).await;
    sign_out(&mut b).await;

    // ---- The buyer's bill: tariff breakdown, with and without P2P, savings.
    let bill = w.client.site_bill(buyer.3, MONTH).await.unwrap().unwrap();
    assert_eq!(bill["bill"]["p2p"]["bought_wh"], 100_000, "{bill}");
    assert!(
        num(&bill["savings"]) > 0,
        "buying on the market saved money: {bill}"
    );
    sign_in(&mut b, "trade", buyer.0, buyer.1, buyer.2).await;
    b.wait_for(
        &format!("#my-contracts tr[data-contract='{contract_id}']"),
        "the buyer's contract",
    )
    .await;
    b.wait_for(
        &format!("#my-bills tr[data-month='{MONTH}']"),
        "the buyer's June bill in the trade screen",
    )
    .await;
    b.screenshot("buyer-contracts-and-bills").await;
    b.goto(&format!("settlement?month={MONTH}")).await;
    let row = format!("#bills tr[data-site='{}']", buyer.3);
    b.wait_for(&row, "the buyer's bill").await;
    if b.count(&format!("{row} a")).await > 0 {
        b.click(&format!("{row} a")).await;
    } else {
        b.click(&row).await;
    }
    b.wait_for("#bill-detail", "the bill's detail").await;
    b.wait_text("#with-p2p", &won_en(num(&bill["with_p2p"]["net"])))
        .await;
    b.wait_text("#without-p2p", &won_en(num(&bill["without_p2p"]["net"])))
        .await;
    b.wait_text("#savings", &won_en(num(&bill["savings"])))
        .await;
    b.wait_text(
        "table#tariff-breakdown",
        &won_en(num(&bill["with_p2p"]["kepco"]["energy_charge"])),
    )
    .await;
    assert!(b.count("table#tariff-breakdown tbody tr").await >= 3);
    b.screenshot("buyer-bill").await;
    b.assert_no_console_errors(&[]).await;

    // ---- The bill is paid on the due date: the contract's last step (payment) is done.
    let due = w
        .client
        .account_bill(&w.buyer.address(), MONTH)
        .await
        .unwrap()
        .unwrap()["bill"]["due"]
        .as_u64()
        .unwrap();
    let mint = w.bank.sign(
        Payload::Mint {
            to: w.buyer.address(),
            amount: gridledger_types::MilliWon(due),
            bank_ref: "DEP-BAKER".into(),
        },
        None,
    );
    crate::devnet::wait_all(&w.client, &[mint]).await;
    w.clock_to(w.july + 17 * 24 * HOUR + 60_000).await;
    w.operator_tx(Payload::CollectBills { month: MONTH }).await;
    let paid = w
        .client
        .account_bill(&w.buyer.address(), MONTH)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid["status"], "paid", "{paid}");
    b.goto(&format!("explorer?q={contract_id}")).await;
    b.wait_for(
        "#search-result[data-kind='contract']",
        "the contract from an explorer link",
    )
    .await;
    wait_steps(&mut b, "#trace", &[1, 2, 3, 4, 5, 6, 7]).await;
    b.screenshot("explorer-contract-paid").await;

    // ---- The sell intention's transaction in the explorer, by its hash: the seller's record,
    // so the buyer finds it but may not read it (and the page asks for nothing it is refused).
    b.goto("explorer").await;
    b.submit("form#search-form", &[("q", &sell_tx)]).await;
    b.wait_for(
        "#search-result[data-kind='tx'][data-restricted='true'] p.restricted",
        "the seller's transaction, not shown to the buyer",
    )
    .await;
    assert_eq!(b.count("#receipt").await, 0, "no receipt for the buyer");
    b.screenshot("explorer-sell-tx-restricted").await;
    b.assert_no_console_errors(&[]).await;

    // ---- The operator's screens: the transaction, metering, administration, the bank's report.
    sign_out(&mut b).await;
    sign_in(
        &mut b,
        "metering",
        "operator",
        w.devnet_password,
        "(operator)",
    )
    .await;
    b.goto(&format!("explorer?q={sell_tx}")).await;
    b.wait_for("#search-result[data-kind='tx']", "the transaction found")
        .await;
    b.wait_text("#search-result", &sell_tx).await;
    b.wait_for("#receipt", "the transaction's receipt").await;
    b.screenshot("explorer-sell-tx").await;
    b.goto(&format!("metering?site={}&month={MONTH}", seller.3))
        .await;
    b.wait_for(
        "#daily-chart svg.chart rect",
        "the seller's daily chart for June",
    )
    .await;
    assert!(
        b.count("#daily-table tbody tr").await >= 28,
        "a row per day of June"
    );
    b.screenshot("operator-metering").await;
    b.goto("admin").await;
    b.wait_for(
        &format!(
            "#participants tr[data-address='{}']",
            w.seller.address().to_hex()
        ),
        "the seller among the participants",
    )
    .await;
    b.wait_for(
        &format!("#sites tr[data-site='{}']", seller.3),
        "the seller's site",
    )
    .await;
    b.wait_for(
        &format!("#markets tr[data-market='{MARKET}']"),
        "the market's settings",
    )
    .await;
    b.wait_for("#tariffs", "the tariff versions").await;
    b.screenshot("operator-admin").await;
    b.goto(&format!("settlement?month={MONTH}")).await;
    b.wait_for("a#bank-report-csv[download]", "the bank report's download")
        .await;
    let csv = b
        .js(
            "return fetch(document.querySelector('a#bank-report-csv').href).then((r) => r.text());",
            vec![],
        )
        .await;
    let csv = csv.as_str().unwrap_or("");
    assert!(
        csv.starts_with("account,kind,paid_mkrw,received_mkrw,unpaid_mkrw"),
        "{csv}"
    );
    assert!(csv.contains(&w.seller.address().to_hex()), "{csv}");
    b.screenshot("operator-bank-report").await;
    b.assert_no_console_errors(&[]).await;
    b.close().await;
    drop(w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charging_screen_shows_an_ev_sessions_three_transactions_slow_() {
    let w = World::start(true).await;
    let ev = w.ev.as_ref().unwrap();
    let mut b = Browser::start(
        "charging_screen_shows_an_ev_sessions_three_transactions_slow_",
        w.base(),
    )
    .await;
    sign_in(
        &mut b,
        "charging",
        "operator",
        w.devnet_password,
        "(operator)",
    )
    .await;
    b.wait_for(
        &format!("#chargers tr[data-charger='{}']", ev.charger),
        "the charger",
    )
    .await;
    let row = format!("#sessions tr[data-session='{}/{}']", ev.charger, ev.session);
    b.wait_for(&row, "the EV session").await;
    let cost = u128::from(EV_ENERGY_WH) * u128::from(CHARGER_PRICE) / 1_000;
    assert_eq!(ev.view["cost_mwon"], cost as u64, "{}", ev.view);
    let mut hashes = Vec::new();
    for tx in ["prepay", "cancel", "settle"] {
        let hash = ev.view[format!("{tx}_tx")].as_str().unwrap().to_string();
        let link = format!("{row} a[data-tx='{tx}']");
        b.wait_for(&link, &format!("the session's {tx} transaction"))
            .await;
        let href = b
            .js(
                "return document.querySelector(arguments[0]).getAttribute('href');",
                vec![json!(link)],
            )
            .await;
        assert!(
            href.as_str().unwrap_or("").contains(&hash),
            "{tx} links to {href}, not {hash}"
        );
        hashes.push(hash);
    }
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), 3, "three distinct transactions");
    b.wait_text("#revenue", &won_en(cost as i128)).await;
    b.screenshot("charging-session").await;
    b.assert_no_console_errors(&[]).await;

    // The prepay link opens the transaction in the explorer.
    let prepay = ev.view["prepay_tx"].as_str().unwrap().to_string();
    b.click(&format!("{row} a[data-tx='prepay']")).await;
    b.wait_for("main#view[data-screen='explorer']", "the explorer")
        .await;
    b.wait_for("#search-result[data-kind='tx']", "the prepay transaction")
        .await;
    b.wait_text("#search-result", &prepay).await;
    b.wait_for("#receipt", "its receipt").await;
    b.screenshot("explorer-prepay-tx").await;
    b.assert_no_console_errors(&[]).await;

    // The charging operator's own login (the devnet's `charging`) sees the same session.
    sign_out(&mut b).await;
    sign_in(
        &mut b,
        "charging",
        "charging",
        w.devnet_password,
        "(charging operator)",
    )
    .await;
    b.wait_for(
        &format!("{row} a[data-tx='settle']"),
        "the session, for its operator",
    )
    .await;
    b.screenshot("charging-operator-session").await;
    b.assert_no_console_errors(&[]).await;

    // The charging operator soft-stops the open session from the screen (no charger is
    // connected, so it is settled at its last meter value, 0 Wh: the hold goes back).
    let open = format!(
        "#sessions tr[data-session='{}/{}'] button[data-action='soft-stop']",
        ev.charger, ev.open_session
    );
    b.wait_for(&open, "the open session's soft stop").await;
    b.click(&open).await;
    b.wait_until(
        "the soft stop's answer",
        "[...document.querySelectorAll('#soft-stop-status')].some((p) => p.textContent.includes(arguments[0]) && !p.classList.contains('error'))",
        vec![json!(format!("{}/{}", ev.charger, ev.open_session))],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let v = w
            .client
            .charging_session(ev.charger, ev.open_session)
            .await
            .unwrap()
            .unwrap();
        if v["state"] != "prepaid" {
            assert!(v["cancel_tx"].is_string(), "{v}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the soft stop never ended the session: {v}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.screenshot("charging-soft-stop").await;
    b.assert_no_console_errors(&[]).await;

    // The EV member signs in with the keypad password (its keystore, kept by the member
    // service, made a portal login) and sees its own two sessions, without soft stop or revenue.
    let payer = ev.view["payer"].as_str().unwrap();
    std::fs::copy(
        w.net.dir.join(format!("charging/members/{payer}.json")),
        w.net.dir.join("portal/ev-member.json"),
    )
    .unwrap();
    sign_out(&mut b).await;
    sign_in(&mut b, "charging", "ev-member", EV_PASSWORD, "(EV member)").await;
    for n in [ev.session, ev.open_session] {
        b.wait_for(
            &format!("#sessions tr[data-session='{}/{n}']", ev.charger),
            "the member's own session",
        )
        .await;
    }
    assert_eq!(
        b.count("#sessions tbody tr").await,
        2,
        "only the member's sessions"
    );
    assert_eq!(b.count("button[data-action='soft-stop']").await, 0);
    assert_eq!(b.count("#revenue").await, 0, "no revenue for a member");
    b.screenshot("charging-member-sessions").await;
    b.assert_no_console_errors(&[]).await;
    b.close().await;
}

/// Chrome's console entry for a mandates read the company is refused (a site that has not
/// mandated it: the company may read only its own record).
const MANDATES_403: &str =
    "/mandates - Failed to load resource: the server responded with a status of 403";

/// The site options a trade form offers (the empty "choose" option left out).
async fn offered_sites(b: &Browser, form: &str) -> Vec<String> {
    let v = b
        .js(
            "return [...document.querySelectorAll(arguments[0])].map((o) => o.value).filter((v) => v);",
            vec![json!(format!("{form} select[name=site] option"))],
        )
        .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sales_company_is_offered_only_the_sites_that_mandated_it_slow_() {
    let w = World::start(false).await;
    let mut b = Browser::start(
        "a_sales_company_is_offered_only_the_sites_that_mandated_it_slow_",
        w.base(),
    )
    .await;
    let c = (w.company.login, w.company.password, w.company.name);
    let who = format!("{} (sales company)", c.2);

    // ---- No owner has mandated the company: no site is offered, and the screen says why.
    sign_in(&mut b, "trade", c.0, c.1, &who).await;
    b.wait_for(
        "main#view p[data-i18n='trade.no_mandates']",
        "the note that no owner has mandated the company",
    )
    .await;
    assert!(offered_sites(&b, "form#sell-form").await.is_empty());
    assert!(offered_sites(&b, "form#buy-form").await.is_empty());
    b.screenshot("company-without-mandates").await;
    b.assert_no_console_errors(&[MANDATES_403]).await;

    // ---- The seller mandates it to sell for its home: that site, in the sell form only.
    let mut seller = TxSigner::connect(&w.client, w.seller.key.clone(), None)
        .await
        .unwrap();
    let grant = seller.sign(
        Payload::GrantMandate(GrantMandate {
            site: SiteId::new(w.seller.site).unwrap(),
            company: w.company.address(),
            sides: MandateSides::Sell,
            markets: vec![],
            from_ms: 0,
            until_ms: None,
            share_bp: 500,
        }),
        None,
    );
    wait_all(&w.client, &[grant]).await;
    b.goto("home").await;
    b.goto("trade").await;
    b.wait_for(
        &format!(
            "form#sell-form select[name=site] option[value='{}']",
            w.seller.site
        ),
        "the mandated site offered for selling",
    )
    .await;
    assert_eq!(offered_sites(&b, "form#sell-form").await, [w.seller.site]);
    assert!(
        offered_sites(&b, "form#buy-form").await.is_empty(),
        "a sell mandate offers nothing to buy for"
    );
    assert_eq!(
        b.count("main#view p[data-i18n='trade.no_mandates']").await,
        0
    );
    b.screenshot("company-with-a-sell-mandate").await;
    b.assert_no_console_errors(&[MANDATES_403]).await;
    b.close().await;
}
