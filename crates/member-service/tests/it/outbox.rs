//! The operator's submissions when another holder of its key takes a nonce (e.g. `gridledger
//! tx register-charger` from the CLI while the service runs): a refused Cancel is never
//! followed by its Settle, only what was refused is signed again, and no session ends with a
//! failed Settle.
use crate::node::{Node, Seen, Steal, CHAIN};
use gridledger_member_service::{
    worker::{self, InFlight},
    Service, ServiceConfig,
};
use gridledger_sdk::keystore::KdfParams;
use gridledger_types::{
    Address, ChainId, ChargerId, ChargingCancel, DecodeExt, Payload, PrivateKey, SessionRef,
    SessionState, StopReason,
};
use std::{sync::Arc, time::Duration};

fn operator() -> PrivateKey {
    PrivateKey::decode([3u8; 32].as_slice()).unwrap()
}

fn payer() -> Address {
    Address::of(&PrivateKey::decode([7u8; 32].as_slice()).unwrap())
}

fn service(node: Arc<Node>, dir: &tempfile::TempDir) -> Arc<Service> {
    service_waiting(node, dir, Duration::from_secs(2))
}

fn service_waiting(
    node: Arc<Node>,
    dir: &tempfile::TempDir,
    finality_timeout: Duration,
) -> Arc<Service> {
    let cfg = ServiceConfig {
        dir: dir.path().to_path_buf(),
        operator_key: operator(),
        operator_token: "token".into(),
        chain_id: ChainId::new(CHAIN).unwrap(),
        kdf: KdfParams::insecure_for_tests(),
        finality_timeout,
        sweep_every: Duration::from_secs(60),
        never_started_ms: 60_000,
        allow_unsecured_chargers: false,
        kdf_pool: gridledger_sdk::kdf_pool::KdfPool::new(1, 4),
    };
    Service::new(cfg, node).unwrap()
}

fn cancel(session: u64) -> Payload {
    Payload::ChargingCancel(ChargingCancel {
        charger: ChargerId::new("CP-1").unwrap(),
        session,
        payer: payer(),
        energy_wh: 1_000,
        idle_min: 0,
        reason: StopReason::Local,
    })
}

fn settle(session: u64) -> Payload {
    Payload::ChargingSettle(SessionRef {
        charger: ChargerId::new("CP-1").unwrap(),
        session,
        payer: payer(),
    })
}

fn submitted(nonce: u64, what: &str, result: Result<(), &str>) -> Seen {
    Seen::Submitted(nonce, what.into(), result.map_err(str::to_owned))
}

fn executed(nonce: u64, what: &str) -> Seen {
    Seen::Executed(nonce, what.into(), None)
}

/// The node's log: our submissions and what was executed (in order each).
fn split(seen: Vec<Seen>) -> (Vec<Seen>, Vec<Seen>) {
    seen.into_iter()
        .partition(|s| matches!(s, Seen::Submitted(..)))
}

#[tokio::test]
async fn a_nonce_taken_by_a_pending_transaction_holds_back_the_settle_of_the_refused_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::new(operator(), 10, &[1, 2], &payer());
    let svc = service(node.clone(), &dir);
    // The CLI's transaction arrives with nonce 10 just before our Cancel.
    node.steal_after(0, Steal::Pending);
    let receipts = svc
        .operator_submit(vec![cancel(1), settle(1), cancel(2), settle(2)])
        .await
        .unwrap();
    assert_eq!(receipts.len(), 4);
    assert!(receipts.iter().all(|r| r.is_success()), "{receipts:?}");
    let (ours, chain) = split(node.seen());
    assert_eq!(
        ours,
        vec![
            submitted(10, "cancel 1", Err("nonce_taken")),
            submitted(11, "cancel 1", Ok(())),
            submitted(12, "settle 1", Ok(())),
            submitted(13, "cancel 2", Ok(())),
            submitted(14, "settle 2", Ok(())),
        ],
        "nothing after the refused Cancel was submitted with it"
    );
    assert_eq!(
        chain,
        vec![
            executed(10, "foreign"),
            executed(11, "cancel 1"),
            executed(12, "settle 1"),
            executed(13, "cancel 2"),
            executed(14, "settle 2"),
        ],
        "no failed transaction"
    );
    assert_eq!(node.session_state(2), SessionState::Settled);
}

#[tokio::test]
async fn a_nonce_taken_between_a_cancel_and_its_settle_signs_only_the_settle_again() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::new(operator(), 4, &[7], &payer());
    let svc = service(node.clone(), &dir);
    node.steal_after(1, Steal::Pending);
    let receipts = svc
        .operator_submit(vec![cancel(7), settle(7)])
        .await
        .unwrap();
    assert!(receipts.iter().all(|r| r.is_success()), "{receipts:?}");
    let (ours, chain) = split(node.seen());
    assert_eq!(
        ours,
        vec![
            submitted(4, "cancel 7", Ok(())),
            submitted(5, "settle 7", Err("nonce_taken")),
            submitted(6, "settle 7", Ok(())),
        ]
    );
    assert_eq!(
        chain,
        vec![
            executed(4, "cancel 7"),
            executed(5, "foreign"),
            executed(6, "settle 7")
        ]
    );
}

