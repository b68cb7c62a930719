use super::*;
use gridledger_api_types::{
    AccountView, BillingQuery, BlockView, NodeError, ParticipantView, PeriodView, Rejected,
    SiteReadingsView, SiteView, StatusView, TxView,
};
use gridledger_sdk::keystore::{generate_key, KdfParams, Keystore};
use gridledger_sdk::lockout::{Guard, FIRST_LOCK_MS};
use gridledger_types::{Hash32, MilliWon, SiteId};
use std::sync::atomic::{AtomicU64, Ordering};

const CHEAP: KdfParams = KdfParams {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};
const CHAIN_NOW: u64 = 1_780_000_000_000;
/// Where the test's sign-ins come from.
const SRC: &str = "192.0.2.1";

/// A node that knows one participant and a nonce per address.
struct Node {
    participant: Option<ParticipantView>,
    nonce: AtomicU64,
}

impl NodeApi for Node {
    fn status(&self) -> StatusView {
        serde_json::from_value(serde_json::json!({
            "chain_id": "test-chain", "role": "validator", "height": 1, "block_hash": Hash32::ZERO,
            "state_root": Hash32::ZERO, "timestamp_ms": CHAIN_NOW - 5, "now_ms": CHAIN_NOW,
            "mempool_txs": 0, "peers": [], "version": "test"
        }))
        .expect("a status view")
    }
    fn submit(&self, _: Vec<SignedTransaction>) -> Vec<Result<Hash32, Rejected>> {
        Vec::new()
    }
    fn tx(&self, _: &Hash32) -> Result<Option<TxView>, NodeError> {
        Ok(None)
    }
    fn block(&self, _: u64) -> Result<Option<BlockView>, NodeError> {
        Ok(None)
    }
    fn account(&self, a: &Address) -> Result<AccountView, NodeError> {
        Ok(AccountView {
            address: a.clone(),
            balance: MilliWon::default(),
            held: MilliWon::default(),
            nonce: self.nonce.load(Ordering::SeqCst),
            role: None,
            suspended: false,
            holds: Vec::new(),
        })
    }
    fn participant(&self, _: &Address) -> Result<Option<ParticipantView>, NodeError> {
        Ok(self.participant.clone())
    }
    fn history(
        &self,
        _: &Address,
        _: Option<(u64, u32)>,
        _: usize,
    ) -> Result<Vec<TxView>, NodeError> {
        Ok(Vec::new())
    }
    fn site(&self, _: &SiteId) -> Result<Option<SiteView>, NodeError> {
        Ok(None)
    }
    fn site_readings(&self, _: &SiteId, _: u32) -> Result<Option<SiteReadingsView>, NodeError> {
        Ok(None)
    }
    fn market_period(&self, _: &SiteId, _: u64) -> Result<Option<PeriodView>, NodeError> {
        Ok(None)
    }
    fn billing(&self, _: &BillingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        Ok(None)
    }
    fn subscribe(&self) -> gridledger_api_types::EventStream {
        // No blocks are ever finalized here: the stream ends at once.
        Box::pin(futures::stream::empty())
    }
    fn metrics_text(&self) -> String {
        String::new()
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    portal: Portal,
    node: Arc<Node>,
    address: Address,
    clock: Arc<AtomicU64>,
    kdf: Arc<KdfPool>,
    cfg: PortalConfig,
}

impl Fixture {
    /// The same directory served by a new portal (a restart).
    fn restart(self) -> Self {
        drop(self.portal);
        Fixture {
            portal: open(&self.dir, &self.node, &self.clock, &self.kdf, self.cfg),
            ..self
        }
    }

