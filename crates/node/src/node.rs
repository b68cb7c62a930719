//! Runs one node: storage, chain state, commonware runtime, p2p, consensus engine, HTTP API.
use crate::{
    api_impl::NodeService,
    application::{spawn_finalizer, App, Pacing},
    chain::ChainConfig,
    clock::ClockConfig,
    engine::{
        marshal_resolver, Archives, Engine, EngineConfig, OnEpoch, Timeouts, CHANNEL_BROADCAST,
        CHANNEL_CERTIFICATES, CHANNEL_MARSHAL, CHANNEL_RESOLVER, CHANNEL_TXS, CHANNEL_VOTES,
        MAX_PENDING_ACKS,
    },
    epochs::epoch_to_run,
    genesis::{GenesisFile, ValidatorInfo},
    gossip,
    mempool::MempoolConfig,
    metrics::NodeMetrics,
    recovery::{self, LedgerConfig},
    Error,
};
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{ed25519, Signer as _};
use commonware_p2p::{
    authenticated::lookup, Address as PeerAddress, AddressableManager as _, AddressableTrackedPeers,
};
use commonware_runtime::{
    tokio as cw_tokio, Clock as _, Metrics as _, Quota, Runner as _, Supervisor as _,
};
use commonware_utils::{ordered::Map, ordered::Set, union, NZUsize, SystemTimeExt as _, NZU32};
use gridledger_api::ApiConfig;
use gridledger_types::BLOCK_MAX_TXS;
use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};
use tracing::{error, info, warn};

/// Namespace prefix of every consensus and p2p signature.
pub const NAMESPACE: &[u8] = b"GRIDLEDGER";
const MAX_MESSAGE_SIZE: u32 = 8 * 1024 * 1024;
/// Room in a p2p peer set for validators added after genesis (beyond it, restart the node
/// after a change so the set is sized again). Each peer slot reserves mailbox space for every
/// channel's burst, so this is not set to the largest possible validator set.
const NEW_PEER_ROOM: usize = 16;
/// Messages a peer may send per second on each channel (commonware sizes mailboxes from it).
const PEER_RATE: u32 = 1_000;

pub struct NodeConfig {
    pub data_dir: PathBuf,
    pub genesis: GenesisFile,
    /// This node's p2p identity: a validator key if it is in the genesis validator set,
    /// otherwise it must be listed in `full_nodes` and the node follows without voting.
    pub validator_key: ed25519::PrivateKey,
    /// The static network file's non-voting nodes (key and p2p address): every node accepts
    /// their connections and serves them blocks.
    pub full_nodes: Vec<ValidatorInfo>,
    pub http_addr: SocketAddr,
    pub p2p_addr: SocketAddr,
    pub pacing: Pacing,
    /// Block time: the runtime clock unless a devnet starts or moves it elsewhere.
    pub clock: ClockConfig,
    pub timeouts: Timeouts,
    pub mempool: MempoolConfig,
    pub api: ApiConfig,
    pub worker_threads: usize,
    /// Services started beside the API once the node serves reads (e.g. the charging
    /// operator's member service and OCPP gateway); `None` for a plain node.
    pub extension: Option<Extension>,
}

/// Parts an [Extension] adds to a node: a service for the charging routes and background
/// tasks (aborted at shutdown).
#[derive(Default)]
pub struct ExtensionParts {
    pub charging: Option<Arc<dyn gridledger_api_types::ChargingApi>>,
    /// The dashboard's sign-in (custodial keystores), if this node runs one.
    pub portal: Option<Arc<dyn gridledger_api_types::PortalApi>>,
    /// The key-derivation pool the services share (its counters go to `/metrics`).
    pub kdf: Option<Arc<dyn gridledger_api_types::MetricsSource>>,
    pub tasks: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
}

/// Builds the extension's parts from the node's API (inside the node's tokio runtime); an
/// error stops the node before it serves anything.
pub type Extension = Box<
    dyn FnOnce(
            Arc<dyn gridledger_api_types::NodeApi>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<ExtensionParts, String>> + Send>,
        > + Send,
>;

/// Reads a validator key file: 64 hex characters of the ed25519 seed.
pub fn load_validator_key(path: &std::path::Path) -> Result<ed25519::PrivateKey, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
    let bytes = hex::decode(text.trim())
        .map_err(|e| Error::Config(format!("validator key {}: {e}", path.display())))?;
    ed25519::PrivateKey::decode(bytes.as_slice())
        .map_err(|e| Error::Config(format!("validator key {}: {e}", path.display())))
}

