//! Wiring of commonware's engines: buffered broadcast of blocks, marshal (ordered finalized
//! blocks, archives, backfill) and simplex consensus. Modelled on alto's engine; everything
//! commonware-specific about running consensus stays in this file.
use crate::{
    application::App,
    block::{to_digest, ChainBlock},
    chain::Chain,
    epochs::{epoch_to_run, last_height, EpochSchemes},
    genesis::ValidatorInfo,
    Scheme,
};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self,
        core::{Actor as MarshalActor, Mailbox as MarshalMailbox},
        resolver::handler,
        standard::{Deferred, Standard},
    },
    simplex::{self, elector::RoundRobin, Engine as Consensus},
    types::{Epoch, FixedEpocher, Height, ViewDelta},
};
use commonware_cryptography::{
    ed25519::{PrivateKey, PublicKey},
    sha256::{Digest, Sha256},
    Digestible as _, Signer as _,
};
use commonware_p2p::{
    utils::mux::{Builder as _, MuxHandle, Muxer, SubReceiver, SubSender},
    Blocker, Provider, Receiver, Sender,
};
use commonware_parallel::Sequential;
use commonware_resolver::TargetedResolver;
use commonware_runtime::{
    buffer::paged::{page_size, CacheRef},
    spawn_cell, BufferPooler, Clock, ContextCell, Handle, Metrics, Spawner, Storage,
};
use commonware_storage::archive::{immutable, Archive as _, Identifier as ArchiveId};
use commonware_utils::{vec::NonEmptyVec, NZUsize, NZU64};
use governor::clock::Clock as GClock;
use rand::{CryptoRng, Rng};
use std::{
    num::{NonZero, NonZeroUsize},
    sync::Arc,
    time::Duration,
};
use tracing::{debug, error, info};

const PRUNABLE_ITEMS_PER_SECTION: NonZero<u64> = NZU64!(4_096);
const IMMUTABLE_ITEMS_PER_SECTION: NonZero<u64> = NZU64!(262_144);
const FREEZER_TABLE_RESIZE_FREQUENCY: u8 = 4;
const FREEZER_TABLE_RESIZE_CHUNK_SIZE: u32 = 2u32.pow(16);
const FREEZER_TABLE_INITIAL_SIZE: u32 = 2u32.pow(16);
const FREEZER_JOURNAL_TARGET_SIZE: u64 = 1024 * 1024 * 1024;
const REPLAY_BUFFER: NonZero<usize> = NZUsize!(8 * 1024 * 1024);
const WRITE_BUFFER: NonZero<usize> = NZUsize!(1024 * 1024);
const PAGE_CACHE_PAGE_SIZE: NonZero<u16> = page_size(4_096);
const PAGE_CACHE_CAPACITY: NonZero<usize> = NZUsize!(4_096);
const MAX_REPAIR: NonZero<usize> = NZUsize!(20);
/// Finalized blocks marshal hands out before waiting for acknowledgements. The channel to the
/// finalizer is larger, so the reporter never blocks marshal (see `node.rs`).
pub const MAX_PENDING_ACKS: NonZero<usize> = NZUsize!(16);
const MAILBOX: NonZeroUsize = NZUsize!(1_024);

/// p2p channels of a node (the simulation registers the same ones).
pub const CHANNEL_VOTES: u64 = 0;
pub const CHANNEL_CERTIFICATES: u64 = 1;
pub const CHANNEL_RESOLVER: u64 = 2;
pub const CHANNEL_BROADCAST: u64 = 3;
pub const CHANNEL_MARSHAL: u64 = 4;
pub const CHANNEL_TXS: u64 = 5;
/// Every channel, in the order a node registers them.
pub const CHANNELS: [u64; 6] = [
    CHANNEL_VOTES,
    CHANNEL_CERTIFICATES,
    CHANNEL_RESOLVER,
    CHANNEL_BROADCAST,
    CHANNEL_MARSHAL,
    CHANNEL_TXS,
];

