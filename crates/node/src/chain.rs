//! The node's synchronous core: finalized state, speculative post-states of unfinalized blocks,
//! the mempool, and the finalize -> store -> apply step. No async and no commonware types here
//! besides [ChainBlock], so every rule is testable without a running engine.
use crate::{
    block::{read_header, BlockContext, ChainBlock},
    mempool::{Mempool, MempoolConfig},
    metrics::NodeMetrics,
    Error,
};
use commonware_codec::{DecodeExt, Encode};
use commonware_utils::sys_rng;
use gridledger_api_types::{BlockView, FinalizedEvent, Rejected};
use gridledger_execution::{
    admission_check, apply_writes, execute_block, verify_signatures_batch, BlockBuilder, BlockEnv,
    BlockOutcome, Layered, SigCheck, StateKey, StateValue,
};
use gridledger_storage::{BlockCommit, Head, Store, TxRecord};
use gridledger_types::{Address, Block, ChainId, Hash32, Receipt, SignedTransaction};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, RwLock},
};
use tokio::sync::broadcast;

/// Post-state of an executed but not yet finalized block.
pub struct Speculative {
    pub height: u64,
    pub parent: Hash32,
    pub outcome: BlockOutcome,
}

/// Last finalized block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub height: u64,
    pub hash: Hash32,
    pub state_root: Hash32,
    pub timestamp_ms: u64,
}

pub struct ChainState {
    pub state: BTreeMap<StateKey, StateValue>,
    pub head: ChainHead,
    spec: BTreeMap<Hash32, Arc<Speculative>>,
}

#[derive(Clone, Debug)]
pub struct ChainConfig {
    pub chain_id: ChainId,
    pub mempool: MempoolConfig,
    pub max_block_txs: usize,
}

pub struct Chain {
    pub cfg: ChainConfig,
    inner: RwLock<ChainState>,
    mempool: Mutex<Mempool>,
    pub store: Store,
    events: broadcast::Sender<Arc<FinalizedEvent>>,
    pub metrics: NodeMetrics,
}

/// Why a proposed block is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    /// The parent's post-state is not known here yet (rebuild it from the ancestry).
    UnknownParent,
    Bad(String),
}

fn lock_poisoned() -> ! {
    // A poisoned lock means another thread panicked while mutating chain state; continuing could
    // diverge from the network, so stop the process.
    panic!("chain state lock poisoned")
}

impl Chain {
    /// Opens the chain from `store`, writing `genesis` first if the store is empty. Refuses a
    /// store whose genesis differs.
    pub fn open(
        cfg: ChainConfig,
        store: Store,
        genesis: &ChainBlock,
        genesis_outcome: BlockOutcome,
        metrics: NodeMetrics,
    ) -> Result<Self, Error> {
        if genesis.body.state_root != genesis_outcome.state_root {
            return Err(Error::Config(
                "genesis block and genesis state disagree".into(),
            ));
        }
        let head = match store.head()? {
            None => {
                let bytes = genesis.encode();
                store.commit_block(&commit_for(genesis, &bytes, &genesis_outcome))?;
                store
                    .head()?
                    .ok_or_else(|| Error::Corrupt("no head after genesis".into()))?
            }
            Some(h) => h,
        };
        match store.block_hash(0)? {
            Some(h) if h == genesis.hash().0 => {}
            Some(h) => {
                return Err(Error::WrongChain(format!(
                    "stored genesis {} != configured genesis {}",
                    Hash32(h),
                    genesis.hash()
                )))
            }
            None => return Err(Error::Corrupt("genesis block missing".into())),
        }
        check_head_block(&store, &head)?;
        let mut state = BTreeMap::new();
        for (k, v) in store.state_entries()? {
            let key = StateKey::decode(k.as_slice())
                .map_err(|e| Error::Corrupt(format!("state key: {e}")))?;
            let value = StateValue::decode(v.as_slice())
                .map_err(|e| Error::Corrupt(format!("state value: {e}")))?;
            state.insert(key, value);
        }
        let head = ChainHead {
            height: head.height,
            hash: Hash32(head.block_hash),
            state_root: Hash32(head.state_root),
            timestamp_ms: head.timestamp_ms,
        };
        metrics.set_height(head.height);
        let (events, _) = broadcast::channel(1024);
        Ok(Self {
            mempool: Mutex::new(Mempool::new(cfg.mempool)),
            cfg,
            inner: RwLock::new(ChainState {
                state,
                head,
                spec: BTreeMap::new(),
            }),
            store,
            events,
            metrics,
        })
    }

