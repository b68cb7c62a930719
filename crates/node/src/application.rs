//! Our application as commonware's marshal sees it: propose and verify blocks over their
//! ancestry, and receive finalized blocks in order. All rules are delegated to [Chain]; this
//! file only adapts async streams, pacing (against the [ChainClock]) and acknowledgements.
use crate::{
    block::{BlockContext, ChainBlock},
    chain::{Chain, Invalid},
    clock::ChainClock,
    Scheme,
};
use commonware_actor::Feedback;
use commonware_consensus::{
    marshal::{ancestry::Ancestry, Update},
    Application, Reporter,
};
use commonware_runtime::{Clock, Metrics, Spawner};
use commonware_utils::{acknowledgement::Exact, Acknowledgement, SystemTimeExt};
use futures::StreamExt;
use rand::Rng;
use std::{sync::Arc, time::Duration};
use tracing::{debug, warn};

/// Timing of block production.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// Minimum time between a parent's timestamp and its child's (batches transactions).
    pub min_block_interval_ms: u64,
    /// With an empty mempool, wait this long for transactions before proposing an empty block.
    pub max_empty_wait_ms: u64,
    /// Verifiers wait (never vote against) a block whose timestamp is ahead of their clock by
    /// more than this.
    pub max_future_skew_ms: u64,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            min_block_interval_ms: 100,
            max_empty_wait_ms: 1_000,
            max_future_skew_ms: 1_000,
        }
    }
}

/// Most unfinalized ancestors re-executed to rebuild a parent's state; beyond that, wait for
/// the finalizer to catch up.
const MAX_REEXECUTE: u64 = 64;

/// A finalized block with the acknowledgement marshal waits for.
pub type Finalized = (Arc<ChainBlock>, Exact);

/// Where the reporter hands finalized blocks. Neither channel blocks marshal: the thread's is
/// larger than marshal's outstanding acknowledgements ([crate::engine::MAX_PENDING_ACKS]), and
/// the task's is bounded by them.
#[derive(Clone)]
pub enum FinalizedSink {
    /// The dedicated thread of [spawn_finalizer] (a node: storage commits never block the
    /// runtime's workers).
    Thread(std::sync::mpsc::SyncSender<Finalized>),
    /// A task of the runtime that drains it with [run_finalizer] (the deterministic
    /// simulation: a thread outside the runtime would make runs irreproducible).
    Task(futures::channel::mpsc::UnboundedSender<Finalized>),
}

impl From<std::sync::mpsc::SyncSender<Finalized>> for FinalizedSink {
    fn from(tx: std::sync::mpsc::SyncSender<Finalized>) -> Self {
        Self::Thread(tx)
    }
}

impl From<futures::channel::mpsc::UnboundedSender<Finalized>> for FinalizedSink {
    fn from(tx: futures::channel::mpsc::UnboundedSender<Finalized>) -> Self {
        Self::Task(tx)
    }
}

impl FinalizedSink {
    /// False if the receiving side has stopped.
    fn send(&self, f: Finalized) -> bool {
        match self {
            Self::Thread(tx) => tx.send(f).is_ok(),
            Self::Task(tx) => tx.unbounded_send(f).is_ok(),
        }
    }
}

#[derive(Clone)]
pub struct App {
    chain: Arc<Chain>,
    pacing: Pacing,
    /// Block time: stamped on proposals, checked against by verification.
    clock: ChainClock,
    /// Move `clock` up to a parent ahead of it (devnet; see [crate::clock::ClockConfig]).
    follow_chain: bool,
    finalized: FinalizedSink,
}

impl App {
    pub fn new(
        chain: Arc<Chain>,
        pacing: Pacing,
        clock: ChainClock,
        follow_chain: bool,
        finalized: impl Into<FinalizedSink>,
    ) -> Self {
        Self {
            chain,
            pacing,
            clock,
            follow_chain,
            finalized: finalized.into(),
        }
    }

    /// Chain time now.
    fn now_ms(&self, ctx: &impl Clock) -> u64 {
        self.clock.now_ms(ctx.current().epoch_millis())
    }

    /// Makes the post-state of `tip` known by executing the unknown part of its ancestry
    /// (oldest first). `ancestry` continues below `tip`. While the finalizer is far behind
    /// `tip` (after a restart) it waits for it instead of re-executing the same blocks: the
    /// verdict must not depend on that race.
    async fn ensure_known(
        &self,
        ctx: &impl Clock,
        tip: &Arc<ChainBlock>,
        ancestry: &mut impl Ancestry<ChainBlock>,
    ) -> bool {
        if self.chain.knows_block(tip) {
            return true;
        }
        while tip.body.height > self.chain.head().height + MAX_REEXECUTE {
            ctx.sleep(Duration::from_millis(50)).await;
        }
        if self.chain.knows_block(tip) {
            return true;
        }
        let mut chain = vec![tip.clone()];
        loop {
            let Some(b) = ancestry.next().await else {
                return false;
            };
            let known = self.chain.knows_block(&b);
            let below = b.body.height <= self.chain.head().height;
            chain.push(b);
            if known {
                break;
            }
            if below {
                // An unfinalized ancestor at a finalized height: a conflicting branch.
                return false;
            }
        }
        // chain = [tip, ..., known]; verify pairwise from the known end upward.
        for pair in chain.windows(2).rev() {
            if let Err(e) = self.chain.verify(&pair[0], &pair[1]) {
                warn!(
                    ?e,
                    height = pair[0].body.height,
                    "ancestor failed re-execution"
                );
                return false;
            }
        }
        true
    }
}