/// Marshal's backfill resolver on `channel`: fetches missing finalized blocks from `peers`,
/// blocking peers that answer wrongly. `timeout` bounds one request.
pub fn marshal_resolver<E, C, B, S, R>(
    context: E,
    me: PublicKey,
    peers: C,
    blocker: B,
    timeout: Duration,
    channel: (S, R),
) -> (
    handler::Receiver<Digest>,
    marshal::resolver::p2p::Mailbox<Digest, PublicKey>,
)
where
    E: BufferPooler + Rng + Spawner + Clock + Metrics,
    C: Provider<PublicKey = PublicKey>,
    B: Blocker<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    marshal::resolver::p2p::init(
        context,
        marshal::resolver::p2p::Config {
            public_key: me,
            peer_provider: peers,
            blocker,
            mailbox_size: MAILBOX,
            timeout,
            fetch_retry_timeout: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channel,
    )
}

/// Consensus timing.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub leader: Duration,
    pub certification: Duration,
    pub nullify_retry: Duration,
    pub fetch: Duration,
    pub activity: ViewDelta,
    pub skip: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            leader: Duration::from_secs(2),
            certification: Duration::from_secs(3),
            nullify_retry: Duration::from_secs(10),
            fetch: Duration::from_secs(2),
            activity: ViewDelta::new(256),
            skip: Duration::from_secs(11),
        }
    }
}

pub struct EngineConfig<B, P> {
    pub blocker: B,
    pub provider: P,
    /// This node's key: it signs in the epochs whose validator set holds it.
    pub key: PrivateKey,
    /// Namespace of consensus signatures.
    pub namespace: Vec<u8>,
    /// The finalized chain: validator set of each epoch, epoch floors, the finalized height.
    pub chain: Arc<Chain>,
    pub genesis: ChainBlock,
    pub timeouts: Timeouts,
    /// Called with each epoch's validator set before its consensus starts (p2p tracking).
    pub on_epoch: OnEpoch,
}

/// See [EngineConfig::on_epoch].
pub type OnEpoch = Box<dyn FnMut(u64, &[ValidatorInfo]) + Send>;

type Marshaled<E> = Deferred<E, Scheme, App, ChainBlock, FixedEpocher>;
type Marshal<E> = MarshalActor<
    E,
    Standard<ChainBlock>,
    EpochSchemes,
    immutable::Archive<E, Digest, simplex::types::Finalization<Scheme, Digest>>,
    immutable::Archive<E, Digest, ChainBlock>,
    FixedEpocher,
    Sequential,
>;

type Simplex<E, B> = Consensus<
    E,
    Scheme,
    RoundRobin<Sha256>,
    B,
    Digest,
    Marshaled<E>,
    Marshaled<E>,
    MarshalMailbox<Scheme, Standard<ChainBlock>>,
    Sequential,
>;

pub struct Engine<E, B, P>
where
    E: BufferPooler + Clock + GClock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
{
    context: ContextCell<E>,
    buffer: buffered::Engine<E, PublicKey, ChainBlock, P>,
    buffer_mailbox: buffered::Mailbox<PublicKey, ChainBlock>,
    marshal: Marshal<E>,
    marshaled: Marshaled<E>,
    epochs: EpochRunner<E, B>,
}

/// What starting one epoch's simplex instance needs.
struct EpochRunner<E: Clock + Spawner + Storage + Metrics + BufferPooler, B> {
    blocker: B,
    chain: Arc<Chain>,
    schemes: EpochSchemes,
    length: u64,
    genesis_digest: Digest,
    timeouts: Timeouts,
    prefix: String,
    page_cache: CacheRef,
    reporter: MarshalMailbox<Scheme, Standard<ChainBlock>>,
    on_epoch: OnEpoch,
    _context: std::marker::PhantomData<E>,
}

fn archive_config<C: Clone>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec_config: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: FREEZER_TABLE_INITIAL_SIZE,
        freezer_table_resize_frequency: FREEZER_TABLE_RESIZE_FREQUENCY,
        freezer_table_resize_chunk_size: FREEZER_TABLE_RESIZE_CHUNK_SIZE,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_write_buffer: WRITE_BUFFER,
        freezer_value_target_size: FREEZER_JOURNAL_TARGET_SIZE,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        ordinal_write_buffer: WRITE_BUFFER,
        items_per_section: IMMUTABLE_ITEMS_PER_SECTION,
        codec_config,
        replay_buffer: REPLAY_BUFFER,
    }
}