/// Writes a validator key file readable only by its owner.
pub fn save_validator_key(path: &std::path::Path, key: &ed25519::PrivateKey) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(hex::encode(key.encode()).as_bytes())?;
    f.write_all(b"\n")?;
    Ok(())
}

/// Runs the node until Ctrl-C or SIGTERM. Blocks the calling thread.
pub fn run(cfg: NodeConfig) -> Result<(), Error> {
    cfg.genesis.validate()?;
    let leader_ms = cfg.timeouts.leader.as_millis() as u64;
    if cfg.pacing.min_block_interval_ms >= leader_ms || cfg.pacing.max_empty_wait_ms >= leader_ms {
        return Err(Error::Config(format!(
            "block time ({} ms) and empty-block wait ({} ms) must be below the leader timeout ({leader_ms} ms)",
            cfg.pacing.min_block_interval_ms, cfg.pacing.max_empty_wait_ms
        )));
    }
    std::fs::create_dir_all(&cfg.data_dir)?;
    let me = cfg.validator_key.public_key();
    let consensus_dir = cfg.data_dir.join("consensus");
    crate::panics::log_hook();
    let runtime = cw_tokio::Config::new()
        .with_storage_directory(cfg.data_dir.join("consensus"))
        .with_worker_threads(cfg.worker_threads.max(1))
        .with_catch_panics(false);
    let executor = cw_tokio::Runner::new(runtime);
    let (genesis_block, _) = cfg.genesis.genesis_block();
    // The finalizer thread, once started (joined after the runtime has stopped).
    let finalizer = std::sync::Mutex::new(None);
    let finalizer_slot = &finalizer;
    let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        executor.start(|context| async move {
        // The ledger is checked against marshal's archive (and caught up or rebuilt from it)
        // before anything is served.
        let archives = Archives::open(context.child("engine"), PARTITION_PREFIX)
            .await
            .map_err(|e| consensus_refusal(&consensus_dir, e))?;
        let metrics = NodeMetrics::default();
        let (chain, opened) = recovery::open_ledger(
            LedgerConfig {
                data_dir: &cfg.data_dir,
                consensus_dir: &consensus_dir,
                genesis: &cfg.genesis,
                chain: ChainConfig {
                    chain_id: cfg.genesis.chain.chain_id.clone(),
                    mempool: cfg.mempool,
                    max_block_txs: BLOCK_MAX_TXS,
                },
                metrics,
            },
            &archives,
        )
        .await?;
        let chain = Arc::new(chain);
        let head = chain.head();
        // Known as a validator of the genesis or of the epoch the chain is in, or as a full node.
        let mut known = cfg.genesis.validators.clone();
        known.extend(chain.validators_at(epoch_to_run(head.height, chain.epoch_length())));
        let role = node_role(&known, &cfg.full_nodes, &me);
        info!(height = head.height, hash = %head.hash, state_root = %head.state_root, ?opened, "opened ledger");
        // Larger than marshal's outstanding acknowledgements, so `report` never blocks marshal.
        let (fin_tx, fin_rx) = std::sync::mpsc::sync_channel(4 * MAX_PENDING_ACKS.get());
        let (halted_tx, halted_rx) = tokio::sync::oneshot::channel();
        *finalizer_slot.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(spawn_finalizer(chain.clone(), fin_rx, halted_tx)?);
        let namespace = union(NAMESPACE, cfg.genesis.chain.chain_id.as_str().as_bytes());
        let peers: Vec<(ed25519::PublicKey, PeerAddress)> = cfg
            .genesis
            .validators
            .iter()
            .map(|v| (v.public_key.0.clone(), v.p2p_addr.into()))
            .collect();
        let peer_map: Map<ed25519::PublicKey, PeerAddress> = Map::from_iter_dedup(peers.clone());
        let participants: Set<ed25519::PublicKey> =
            Set::from_iter_dedup(peers.iter().map(|(k, _)| k.clone()));
        let followers: Map<ed25519::PublicKey, PeerAddress> = Map::from_iter_dedup(
            cfg.full_nodes
                .iter()
                .filter(|f| participants.position(&f.public_key.0).is_none())
                .map(|f| (f.public_key.0.clone(), f.p2p_addr.into())),
        );
        let current_epoch = epoch_to_run(chain.head().height, chain.epoch_length());
        let largest_set = participants
            .len()
            .max(chain.validators_at(current_epoch).len());
        let max_peers = largest_set + followers.len() + NEW_PEER_ROOM;
        let p2p_cfg = lookup::Config::local(
            cfg.validator_key.clone(),
            &union(&namespace, b"_P2P"),
            cfg.p2p_addr,
            NZUsize!(max_peers),
            MAX_MESSAGE_SIZE,
        );
        let (mut network, mut oracle) = lookup::Network::new(context.child("network"), p2p_cfg);
        let _ = oracle.track(0, AddressableTrackedPeers::new(peer_map, followers.clone()));
        let quota = Quota::per_second(NZU32!(PEER_RATE));
        let votes = network.register(CHANNEL_VOTES, quota);
        let certificates = network.register(CHANNEL_CERTIFICATES, quota);
        let resolver = network.register(CHANNEL_RESOLVER, quota);
        let broadcast = network.register(CHANNEL_BROADCAST, quota);
        let marshal_channel = network.register(CHANNEL_MARSHAL, quota);
        let txs_channel = network.register(CHANNEL_TXS, quota);
        let p2p = network.start();

        let marshal_resolver = marshal_resolver(
            context.child("marshal_resolver"),
            me.clone(),
            oracle.clone(),
            oracle.clone(),
            Duration::from_secs(5),
            marshal_channel,
        );
        // Each epoch's set becomes the p2p primary peers; the node votes in the epochs whose
        // set holds its key and otherwise follows (a verifier scheme never signs).
        let voting = Arc::new(AtomicBool::new(role == Role::Validator));
        let on_epoch: OnEpoch = {
            let mut oracle = oracle.clone();
            let voting = voting.clone();
            let me = me.clone();
            Box::new(move |epoch, set: &[ValidatorInfo]| {
                let primary: Map<ed25519::PublicKey, PeerAddress> = Map::from_iter_dedup(
                    set.iter().map(|v| (v.public_key.0.clone(), v.p2p_addr.into())),
                );
                let secondary: Map<ed25519::PublicKey, PeerAddress> = Map::from_iter_dedup(
                    followers
                        .iter_pairs()
                        .filter(|(k, _)| primary.position(k).is_none())
                        .map(|(k, a)| (k.clone(), a.clone())),
                );
                voting.store(primary.position(&me).is_some(), Ordering::Relaxed);
                // commonware asserts the size; refuse here instead of panicking the node.
                let others = primary.iter().chain(secondary.iter()).filter(|k| **k != me).count();
                if others > max_peers {
                    error!(
                        epoch,
                        peers = others,
                        max_peers,
                        "the epoch's peer set is larger than this node's p2p table: restart the node to size it again"
                    );
                    return;
                }
                let _ = oracle.track(epoch, AddressableTrackedPeers::new(primary, secondary));
            })
        };
        let (outbox, queue) = gossip::Outbox::new();
        gossip::start(
            context.child("gossip"),
            chain.clone(),
            queue,
            txs_channel,
            oracle.clone(),
        );
        let clock = cfg
            .clock
            .clock(context.current().epoch_millis(), chain.head().timestamp_ms);
        if cfg.clock.control {
            warn!(
                offset_ms = clock.offset_ms(),
                "chain clock control is on (devnet only): POST /api/v1/admin/clock/advance moves block time forward"
            );
        } else if clock.offset_ms() != 0 {
            info!(offset_ms = clock.offset_ms(), "chain clock offset from wall time");
        }
        let app = App::new(
            chain.clone(),
            cfg.pacing,
            clock.clone(),
            cfg.clock.follow_chain,
            fin_tx,
        );
        let engine = Engine::new(
            context.child("engine"),
            app,
            EngineConfig {
                blocker: oracle.clone(),
                provider: oracle.clone(),
                key: cfg.validator_key.clone(),
                namespace: union(&namespace, b"_CONSENSUS"),
                chain: chain.clone(),
                genesis: genesis_block,
                timeouts: cfg.timeouts,
                on_epoch,
            },
            archives,
        )
        .await
        .map_err(|e| consensus_refusal(&consensus_dir, e))?;
        let engine = engine.start(votes, certificates, resolver, broadcast, marshal_resolver);

        let metrics_ctx = context.child("api");
        let clock_ctx = context.child("clock");
        let service = Arc::new(NodeService {
            chain: chain.clone(),
            voting,
            peers: cfg
                .genesis
                .validators
                .iter()
                .chain(cfg.full_nodes.iter())
                .filter(|v| v.public_key.0 != me)
                .map(|v| format!("{}@{}", v.public_key, v.p2p_addr))
                .collect(),
            gossip: Some(outbox),
            engine_metrics: Box::new(move || metrics_ctx.encode()),
            clock,
            clock_control: cfg.clock.control,
            runtime_ms: Box::new(move || clock_ctx.current().epoch_millis()),
        });
        let listener = tokio::net::TcpListener::bind(cfg.http_addr).await?;
        info!(http = %listener.local_addr()?, p2p = %cfg.p2p_addr, "node started");
        let api_cfg = ApiConfig {
            chain_id: cfg.genesis.chain.chain_id.to_string(),
            ..cfg.api
        };
        let parts = match cfg.extension {
            Some(ext) => ext(service.clone()).await.map_err(Error::Config)?,
            None => ExtensionParts::default(),
        };
        let tasks: Vec<_> = parts.tasks.into_iter().map(tokio::spawn).collect();
        let api = tokio::spawn(gridledger_api::serve(
            listener,
            service,
            api_cfg,
            gridledger_api::Services {
                charging: parts.charging,
                portal: parts.portal,
                kdf: parts.kdf,
            },
            shutdown_signal(),
        ));
        // Run until asked to stop, or until a part that cannot recover stops: a node that no
        // longer follows the chain must not keep answering as if it did.
        let outcome = tokio::select! {
            _ = shutdown_signal() => Ok(()),
            e = halted_rx => match e {
                Ok(e) => Err(e),
                Err(_) => Err(Error::Config("finalizer stopped".into())),
            },
            r = engine => Err(Error::Config(format!("consensus engine stopped: {r:?}"))),
        };
        info!("shutting down");
        drop(p2p);
        api.abort();
        for t in &tasks {
            t.abort();
        }
        let _ = api.await;
        outcome
        })
    }));
    let result = started.unwrap_or_else(|panic| {
        Err(Error::Config(format!(
            "stopped by a panic: {}",
            crate::panics::message(panic)
        )))
    });
    // Every sender to the finalizer lived in the runtime, which is gone: it drains and exits.
    if let Some(finalizer) = finalizer.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let _ = finalizer.join();
    }
    // A refusal is the operator's message (printed once by the binary), not a failure report.
    match &result {
        Err(Error::Refused(_)) | Ok(()) => {}
        Err(e) => error!(%e, "node failed"),
    }
    result
}