impl<E> Application<E> for App
where
    E: Rng + Spawner + Metrics + Clock,
{
    type SigningScheme = Scheme;
    type Context = BlockContext;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (ctx, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Self::Block> {
        let parent = ancestry.next().await?;
        if !self.ensure_known(&ctx, &parent, &mut ancestry).await {
            warn!(
                height = parent.body.height,
                "cannot propose: parent state unknown"
            );
            return None;
        }
        if self.follow_chain {
            self.clock
                .catch_up(parent.body.timestamp_ms, ctx.current().epoch_millis());
        }
        let earliest = parent
            .body
            .timestamp_ms
            .saturating_add(self.pacing.min_block_interval_ms);
        let wait_until = self
            .now_ms(&ctx)
            .saturating_add(self.pacing.max_empty_wait_ms);
        loop {
            let now = self.now_ms(&ctx);
            if now >= earliest && (now >= wait_until || self.chain.has_includable(&parent)) {
                break;
            }
            let step = if now < earliest { earliest - now } else { 10 };
            ctx.sleep(Duration::from_millis(step.clamp(1, 50))).await;
        }
        let ts = self.now_ms(&ctx).max(parent.body.timestamp_ms);
        let block = self.chain.build(context, &parent, ts)?;
        debug!(
            height = block.body.height,
            txs = block.body.transactions.len(),
            "proposed"
        );
        Some(block)
    }

    async fn verify(
        &mut self,
        (ctx, _context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        // Never vote against a block for our clock: wait until it is within the skew window.
        let ahead = block
            .body
            .timestamp_ms
            .saturating_sub(self.pacing.max_future_skew_ms);
        let now = self.now_ms(&ctx);
        if ahead > now {
            ctx.sleep(Duration::from_millis(ahead - now)).await;
        }
        match self.chain.verify(&block, &parent) {
            Ok(()) => true,
            Err(Invalid::Bad(reason)) => {
                warn!(height = block.body.height, reason, "rejected block");
                false
            }
            Err(Invalid::UnknownParent) => {
                if !self.ensure_known(&ctx, &parent, &mut ancestry).await {
                    return false;
                }
                match self.chain.verify(&block, &parent) {
                    Ok(()) => true,
                    Err(e) => {
                        warn!(height = block.body.height, ?e, "rejected block");
                        false
                    }
                }
            }
        }
    }
}

impl Reporter for App {
    type Activity = Update<ChainBlock>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        if let Update::Block(block, ack) = activity {
            if !self.finalized.send((block, ack)) {
                warn!("finalizer stopped; block not applied");
            }
        }
        Feedback::Ok
    }
}

/// Applies finalized blocks on a dedicated thread (storage commits block; consensus tasks must
/// not), acknowledging each only after its durable commit. Stops at the first error: a block
/// that does not apply means this node can no longer follow the chain safely.
/// `halted` fires if the thread stops on an error.
pub fn spawn_finalizer(
    chain: Arc<Chain>,
    rx: std::sync::mpsc::Receiver<Finalized>,
    halted: tokio::sync::oneshot::Sender<crate::Error>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("finalizer".into())
        .spawn(move || {
            while let Ok((block, ack)) = rx.recv() {
                match chain.finalize(&block) {
                    Ok(_) => ack.acknowledge(),
                    Err(e) => {
                        tracing::error!(%e, "cannot apply finalized block; halting");
                        let _ = halted.send(e);
                        return;
                    }
                }
            }
        })
}

/// The finalizer as a task of the runtime ([FinalizedSink::Task]): applies each finalized block,
/// then acknowledges it. Returns at the first error (as [spawn_finalizer] halts), or `Ok` once
/// every sender is gone.
pub async fn run_finalizer(
    chain: Arc<Chain>,
    mut rx: futures::channel::mpsc::UnboundedReceiver<Finalized>,
) -> Result<(), crate::Error> {
    while let Some((block, ack)) = rx.next().await {
        if let Err(e) = chain.finalize(&block) {
            tracing::error!(%e, "cannot apply finalized block; halting");
            return Err(e);
        }
        ack.acknowledge();
    }
    Ok(())
}