#[tokio::test]
async fn a_nonce_already_used_by_a_final_transaction_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::new(operator(), 20, &[3], &payer());
    let svc = service(node.clone(), &dir);
    // The CLI's transaction with our next nonce is final by the time ours arrives.
    node.steal_after(0, Steal::Final);
    svc.operator_submit(vec![cancel(3), settle(3)])
        .await
        .unwrap();
    let (ours, chain) = split(node.seen());
    assert_eq!(
        ours,
        vec![
            submitted(20, "cancel 3", Err("stale_nonce")),
            submitted(21, "cancel 3", Ok(())),
            submitted(22, "settle 3", Ok(())),
        ]
    );
    assert!(chain
        .iter()
        .all(|e| matches!(e, Seen::Executed(_, _, None))));
    assert_eq!(node.session_state(3), SessionState::Settled);
}

#[tokio::test]
async fn the_outbox_resubmits_only_what_was_refused_and_never_fails_a_settle() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::new(operator(), 0, &[1, 2], &payer());
    let svc = service(node.clone(), &dir);
    let cp = ChargerId::new("CP-1").unwrap();
    for s in [1, 2] {
        let (first, state) = svc.stop(&cp, s, 1_000, 0, StopReason::Local).unwrap();
        assert!(first);
        assert_eq!(state, SessionState::Prepaid);
    }
    // Round 1: the first Settle is refused for a reason that is not a nonce (a full mempool):
    // the Cancel before it was admitted and is waited for, nothing after it is submitted.
    node.steal_after(1, Steal::Full);
    let mut in_flight = InFlight::default();
    let round = worker::settle_round(&svc, &mut in_flight).await;
    assert!(
        matches!(&round, Err(gridledger_member_service::Error::Refused { code, .. }) if code == "mempool_full"),
        "{round:?}"
    );
    assert_eq!(node.session_state(1), SessionState::Cancelled);
    assert_eq!(node.session_state(2), SessionState::Prepaid);
    // Round 2 reads the chain: session 1 needs only its Settle, session 2 both; and another
    // holder of the key takes a nonce on the way.
    node.steal_after(1, Steal::Pending);
    assert_eq!(worker::settle_round(&svc, &mut in_flight).await.unwrap(), 3);
    assert_eq!(node.session_state(1), SessionState::Settled);
    assert_eq!(node.session_state(2), SessionState::Settled);
    // Round 3: the outbox is empty.
    assert_eq!(worker::settle_round(&svc, &mut in_flight).await.unwrap(), 0);
    let (ours, chain) = split(node.seen());
    let admitted: Vec<String> = ours
        .iter()
        .filter_map(|s| match s {
            Seen::Submitted(_, what, Ok(())) => Some(what.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        admitted,
        vec!["cancel 1", "settle 1", "cancel 2", "settle 2"],
        "each transaction admitted once"
    );
    assert!(
        chain
            .iter()
            .all(|e| matches!(e, Seen::Executed(_, _, None))),
        "no failed transaction in any history: {chain:?}"
    );
}

#[tokio::test]
async fn transactions_whose_outcome_is_unknown_are_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::new(operator(), 0, &[5], &payer());
    let svc = service_waiting(node.clone(), &dir, Duration::from_millis(300));
    let cp = ChargerId::new("CP-1").unwrap();
    svc.stop(&cp, 5, 2_000, 0, StopReason::Remote).unwrap();
    let mut in_flight = InFlight::default();
    // Admitted, but the chain stalls: the wait for finality times out.
    node.stall(true);
    let round = worker::settle_round(&svc, &mut in_flight).await;
    assert!(
        matches!(&round, Err(gridledger_member_service::Error::Node(_))),
        "{round:?}"
    );
    assert_eq!(in_flight.len(), 1);
    // While they may still land, they are not sent again.
    assert_eq!(worker::settle_round(&svc, &mut in_flight).await.unwrap(), 0);
    // They land: the next round reads the settled session and finishes the stop.
    node.stall(false);
    assert_eq!(node.session_state(5), SessionState::Settled);
    assert_eq!(worker::settle_round(&svc, &mut in_flight).await.unwrap(), 0);
    assert!(in_flight.is_empty());
    assert_eq!(
        worker::settle_round(&svc, &mut in_flight).await.unwrap(),
        0,
        "the outbox is empty"
    );
    let (ours, chain) = split(node.seen());
    assert_eq!(
        ours,
        vec![
            submitted(0, "cancel 5", Ok(())),
            submitted(1, "settle 5", Ok(()))
        ]
    );
    assert_eq!(
        chain,
        vec![executed(0, "cancel 5"), executed(1, "settle 5")]
    );
}
