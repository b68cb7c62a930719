//! Signing transactions with a locally tracked nonce.
use crate::{Client, Error, Result};
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

/// `now + DEFAULT_EXPIRY` in ms since the epoch.
pub fn default_expiry_ms() -> u64 {
    now_ms().saturating_add(DEFAULT_EXPIRY.as_millis() as u64)
}

/// Signs transactions for one key on one chain. The nonce is fetched once (or given) and then
/// incremented locally for every signed transaction, so many transactions can be signed and
/// submitted without waiting for each to finalize.
pub struct TxSigner {
    key: PrivateKey,
    address: Address,
    chain_id: ChainId,
    next_nonce: u64,
}

impl std::fmt::Debug for TxSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxSigner")
            .field("address", &self.address)
            .field("chain_id", &self.chain_id)
            .field("next_nonce", &self.next_nonce)
            .finish_non_exhaustive()
    }
}

impl TxSigner {
    /// A signer whose next transaction carries `next_nonce`.
    pub fn new(key: PrivateKey, chain_id: ChainId, next_nonce: u64) -> Self {
        let address = Address::of(&key);
        Self {
            key,
            address,
            chain_id,
            next_nonce,
        }
    }

    /// A signer with the chain id from `/api/v1/status` (unless given) and the next nonce from
    /// the key's account view.
    pub async fn connect(
        client: &Client,
        key: PrivateKey,
        chain_id: Option<ChainId>,
    ) -> Result<Self> {
        let chain_id = match chain_id {
            Some(c) => c,
            None => {
                let status = client.status().await?;
                ChainId::new(status.chain_id.clone()).map_err(|e| {
                    Error::Decode(format!("status chain id {:?}: {e}", status.chain_id))
                })?
            }
        };
        let nonce = client.account(&Address::of(&key)).await?.nonce;
        Ok(Self::new(key, chain_id, nonce))
    }

    /// Refetches the next nonce from the node (e.g. after a submission was rejected, which
    /// leaves a gap in the locally assigned nonces).
    pub async fn resync(&mut self, client: &Client) -> Result<u64> {
        self.next_nonce = client.account(&self.address).await?.nonce;
        Ok(self.next_nonce)
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
    /// (ms since the epoch) or, when `None`, [DEFAULT_EXPIRY] from now.
    pub fn sign(&mut self, payload: Payload, expires_at_ms: Option<u64>) -> SignedTransaction {
        let tx = Transaction {
            chain_id: self.chain_id.clone(),
            signer: self.address.clone(),
            nonce: self.next_nonce,
            expires_at_ms: expires_at_ms.unwrap_or_else(default_expiry_ms),
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
    fn debug_does_not_show_the_key() {
        let s = TxSigner::new(key(1), ChainId::new("test").unwrap(), 0);
        let text = format!("{s:?}");
        assert!(text.contains("next_nonce"));
        assert!(!text.contains(&hex::encode([1u8; 32])));
    }
}
