//! A node double for the operator's submissions: admission with the mempool's nonce rules
//! (`stale_nonce` below the account's nonce, `nonce_taken` when a pending transaction holds it),
//! finality in nonce order without gaps, and the session rules the outbox depends on (Cancel
//! only from `Prepaid`, Settle only from `Cancelled`; a refused one is a failed receipt, as on
//! chain). A test can have "another holder of the key" take a nonce at the moment one of our
//! transactions arrives: pending (like a CLI submission not yet final) or final.
use gridledger_api_types::{
    AccountView, BillingQuery, BlockView, ChargingQuery, FinalizedEvent, NodeApi, NodeError,
    ParticipantView, PeriodView, Rejected, SiteReadingsView, SiteView, StatusView, TxView,
};
use gridledger_execution::charging_view::SessionView;
use gridledger_types::{
    Address, ChainId, ChargerId, Hash32, MilliWon, Payload, PrivateKey, Receipt, SessionState,
    SignedTransaction, SiteId, Transaction, TxStatus,
};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};
use tokio::sync::broadcast;

pub const CHAIN: &str = "gridledger-test";
/// The chain clock: fixed.
pub const NOW_MS: u64 = 1_780_000_000_000;

/// How another holder of the operator key takes the nonce of one of our submissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steal {
    /// Its transaction is pending with that nonce (ours gets `nonce_taken`).
    Pending,
    /// Its transaction with that nonce is already final (ours gets `stale_nonce`).
    Final,
    /// No other transaction: ours is refused as `mempool_full`.
    Full,
}

/// What was asked of the node, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// One of our transactions: its nonce, what it is, and the admission result.
    Submitted(u64, String, Result<(), String>),
    /// A transaction executed at finality: its nonce, what it is, and its failure code.
    Executed(u64, String, Option<String>),
}

/// What a payload is, for the log: `cancel 3`, `settle 3`, `foreign`, ...
pub fn label(p: &Payload) -> String {
    match p {
        Payload::ChargingCancel(c) => format!("cancel {}", c.session),
        Payload::ChargingSettle(s) => format!("settle {}", s.session),
        Payload::Transfer { .. } => "foreign".into(),
        other => format!("{other:?}").chars().take(20).collect(),
    }
}

struct State {
    operator: Address,
    nonce: u64,
    pending: BTreeMap<u64, SignedTransaction>,
    done: BTreeMap<Hash32, TxView>,
    sessions: BTreeMap<u64, SessionView>,
    /// Our submissions to let through before the steal; then the steal happens once.
    steal: Option<(usize, Steal)>,
    /// While set, nothing becomes final (a stalled chain).
    stalled: bool,
    height: u64,
    seen: Vec<Seen>,
}

pub struct Node {
    state: Mutex<State>,
    key: PrivateKey,
    events: broadcast::Sender<Arc<FinalizedEvent>>,
}

impl Node {
    /// A chain where the operator (`key`) has sent `nonce` transactions and holds these
    /// `Prepaid` sessions of charger `CP-1` paid by `payer`.
    pub fn new(key: PrivateKey, nonce: u64, sessions: &[u64], payer: &Address) -> Arc<Node> {
        let operator = Address::of(&key);
        let sessions = sessions
            .iter()
            .map(|&s| (s, session(s, payer, &operator)))
            .collect();
        Arc::new(Node {
            state: Mutex::new(State {
                operator,
                nonce,
                pending: BTreeMap::new(),
                done: BTreeMap::new(),
                sessions,
                steal: None,
                stalled: false,
                height: 1,
                seen: Vec::new(),
            }),
            key,
            events: broadcast::channel(16).0,
        })
    }

    /// After `after` more of our transactions, the next one finds its nonce taken.
    pub fn steal_after(&self, after: usize, how: Steal) {
        self.state.lock().unwrap().steal = Some((after, how));
    }