    async fn sign_in(&self, login: &str, pw: &str) -> Result<(String, SessionView), PortalError> {
        self.portal.sign_in(login, pw, SRC).await
    }
}

fn open(
    dir: &tempfile::TempDir,
    node: &Arc<Node>,
    clock: &Arc<AtomicU64>,
    kdf: &Arc<KdfPool>,
    cfg: PortalConfig,
) -> Portal {
    let c = clock.clone();
    Portal::with_clock(
        dir.path().to_path_buf(),
        node.clone(),
        ChainId::new("test-chain").unwrap(),
        cfg,
        kdf.clone(),
        Box::new(move || c.load(Ordering::SeqCst)),
    )
    .unwrap()
}

fn fixture(role: Option<Role>, cfg: PortalConfig) -> Fixture {
    fixture_with_pool(role, cfg, KdfPool::new(2, 64))
}

fn fixture_with_pool(role: Option<Role>, cfg: PortalConfig, kdf: Arc<KdfPool>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let key = generate_key().unwrap();
    let address = Address::of(&key);
    Keystore::encrypt(&key, b"right horse", CHEAP)
        .unwrap()
        .save(dir.path().join("apt1-101.json"), false)
        .unwrap();
    let node = Arc::new(Node {
        participant: role.map(|role| ParticipantView {
            address: address.clone(),
            role,
            name: "Haneul household".into(),
            suspended: false,
        }),
        nonce: AtomicU64::new(7),
    });
    let clock = Arc::new(AtomicU64::new(1_000_000));
    let portal = open(&dir, &node, &clock, &kdf, cfg);
    Fixture {
        dir,
        portal,
        node,
        address,
        clock,
        kdf,
        cfg,
    }
}

fn transfer() -> Payload {
    Payload::Transfer {
        to: Address::of(&generate_key().unwrap()),
        amount: MilliWon::from_won(1).unwrap(),
        memo: String::new(),
    }
}

#[tokio::test]
async fn the_right_password_opens_a_session_that_names_the_participant() {
    let f = fixture(Some(Role::Prosumer), PortalConfig::default());
    let (token, view) = f.sign_in("apt1-101", "right horse").await.unwrap();
    assert_eq!(token.len(), 64);
    assert!(view.signed_in);
    assert_eq!(view.address.as_ref(), Some(&f.address));
    assert_eq!(view.name.as_deref(), Some("Haneul household"));
    assert_eq!(view.role.as_deref(), Some("prosumer"));
    assert!(!view.operator);
    assert_eq!(view.expires_ms, Some(1_000_000 + 30 * 60 * 1000));
    assert_eq!(f.portal.session(&token).unwrap().csrf, view.csrf);
    // Two sign-ins are two sessions with their own tokens and CSRF tokens.
    let (t2, v2) = f.sign_in("apt1-101", "right horse").await.unwrap();
    assert_ne!(t2, token);
    assert_ne!(v2.csrf, view.csrf);
}

#[tokio::test]
async fn the_operator_is_flagged_and_a_non_participant_has_role_none() {
    let f = fixture(Some(Role::Operator), PortalConfig::default());
    assert!(
        f.sign_in("apt1-101", "right horse")
            .await
            .unwrap()
            .1
            .operator
    );
    let g = fixture(None, PortalConfig::default());
    let v = g.sign_in("apt1-101", "right horse").await.unwrap().1;
    assert_eq!(v.role.as_deref(), Some("none"));
    assert_eq!(v.name.as_deref(), Some("apt1-101"));
    assert!(!v.operator);
}

#[tokio::test]
async fn wrong_passwords_unknown_and_malformed_logins_are_the_same_refusal() {
    let f = fixture(Some(Role::Consumer), PortalConfig::default());
    for (login, pw) in [
        ("apt1-101", "wrong"),
        ("nobody", "right horse"),
        ("../keys/operator", "devnet"),
        ("APT1-101", "right horse"),
        ("", "x"),
    ] {
        assert_eq!(
            f.sign_in(login, pw).await.unwrap_err(),
            PortalError::BadCredentials,
            "{login}"
        );
        // Nothing is kept for a login without a keystore.
        if login != "apt1-101" {
            assert_eq!(
                f.portal.checker.guards.get(login).unwrap(),
                Guard::default()
            );
        }
    }
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_login_even_for_the_right_one() {
    let f = fixture(Some(Role::Consumer), PortalConfig::default());
    for _ in 0..4 {
        assert_eq!(
            f.sign_in("apt1-101", "wrong").await.unwrap_err(),
            PortalError::BadCredentials
        );
    }
    let until = match f.sign_in("apt1-101", "wrong").await.unwrap_err() {
        PortalError::LockedOut { until_ms } => until_ms,
        e => panic!("{e:?}"),
    };
    assert_eq!(until, 1_000_000 + 15 * 60 * 1000);
    assert!(matches!(
        f.sign_in("apt1-101", "right horse").await,
        Err(PortalError::LockedOut { .. })
    ));
    f.clock.store(until, Ordering::SeqCst);
    assert!(f.sign_in("apt1-101", "right horse").await.is_ok());
}

#[tokio::test]
async fn signing_needs_the_session_and_its_csrf_token_and_follows_the_nonce() {
    let f = fixture(Some(Role::Prosumer), PortalConfig::default());
    let (token, view) = f.sign_in("apt1-101", "right horse").await.unwrap();
    let csrf = view.csrf.unwrap();
    assert_eq!(
        f.portal.sign("nope", &csrf, transfer()).unwrap_err(),
        PortalError::NotSignedIn
    );
    assert_eq!(
        f.portal.sign(&token, "", transfer()).unwrap_err(),
        PortalError::BadCsrf
    );
    assert_eq!(
        f.portal.sign(&token, &csrf[1..], transfer()).unwrap_err(),
        PortalError::BadCsrf
    );
    let a = f.portal.sign(&token, &csrf, transfer()).unwrap();
    assert!(a.verify_signature());
    assert_eq!(a.tx.signer, f.address);
    assert_eq!(a.tx.nonce, 7);
    assert_eq!(a.tx.chain_id.to_string(), "test-chain");
    assert_eq!(a.tx.expires_at_ms, CHAIN_NOW + 600_000);
    // The next one continues before the chain has seen the first.
    assert_eq!(
        f.portal.sign(&token, &csrf, transfer()).unwrap().tx.nonce,
        8
    );
    // After a refusal the chain's nonce counts again.
    f.portal.refused(&token);
    assert_eq!(
        f.portal.sign(&token, &csrf, transfer()).unwrap().tx.nonce,
        7
    );
    // The chain moved on: its nonce wins over the session's.
    f.node.nonce.store(20, Ordering::SeqCst);
    assert_eq!(
        f.portal.sign(&token, &csrf, transfer()).unwrap().tx.nonce,
        20
    );
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_at_their_maximum_age_and_at_sign_out() {
    let cfg = PortalConfig {
        idle_ms: 1_000,
        max_age_ms: 2_500,
        max_sessions: 2,
    };
    let f = fixture(Some(Role::Prosumer), cfg);
    let (token, _) = f.sign_in("apt1-101", "right horse").await.unwrap();
    f.clock.store(1_000_999, Ordering::SeqCst);
    assert!(
        f.portal.session(&token).is_some(),
        "used within the idle time"
    );
    f.clock.store(1_001_998, Ordering::SeqCst);
    assert!(f.portal.session(&token).is_some());
    f.clock.store(1_002_500, Ordering::SeqCst);
    assert!(f.portal.session(&token).is_none(), "past its maximum age");
    let (t2, v2) = f.sign_in("apt1-101", "right horse").await.unwrap();
    f.clock.store(1_003_500, Ordering::SeqCst);
    assert!(f.portal.session(&t2).is_none(), "idle too long");
    assert_eq!(
        f.portal
            .sign(&t2, v2.csrf.as_deref().unwrap(), transfer())
            .unwrap_err(),
        PortalError::NotSignedIn
    );
    let (t3, _) = f.sign_in("apt1-101", "right horse").await.unwrap();
    f.portal.sign_out(&t3);
    assert!(f.portal.session(&t3).is_none());
    // At most `max_sessions`: the least recently used one ends.
    let (a, _) = f.sign_in("apt1-101", "right horse").await.unwrap();
    f.clock.store(1_003_600, Ordering::SeqCst);
    let (b, _) = f.sign_in("apt1-101", "right horse").await.unwrap();
    let (c, _) = f.sign_in("apt1-101", "right horse").await.unwrap();
    assert!(f.portal.session(&a).is_none());
    assert!(f.portal.session(&b).is_some() && f.portal.session(&c).is_some());
}

#[tokio::test]
async fn a_caller_is_the_live_session_s_account_only_with_its_csrf_token() {
    let f = fixture(Some(Role::ChargingOperator), PortalConfig::default());
    let (token, view) = f.sign_in("apt1-101", "right horse").await.unwrap();
    let csrf = view.csrf.unwrap();
    assert_eq!(f.portal.caller(&token, &csrf), Some(f.address.clone()));
    assert_eq!(f.portal.caller(&token, "forged"), None);
    assert_eq!(f.portal.caller("other", &csrf), None);
    f.clock.store(1_000_000 + 30 * 60 * 1000, Ordering::SeqCst);
    assert_eq!(f.portal.caller(&token, &csrf), None, "expired");
}

#[tokio::test]
async fn a_flood_of_made_up_logins_and_a_restart_do_not_forget_a_login_s_count() {
    let f = fixture(Some(Role::Consumer), PortalConfig::default());
    for _ in 0..4 {
        assert_eq!(
            f.sign_in("apt1-101", "wrong").await.unwrap_err(),
            PortalError::BadCredentials
        );
    }
    for i in 0..10_001 {
        assert_eq!(
            f.sign_in(&format!("made-up-{i}"), "wrong")
                .await
                .unwrap_err(),
            PortalError::BadCredentials
        );
    }
    // Every made-up login cost a derivation, and none left a record.
    assert_eq!(f.kdf.derivations(), 4 + 10_001);
    assert_eq!(
        f.portal.checker.guards.get("made-up-77").unwrap(),
        Guard::default()
    );
    let f = f.restart();
    assert!(matches!(
        f.sign_in("apt1-101", "wrong").await.unwrap_err(),
        PortalError::LockedOut { .. }
    ));
    assert!(matches!(
        f.sign_in("apt1-101", "right horse").await.unwrap_err(),
        PortalError::LockedOut { .. }
    ));
}

#[tokio::test]
async fn parallel_guesses_are_checked_one_at_a_time_and_stop_at_the_lock() {
    let f = Arc::new(fixture(Some(Role::Consumer), PortalConfig::default()));
    let mut tasks = Vec::new();
    for i in 0..30 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let pw = if i == 17 { "right horse" } else { "wrong" };
            f.sign_in("apt1-101", pw).await
        }));
    }
    let mut wrong = 0;
    let mut locked = 0;
    let mut opened = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => opened += 1,
            Err(PortalError::BadCredentials) => wrong += 1,
            Err(PortalError::LockedOut { .. }) => locked += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    // Five wrong ones are checked before the lock (a right one checked before that starts
    // the count again, allowing at most four more): never the 17 of before.
    let derived = f.kdf.derivations();
    if opened == 1 {
        assert!(derived <= 10, "{derived} checked");
        assert!(wrong <= 8, "{wrong}");
    } else {
        assert_eq!(derived, 5);
        assert_eq!(wrong, 4);
    }
    assert_eq!(opened + wrong + locked, 30);
    assert!(f.portal.checker.turns.is_empty(), "no turn left behind");
}

