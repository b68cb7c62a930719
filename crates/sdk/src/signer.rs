//! Signing transactions with a locally tracked nonce and the chain's clock.
//!
//! Transactions expire against block time, which is wall time on a real network but may run
//! elsewhere on a devnet (`--clock-start`, `--clock-control`). A signer therefore keeps the
//! chain's time as an offset from the local clock, learned from the node's status, and sets
//! default expiries from it.
use crate::{Client, Error, Result};
use gridledger_api_types::StatusView;
use gridledger_types::{Address, ChainId, Payload, PrivateKey, SignedTransaction, Transaction};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a transaction stays valid when no expiry is given.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(600);

/// Milliseconds since the Unix epoch by the wall clock (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `now + DEFAULT_EXPIRY` in ms since the epoch, by the wall clock. (A [TxSigner] uses the
/// chain's clock instead.)
pub fn default_expiry_ms() -> u64 {
    now_ms().saturating_add(DEFAULT_EXPIRY.as_millis() as u64)
}

/// The chain's time according to a node's status: its chain clock, and never before its last
/// finalized block (nodes that predate `now_ms` report 0 there).
pub fn chain_time_ms(status: &StatusView) -> u64 {
    status.now_ms.max(status.timestamp_ms)
}

/// `chain_ms - local_ms`, saturated to `i64`.
fn offset_between(chain_ms: u64, local_ms: u64) -> i64 {
    let d = i128::from(chain_ms) - i128::from(local_ms);
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Signs transactions for one key on one chain. The nonce is fetched once (or given) and then
/// incremented locally for every signed transaction, so many transactions can be signed and
/// submitted without waiting for each to finalize.
pub struct TxSigner {
    key: PrivateKey,
    address: Address,
    chain_id: ChainId,
    next_nonce: u64,
    /// Chain time minus local wall time (ms), as of the last clock sync.
    clock_offset_ms: i64,
}

impl std::fmt::Debug for TxSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxSigner")
            .field("address", &self.address)
            .field("chain_id", &self.chain_id)
            .field("next_nonce", &self.next_nonce)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .finish_non_exhaustive()
    }
}

impl TxSigner {
    /// A signer whose next transaction carries `next_nonce`, with the chain's clock taken to be
    /// the local clock until [Self::resync_clock] or [Self::with_clock_offset_ms] says otherwise.
    pub fn new(key: PrivateKey, chain_id: ChainId, next_nonce: u64) -> Self {
        let address = Address::of(&key);
        Self {
            key,
            address,
            chain_id,
            next_nonce,
            clock_offset_ms: 0,
        }
    }

    /// The same signer assuming the chain's clock runs `offset_ms` ahead of the local clock
    /// (negative: behind), e.g. [Self::clock_offset_ms] of another signer on the same chain.
    pub fn with_clock_offset_ms(mut self, offset_ms: i64) -> Self {
        self.clock_offset_ms = offset_ms;
        self
    }

    /// A signer with the chain id (unless given) and the chain's clock from `/api/v1/status`,
    /// and the next nonce from the key's account view (a read signed with `key`).
    pub async fn connect(
        client: &Client,
        key: PrivateKey,
        chain_id: Option<ChainId>,
    ) -> Result<Self> {
        let status = client.status().await?;
        let chain_id = match chain_id {
            Some(c) => c,
            None => ChainId::new(status.chain_id.clone()).map_err(|e| {
                Error::Decode(format!("status chain id {:?}: {e}", status.chain_id))
            })?,
        };
        let nonce = client
            .clone()
            .with_signer_on(key.clone(), chain_id.as_str())
            .account(&Address::of(&key))
            .await?
            .nonce;
        let offset = offset_between(chain_time_ms(&status), now_ms());
        Ok(Self::new(key, chain_id, nonce).with_clock_offset_ms(offset))
    }

    /// Relearns the chain's time from the node's status (after its clock was moved, e.g. by
    /// `POST /api/v1/admin/clock/advance` on a devnet). Returns the chain's time.
    pub async fn resync_clock(&mut self, client: &Client) -> Result<u64> {
        let chain_ms = chain_time_ms(&client.status().await?);
        self.clock_offset_ms = offset_between(chain_ms, now_ms());
        Ok(chain_ms)
    }

