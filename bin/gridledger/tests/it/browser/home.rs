//! The home screen: English and Korean through the language switch, and the latest blocks
//! arriving live from the event stream without a reload; signed out, the explorer shows no
//! personal record and asks for none.
use super::Browser;
use crate::devnet::Devnet;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The served dictionaries are the files in the repository (the node embeds them).
fn dictionary(lang: &str) -> BTreeMap<String, String> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/api/dashboard/i18n"
    );
    let mut out = BTreeMap::new();
    for file in [
        format!("{dir}/{lang}.json"),
        format!("{dir}/{lang}/home.json"),
        format!("{dir}/{lang}/explorer.json"),
    ] {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for (k, s) in v.as_object().unwrap() {
            out.insert(k.clone(), s.as_str().unwrap().to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_in_english_and_korean_with_blocks_arriving_live_slow_() {
    let (_tmp, _dir, mut net) = Devnet::temp();
    net.ready().await;
    let (en, ko) = (dictionary("en"), dictionary("ko"));
    let mut b = Browser::start(
        "home_in_english_and_korean_with_blocks_arriving_live_slow_",
        &net.rpc,
    )
    .await;

    // English (the browser's language): headings, navigation, node status.
    b.wait_for(
        "main#view[data-screen='home'] #blocks-body tr[data-height]",
        "latest blocks",
    )
    .await;
    assert_eq!(
        b.js("return document.documentElement.lang;", vec![]).await,
        "en"
    );
    b.wait_text("#blocks h2", &en["blocks.title"]).await;
    b.wait_text("#node h2", &en["node.title"]).await;
    b.wait_text("#screens a[data-screen='home']", &en["nav.home"])
        .await;
    b.wait_text("#node-chain", "gridledger-devnet").await;
    b.wait_text("#live", &en["live.on"]).await;
    b.screenshot("home-english").await;

    // A new block row appears while the page stays loaded: the marker set on this document
    // survives, and the height shown grows.
    b.js("window.__stillLoaded = true;", vec![]).await;
    let top = b
        .js(
            "return Number(document.querySelector('#blocks-body tr[data-height]').dataset.height);",
            vec![],
        )
        .await
        .as_u64()
        .unwrap();
    b.wait_until(
        "a newer block row from the event stream",
        "window.__stillLoaded === true && [...document.querySelectorAll('#blocks-body tr[data-height]')]\
         .some((r) => Number(r.dataset.height) > arguments[0])",
        vec![json!(top)],
    )
    .await;
    b.wait_until(
        "the node height to follow",
        "Number(document.getElementById('node-height').textContent) > arguments[0]",
        vec![json!(top)],
    )
    .await;
    let rows = b.count("#blocks-body tr[data-height]").await;
    assert!((2..=10).contains(&rows), "{rows} block rows");
    b.screenshot("home-new-block-live").await;
    b.assert_no_console_errors(&[]).await;

    // Korean: every string from the Korean dictionaries, the page language, and it is kept
    // across a reload.
    b.click("#lang-ko").await;
    b.wait_until(
        "the page in Korean",
        "document.documentElement.lang === 'ko'",
        vec![],
    )
    .await;
    assert_ne!(ko["blocks.title"], en["blocks.title"]);
    b.wait_text("#blocks h2", &ko["blocks.title"]).await;
    b.wait_text("#node h2", &ko["node.title"]).await;
    b.wait_text("#screens a[data-screen='home']", &ko["nav.home"])
        .await;
    b.wait_text("#blocks thead", &ko["blocks.height"]).await;
    b.wait_text("#live", &ko["live.on"]).await;
    b.wait_for("#blocks-body tr[data-height]", "latest blocks in Korean")
        .await;
    b.screenshot("home-korean").await;
    b.open().await;
    b.wait_text("#blocks h2", &ko["blocks.title"]).await;
    b.screenshot("home-korean-after-reload").await;

    // And back to English.
    b.click("#lang-en").await;
    b.wait_until(
        "the page in English",
        "document.documentElement.lang === 'en'",
        vec![],
    )
    .await;
    b.wait_text("#blocks h2", &en["blocks.title"]).await;
    b.wait_text("#screens a[data-screen='home']", &en["nav.home"])
        .await;
    b.screenshot("home-english-again").await;
    b.assert_no_console_errors(&[]).await;

    // Signed out, the explorer finds a transaction (the devnet's own set-up of its charging
    // operator) and its block but shows neither's personal content, and asks for nothing the
    // API would refuse (a refused request would be a console error).
    let client = net.client();
    let charging = gridledger_types::Address::of(&net.key("charging"));
    let tx = loop {
        let page = client.history(&charging, Some(1), None).await.unwrap();
        if let Some(t) = page.items.into_iter().next() {
            break t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    b.goto(&format!("explorer?q={}", tx.hash)).await;
    b.wait_for(
        "#search-result[data-kind='tx'][data-restricted='true'] p.restricted",
        "a transaction shown as restricted",
    )
    .await;
    b.goto(&format!("explorer?q={}", tx.height)).await;
    b.wait_for(
        "#search-result[data-kind='block'] #block-txs tbody tr",
        "its block",
    )
    .await;
    b.wait_text("#block-txs", &en["explorer.not_shown"]).await;
    b.screenshot("explorer-signed-out").await;
    b.assert_no_console_errors(&[]).await;
    b.close().await;
    net.kill();
}
