//! Wiring of commonware's engines: buffered broadcast of blocks, marshal (ordered finalized
//! blocks, archives, backfill) and simplex consensus. Modelled on alto's engine; everything
//! commonware-specific about running consensus stays in this file.
use crate::{application::App, block::ChainBlock, Scheme};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self,
        core::{Actor as MarshalActor, Mailbox as MarshalMailbox},
        resolver::handler,
        standard::{Deferred, Standard},
    },
    simplex::{self, elector::RoundRobin, Engine as Consensus},
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{
    certificate::ConstantProvider,
    ed25519::PublicKey,
    sha256::{Digest, Sha256},
    Digestible as _,
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_resolver::TargetedResolver;
use commonware_runtime::{
    buffer::paged::{page_size, CacheRef},
    spawn_cell, BufferPooler, Clock, ContextCell, Handle, Metrics, Spawner, Storage,
};
use commonware_storage::archive::immutable;
use commonware_utils::{NZUsize, NZU64};
use futures::future::try_join_all;
use governor::clock::Clock as GClock;
use rand::{CryptoRng, Rng};
use std::{
    num::{NonZero, NonZeroUsize},
    time::Duration,
};
use tracing::{error, warn};

const EPOCH: Epoch = Epoch::zero();
/// No reconfiguration yet: one epoch forever (validator-set changes come with the network issue).
const EPOCH_LENGTH: NonZero<u64> = NZU64!(u64::MAX);
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
    pub me: PublicKey,
    pub scheme: Scheme,
    pub genesis: ChainBlock,
    pub timeouts: Timeouts,
    pub partition_prefix: String,
}

type Marshaled<E> = Deferred<E, Scheme, App, ChainBlock, FixedEpocher>;
type Marshal<E> = MarshalActor<
    E,
    Standard<ChainBlock>,
    ConstantProvider<Scheme, Epoch>,
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
    consensus: Simplex<E, B>,
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

impl<E, B, P> Engine<E, B, P>
where
    E: BufferPooler + Clock + GClock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
{
    pub async fn new(context: E, app: App, cfg: EngineConfig<B, P>) -> Self {
        let (buffer, buffer_mailbox) = buffered::Engine::new(
            context.child("buffer"),
            buffered::Config {
                public_key: cfg.me,
                mailbox_size: MAILBOX,
                deque_size: 10,
                priority: true,
                codec_config: (),
                peer_provider: cfg.provider,
            },
        );
        let page_cache = CacheRef::from_pooler(&context, PAGE_CACHE_PAGE_SIZE, PAGE_CACHE_CAPACITY);
        let prefix = cfg.partition_prefix.clone();
        let finalizations = immutable::Archive::init(
            context.child("finalizations_by_height"),
            archive_config(
                &prefix,
                "finalizations",
                &page_cache,
                <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot open finalizations archive: {e}"));
        let blocks = immutable::Archive::init(
            context.child("finalized_blocks"),
            archive_config(&prefix, "blocks", &page_cache, ()),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot open blocks archive: {e}"));

        let provider = ConstantProvider::new(cfg.scheme.clone());
        let epocher = FixedEpocher::new(EPOCH_LENGTH);
        let genesis_digest = cfg.genesis.digest();
        let (marshal, marshal_mailbox, _) = MarshalActor::init(
            context.child("marshal"),
            finalizations,
            blocks,
            marshal::Config {
                provider,
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
        )
        .await;
        let marshaled = Marshaled::new(
            context.child("marshaled"),
            app,
            marshal_mailbox.clone(),
            epocher,
        );
        let t = cfg.timeouts;
        let consensus = Consensus::new(
            context.child("consensus"),
            simplex::Config {
                epoch: EPOCH,
                scheme: cfg.scheme,
                automaton: marshaled.clone(),
                relay: marshaled.clone(),
                reporter: marshal_mailbox,
                track_historical_votes: false,
                partition: format!("{prefix}-consensus"),
                mailbox_size: MAILBOX,
                floor: simplex::Floor::Genesis(genesis_digest),
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
                blocker: cfg.blocker,
                page_cache,
                elector: RoundRobin::<Sha256>::default(),
                strategy: Sequential,
            },
        );
        Self {
            context: ContextCell::new(context),
            buffer,
            buffer_mailbox,
            marshal,
            marshaled,
            consensus,
        }
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
        self,
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
            .start(self.marshaled, self.buffer_mailbox, marshal);
        let consensus = self.consensus.start(votes, certificates, resolver);
        if let Err(e) = try_join_all(vec![buffer, marshal, consensus]).await {
            error!(?e, "engine failed");
        } else {
            warn!("engine stopped");
        }
    }
}
