//! Transaction gossip: a node forwards the transactions its own API admitted to every peer, in
//! small batches, on one p2p channel. A receiver admits them to its mempool with the same checks
//! as the API and never forwards them again (the mesh is complete, so one hop reaches every
//! validator). A batch that does not decode, or carries a bad signature, blocks its sender.
use crate::chain::Chain;
use commonware_codec::{Encode, RangeCfg, Read};
use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner, Supervisor};
use gridledger_api_types::Rejected;
use gridledger_types::{Hash32, SignedTransaction};
use std::{sync::Arc, time::Duration};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Most transactions in one gossip message.
pub const MAX_BATCH: usize = 256;
/// How long the forwarder gathers transactions after the first one before it sends.
const GATHER: Duration = Duration::from_millis(5);
/// Transactions waiting to be forwarded; beyond this, new ones are not forwarded (they still
/// reach the chain when this node leads).
const QUEUE: usize = 65_536;

/// Where the API hands admitted transactions for forwarding.
#[derive(Clone)]
pub struct Outbox(mpsc::Sender<SignedTransaction>);

impl Outbox {
    pub fn new() -> (Self, mpsc::Receiver<SignedTransaction>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Self(tx), rx)
    }

    /// Queues an admitted transaction; returns false if the queue is full or the forwarder
    /// stopped (the transaction stays in this node's mempool either way).
    pub fn push(&self, tx: SignedTransaction) -> bool {
        self.0.try_send(tx).is_ok()
    }
}

/// Admits `txs` to `chain`'s mempool and queues the admitted ones for forwarding: what a
/// node does with transactions its own clients send.
pub fn submit_and_forward(
    chain: &Chain,
    outbox: &Outbox,
    txs: Vec<SignedTransaction>,
) -> Vec<Result<Hash32, Rejected>> {
    let out = chain.submit(txs.clone());
    for (tx, r) in txs.into_iter().zip(&out) {
        if r.is_ok() && !outbox.push(tx) {
            chain.metrics.count_gossip_dropped();
        }
    }
    out
}

/// Encodes a batch for the wire.
pub fn encode_batch(txs: &[SignedTransaction]) -> Vec<u8> {
    txs.to_vec().encode().to_vec()
}

/// Decodes a batch from a peer: at most [MAX_BATCH] transactions, nothing left over.
pub fn decode_batch(mut bytes: &[u8]) -> Result<Vec<SignedTransaction>, commonware_codec::Error> {
    let txs = Vec::<SignedTransaction>::read_cfg(&mut bytes, &(RangeCfg::from(..=MAX_BATCH), ()))?;
    if !bytes.is_empty() {
        return Err(commonware_codec::Error::ExtraData(bytes.len()));
    }
    Ok(txs)
}

/// Sends queued transactions to every peer until the queue closes.
pub async fn forward<E: Clock>(
    context: E,
    mut queue: mpsc::Receiver<SignedTransaction>,
    mut sender: impl Sender<PublicKey = PublicKey>,
) {
    while let Some(first) = queue.recv().await {
        context.sleep(GATHER).await;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(tx) => batch.push(tx),
                Err(_) => break,
            }
        }
        let sent = sender.send(Recipients::All, encode_batch(&batch), false);
        debug!(
            txs = batch.len(),
            peers = sent.len(),
            "forwarded transactions"
        );
    }
}

/// Admits transactions gossiped by peers until the channel closes.
pub async fn receive(
    chain: Arc<Chain>,
    mut receiver: impl Receiver<PublicKey = PublicKey>,
    mut blocker: impl Blocker<PublicKey = PublicKey>,
) {
    loop {
        let (peer, bytes) = match receiver.recv().await {
            Ok(m) => m,
            Err(e) => {
                debug!(?e, "gossip channel closed");
                return;
            }
        };
        match decode_batch(bytes.as_ref()) {
            Ok(txs) => {
                let n = txs.len();
                let results = chain.submit(txs);
                let admitted = results.iter().filter(|r| r.is_ok()).count();
                debug!(%peer, received = n, admitted, "gossiped transactions");
                // Honest nodes forward only what passed their own signature check, and that
                // check gives the same answer everywhere: a bad signature is the sender's doing.
                if results
                    .iter()
                    .any(|r| matches!(r, Err(e) if e.code == "bad_signature"))
                {
                    warn!(%peer, "gossiped a transaction with a bad signature; blocking peer");
                    let _ = blocker.block(peer);
                }
            }
            Err(e) => {
                warn!(%peer, %e, "undecodable transaction batch; blocking peer");
                let _ = blocker.block(peer);
            }
        }
    }
}

/// Starts the forwarder and the receiver on `context`.
pub fn start<E: Clock + Spawner + Supervisor>(
    context: E,
    chain: Arc<Chain>,
    queue: mpsc::Receiver<SignedTransaction>,
    channel: (
        impl Sender<PublicKey = PublicKey>,
        impl Receiver<PublicKey = PublicKey>,
    ),
    blocker: impl Blocker<PublicKey = PublicKey>,
) {
    let (sender, receiver) = channel;
    context
        .child("gossip_out")
        .spawn(move |ctx| forward(ctx, queue, sender));
    context
        .child("gossip_in")
        .spawn(move |_| receive(chain, receiver, blocker));
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridledger_types::{
        Address, ChainId, DecodeExt, MilliWon, Payload, PrivateKey, Transaction,
    };

    fn remarks(n: usize) -> Vec<SignedTransaction> {
        let k = PrivateKey::decode([7u8; 32].as_slice()).unwrap();
        (0..n as u64)
            .map(|nonce| {
                Transaction {
                    chain_id: ChainId::new("gossip-test").unwrap(),
                    signer: Address::of(&k),
                    nonce,
                    expires_at_ms: u64::MAX,
                    payload: Payload::Transfer {
                        to: Address::of(&k),
                        amount: MilliWon(nonce),
                        memo: format!("tx {nonce}"),
                    },
                }
                .sign(&k)
            })
            .collect()
    }

    #[test]
    fn a_batch_round_trips_and_oversized_or_trailing_input_is_refused() {
        let txs = remarks(3);
        let bytes = encode_batch(&txs);
        assert_eq!(decode_batch(&bytes).unwrap(), txs);
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode_batch(&trailing).is_err());
        assert!(decode_batch(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_batch(&encode_batch(&remarks(MAX_BATCH + 1))).is_err());
        assert_eq!(
            decode_batch(&encode_batch(&remarks(MAX_BATCH)))
                .unwrap()
                .len(),
            MAX_BATCH
        );
    }
}