#[tokio::test]
async fn a_guesser_elsewhere_does_not_lock_out_the_owner_and_the_operator_unlocks() {
    let f = fixture(Some(Role::Consumer), PortalConfig::default());
    // The owner signs in from home once; a guesser elsewhere locks only itself.
    f.sign_in("apt1-101", "right horse").await.unwrap();
    for _ in 0..5 {
        let _ = f.portal.sign_in("apt1-101", "guess", "203.0.113.66").await;
    }
    assert!(matches!(
        f.portal
            .sign_in("apt1-101", "right horse", "203.0.113.66")
            .await,
        Err(PortalError::LockedOut { until_ms }) if until_ms == 1_000_000 + FIRST_LOCK_MS
    ));
    assert!(f.sign_in("apt1-101", "right horse").await.is_ok());
    // Twenty guessers from as many addresses use up the shared budget: new addresses wait,
    // the owner's does not.
    for i in 0..20 {
        let _ = f
            .portal
            .sign_in("apt1-101", "guess", &format!("198.51.100.{i}"))
            .await;
    }
    assert!(matches!(
        f.portal
            .sign_in("apt1-101", "right horse", "198.51.100.200")
            .await,
        Err(PortalError::LockedOut { .. })
    ));
    assert!(f.sign_in("apt1-101", "right horse").await.is_ok());
    // The operator's unlock clears every lock; an unknown login is not found.
    f.portal.unlock("apt1-101").await.unwrap();
    assert!(f
        .portal
        .sign_in("apt1-101", "right horse", "203.0.113.66")
        .await
        .is_ok());
    assert_eq!(
        f.portal.unlock("nobody").await.unwrap_err(),
        PortalError::UnknownLogin
    );
    assert_eq!(
        f.portal.unlock("../x").await.unwrap_err(),
        PortalError::UnknownLogin
    );
}

