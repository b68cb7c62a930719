//! Who may read what, over a real devnet with the SDK signing reads: an account's owner, a
//! device it owns and an auditor read it; another participant and an anonymous caller are
//! refused; the event stream carries receipts only to whom they name.
use crate::devnet::{fund, key_from_seed, wait_all, Devnet};
use futures::StreamExt;
use gridledger_sdk::{api::FinalizedEvent, signer::TxSigner, Error};
use gridledger_types::{Address, DeviceKind, MilliWon, Payload, Role};
use std::time::Duration;

/// The first event of `stream` (within 30 s) whose block holds `tx`.
async fn block_with(
    stream: &mut (impl futures::Stream<Item = gridledger_sdk::Result<FinalizedEvent>> + Unpin),
    tx: &gridledger_types::Hash32,
) -> FinalizedEvent {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let ev = stream.next().await.unwrap().unwrap();
            if ev.block.tx_hashes.contains(tx) {
                return ev;
            }
        }
    })
    .await
    .expect("the stream shows the block")
}

fn status_of(e: &Error) -> Option<(u16, &str)> {
    match e {
        Error::Api { status, code, .. } => Some((*status, code.as_str())),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_records_are_read_only_by_their_owner_and_entitled_roles_slow_() {
    let (_tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let mut operator = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();
    let mut bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    let (alice_key, carol_key, auditor_key, meter_key) = (
        key_from_seed(71),
        key_from_seed(72),
        key_from_seed(73),
        key_from_seed(74),
    );
    let (alice, carol) = (Address::of(&alice_key), Address::of(&carol_key));
    fund(
        &client,
        &mut operator,
        &mut bank,
        &[alice.clone(), carol.clone()],
        1_000,
    )
    .await;
    let setup = [
        operator.sign(
            Payload::RegisterParticipant {
                account: Address::of(&auditor_key),
                role: Role::Auditor,
                name: "auditor".into(),
            },
            None,
        ),
        operator.sign(
            Payload::RegisterDevice {
                device: Address::of(&meter_key),
                kind: DeviceKind::Meter,
                owner: alice.clone(),
                label: "alice's meter".into(),
            },
            None,
        ),
    ];
    wait_all(&client, &setup).await;

    // alice's events as she subscribes before her transfer (signed stream), and anonymously.
    let as_alice = net.client_as(&alice_key);
    let mut alice_events = Box::pin(as_alice.events().await.unwrap());
    let mut anon_events = Box::pin(net.anonymous().events().await.unwrap());

    // alice pays carol: TxSigner reads its nonce with alice's key.
    let mut a = TxSigner::connect(&as_alice, alice_key.clone(), None)
        .await
        .unwrap();
    let transfer = a.sign(
        Payload::Transfer {
            to: carol.clone(),
            amount: MilliWon::from_won(300).unwrap(),
            memo: "rent".into(),
        },
        None,
    );
    let hash = as_alice.submit(&transfer).await.unwrap();
    let view = as_alice
        .wait_for_tx(&hash, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(view.receipt.is_success());

    // The owner, her meter and the auditor read her account; carol and nobody are refused.
    for (who, c) in [
        ("alice", as_alice.clone()),
        ("meter", net.client_as(&meter_key)),
        ("auditor", net.client_as(&auditor_key)),
        ("operator", net.client()),
    ] {
        let acct = c
            .account(&alice)
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
        assert_eq!(acct.balance, MilliWon::from_won(700).unwrap(), "{who}");
        let page = c.history(&alice, Some(5), None).await.unwrap();
        assert!(page.items.iter().any(|t| t.hash == hash), "{who}");
    }
    let e = net.anonymous().account(&alice).await.unwrap_err();
    assert_eq!(status_of(&e), Some((401, "unauthorized")), "{e}");
    let as_carol = net.client_as(&carol_key);
    let e = as_carol.account(&alice).await.unwrap_err();
    assert_eq!(status_of(&e), Some((403, "forbidden")), "{e}");
    // carol is the transfer's counterparty: she reads it; the auditor too; nobody anonymously.
    assert!(as_carol.tx(&hash).await.unwrap().is_some());
    assert!(net
        .client_as(&auditor_key)
        .tx(&hash)
        .await
        .unwrap()
        .is_some());
    let e = net.anonymous().tx(&hash).await.unwrap_err();
    assert_eq!(status_of(&e), Some((401, "unauthorized")), "{e}");
    // The bank report: the auditor yes, alice no.
    let month = gridledger_types::kst_month(view.timestamp_ms);
    net.client_as(&auditor_key)
        .bank_report(month, None)
        .await
        .unwrap();
    let e = as_alice.bank_report(month, None).await.unwrap_err();
    assert_eq!(status_of(&e), Some((403, "forbidden")), "{e}");

    // A stale signature (70 s old) is refused with its own code.
    let path = format!("/api/v1/accounts/{alice}");
    let r = net
        .get_signed(&path, &alice_key, gridledger_sdk::now_ms() - 70_000)
        .await;
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "stale_read");

    // The transfer's block reaches alice's stream with its receipt, the anonymous one bare.
    let mine = block_with(&mut alice_events, &hash).await;
    assert!(mine.receipts.iter().any(|r| r.tx_hash == hash), "{mine:?}");
    let bare = block_with(&mut anon_events, &hash).await;
    assert!(bare.receipts.is_empty(), "{bare:?}");
    net.kill();
}