    /// Stalls finality (nothing becomes final) or resumes it (what is pending becomes final).
    pub fn stall(&self, stalled: bool) {
        let mut st = self.state.lock().unwrap();
        st.stalled = stalled;
        st.finalize();
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn session_state(&self, s: u64) -> SessionState {
        self.state.lock().unwrap().sessions[&s].state
    }

    /// Another holder of the operator key signs a transfer with `nonce`.
    fn foreign(&self, nonce: u64) -> SignedTransaction {
        Transaction {
            chain_id: ChainId::new(CHAIN).unwrap(),
            signer: Address::of(&self.key),
            nonce,
            expires_at_ms: NOW_MS + 60_000,
            payload: Payload::Transfer {
                to: Address::of(&self.key),
                amount: MilliWon(1),
                memo: "cli".into(),
            },
        }
        .sign(&self.key)
    }
}

fn session(s: u64, payer: &Address, payee: &Address) -> SessionView {
    SessionView {
        charger: ChargerId::new("CP-1").unwrap(),
        session: s,
        member_no: 10_000_001,
        payer: payer.clone(),
        payee: payee.clone(),
        connector: 1,
        price_mwon_per_kwh: 300_000,
        hold_mwon: 10_000_000,
        state: SessionState::Prepaid,
        energy_wh: 0,
        idle_min: 0,
        cost_mwon: 0,
        reason: None,
        prepaid_at_ms: NOW_MS,
        expires_at_ms: NOW_MS + 86_400_000,
        ended_at_ms: None,
        prepay_tx: Hash32::digest(&[b"prepay"]),
        cancel_tx: None,
        settle_tx: None,
    }
}

impl State {
    /// Executes the pending transactions that follow the account's nonce without a gap.
    fn finalize(&mut self) {
        if self.stalled {
            return;
        }
        while let Some(tx) = self.pending.remove(&self.nonce) {
            let failure = match &tx.tx.payload {
                Payload::ChargingCancel(c) => self.step(c.session, SessionState::Prepaid, |s| {
                    s.state = SessionState::Cancelled;
                }),
                Payload::ChargingSettle(r) => self.step(r.session, SessionState::Cancelled, |s| {
                    s.state = SessionState::Settled;
                }),
                _ => None,
            };
            let status = match &failure {
                None => TxStatus::Success,
                Some(code) => TxStatus::Failed {
                    code: code.clone(),
                    message: "refused by the session rules".into(),
                },
            };
            self.height += 1;
            let hash = tx.hash();
            self.seen
                .push(Seen::Executed(tx.tx.nonce, label(&tx.tx.payload), failure));
            self.done.insert(
                hash,
                TxView {
                    hash,
                    height: self.height,
                    index: 0,
                    block_hash: Hash32::digest(&[&self.height.to_be_bytes()]),
                    timestamp_ms: NOW_MS,
                    tx: serde_json::Value::Null,
                    receipt: Receipt {
                        tx_hash: hash,
                        height: self.height,
                        index: 0,
                        status,
                        events: Vec::new(),
                    },
                },
            );
            self.nonce += 1;
        }
    }

    fn step(
        &mut self,
        session: u64,
        from: SessionState,
        to: impl FnOnce(&mut SessionView),
    ) -> Option<String> {
        match self.sessions.get_mut(&session) {
            Some(s) if s.state == from => {
                to(s);
                None
            }
            Some(_) => Some("session_not_open".into()),
            None => Some("unknown_session".into()),
        }
    }
}

fn nothing<T>() -> Result<T, NodeError> {
    Err(NodeError("not in this test".into()))
}

impl NodeApi for Node {
    fn status(&self) -> StatusView {
        let st = self.state.lock().unwrap();
        StatusView {
            chain_id: CHAIN.into(),
            height: st.height,
            block_hash: Hash32::digest(&[b"head"]),
            state_root: Hash32::digest(&[b"root"]),
            timestamp_ms: NOW_MS,
            now_ms: NOW_MS,
            role: "validator".into(),
            peers: Vec::new(),
            mempool_txs: st.pending.len() as u64,
            version: "test".into(),
        }
    }

    fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash32, Rejected>> {
        let mut out = Vec::new();
        for tx in txs {
            let stolen = {
                let mut st = self.state.lock().unwrap();
                match st.steal {
                    Some((0, how)) => {
                        st.steal = None;
                        Some(how)
                    }
                    Some((n, how)) => {
                        st.steal = Some((n - 1, how));
                        None
                    }
                    None => None,
                }
            };
            let foreign = stolen.map(|how| (how, self.foreign(tx.tx.nonce)));
            let mut st = self.state.lock().unwrap();
            let full = matches!(foreign, Some((Steal::Full, _)));
            if let Some((how, foreign)) = foreign.filter(|(how, _)| *how != Steal::Full) {
                st.pending.insert(foreign.tx.nonce, foreign);
                if how == Steal::Final {
                    st.finalize();
                }
            }
            let n = tx.tx.nonce;
            let what = label(&tx.tx.payload);
            let result = if full {
                Err(("mempool_full", "the mempool is full; retry later"))
            } else if tx.tx.signer != st.operator {
                Err(("unknown_signer", "not the operator"))
            } else if n < st.nonce {
                Err(("stale_nonce", "nonce is already used"))
            } else if st.pending.contains_key(&n) {
                Err(("nonce_taken", "a pending transaction uses this nonce"))
            } else {
                Ok(())
            };
            st.seen.push(Seen::Submitted(
                n,
                what,
                result.map_err(|(code, _)| code.to_owned()),
            ));
            out.push(match result {
                Ok(()) => {
                    let hash = tx.hash();
                    st.pending.insert(n, tx);
                    Ok(hash)
                }
                Err((code, message)) => Err(Rejected {
                    code: code.into(),
                    message: message.into(),
                }),
            });
        }
        out
    }

    fn tx(&self, hash: &Hash32) -> Result<Option<TxView>, NodeError> {
        let mut st = self.state.lock().unwrap();
        st.finalize();
        Ok(st.done.get(hash).cloned())
    }

    fn account(&self, address: &Address) -> Result<AccountView, NodeError> {
        let st = self.state.lock().unwrap();
        Ok(AccountView {
            address: address.clone(),
            balance: MilliWon(0),
            held: MilliWon(0),
            nonce: if *address == st.operator { st.nonce } else { 0 },
            role: None,
            suspended: false,
            holds: Vec::new(),
        })
    }

    fn charging(&self, q: &ChargingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        let st = self.state.lock().unwrap();
        match q {
            ChargingQuery::Session { session, .. } => Ok(st
                .sessions
                .get(session)
                .map(|s| serde_json::to_value(s).unwrap())),
            _ => Ok(None),
        }
    }

    fn block(&self, _: u64) -> Result<Option<BlockView>, NodeError> {
        nothing()
    }
    fn participant(&self, _: &Address) -> Result<Option<ParticipantView>, NodeError> {
        nothing()
    }
    fn history(
        &self,
        _: &Address,
        _: Option<(u64, u32)>,
        _: usize,
    ) -> Result<Vec<TxView>, NodeError> {
        nothing()
    }
    fn site(&self, _: &SiteId) -> Result<Option<SiteView>, NodeError> {
        nothing()
    }
    fn site_readings(&self, _: &SiteId, _: u32) -> Result<Option<SiteReadingsView>, NodeError> {
        nothing()
    }
    fn market_period(&self, _: &SiteId, _: u64) -> Result<Option<PeriodView>, NodeError> {
        nothing()
    }
    fn billing(&self, _: &BillingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        nothing()
    }
    fn subscribe(&self) -> gridledger_api_types::EventStream {
        gridledger_api::event_stream(self.events.subscribe())
    }
    fn metrics_text(&self) -> String {
        String::new()
    }
}