#[tokio::test]
async fn beyond_the_derivation_queue_sign_ins_are_busy_and_unknown_logins_derive_too() {
    // One thread and one queue place, both taken by derivations held up: the next sign-in is
    // busy.
    let kdf = KdfPool::new(1, 1);
    let f = fixture_with_pool(Some(Role::Consumer), PortalConfig::default(), kdf.clone());
    let mut releases = Vec::new();
    let mut blockers = Vec::new();
    for want_queued in ["0", "1"] {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        releases.push(tx);
        let kdf2 = kdf.clone();
        blockers.push(tokio::spawn(
            async move { kdf2.run(move || rx.recv()).await },
        ));
        // The first runs (and leaves the queue), the second waits in it.
        let text = format!("gridledger_kdf_queued {want_queued}\n");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        while !kdf.render().contains(&text) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    assert!(matches!(
        f.sign_in("apt1-101", "right horse").await,
        Err(PortalError::Busy { retry_after_s: 1 })
    ));
    assert!(matches!(
        f.sign_in("nobody", "x").await,
        Err(PortalError::Busy { .. })
    ));
    for (tx, b) in releases.into_iter().zip(blockers) {
        tx.send(()).unwrap();
        b.await.unwrap().unwrap().unwrap();
    }
    // A busy answer counted nothing against the login.
    assert_eq!(
        f.portal.checker.guards.get("apt1-101").unwrap(),
        Guard::default()
    );
    let before = kdf.derivations();
    f.sign_in("nobody", "x").await.unwrap_err();
    f.sign_in("apt1-101", "wrong").await.unwrap_err();
    assert_eq!(kdf.derivations(), before + 2, "both derive once");
}

#[tokio::test]
async fn unknown_logins_derive_with_the_keystores_parameters() {
    let f = fixture(Some(Role::Consumer), PortalConfig::default());
    assert_eq!(signin::dummy_params(f.dir.path()), CHEAP);
    assert_eq!(f.portal.checker.dummy.kdf_params(), CHEAP);
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(signin::dummy_params(empty.path()), KdfParams::default());
}
