use super::*;
use gridledger_api::{
    AccountView, BillingQuery, BlockView, FinalizedEvent, NodeError, ParticipantView, PeriodView,
    Rejected, SiteReadingsView, SiteView, StatusView, TxView,
};
use gridledger_sdk::keystore::{generate_key, KdfParams};
use gridledger_types::{Hash32, MilliWon, SiteId};
use std::sync::atomic::{AtomicU64, Ordering};

const CHEAP: KdfParams = KdfParams {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};
const CHAIN_NOW: u64 = 1_780_000_000_000;

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
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<FinalizedEvent>> {
        tokio::sync::broadcast::channel(1).1
    }
    fn metrics_text(&self) -> String {
        String::new()
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    portal: Portal,
    node: Arc<Node>,
    address: Address,
    clock: Arc<AtomicU64>,
}

fn fixture(role: Option<Role>, cfg: PortalConfig) -> Fixture {
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
    let c = clock.clone();
    let portal = Portal::with_clock(
        dir.path().to_path_buf(),
        node.clone(),
        ChainId::new("test-chain").unwrap(),
        cfg,
        Box::new(move || c.load(Ordering::SeqCst)),
    );
    Fixture {
        _dir: dir,
        portal,
        node,
        address,
        clock,
    }
}

fn transfer() -> Payload {
    Payload::Transfer {
        to: Address::of(&generate_key().unwrap()),
        amount: MilliWon::from_won(1).unwrap(),
        memo: String::new(),
    }
}

#[test]
fn the_right_password_opens_a_session_that_names_the_participant() {
    let f = fixture(Some(Role::Prosumer), PortalConfig::default());
    let (token, view) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    assert_eq!(token.len(), 64);
    assert!(view.signed_in);
    assert_eq!(view.address.as_ref(), Some(&f.address));
    assert_eq!(view.name.as_deref(), Some("Haneul household"));
    assert_eq!(view.role.as_deref(), Some("prosumer"));
    assert!(!view.operator);
    assert_eq!(view.expires_ms, Some(1_000_000 + 30 * 60 * 1000));
    assert_eq!(f.portal.session(&token).unwrap().csrf, view.csrf);
    // Two sign-ins are two sessions with their own tokens and CSRF tokens.
    let (t2, v2) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    assert_ne!(t2, token);
    assert_ne!(v2.csrf, view.csrf);
}

#[test]
fn the_operator_is_flagged_and_a_non_participant_has_role_none() {
    let f = fixture(Some(Role::Operator), PortalConfig::default());
    assert!(
        f.portal
            .sign_in("apt1-101", "right horse")
            .unwrap()
            .1
            .operator
    );
    let g = fixture(None, PortalConfig::default());
    let v = g.portal.sign_in("apt1-101", "right horse").unwrap().1;
    assert_eq!(v.role.as_deref(), Some("none"));
    assert_eq!(v.name.as_deref(), Some("apt1-101"));
    assert!(!v.operator);
}

#[test]
fn wrong_passwords_unknown_and_malformed_logins_are_the_same_refusal() {
    let f = fixture(Some(Role::Consumer), PortalConfig::default());
    for (login, pw) in [
        ("apt1-101", "wrong"),
        ("nobody", "right horse"),
        ("../keys/operator", "devnet"),
        ("APT1-101", "right horse"),
        ("", "x"),
    ] {
        assert_eq!(
            f.portal.sign_in(login, pw).unwrap_err(),
            PortalError::BadCredentials,
            "{login}"
        );
    }
}

#[test]
fn five_wrong_passwords_lock_the_login_even_for_the_right_one() {
    let f = fixture(Some(Role::Consumer), PortalConfig::default());
    for _ in 0..4 {
        assert_eq!(
            f.portal.sign_in("apt1-101", "wrong").unwrap_err(),
            PortalError::BadCredentials
        );
    }
    let until = match f.portal.sign_in("apt1-101", "wrong").unwrap_err() {
        PortalError::LockedOut { until_ms } => until_ms,
        e => panic!("{e:?}"),
    };
    assert_eq!(until, 1_000_000 + 15 * 60 * 1000);
    assert!(matches!(
        f.portal.sign_in("apt1-101", "right horse"),
        Err(PortalError::LockedOut { .. })
    ));
    f.clock.store(until, Ordering::SeqCst);
    assert!(f.portal.sign_in("apt1-101", "right horse").is_ok());
}

#[test]
fn signing_needs_the_session_and_its_csrf_token_and_follows_the_nonce() {
    let f = fixture(Some(Role::Prosumer), PortalConfig::default());
    let (token, view) = f.portal.sign_in("apt1-101", "right horse").unwrap();
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

#[test]
fn sessions_end_when_idle_too_long_at_their_maximum_age_and_at_sign_out() {
    let cfg = PortalConfig {
        idle_ms: 1_000,
        max_age_ms: 2_500,
        max_sessions: 2,
    };
    let f = fixture(Some(Role::Prosumer), cfg);
    let (token, _) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    f.clock.store(1_000_999, Ordering::SeqCst);
    assert!(
        f.portal.session(&token).is_some(),
        "used within the idle time"
    );
    f.clock.store(1_001_998, Ordering::SeqCst);
    assert!(f.portal.session(&token).is_some());
    f.clock.store(1_002_500, Ordering::SeqCst);
    assert!(f.portal.session(&token).is_none(), "past its maximum age");
    let (t2, v2) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    f.clock.store(1_003_500, Ordering::SeqCst);
    assert!(f.portal.session(&t2).is_none(), "idle too long");
    assert_eq!(
        f.portal
            .sign(&t2, v2.csrf.as_deref().unwrap(), transfer())
            .unwrap_err(),
        PortalError::NotSignedIn
    );
    let (t3, _) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    f.portal.sign_out(&t3);
    assert!(f.portal.session(&t3).is_none());
    // At most `max_sessions`: the least recently used one ends.
    let (a, _) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    f.clock.store(1_003_600, Ordering::SeqCst);
    let (b, _) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    let (c, _) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    assert!(f.portal.session(&a).is_none());
    assert!(f.portal.session(&b).is_some() && f.portal.session(&c).is_some());
}

#[test]
fn a_caller_is_the_live_session_s_account_only_with_its_csrf_token() {
    let f = fixture(Some(Role::ChargingOperator), PortalConfig::default());
    let (token, view) = f.portal.sign_in("apt1-101", "right horse").unwrap();
    let csrf = view.csrf.unwrap();
    assert_eq!(f.portal.caller(&token, &csrf), Some(f.address.clone()));
    assert_eq!(f.portal.caller(&token, "forged"), None);
    assert_eq!(f.portal.caller("other", &csrf), None);
    f.clock.store(1_000_000 + 30 * 60 * 1000, Ordering::SeqCst);
    assert_eq!(f.portal.caller(&token, &csrf), None, "expired");
}
