//! The bounded mempool: per-sender queues ordered by nonce, deduplicated by hash, limited in
//! count and bytes. Admission checks against state happen before insertion (see `chain.rs`).
use commonware_codec::EncodeSize;
use gridledger_types::{Address, Hash32, SignedTransaction};
use std::collections::{BTreeMap, HashSet};

#[derive(Clone, Copy, Debug)]
pub struct MempoolConfig {
    pub max_txs: usize,
    pub max_bytes: usize,
    /// How far ahead of an account's nonce a transaction may be queued.
    pub max_nonce_gap: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 200_000,
            max_bytes: 256 * 1024 * 1024,
            max_nonce_gap: 1_024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Duplicate,
    Full,
    /// Another transaction with the same signer and nonce is already queued.
    NonceTaken,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Full => "mempool_full",
            Self::NonceTaken => "nonce_taken",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Duplicate => "this transaction is already pending".into(),
            Self::Full => "the mempool is full; retry later".into(),
            Self::NonceTaken => {
                "a different pending transaction already uses this signer's nonce".into()
            }
        }
    }
}

#[derive(Default)]
pub struct Mempool {
    cfg: MempoolConfig,
    by_sender: BTreeMap<Address, BTreeMap<u64, SignedTransaction>>,
    hashes: HashSet<Hash32>,
    bytes: usize,
}

impl Mempool {
    pub fn new(cfg: MempoolConfig) -> Self {
        Self {
            cfg,
            ..Default::default()
        }
    }

