//! The service's view of the chain through the node's [NodeApi]: charging reads, account
//! nonces, chain time, and submitting transactions until their receipts are final.
use crate::Error;
use futures::StreamExt;
use gridledger_api_types::{ChargingQuery, NodeApi};
use gridledger_execution::charging_view::{ChargerView, MemberView, SessionView};
use gridledger_types::{
    Address, ChainId, ChargerId, ConfigureCharging, Hash32, Payload, PrivateKey, Receipt,
    SessionState, SignedTransaction, Transaction,
};
use serde::de::DeserializeOwned;
use std::{collections::BTreeMap, sync::Arc, time::Duration};

/// How long a signed transaction stays valid (chain time).
pub const TX_TTL_MS: u64 = 120_000;
/// Nonce refusals (another holder of the key took the nonce) a submission works around before
/// it gives up.
pub const NONCE_RETRIES: usize = 8;

#[derive(Clone)]
pub struct Chain {
    pub node: Arc<dyn NodeApi>,
    pub chain_id: ChainId,
    pub finality_timeout: Duration,
}

impl Chain {
    fn query<T: DeserializeOwned>(&self, q: ChargingQuery) -> Result<Option<T>, Error> {
        let v = self
            .node
            .charging(&q)
            .map_err(|e| Error::Node(e.0.clone()))?;
        v.map(|v| serde_json::from_value(v).map_err(|e| Error::Node(e.to_string())))
            .transpose()
    }

    pub fn member(&self, member_no: u64) -> Result<Option<MemberView>, Error> {
        self.query(ChargingQuery::Member { member_no })
    }

    pub fn member_by_card(&self, card: &str) -> Result<Option<MemberView>, Error> {
        self.query(ChargingQuery::MemberByCard {
            card: card.to_string(),
        })
    }

    pub fn charger(&self, charger: &ChargerId) -> Result<Option<ChargerView>, Error> {
        self.query(ChargingQuery::Charger {
            charger: charger.clone(),
        })
    }

    pub fn chargers(&self) -> Result<Vec<ChargerView>, Error> {
        Ok(self.query(ChargingQuery::Chargers)?.unwrap_or_default())
    }

    pub fn session(&self, charger: &ChargerId, session: u64) -> Result<Option<SessionView>, Error> {
        self.query(ChargingQuery::Session {
            charger: charger.clone(),
            session,
        })
    }

    pub fn sessions(
        &self,
        charger: Option<ChargerId>,
        member_no: Option<u64>,
        states: Vec<SessionState>,
        limit: usize,
    ) -> Result<Vec<SessionView>, Error> {
        Ok(self
            .query(ChargingQuery::Sessions {
                charger,
                member_no,
                states,
                limit,
            })?
            .unwrap_or_default())
    }

    pub fn revenue(
        &self,
        charger: Option<ChargerId>,
        from: u32,
        to: u32,
    ) -> Result<serde_json::Value, Error> {
        Ok(self
            .query(ChargingQuery::Revenue { charger, from, to })?
            .unwrap_or(serde_json::Value::Null))
    }

    /// Prepaid holds expired by now (at most `limit`).
    pub fn due_expiries(&self, now_ms: u64, limit: usize) -> Result<usize, Error> {
        Ok(self
            .query(ChargingQuery::DueExpiries { now_ms, limit })?
            .unwrap_or(0))
    }

    pub fn config(&self, operator: &Address) -> Result<Option<ConfigureCharging>, Error> {
        self.query(ChargingQuery::Config {
            operator: operator.clone(),
        })
    }

    /// The chain's clock (what the next block will be stamped about).
    pub fn now_ms(&self) -> u64 {
        let s = self.node.status();
        s.now_ms.max(s.timestamp_ms)
    }

    /// Finalized spendable balance and next nonce of an account.
    pub fn account(&self, a: &Address) -> Result<(u64, u64), Error> {
        let v = self.node.account(a).map_err(|e| Error::Node(e.0))?;
        Ok((v.balance.0, v.nonce))
    }

