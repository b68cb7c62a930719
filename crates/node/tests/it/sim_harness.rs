//! The simulation's machinery: N validators of our real stack (`Chain` + `App` + `Engine`) in
//! commonware's deterministic runtime, wired over its simulated network the way `node.rs` wires
//! them over `lookup` (same five channels, same marshal resolver), with the finalizer as a task
//! of the runtime. Faults: links can be cut and restored, a node can crash (all its tasks
//! aborted, its `Chain` and redb file closed) and restart from its storage, and a validator can
//! be replaced by one of commonware's byzantine mocks.
use commonware_consensus::{
    simplex::{elector::RoundRobin, mocks},
    types::Epoch,
};
use commonware_cryptography::{ed25519, Sha256, Signer as _};
use commonware_p2p::{
    simulated::{self, Link, Network, Oracle},
    utils::mux::{Muxer, SubReceiver, SubSender},
};
use commonware_runtime::{deterministic, Handle, Quota, Spawner as _, Supervisor as _};
use commonware_utils::{ordered::Set, union, NZUsize, NZU32};
use gridledger_api_types::Rejected;
use gridledger_node::{
    application::{run_finalizer, App, Pacing},
    chain::{Chain, ChainConfig},
    clock::ChainClock,
    engine::{
        marshal_resolver, Archives, Engine, EngineConfig, Timeouts, CHANNELS, CHANNEL_CERTIFICATES,
        CHANNEL_VOTES,
    },
    genesis::{GenesisFile, ValidatorInfo},
    gossip,
    mempool::MempoolConfig,
    metrics::NodeMetrics,
    node::NAMESPACE,
    Scheme,
};
use gridledger_storage::Store;
use gridledger_types::{Address, Hash32, SignedTransaction, BLOCK_MAX_TXS};
use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    sync::{Arc, Weak},
    time::Duration,
};

pub type Ctx = deterministic::Context;
type Pk = ed25519::PublicKey;

const MAX_MESSAGE_SIZE: u32 = 8 * 1024 * 1024;
/// How long a crashed node's tasks may take to release its `Chain` (simulated time).
const RELEASE_WAIT: Duration = Duration::from_secs(1);

/// Block pacing of the simulation: short, so a run reaches its heights in a few simulated
/// seconds (both below the leader timeout, as `node.rs` requires).
pub const PACING: Pacing = Pacing {
    min_block_interval_ms: 50,
    max_empty_wait_ms: 200,
    max_future_skew_ms: 1_000,
};

pub fn timeouts() -> Timeouts {
    Timeouts {
        leader: Duration::from_millis(1_000),
        certification: Duration::from_millis(1_500),
        nullify_retry: Duration::from_secs(3),
        fetch: Duration::from_secs(1),
        activity: commonware_consensus::types::ViewDelta::new(256),
        skip: Duration::from_secs(5),
    }
}

/// Which of commonware's byzantine mocks runs instead of our engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Byzantine {
    /// Leads with two different proposals, one to a victim and one to everyone else.
    Equivocator,
    /// Answers every vote with a vote for a random digest and one for the received digest.
    Conflicter,
}

/// One honest node that is up.
pub struct Node {
    pub chain: Arc<Chain>,
    /// Transactions this node's clients sent, to forward to its peers (gossip).
    pub outbox: gossip::Outbox,
    handle: Handle<()>,
}

/// Where a client sends transactions: a live node's mempool, forwarded from there by gossip.
#[derive(Clone)]
pub struct EntryPoint {
    pub chain: Arc<Chain>,
    outbox: gossip::Outbox,
}

impl EntryPoint {
    pub fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash32, Rejected>> {
        gossip::submit_and_forward(&self.chain, &self.outbox, txs)
    }
}