    pub fn config(&self) -> &MempoolConfig {
        &self.cfg
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn contains(&self, hash: &Hash32) -> bool {
        self.hashes.contains(hash)
    }

    pub fn insert(&mut self, tx: SignedTransaction) -> Result<(), Refusal> {
        let hash = tx.hash();
        if self.hashes.contains(&hash) {
            return Err(Refusal::Duplicate);
        }
        let size = tx.encode_size();
        if self.hashes.len() >= self.cfg.max_txs || self.bytes + size > self.cfg.max_bytes {
            return Err(Refusal::Full);
        }
        let queue = self.by_sender.entry(tx.tx.signer.clone()).or_default();
        if queue.contains_key(&tx.tx.nonce) {
            return Err(Refusal::NonceTaken);
        }
        queue.insert(tx.tx.nonce, tx);
        self.hashes.insert(hash);
        self.bytes += size;
        Ok(())
    }

    /// True if some sender's next nonce is queued.
    pub fn any_ready(&self, mut next_nonce: impl FnMut(&Address) -> u64) -> bool {
        self.by_sender
            .iter()
            .any(|(sender, queue)| queue.contains_key(&next_nonce(sender)))
    }

    /// Candidates for a block: for each sender, its queued transactions from `next_nonce(sender)`
    /// upward without gaps, senders interleaved round-robin. The round starts at sender
    /// `rotation % senders` (callers pass the height) so that when more senders are ready than a
    /// block holds, a different set goes first in each block.
    pub fn candidates(
        &self,
        mut next_nonce: impl FnMut(&Address) -> u64,
        max_txs: usize,
        rotation: usize,
    ) -> Vec<SignedTransaction> {
        let mut runs: Vec<Vec<&SignedTransaction>> = Vec::new();
        for (sender, queue) in &self.by_sender {
            let first = next_nonce(sender);
            let run: Vec<&SignedTransaction> = (first..)
                .zip(queue.range(first..))
                .take_while(|(expected, (nonce, _))| *nonce == expected)
                .map(|(_, (_, tx))| tx)
                .collect();
            if !run.is_empty() {
                runs.push(run);
            }
        }
        if !runs.is_empty() {
            let start = rotation % runs.len();
            runs.rotate_left(start);
        }
        let mut out = Vec::new();
        let mut depth = 0;
        while out.len() < max_txs {
            let mut any = false;
            for run in &runs {
                if let Some(tx) = run.get(depth) {
                    out.push((*tx).clone());
                    any = true;
                    if out.len() >= max_txs {
                        break;
                    }
                }
            }
            if !any {
                break;
            }
            depth += 1;
        }
        out
    }

    /// Drops every queued transaction of `sender` with a nonce below `next_nonce` (included in a
    /// finalized block, or made stale by one).
    pub fn prune_sender(&mut self, sender: &Address, next_nonce: u64) {
        let Some(queue) = self.by_sender.get_mut(sender) else {
            return;
        };
        let keep = queue.split_off(&next_nonce);
        for tx in queue.values() {
            self.hashes.remove(&tx.hash());
            self.bytes -= tx.encode_size();
        }
        *queue = keep;
        if queue.is_empty() {
            self.by_sender.remove(sender);
        }
    }

    /// Drops transactions that expire at or before `now_ms`.
    pub fn prune_expired(&mut self, now_ms: u64) {
        let mut emptied = Vec::new();
        for (sender, queue) in self.by_sender.iter_mut() {
            let expired: Vec<u64> = queue
                .iter()
                .filter(|(_, tx)| tx.tx.expires_at_ms < now_ms)
                .map(|(n, _)| *n)
                .collect();
            for n in expired {
                if let Some(tx) = queue.remove(&n) {
                    self.hashes.remove(&tx.hash());
                    self.bytes -= tx.encode_size();
                }
            }
            if queue.is_empty() {
                emptied.push(sender.clone());
            }
        }
        for s in emptied {
            self.by_sender.remove(&s);
        }
    }

    /// Senders with anything queued.
    pub fn senders(&self) -> Vec<Address> {
        self.by_sender.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridledger_types::{ChainId, DecodeExt, MilliWon, Payload, PrivateKey, Transaction};

    fn tx(seed: u8, nonce: u64) -> SignedTransaction {
        let k = PrivateKey::decode([seed; 32].as_slice()).unwrap();
        Transaction {
            chain_id: ChainId::new("t").unwrap(),
            signer: Address::of(&k),
            nonce,
            expires_at_ms: 100 + nonce,
            payload: Payload::Burn {
                amount: MilliWon(1),
                bank_ref: "r".into(),
            },
        }
        .sign(&k)
    }

    #[test]
    fn dedup_limits_and_nonce_runs() {
        let mut m = Mempool::new(MempoolConfig {
            max_txs: 5,
            max_bytes: 1 << 20,
            max_nonce_gap: 10,
        });
        assert_eq!(m.insert(tx(1, 0)), Ok(()));
        assert_eq!(m.insert(tx(1, 0)), Err(Refusal::Duplicate));
        assert_eq!(m.insert(tx(1, 1)), Ok(()));
        assert_eq!(m.insert(tx(1, 3)), Ok(())); // gap at 2
        assert_eq!(m.insert(tx(2, 0)), Ok(()));
        assert_eq!(m.insert(tx(2, 1)), Ok(()));
        assert_eq!(m.insert(tx(3, 0)), Err(Refusal::Full));
        assert!(m.any_ready(|_| 0));
        assert!(!m.any_ready(|_| 2));
        let c = m.candidates(|_| 0, 100, 0);
        // Sender 1 contributes nonces 0,1 (3 waits for 2); sender 2 contributes 0,1; interleaved.
        assert_eq!(c.len(), 4);
        assert_eq!(c[0].tx.nonce, 0);
        assert_eq!(c[1].tx.nonce, 0);
        assert_eq!(c[2].tx.nonce, 1);
        assert_ne!(c[0].tx.signer, c[1].tx.signer);
        assert_eq!(m.candidates(|_| 0, 3, 0).len(), 3);
        // Rotation changes which sender goes first.
        let r = m.candidates(|_| 0, 100, 1);
        assert_eq!(r[0].tx.signer, c[1].tx.signer);
        let s1 = tx(1, 0).tx.signer;
        m.prune_sender(&s1, 2);
        assert_eq!(m.len(), 3);
        m.prune_expired(102);
        // Expiries are 100+nonce: nonce 0 and 1 of sender 2 (100, 101) are dropped; nonce 3 stays.
        assert_eq!(m.len(), 1);
        let before = m.bytes();
        m.prune_sender(&s1, 10);
        assert!(m.is_empty());
        assert!(m.bytes() < before);
        assert_eq!(m.bytes(), 0);
    }
}