    pub fn head(&self) -> ChainHead {
        self.read().head.clone()
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, ChainState> {
        self.inner.read().unwrap_or_else(|_| lock_poisoned())
    }

    fn mempool(&self) -> std::sync::MutexGuard<'_, Mempool> {
        self.mempool.lock().unwrap_or_else(|_| lock_poisoned())
    }

    pub fn mempool_len(&self) -> usize {
        self.mempool().len()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<FinalizedEvent>> {
        self.events.subscribe()
    }

    /// True if the post-state of `hash` is known (finalized head or cached speculation).
    pub fn knows(&self, hash: &Hash32) -> bool {
        let st = self.read();
        st.head.hash == *hash || st.spec.contains_key(hash)
    }

    /// True if the post-state of `block` is known here or `block` is already finalized (its
    /// post-state is then part of the finalized state or an ancestor of it).
    pub fn knows_block(&self, block: &ChainBlock) -> bool {
        let hash = block.hash();
        if self.knows(&hash) {
            return true;
        }
        block.body.height <= self.head().height && self.is_finalized(block.body.height, &hash)
    }

    /// True if `hash` is the finalized block at `height`.
    fn is_finalized(&self, height: u64, hash: &Hash32) -> bool {
        matches!(self.store.block_hash(height), Ok(Some(h)) if h == hash.0)
    }

    /// True if some pending transaction could go into a block built on `parent` (its signer's
    /// next nonce is pending). Decides whether a proposer waits for more transactions.
    pub fn has_includable(&self, parent: &ChainBlock) -> bool {
        let st = self.read();
        let Some(layers) = Self::layers(&st, &parent.hash()) else {
            return false;
        };
        let base = Layered {
            base: &st.state,
            layers: layers.iter().map(|s| &s.outcome.writes).collect(),
        };
        let pool = self.mempool();
        pool.any_ready(|a| gridledger_execution::account(&base, a).nonce)
    }

    /// Admission: signature (checked before any lock), then state checks against the finalized
    /// state, then the mempool's own limits.
    pub fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash32, Rejected>> {
        let verified: Vec<bool> = match verify_signatures_batch(&txs, &mut sys_rng()) {
            Ok(()) => vec![true; txs.len()],
            Err(_) => txs.iter().map(|t| t.verify_signature()).collect(),
        };
        let st = self.read();
        let mut pool = self.mempool();
        let gap = pool.config().max_nonce_gap;
        let out: Vec<_> = txs
            .into_iter()
            .zip(verified)
            .map(|(tx, sig_ok)| {
                // A transaction built in this process (the portal's session signing, the
                // charging service) never went through a decoder. One whose encoding does not
                // decode back (a string over its limit, say) would make the block holding it
                // unreadable, so no node could load that block again: refuse it here, as the
                // API refuses such hex.
                if !SignedTransaction::decode(tx.encode()).is_ok_and(|d| d == tx) {
                    return Err(Rejected {
                        code: "invalid_encoding".into(),
                        message: "the transaction's encoding does not decode back (a field over its limit)".into(),
                    });
                }
                if !sig_ok {
                    return Err(Rejected {
                        code: "bad_signature".into(),
                        message: "the signature does not match the signer and transaction".into(),
                    });
                }
                admission_check(
                    &st.state,
                    &self.cfg.chain_id,
                    st.head.timestamp_ms,
                    &tx,
                    SigCheck::AlreadyVerified,
                    gap,
                )
                .map_err(|r| Rejected {
                    code: r.code().into(),
                    message: r.to_string(),
                })?;
                let hash = tx.hash();
                pool.insert(tx).map_err(|r| Rejected {
                    code: r.code().into(),
                    message: r.message(),
                })?;
                Ok(hash)
            })
            .collect();
        self.metrics.set_mempool(pool.len(), pool.bytes());
        for r in &out {
            self.metrics
                .count_submit(r.as_ref().err().map(|e| e.code.as_str()));
        }
        out
    }

    /// The speculative ancestry from the finalized head to `parent` (oldest first), or `None`
    /// if some link is unknown.
    fn layers(st: &ChainState, parent: &Hash32) -> Option<Vec<Arc<Speculative>>> {
        let mut out = Vec::new();
        let mut cur = *parent;
        while cur != st.head.hash {
            let s = st.spec.get(&cur)?;
            out.push(s.clone());
            cur = s.parent;
        }
        out.reverse();
        Some(out)
    }

    /// Builds a block on `parent` at `timestamp_ms` from the mempool, wrapped with the
    /// consensus `context`, and caches its post-state.
    pub fn build(
        &self,
        context: BlockContext,
        parent: &ChainBlock,
        timestamp_ms: u64,
    ) -> Option<ChainBlock> {
        let parent_hash = parent.hash();
        let height = parent.body.height + 1;
        let (block, outcome) = {
            let st = self.read();
            let layers = Self::layers(&st, &parent_hash)?;
            let base = Layered {
                base: &st.state,
                layers: layers.iter().map(|s| &s.outcome.writes).collect(),
            };
            let env = BlockEnv {
                chain_id: self.cfg.chain_id.clone(),
                height,
                timestamp_ms,
            };
            let mut builder = BlockBuilder::new(&base, parent.body.state_root, env);
            let candidates = {
                let pool = self.mempool();
                pool.candidates(
                    |a| gridledger_execution::account(&base, a).nonce,
                    self.cfg.max_block_txs,
                    height as usize,
                )
            };
            let mut included = Vec::with_capacity(candidates.len());
            for tx in candidates {
                if builder.push(&tx, SigCheck::AlreadyVerified).is_ok() {
                    included.push(tx);
                }
            }
            let outcome = builder.finish();
            let body = Block {
                parent: parent_hash,
                height,
                timestamp_ms,
                state_root: outcome.state_root,
                transactions: included,
            };
            (ChainBlock::new(context, body), outcome)
        };
        self.metrics.count_proposed(block.body.transactions.len());
        let mut st = self.inner.write().unwrap_or_else(|_| lock_poisoned());
        st.spec.insert(
            block.hash(),
            Arc::new(Speculative {
                height,
                parent: parent_hash,
                outcome,
            }),
        );
        Some(block)
    }

    /// Verifies `block` on `parent` by re-executing it; caches the post-state on success.
    pub fn verify(&self, block: &ChainBlock, parent: &ChainBlock) -> Result<(), Invalid> {
        let b = &block.body;
        if b.height != parent.body.height + 1 {
            return Err(Invalid::Bad(format!(
                "height {} does not follow parent {}",
                b.height, parent.body.height
            )));
        }
        if b.parent != parent.hash() {
            return Err(Invalid::Bad("parent hash mismatch".into()));
        }
        if b.timestamp_ms < parent.body.timestamp_ms {
            return Err(Invalid::Bad("timestamp before parent's".into()));
        }
        if b.transactions.len() > self.cfg.max_block_txs {
            return Err(Invalid::Bad("too many transactions".into()));
        }
        if self.knows_block(block) {
            return Ok(());
        }
        // A transaction in our mempool was admitted here, signature checked; its hash covers
        // the signature, so only the others need checking (with gossip: usually none).
        let (unchecked, index): (Vec<SignedTransaction>, Vec<usize>) = {
            let pool = self.mempool();
            b.transactions
                .iter()
                .enumerate()
                .filter(|(_, tx)| !pool.contains(&tx.hash()))
                .map(|(i, tx)| (tx.clone(), i))
                .unzip()
        };
        verify_signatures_batch(&unchecked, &mut sys_rng()).map_err(|i| {
            Invalid::Bad(format!(
                "tx {}: bad_signature: the signature does not match",
                index.get(i).copied().unwrap_or(i)
            ))
        })?;
        let outcome = {
            let st = self.read();
            if b.height <= st.head.height {
                return Err(Invalid::Bad(
                    "conflicts with a finalized block at its height".into(),
                ));
            }
            let layers = Self::layers(&st, &b.parent).ok_or(Invalid::UnknownParent)?;
            let base = Layered {
                base: &st.state,
                layers: layers.iter().map(|s| &s.outcome.writes).collect(),
            };
            let env = BlockEnv {
                chain_id: self.cfg.chain_id.clone(),
                height: b.height,
                timestamp_ms: b.timestamp_ms,
            };
            let outcome = execute_block(
                &base,
                parent.body.state_root,
                env,
                &b.transactions,
                SigCheck::AlreadyVerified,
            )
            .map_err(|(i, r)| Invalid::Bad(format!("tx {i}: {}: {r}", r.code())))?;
            if outcome.state_root != b.state_root {
                return Err(Invalid::Bad(format!(
                    "state root {} != computed {}",
                    b.state_root, outcome.state_root
                )));
            }
            outcome
        };
        let mut st = self.inner.write().unwrap_or_else(|_| lock_poisoned());
        st.spec.insert(
            block.hash(),
            Arc::new(Speculative {
                height: b.height,
                parent: b.parent,
                outcome,
            }),
        );
        Ok(())
    }

    /// Applies a finalized block: execute (or take the cached post-state), commit block, state,
    /// receipts and indexes in one durable store transaction, then update memory and notify.
    /// Returns `Ok(false)` for a block already applied (marshal delivers at least once); a
    /// different block at an applied height is an error (this ledger is not that chain's).
    pub fn finalize(&self, block: &ChainBlock) -> Result<bool, Error> {
        self.apply(block, true)
    }

    /// [Chain::finalize] for rebuilding the ledger from blocks this node already holds: the
    /// commit does not wait for the disk; call [Chain::flush] to make what was replayed durable.
    pub fn replay(&self, block: &ChainBlock) -> Result<bool, Error> {
        self.apply(block, false)
    }

    /// Makes every block applied by [Chain::replay] durable.
    pub fn flush(&self) -> Result<(), Error> {
        Ok(self.store.flush()?)
    }

    fn apply(&self, block: &ChainBlock, durable: bool) -> Result<bool, Error> {
        let hash = block.hash();
        let (head, cached) = {
            let st = self.read();
            (st.head.clone(), st.spec.get(&hash).cloned())
        };
        if block.body.height <= head.height {
            return match self.store.block_hash(block.body.height)? {
                Some(stored) if stored == hash.0 => Ok(false),
                stored => Err(Error::NotNext {
                    height: block.body.height,
                    reason: format!(
                        "the ledger holds {} at that height",
                        stored.map_or("no block".into(), |h| Hash32(h).to_string())
                    ),
                }),
            };
        }
        if block.body.height != head.height + 1 || block.body.parent != head.hash {
            return Err(Error::NotNext {
                height: block.body.height,
                reason: format!("head is {} at {}", head.hash, head.height),
            });
        }
        let computed;
        let outcome: &BlockOutcome = match &cached {
            Some(s) => &s.outcome,
            None => {
                verify_signatures_batch(&block.body.transactions, &mut sys_rng()).map_err(
                    |index| Error::InvalidFinalized {
                        height: block.body.height,
                        index,
                        reason: "bad signature".into(),
                    },
                )?;
                let st = self.read();
                let env = BlockEnv {
                    chain_id: self.cfg.chain_id.clone(),
                    height: block.body.height,
                    timestamp_ms: block.body.timestamp_ms,
                };
                computed = execute_block(
                    &st.state,
                    head.state_root,
                    env,
                    &block.body.transactions,
                    SigCheck::AlreadyVerified,
                )
                .map_err(|(index, r)| Error::InvalidFinalized {
                    height: block.body.height,
                    index,
                    reason: r.to_string(),
                })?;
                &computed
            }
        };
        if outcome.state_root != block.body.state_root {
            return Err(Error::InvalidFinalized {
                height: block.body.height,
                index: 0,
                reason: "state root mismatch".into(),
            });
        }
        let bytes = block.encode();
        let commit = commit_for(block, &bytes, outcome);
        if durable {
            self.store.commit_block(&commit)?;
        } else {
            self.store.commit_block_deferred(&commit)?;
        }
        let signers: BTreeSet<Address> = block
            .body
            .transactions
            .iter()
            .map(|t| t.tx.signer.clone())
            .collect();
        let nonces: Vec<(Address, u64)> = {
            let mut st = self.inner.write().unwrap_or_else(|_| lock_poisoned());
            apply_writes(&mut st.state, &outcome.writes);
            st.head = ChainHead {
                height: block.body.height,
                hash,
                state_root: block.body.state_root,
                timestamp_ms: block.body.timestamp_ms,
            };
            let h = block.body.height;
            st.spec.retain(|_, s| s.height > h);
            signers
                .into_iter()
                .map(|a| {
                    let n = gridledger_execution::account(&st.state, &a).nonce;
                    (a, n)
                })
                .collect()
        };
        {
            let mut pool = self.mempool();
            for (a, n) in &nonces {
                pool.prune_sender(a, *n);
            }
            pool.prune_expired(block.body.timestamp_ms);
            self.metrics.set_mempool(pool.len(), pool.bytes());
        }
        self.metrics.set_height(block.body.height);
        self.metrics
            .count_finalized(block.body.transactions.len() as u64);
        let event = FinalizedEvent {
            block: block_view(block),
            receipts: outcome.receipts.clone(),
        };
        let _ = self.events.send(Arc::new(event));
        Ok(true)
    }

    /// Header view of a stored block at `height`.
    pub fn stored_header(
        &self,
        height: u64,
    ) -> Result<Option<(Hash32, crate::block::HeaderInfo)>, Error> {
        let Some(bytes) = self.store.block(height)? else {
            return Ok(None);
        };
        let info = read_header(&bytes).map_err(|e| Error::Corrupt(e.to_string()))?;
        let hash = Hash32::digest(&[&bytes]);
        Ok(Some((hash, info)))
    }
}

/// The stored head block must be the head the store names: its bytes hash to the head's hash and
/// its header carries the head's height, state root and time.
fn check_head_block(store: &Store, head: &Head) -> Result<(), Error> {
    let bytes = store
        .block(head.height)?
        .ok_or_else(|| Error::Corrupt(format!("head block {} is not stored", head.height)))?;
    let info = read_header(&bytes)
        .map_err(|e| Error::Corrupt(format!("head block {}: {e}", head.height)))?;
    let hash = Hash32::digest(&[&bytes]);
    if hash.0 != head.block_hash
        || info.height != head.height
        || info.state_root.0 != head.state_root
        || info.timestamp_ms != head.timestamp_ms
    {
        return Err(Error::Corrupt(format!(
            "the stored head block {} (hash {hash}) does not match the head row (hash {})",
            head.height,
            Hash32(head.block_hash)
        )));
    }
    Ok(())
}

pub fn block_view(block: &ChainBlock) -> BlockView {
    BlockView {
        height: block.body.height,
        hash: block.hash(),
        parent: block.body.parent,
        timestamp_ms: block.body.timestamp_ms,
        state_root: block.body.state_root,
        tx_count: block.body.transactions.len() as u32,
        tx_hashes: block.body.transactions.iter().map(|t| t.hash()).collect(),
    }
}

/// Everything the store needs for one block.
fn commit_for<'a>(block: &ChainBlock, bytes: &'a [u8], outcome: &BlockOutcome) -> BlockCommit<'a> {
    let writes = outcome
        .writes
        .iter()
        .map(|(k, v)| (k.encode().to_vec(), v.as_ref().map(|v| v.encode().to_vec())))
        .collect();
    let txs = block
        .body
        .transactions
        .iter()
        .zip(&outcome.receipts)
        .enumerate()
        .map(|(i, (tx, receipt))| tx_record(i as u32, tx, receipt))
        .collect();
    BlockCommit {
        head: Head {
            height: block.body.height,
            block_hash: block.hash().0,
            state_root: block.body.state_root.0,
            timestamp_ms: block.body.timestamp_ms,
        },
        block: bytes,
        writes,
        txs,
    }
}