    /// Chain time minus local wall time (ms), as of the last clock sync.
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms
    }

    /// The chain's time now, by the local clock and the last clock sync.
    pub fn chain_now_ms(&self) -> u64 {
        now_ms().saturating_add_signed(self.clock_offset_ms)
    }

    /// Refetches the next nonce from the node (e.g. after a submission was rejected, which
    /// leaves a gap in the locally assigned nonces). The read is signed with this signer's key.
    pub async fn resync(&mut self, client: &Client) -> Result<u64> {
        self.next_nonce = self.reads(client).account(&self.address).await?.nonce;
        Ok(self.next_nonce)
    }

    /// `client` signing its reads with this signer's key (its own account, its transactions).
    pub fn reads(&self, client: &Client) -> Client {
        client
            .clone()
            .with_signer_on(self.key.clone(), self.chain_id.as_str())
    }

    pub fn address(&self) -> &Address {
        &self.address
    }

    pub fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    /// The nonce the next signed transaction will carry.
    pub fn next_nonce(&self) -> u64 {
        self.next_nonce
    }

    pub fn set_next_nonce(&mut self, nonce: u64) {
        self.next_nonce = nonce;
    }

    /// Signs `payload` with the next nonce (then increments it), expiring at `expires_at_ms`
    /// (ms since the epoch) or, when `None`, [DEFAULT_EXPIRY] after the chain's now
    /// ([Self::chain_now_ms]).
    pub fn sign(&mut self, payload: Payload, expires_at_ms: Option<u64>) -> SignedTransaction {
        let expires_at_ms = expires_at_ms.unwrap_or_else(|| {
            self.chain_now_ms()
                .saturating_add(DEFAULT_EXPIRY.as_millis() as u64)
        });
        let tx = Transaction {
            chain_id: self.chain_id.clone(),
            signer: self.address.clone(),
            nonce: self.next_nonce,
            expires_at_ms,
            payload,
        };
        self.next_nonce += 1;
        tx.sign(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridledger_types::{DecodeExt, MilliWon};

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::decode([seed; 32].as_slice()).unwrap()
    }

    fn transfer() -> Payload {
        Payload::Transfer {
            to: Address::of(&key(2)),
            amount: MilliWon(1_000),
            memo: String::new(),
        }
    }

    #[test]
    fn nonces_increment_locally() {
        let mut s = TxSigner::new(key(1), ChainId::new("test").unwrap(), 5);
        let a = s.sign(transfer(), Some(1_000));
        let b = s.sign(transfer(), Some(1_000));
        let c = s.sign(transfer(), None);
        assert_eq!(
            (a.tx.nonce, b.tx.nonce, c.tx.nonce, s.next_nonce()),
            (5, 6, 7, 8)
        );
        assert_ne!(a.hash(), b.hash());
        for t in [&a, &b, &c] {
            assert!(t.verify_signature());
            assert_eq!(t.tx.signer, Address::of(&key(1)));
            assert_eq!(t.tx.chain_id.as_str(), "test");
        }
        assert_eq!(a.tx.expires_at_ms, 1_000);
        s.set_next_nonce(0);
        assert_eq!(s.sign(transfer(), None).tx.nonce, 0);
    }

    #[test]
    fn default_expiry_is_ten_minutes_ahead() {
        let mut s = TxSigner::new(key(1), ChainId::new("test").unwrap(), 0);
        let before = now_ms();
        let t = s.sign(transfer(), None);
        let after = now_ms();
        assert!(t.tx.expires_at_ms >= before + 600_000);
        assert!(t.tx.expires_at_ms <= after + 600_000);
    }

    #[test]
    fn default_expiry_follows_the_chain_clock_not_the_local_one() {
        const DAY: i64 = 86_400_000;
        let mut behind =
            TxSigner::new(key(1), ChainId::new("test").unwrap(), 0).with_clock_offset_ms(-30 * DAY);
        let mut ahead =
            TxSigner::new(key(1), ChainId::new("test").unwrap(), 0).with_clock_offset_ms(40 * DAY);
        let before = now_ms();
        let (b, a) = (behind.sign(transfer(), None), ahead.sign(transfer(), None));
        let after = now_ms();
        let within = |t: &SignedTransaction, offset: i64| {
            let lo = before.saturating_add_signed(offset) + 600_000;
            let hi = after.saturating_add_signed(offset) + 600_000;
            (lo..=hi).contains(&t.tx.expires_at_ms)
        };
        assert!(within(&b, -30 * DAY), "{}", b.tx.expires_at_ms);
        assert!(within(&a, 40 * DAY), "{}", a.tx.expires_at_ms);
        // An explicit expiry is kept as given.
        assert_eq!(ahead.sign(transfer(), Some(5)).tx.expires_at_ms, 5);
    }

    #[test]
    fn chain_time_is_the_node_clock_but_never_before_its_head() {
        let mut s: StatusView = serde_json::from_value(serde_json::json!({
            "chain_id": "c", "height": 1, "block_hash": "00".repeat(32),
            "state_root": "00".repeat(32), "timestamp_ms": 1_000, "now_ms": 1_500,
            "role": "validator", "peers": [], "mempool_txs": 0, "version": "x",
        }))
        .unwrap();
        assert_eq!(chain_time_ms(&s), 1_500);
        s.now_ms = 0; // a node that predates now_ms
        assert_eq!(chain_time_ms(&s), 1_000);
        assert_eq!(offset_between(0, u64::MAX), i64::MIN);
        assert_eq!(offset_between(u64::MAX, 0), i64::MAX);
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let s = TxSigner::new(key(1), ChainId::new("test").unwrap(), 0);
        let text = format!("{s:?}");
        assert!(text.contains("next_nonce"));
        assert!(!text.contains(&hex::encode([1u8; 32])));
    }
}