pub enum Slot {
    Up(Node),
    Down,
    Byzantine(#[allow(dead_code)] Handle<()>),
}

/// Finalized `(block hash, state root)` per height, from 0, as stored.
pub type Ledger = Vec<(Hash32, Hash32)>;

pub struct Sim {
    ctx: Ctx,
    pub oracle: Oracle<Pk, Ctx>,
    keys: Vec<ed25519::PrivateKey>,
    pub pks: Vec<Pk>,
    participants: Set<Pk>,
    namespace: Vec<u8>,
    pub genesis: GenesisFile,
    dir: PathBuf,
    links: BTreeMap<(usize, usize), Link>,
    /// Links currently cut by [Sim::partition].
    cut: BTreeSet<(usize, usize)>,
    pub slots: Vec<Slot>,
    incarnations: Vec<u32>,
}

impl Sim {
    /// `n` validators on a full mesh of random links (latency, jitter, loss); nobody started.
    pub async fn new(
        mut ctx: Ctx,
        n: usize,
        genesis_chain: gridledger_execution::Genesis,
        dir: PathBuf,
    ) -> Self {
        use rand::RngExt as _;
        let keys: Vec<_> = (0..n as u64)
            .map(|i| ed25519::PrivateKey::from_seed(1_000 + i))
            .collect();
        let pks: Vec<Pk> = keys.iter().map(|k| k.public_key()).collect();
        let participants = Set::from_iter_dedup(pks.iter().cloned());
        let genesis = GenesisFile {
            chain: genesis_chain,
            validators: pks
                .iter()
                .enumerate()
                .map(|(i, pk)| ValidatorInfo {
                    public_key: Address(pk.clone()),
                    p2p_addr: format!("10.0.0.{}:7000", i + 1).parse().expect("address"),
                })
                .collect(),
        };
        genesis.validate().expect("simulation genesis is valid");
        let namespace = union(NAMESPACE, genesis.chain.chain_id.as_str().as_bytes());
        let (network, oracle) = Network::new_with_peers(
            ctx.child("network"),
            simulated::Config {
                max_size: MAX_MESSAGE_SIZE,
                max_peers_per_set: NZUsize!(n),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            pks.clone(),
        )
        .await;
        network.start();
        let mut links = BTreeMap::new();
        for a in 0..n {
            for b in 0..n {
                if a == b {
                    continue;
                }
                let link = Link {
                    latency: Duration::from_millis(ctx.random_range(5..=80)),
                    jitter: Duration::from_millis(ctx.random_range(0..=20)),
                    success_rate: commonware_utils::Probability::new(
                        ctx.random_range(90..=99),
                        100,
                    )
                    .expect("a probability"),
                };
                links.insert((a, b), link);
            }
        }
        for ((a, b), link) in &links {
            oracle
                .add_link(pks[*a].clone(), pks[*b].clone(), link.clone())
                .await
                .expect("link peers");
        }
        Self {
            ctx,
            oracle,
            keys,
            pks,
            participants,
            namespace,
            genesis,
            dir,
            links,
            cut: BTreeSet::new(),
            slots: (0..n).map(|_| Slot::Down).collect(),
            incarnations: vec![0; n],
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Restores every link cut by [Sim::partition], as it was.
    pub async fn heal(&mut self) {
        for (a, b) in std::mem::take(&mut self.cut) {
            self.oracle
                .add_link(
                    self.pks[a].clone(),
                    self.pks[b].clone(),
                    self.links[&(a, b)].clone(),
                )
                .await
                .expect("link peers");
        }
    }

    /// Cuts every link between a node with `side[i]` and one without.
    pub async fn partition(&mut self, side: &[bool]) {
        for (a, b) in self.links.keys() {
            if side[*a] != side[*b] && self.cut.insert((*a, *b)) {
                self.oracle
                    .remove_link(self.pks[*a].clone(), self.pks[*b].clone())
                    .await
                    .expect("unlink peers");
            }
        }
    }

    fn store_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node{i}.redb"))
    }

    /// Opens node `i`'s chain from its redb file (genesis on first start).
    fn open_chain(&self, i: usize) -> Arc<Chain> {
        let store = Store::open(&self.store_path(i))
            .unwrap_or_else(|e| panic!("node {i}: cannot open store: {e}"));
        let (block, outcome) = self.genesis.genesis_block();
        Arc::new(
            Chain::open(
                ChainConfig {
                    chain_id: self.genesis.chain.chain_id.clone(),
                    mempool: MempoolConfig::default(),
                    max_block_txs: BLOCK_MAX_TXS,
                },
                store,
                &block,
                outcome,
                NodeMetrics::default(),
            )
            .unwrap_or_else(|e| panic!("node {i}: cannot open chain: {e}")),
        )
    }

    /// Starts (or restarts) honest node `i`: our chain, application and engine, on its
    /// storage, with the finalizer as a task beside the engine. Everything runs under one
    /// task, so aborting it stops the whole node.
    pub fn start_honest(&mut self, i: usize) {
        assert!(matches!(self.slots[i], Slot::Down), "node {i} is running");
        let chain = self.open_chain(i);
        let incarnation = self.incarnations[i];
        self.incarnations[i] += 1;
        let oracle = self.oracle.clone();
        let me = self.pks[i].clone();
        let key = self.keys[i].clone();
        let namespace = union(&self.namespace, b"_CONSENSUS");
        let genesis = self.genesis.genesis_block().0;
        let node_chain = chain.clone();
        let (outbox, queue) = gossip::Outbox::new();
        let handle = self
            .ctx
            .child("node")
            .with_attribute("index", i)
            .with_attribute("incarnation", incarnation)
            .spawn(move |ctx| async move {
                let control = oracle.control(me.clone());
                let quota = Quota::per_second(NZU32!(10_000));
                let mut channels = Vec::new();
                for c in CHANNELS {
                    channels.push(control.register(c, quota).await.expect("register channel"));
                }
                let mut channels = channels.into_iter();
                let mut next = || channels.next().expect("six channels");
                let (votes, certificates, resolver, broadcast, marshal_channel, txs) =
                    (next(), next(), next(), next(), next(), next());
                gossip::start(
                    ctx.child("gossip"),
                    node_chain.clone(),
                    queue,
                    txs,
                    control.clone(),
                );
                let marshal_resolver = marshal_resolver(
                    ctx.child("marshal_resolver"),
                    me.clone(),
                    oracle.manager(),
                    control.clone(),
                    Duration::from_secs(2),
                    marshal_channel,
                );
                let (fin_tx, fin_rx) = futures::channel::mpsc::unbounded();
                let app = App::new(
                    node_chain.clone(),
                    PACING,
                    ChainClock::default(),
                    false,
                    fin_tx,
                );
                let archives = Archives::open(ctx.child("engine"), &format!("node{i}"))
                    .await
                    .unwrap_or_else(|e| panic!("node {i}: {e}"));
                let engine = Engine::new(
                    ctx.child("engine"),
                    app,
                    EngineConfig {
                        blocker: control.clone(),
                        provider: oracle.manager(),
                        key,
                        namespace,
                        chain: node_chain.clone(),
                        genesis,
                        timeouts: timeouts(),
                        // The simulated network links every validator from the start.
                        on_epoch: Box::new(|_, _| {}),
                    },
                    archives,
                )
                .await
                .unwrap_or_else(|e| panic!("node {i}: {e}"));
                let engine =
                    engine.start(votes, certificates, resolver, broadcast, marshal_resolver);
                let finalizer = ctx
                    .child("finalizer")
                    .spawn(move |_| run_finalizer(node_chain, fin_rx));
                // An honest node must never stop on its own: a block it cannot apply is a
                // safety failure, an engine that stops a liveness one.
                match futures::future::select(engine, finalizer).await {
                    futures::future::Either::Left((r, _)) => {
                        panic!("node {i}: engine stopped: {r:?}")
                    }
                    futures::future::Either::Right((r, _)) => {
                        panic!("node {i}: finalizer stopped: {r:?}")
                    }
                }
            });
        self.slots[i] = Slot::Up(Node {
            chain,
            outbox,
            handle,
        });
    }

    /// Starts validator `i` as a byzantine mock (votes and certificates only).
    pub async fn start_byzantine(&mut self, i: usize, kind: Byzantine) {
        let control = self.oracle.control(self.pks[i].clone());
        let quota = Quota::per_second(NZU32!(10_000));
        let votes = control
            .register(CHANNEL_VOTES, quota)
            .await
            .expect("register votes");
        let certificates = control
            .register(CHANNEL_CERTIFICATES, quota)
            .await
            .expect("register certificates");
        let scheme = Scheme::signer(
            &union(&self.namespace, b"_CONSENSUS"),
            self.participants.clone(),
            self.keys[i].clone(),
        )
        .expect("validator in the set");
        let ctx = self.ctx.child("byzantine").with_attribute("index", i);
        // Honest nodes run each epoch on its own sub-channel: speak epoch 0's.
        let votes = epoch_zero(&ctx, "votes_mux", votes).await;
        let certificates = epoch_zero(&ctx, "certificates_mux", certificates).await;
        let handle = match kind {
            Byzantine::Equivocator => mocks::equivocator::Equivocator::<_, _, _, Sha256>::new(
                ctx,
                mocks::equivocator::Config {
                    scheme,
                    elector: RoundRobin::<Sha256>::default(),
                    epoch: Epoch::zero(),
                    // Its proposals' payloads go to this relay, which no honest node reads:
                    // they stay unknown digests, as a leader withholding its blocks.
                    relay: Arc::new(mocks::relay::Relay::new()),
                },
            )
            .start(votes, certificates),
            Byzantine::Conflicter => mocks::conflicter::Conflicter::<_, _, Sha256>::new(
                ctx,
                mocks::conflicter::Config { scheme },
            )
            .start(votes),
        };
        self.slots[i] = Slot::Byzantine(handle);
    }

    /// Crashes honest node `i`: aborts all its tasks and waits until its `Chain` (and so its
    /// redb file) is released. Returns what it had finalized.
    pub async fn crash(&mut self, i: usize) -> Ledger {
        let Slot::Up(node) = std::mem::replace(&mut self.slots[i], Slot::Down) else {
            panic!("node {i} is not up");
        };
        node.handle.abort();
        let _ = node.handle.await;
        let ledger = ledger(&node.chain);
        let weak: Weak<Chain> = Arc::downgrade(&node.chain);
        drop(node.chain);
        let step = Duration::from_millis(10);
        let mut waited = Duration::ZERO;
        while weak.strong_count() > 0 {
            assert!(
                waited < RELEASE_WAIT,
                "node {i}: chain still referenced after its tasks were aborted"
            );
            commonware_runtime::Clock::sleep(&self.ctx, step).await;
            waited += step;
        }
        ledger
    }

    /// The honest nodes that are up, by index.
    /// The live honest nodes as clients see them.
    pub fn entry_points(&self) -> Vec<EntryPoint> {
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::Up(n) => Some(EntryPoint {
                    chain: n.chain.clone(),
                    outbox: n.outbox.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    pub fn up(&self) -> Vec<(usize, Arc<Chain>)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Slot::Up(n) => Some((i, n.chain.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn is_byzantine(&self, i: usize) -> bool {
        matches!(self.slots[i], Slot::Byzantine(_))
    }

    pub fn index_of(&self, pk: &Pk) -> Option<usize> {
        self.pks.iter().position(|p| p == pk)
    }
}

/// What `chain` has finalized, read back from its store; checks that the stored blocks form
/// one hash chain from genesis.
pub fn ledger(chain: &Chain) -> Ledger {
    let head = chain.head();
    let mut out: Ledger = Vec::with_capacity(head.height as usize + 1);
    for h in 0..=head.height {
        let indexed = chain
            .store
            .block_hash(h)
            .expect("store readable")
            .unwrap_or_else(|| panic!("no block hash at finalized height {h}"));
        let (hash, header) = chain
            .stored_header(h)
            .expect("store readable")
            .unwrap_or_else(|| panic!("no block at finalized height {h}"));
        assert_eq!(hash.0, indexed, "height {h}: block and hash index disagree");
        assert_eq!(
            header.height, h,
            "height {h}: stored block has another height"
        );
        if let Some((parent, _)) = out.last() {
            assert_eq!(
                header.parent, *parent,
                "height {h}: parent is not the block below"
            );
        }
        out.push((hash, header.state_root));
    }
    assert_eq!(
        out.last().map(|(h, r)| (*h, *r)),
        Some((head.hash, head.state_root)),
        "stored head and chain head disagree"
    );
    out
}

/// Number of transactions in finalized blocks `1..=height` of `chain`.
pub fn finalized_txs(chain: &Chain) -> u64 {
    (1..=chain.head().height)
        .map(|h| {
            chain
                .stored_header(h)
                .expect("store readable")
                .map_or(0, |(_, header)| u64::from(header.tx_count))
        })
        .sum()
}

/// Sub-channel 0 (epoch 0) of a p2p channel, as the engine's muxer numbers them.
async fn epoch_zero<S, R>(
    ctx: &deterministic::Context,
    label: &'static str,
    (sender, receiver): (S, R),
) -> (SubSender<S>, SubReceiver<R>)
where
    S: commonware_p2p::Sender,
    R: commonware_p2p::Receiver,
{
    let (mux, mut handle) = Muxer::new(ctx.child(label), sender, receiver, 1_024);
    mux.start();
    handle.register(0).await.expect("sub-channel 0")
}