fn tx_record(index: u32, tx: &SignedTransaction, receipt: &Receipt) -> TxRecord {
    let mut accounts: BTreeSet<[u8; 32]> = BTreeSet::new();
    let mut add = |a: &Address| {
        let mut k = [0u8; 32];
        k.copy_from_slice(a.as_bytes());
        accounts.insert(k);
    };
    add(&tx.tx.signer);
    for a in tx.tx.payload.counterparties() {
        add(&a);
    }
    for topic in tx.tx.payload.topics() {
        accounts.insert(topic.key());
    }
    TxRecord {
        hash: tx.hash().0,
        index,
        tx: tx.encode().to_vec(),
        receipt: receipt.encode().to_vec(),
        accounts: accounts.into_iter().collect(),
    }
}

/// The validator set and epochs as recorded in the finalized state (read by the engine to
/// switch epochs and by marshal to check certificates of any epoch).
impl Chain {
    /// The validator set in force at `epoch` (sorted by key) in the finalized state: the genesis
    /// set, or the latest `ChangeValidators` result at or before `epoch`. The set of the next
    /// epoch is final only once the last block of the current epoch is finalized.
    pub fn validators_at(&self, epoch: u64) -> Vec<crate::genesis::ValidatorInfo> {
        gridledger_execution::validators_at(&self.read().state, epoch)
    }

    /// Blocks per epoch (from the genesis); epoch `e` covers heights `[e*L, (e+1)*L - 1]`.
    pub fn epoch_length(&self) -> u64 {
        gridledger_execution::epoch_length(&self.read().state)
    }
}