    /// Signs `payloads` with consecutive nonces from `nonce`.
    pub fn sign(
        &self,
        key: &PrivateKey,
        nonce: u64,
        payloads: Vec<Payload>,
    ) -> Vec<SignedTransaction> {
        let expires_at_ms = self.now_ms() + TX_TTL_MS;
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, payload)| {
                Transaction {
                    chain_id: self.chain_id.clone(),
                    signer: Address::of(key),
                    nonce: nonce + i as u64,
                    expires_at_ms,
                    payload,
                }
                .sign(key)
            })
            .collect()
    }

    /// Signs `payloads` with `key` from nonce `next` (read from the chain when `None`) and
    /// submits them one at a time, each only after the one before it was admitted; their
    /// hashes are appended to `admitted` and `next` follows the admitted ones.
    ///
    /// Another holder of the key may take a nonce between our signing and admission (a CLI
    /// submission): `nonce_taken` (theirs is pending) or `stale_nonce` (theirs is final). Then
    /// only the payloads not yet admitted are signed again, from the next free nonce: the
    /// chain's, or the one after the refused nonce, whichever is later. After [NONCE_RETRIES]
    /// such refusals, or on any other refusal, it stops with that refusal; what was admitted
    /// stays admitted, and nothing after the refused payload was submitted.
    pub fn admit_in_order(
        &self,
        key: &PrivateKey,
        next: &mut Option<u64>,
        payloads: &[Payload],
        admitted: &mut Vec<Hash32>,
    ) -> Result<(), Error> {
        let signer = Address::of(key);
        let start = admitted.len();
        let mut refusals = 0;
        while admitted.len() - start < payloads.len() {
            let nonce = match *next {
                Some(n) => n,
                None => self.account(&signer)?.1,
            };
            let rest = payloads[admitted.len() - start..].to_vec();
            let mut refused = None;
            for tx in self.sign(key, nonce, rest) {
                let n = tx.tx.nonce;
                match self.node.submit(vec![tx]).pop() {
                    Some(Ok(hash)) => {
                        admitted.push(hash);
                        *next = Some(n + 1);
                    }
                    Some(Err(rej)) => {
                        refused = Some((n, rej.code, rej.message));
                        break;
                    }
                    None => {
                        refused = Some((n, "no_answer".into(), "the node answered nothing".into()));
                        break;
                    }
                }
            }
            let Some((n, code, message)) = refused else {
                break;
            };
            refusals += 1;
            tracing::info!(nonce = n, %code, admitted = admitted.len() - start,
                "transaction refused at admission");
            *next = None;
            let free = match code.as_str() {
                "nonce_taken" | "stale_nonce" if refusals < NONCE_RETRIES => {
                    self.account(&signer)?.1.max(n + 1)
                }
                "future_nonce" if refusals < NONCE_RETRIES => self.account(&signer)?.1,
                _ => return Err(Error::refused(code, message)),
            };
            *next = Some(free);
        }
        Ok(())
    }

    /// Submits `txs` and waits until every one is finalized; their receipts in order. A
    /// transaction the node refuses at admission fails the whole call.
    pub async fn submit_wait(&self, txs: Vec<SignedTransaction>) -> Result<Vec<Receipt>, Error> {
        let hashes: Vec<_> = txs.iter().map(|t| t.hash()).collect();
        for r in self.node.submit(txs) {
            if let Err(rej) = r {
                return Err(Error::refused(rej.code, rej.message));
            }
        }
        self.wait(&hashes).await
    }

    /// Waits until the transactions with these hashes are finalized; their receipts in order.
    pub async fn wait(&self, hashes: &[Hash32]) -> Result<Vec<Receipt>, Error> {
        let mut events = self.node.subscribe();
        let mut found: BTreeMap<Hash32, Receipt> = BTreeMap::new();
        let deadline = tokio::time::Instant::now() + self.finality_timeout;
        loop {
            // Reads catch what finalized before the subscription started.
            for h in hashes {
                if !found.contains_key(h) {
                    if let Ok(Some(v)) = self.node.tx(h) {
                        found.insert(*h, v.receipt);
                    }
                }
            }
            if found.len() == hashes.len() {
                return Ok(hashes.iter().filter_map(|h| found.remove(h)).collect());
            }
            match tokio::time::timeout_at(deadline, events.next()).await {
                Err(_) => return Err(Error::Node("transactions not finalized in time".into())),
                // A block, or some missed (the reads above catch them): look again.
                Ok(Some(_)) => {}
                Ok(None) => return Err(Error::Node("node stopped".into())),
            }
        }
    }
}