/// marshal's archives (finalized blocks and their finalization certificates, by height), opened
/// before the engine so the node can check its ledger against them at start
/// ([crate::recovery]) and then handed to marshal.
pub struct Archives<E: BufferPooler + Clock + Spawner + Storage + Metrics> {
    finalizations: immutable::Archive<E, Digest, simplex::types::Finalization<Scheme, Digest>>,
    blocks: immutable::Archive<E, Digest, ChainBlock>,
    page_cache: CacheRef,
    prefix: String,
}

impl<E: BufferPooler + Clock + Spawner + Storage + Metrics> Archives<E> {
    /// Opens (or creates) the archives under partition names starting with `prefix`. A damaged
    /// archive is an error ([crate::Error::ConsensusStore]), also where commonware panics on it.
    pub async fn open(context: E, prefix: &str) -> Result<Self, crate::Error> {
        let page_cache = CacheRef::from_pooler(&context, PAGE_CACHE_PAGE_SIZE, PAGE_CACHE_CAPACITY);
        let opened = crate::panics::catch(async {
            let finalizations = immutable::Archive::init(
                context.child("finalizations_by_height"),
                archive_config(
                    prefix,
                    "finalizations",
                    &page_cache,
                    <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
                ),
            )
            .await
            .map_err(|e| format!("finalization certificates: {e}"))?;
            let blocks = immutable::Archive::init(
                context.child("finalized_blocks"),
                archive_config(prefix, "blocks", &page_cache, ()),
            )
            .await
            .map_err(|e| format!("finalized blocks: {e}"))?;
            Ok::<_, String>((finalizations, blocks))
        })
        .await;
        let (finalizations, blocks) = opened.and_then(|r| r).map_err(|e| {
            crate::Error::ConsensusStore(format!("cannot open marshal's archive of {e}"))
        })?;
        Ok(Self {
            finalizations,
            blocks,
            page_cache,
            prefix: prefix.to_string(),
        })
    }
}

impl<E: BufferPooler + Clock + Spawner + Storage + Metrics> crate::recovery::FinalizedBlocks
    for Archives<E>
{
    fn contiguous_top(&self) -> Option<u64> {
        match self.blocks.ranges().next() {
            Some((0, end)) => Some(end),
            _ => None,
        }
    }

    fn highest(&self) -> Option<u64> {
        self.blocks
            .last_index()
            .max(self.finalizations.last_index())
    }

    async fn block(&self, height: u64) -> Result<Option<ChainBlock>, String> {
        self.blocks
            .get(ArchiveId::Index(height))
            .await
            .map_err(|e| format!("finalized block {height}: {e}"))
    }
}