/// Partition names of this node's commonware storage start with this.
const PARTITION_PREFIX: &str = "gridledger";

/// A consensus store that cannot be used as it is, as a refusal naming its directory.
fn consensus_refusal(dir: &std::path::Path, e: Error) -> Error {
    match e {
        Error::ConsensusStore(what) => Error::Refused(format!(
            "refusing to start: the consensus store is damaged: {what} (directory: {}). Restore the data directory from a backup. A node of a network with other validators can instead be started on an empty data directory to sync the chain from its peers; a single-validator devnet cannot.",
            dir.display()
        )),
        other => other,
    }
}

/// Whether this node votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Validator,
    /// Follows finalized blocks, executes and checks them, serves the API; never votes.
    Full,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Validator => "validator",
            Role::Full => "full",
        }
    }
}

/// The role a node starts in: a validator if its key is in `validators`, else a full node
/// (warned about if not listed in `full_nodes` either). Membership later follows the epochs.
pub fn node_role(
    validators: &[ValidatorInfo],
    full_nodes: &[ValidatorInfo],
    me: &ed25519::PublicKey,
) -> Role {
    if validators.iter().any(|v| &v.public_key.0 == me) {
        Role::Validator
    } else {
        if !full_nodes.iter().any(|v| &v.public_key.0 == me) {
            // E.g. a validator added after genesis, starting from an empty data dir: peers
            // accept it once they track the epoch that added it.
            warn!(
                key = hex::encode(me.encode()),
                "node key is neither a known validator nor listed in full_nodes: following as a full node; peers accept this node only once it is in a validator set or in their full_nodes"
            );
        }
        Role::Full
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = ctrl_c.await;
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