impl<E, B, P> Engine<E, B, P>
where
    E: BufferPooler + Clock + GClock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
{
    /// Builds the engine on `archives`. Refuses ([crate::Error::ConsensusStore]) when marshal
    /// has already delivered blocks beyond the ledger's head that the archive no longer holds
    /// (the ledger could never catch up), or when marshal cannot open its own storage.
    pub async fn new(
        context: E,
        app: App,
        cfg: EngineConfig<B, P>,
        archives: Archives<E>,
    ) -> Result<Self, crate::Error> {
        let (buffer, buffer_mailbox) = buffered::Engine::new(
            context.child("buffer"),
            buffered::Config {
                public_key: cfg.key.public_key(),
                mailbox_size: MAILBOX,
                deque_size: 10,
                priority: true,
                codec_config: (),
                peer_provider: cfg.provider,
            },
        );
        let Archives {
            finalizations,
            blocks,
            page_cache,
            prefix,
        } = archives;

        let length = cfg.chain.epoch_length().max(1);
        let schemes = EpochSchemes::new(cfg.key, cfg.namespace);
        // Every epoch up to the one that runs next: marshal checks old certificates too.
        let current = epoch_to_run(cfg.chain.head().height, length);
        for e in 0..=current {
            schemes.insert(e, validator_keys(&cfg.chain.validators_at(e)));
        }
        let epocher = FixedEpocher::new(NonZero::new(length).unwrap_or(NZU64!(1)));
        let genesis_digest = cfg.genesis.digest();
        let init = MarshalActor::init(
            context.child("marshal"),
            finalizations,
            blocks,
            marshal::Config {
                provider: schemes.clone(),
                epocher: epocher.clone(),
                partition_prefix: prefix.clone(),
                mailbox_size: MAILBOX,
                view_retention: ViewDelta::new(cfg.timeouts.activity.get().saturating_mul(10)),
                start: marshal::Start::Genesis(cfg.genesis),
                prunable_items_per_section: PRUNABLE_ITEMS_PER_SECTION,
                replay_buffer: REPLAY_BUFFER,
                key_write_buffer: WRITE_BUFFER,
                value_write_buffer: WRITE_BUFFER,
                block_codec_config: (),
                max_repair: MAX_REPAIR,
                max_pending_acks: MAX_PENDING_ACKS,
                page_cache: page_cache.clone(),
                strategy: Sequential,
            },
        );
        let (marshal, marshal_mailbox, floor) = crate::panics::catch(init)
            .await
            .map_err(|e| crate::Error::ConsensusStore(format!("marshal cannot start: {e}")))?;
        let head = cfg.chain.head().height;
        if let Some(processed) = floor.height().map(|h| h.get()).filter(|p| *p > head) {
            return Err(crate::Error::ConsensusStore(format!(
                "marshal has delivered finalized blocks up to height {processed}, but the ledger is at {head} and the blocks in between are not in marshal's archive"
            )));
        }
        let marshaled = Marshaled::new(
            context.child("marshaled"),
            app,
            marshal_mailbox.clone(),
            epocher,
        );
        Ok(Self {
            context: ContextCell::new(context),
            buffer,
            buffer_mailbox,
            marshal,
            marshaled: marshaled.clone(),
            epochs: EpochRunner {
                blocker: cfg.blocker,
                chain: cfg.chain,
                schemes,
                length,
                genesis_digest,
                timeouts: cfg.timeouts,
                prefix,
                page_cache,
                reporter: marshal_mailbox,
                on_epoch: cfg.on_epoch,
                _context: std::marker::PhantomData,
            },
        })
    }

    /// Starts every actor on its p2p channels.
    #[allow(clippy::type_complexity)]
    pub fn start(
        mut self,
        votes: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        certificates: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        resolver: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        broadcast: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        marshal: (
            handler::Receiver<Digest>,
            impl TargetedResolver<
                Key = handler::Key<Digest>,
                Subscriber = handler::Annotation,
                PublicKey = PublicKey,
            >,
        ),
    ) -> Handle<()> {
        spawn_cell!(
            self.context,
            self.run(votes, certificates, resolver, broadcast, marshal)
        )
    }

    #[allow(clippy::type_complexity)]
    async fn run(
        mut self,
        votes: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        certificates: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        resolver: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        broadcast: (
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        ),
        marshal: (
            handler::Receiver<Digest>,
            impl TargetedResolver<
                Key = handler::Key<Digest>,
                Subscriber = handler::Annotation,
                PublicKey = PublicKey,
            >,
        ),
    ) {
        let buffer = self.buffer.start(broadcast);
        let marshal = self
            .marshal
            .start(self.marshaled.clone(), self.buffer_mailbox, marshal);
        // One simplex instance per epoch, each on its own sub-channel (the epoch number).
        let ctx = self.context.take();
        // Messages of epochs this node does not run land in each muxer's backup channel: a
        // later epoch there (votes, certificates or requests) means this node is behind.
        let (votes_mux, votes, later_votes) =
            Muxer::builder(ctx.child("votes_mux"), votes.0, votes.1, MAILBOX.get())
                .with_backup()
                .build();
        let (resolver_mux, resolver, later_requests) = Muxer::builder(
            ctx.child("resolver_mux"),
            resolver.0,
            resolver.1,
            MAILBOX.get(),
        )
        .with_backup()
        .build();
        let (certificates_mux, certificates, later_certificates) = Muxer::builder(
            ctx.child("certificates_mux"),
            certificates.0,
            certificates.1,
            MAILBOX.get(),
        )
        .with_backup()
        .build();
        let (votes_mux, resolver_mux, certificates_mux) = (
            votes_mux.start(),
            resolver_mux.start(),
            certificates_mux.start(),
        );
        let epochs = ctx.child("epochs").spawn(move |ctx| {
            self.epochs.run(
                ctx,
                self.marshaled,
                (votes, certificates, resolver),
                [later_votes, later_requests, later_certificates],
            )
        });
        // The first part to stop stops the engine (and with it the node): a node that no
        // longer follows the chain must not keep answering as if it did.
        let parts: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>> = vec![
            Box::pin(async move { format!("broadcast: {:?}", buffer.await) }),
            Box::pin(async move { format!("marshal: {:?}", marshal.await) }),
            Box::pin(async move { format!("epochs: {:?}", epochs.await) }),
            Box::pin(async move { format!("votes mux: {:?}", votes_mux.await.map(|_| ())) }),
            Box::pin(async move { format!("resolver mux: {:?}", resolver_mux.await.map(|_| ())) }),
            Box::pin(async move {
                format!("certificates mux: {:?}", certificates_mux.await.map(|_| ()))
            }),
        ];
        let (why, _, _) = futures::future::select_all(parts).await;
        error!(part = why, "engine stopped");
    }
}

/// The epoch's sub-channel of a muxed p2p channel.
async fn sub_channel<S: Sender, R: Receiver>(
    mux: &mut MuxHandle<S, R>,
    epoch: u64,
) -> Option<(SubSender<S>, SubReceiver<R>)> {
    mux.register(epoch)
        .await
        .map_err(|e| error!(epoch, ?e, "cannot open the epoch's p2p sub-channel"))
        .ok()
}

/// Keys of a validator list.
pub fn validator_keys(v: &[ValidatorInfo]) -> Vec<PublicKey> {
    v.iter().map(|v| v.public_key.0.clone()).collect()
}

/// An epoch's running consensus.
struct Running {
    epoch: u64,
    handle: Handle<()>,
}

/// Lets an old epoch's instance keep answering peers that are finishing it.
const OLD_EPOCH_GRACE: Duration = Duration::from_secs(10);
/// How often the runner looks at the finalized height.
const EPOCH_POLL: Duration = Duration::from_millis(20);
/// Least time between two requests for a newer epoch's boundary.
const HINT_INTERVAL: Duration = Duration::from_secs(1);

impl<E, B> EpochRunner<E, B>
where
    E: BufferPooler + Clock + GClock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
{
    /// Runs the epoch the finalized chain is in, and each next one as soon as the last block of
    /// the previous one is final. A message from a later epoch than ours means we are behind:
    /// ask its sender and our epoch's validators for the finalization of our epoch's last block.
    /// Returns only if an epoch cannot start (which stops the node).
    #[allow(clippy::type_complexity)]
    async fn run(
        mut self,
        context: E,
        marshaled: Marshaled<E>,
        (mut votes, mut certificates, mut resolver): (
            MuxHandle<impl Sender<PublicKey = PublicKey>, impl Receiver<PublicKey = PublicKey>>,
            MuxHandle<impl Sender<PublicKey = PublicKey>, impl Receiver<PublicKey = PublicKey>>,
            MuxHandle<impl Sender<PublicKey = PublicKey>, impl Receiver<PublicKey = PublicKey>>,
        ),
        mut later: [commonware_utils::channel::mpsc::Receiver<(u64, (PublicKey, commonware_runtime::IoBuf))>;
            3],
    ) {
        let mut running: Vec<Running> = Vec::new();
        let mut retiring: Vec<(Running, std::time::SystemTime)> = Vec::new();
        let mut current: Option<u64> = None;
        let mut last_hint = std::time::SystemTime::UNIX_EPOCH;
        loop {
            let target = epoch_to_run(self.chain.head().height, self.length);
            while current.is_none_or(|c| c < target) {
                let epoch = current.map_or(target, |c| c + 1);
                let Some(handle) = self
                    .start_epoch(
                        &context,
                        epoch,
                        &marshaled,
                        &mut votes,
                        &mut certificates,
                        &mut resolver,
                    )
                    .await
                else {
                    error!(epoch, "cannot start the epoch's consensus; stopping");
                    return;
                };
                let now = context.current();
                for r in running.drain(..) {
                    retiring.push((r, now));
                }
                running.push(Running { epoch, handle });
                current = Some(epoch);
                // Walking forward through epochs: ask again at once.
                last_hint = std::time::SystemTime::UNIX_EPOCH;
            }
            // An old epoch's instance stays until this node has finalized a block of the new
            // epoch and the grace period has passed: peers that missed the boundary can still
            // finish the old epoch with it.
            let now = context.current();
            let head = self.chain.head().height;
            let length = self.length;
            retiring.retain(|(r, since)| {
                let keep = head <= last_height(r.epoch, length).saturating_add(1)
                    || now.duration_since(*since).unwrap_or_default() < OLD_EPOCH_GRACE;
                if !keep {
                    info!(epoch = r.epoch, "stopped consensus of a past epoch");
                    r.handle.abort();
                }
                keep
            });
            // Messages of epochs we do not run: a later one means we are behind.
            for rx in later.iter_mut() {
                while let Ok((sub, (peer, _))) = rx.try_recv() {
                    let Some(c) = current else { break };
                    if sub > c && now.duration_since(last_hint).unwrap_or_default() >= HINT_INTERVAL
                    {
                        last_hint = now;
                        debug!(epoch = sub, %peer, "peer is in a later epoch; fetching our epoch's end");
                        // The sender may not be a peer the resolver asks (it fetches only from
                        // the current set's validators): name them too.
                        let me = self.schemes.me();
                        let mut targets = NonEmptyVec::new(peer);
                        targets.extend(
                            validator_keys(&self.chain.validators_at(c))
                                .into_iter()
                                .filter(|k| *k != me),
                        );
                        self.reporter
                            .hint_finalized(Height::new(last_height(c, self.length)), targets);
                    }
                }
            }
            context.sleep(EPOCH_POLL).await;
        }
    }

    /// Records the epoch's set, tracks its peers, and starts its simplex instance from the
    /// previous epoch's last block. `None` if the chain cannot name that block (corrupt store).
    async fn start_epoch(
        &mut self,
        context: &E,
        epoch: u64,
        marshaled: &Marshaled<E>,
        votes: &mut MuxHandle<
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        >,
        certificates: &mut MuxHandle<
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        >,
        resolver: &mut MuxHandle<
            impl Sender<PublicKey = PublicKey>,
            impl Receiver<PublicKey = PublicKey>,
        >,
    ) -> Option<Handle<()>> {
        let set = self.chain.validators_at(epoch);
        (self.on_epoch)(epoch, &set);
        let (scheme, member) = self.schemes.insert(epoch, validator_keys(&set));
        let floor = if epoch == 0 {
            self.genesis_digest
        } else {
            let h = last_height(epoch - 1, self.length);
            match self.chain.stored_header(h) {
                Ok(Some((hash, _))) => to_digest(&hash),
                other => {
                    error!(
                        epoch,
                        height = h,
                        ?other,
                        "cannot read the block an epoch starts from"
                    );
                    return None;
                }
            }
        };
        let v = sub_channel(votes, epoch).await?;
        let c = sub_channel(certificates, epoch).await?;
        let r = sub_channel(resolver, epoch).await?;
        info!(
            epoch,
            validators = set.len(),
            member,
            "starting consensus for epoch"
        );
        let t = self.timeouts;
        let consensus: Simplex<E, B> = Consensus::new(
            context.child("consensus").with_attribute("epoch", epoch),
            simplex::Config {
                epoch: Epoch::new(epoch),
                scheme: (*scheme).clone(),
                automaton: marshaled.clone(),
                relay: marshaled.clone(),
                reporter: self.reporter.clone(),
                track_historical_votes: false,
                partition: if epoch == 0 {
                    format!("{}-consensus", self.prefix)
                } else {
                    format!("{}-consensus-{epoch}", self.prefix)
                },
                mailbox_size: MAILBOX,
                floor: simplex::Floor::Genesis(floor),
                leader_timeout: t.leader,
                certification_timeout: t.certification,
                timeout_retry: t.nullify_retry,
                fetch_timeout: t.fetch,
                view_retention: t.activity,
                skip: simplex::SkipPolicy::Enabled {
                    timeout: t.skip,
                    budget: simplex::SkipBudget::Participants,
                },
                forward: simplex::ForwardPolicy::Disabled,
                replay_buffer: REPLAY_BUFFER,
                write_buffer: WRITE_BUFFER,
                blocker: self.blocker.clone(),
                page_cache: self.page_cache.clone(),
                elector: RoundRobin::<Sha256>::default(),
                strategy: Sequential,
            },
        );
        Some(consensus.start(v, c, r))
    }
}
