//! The simulation's clients: the operator registers prosumers, the bank mints to them, and they
//! pay each other. Each transaction goes to one random live node, which admits it and forwards
//! it to its peers (transaction gossip, as a real node does). A client resubmits what is still pending to
//! another node now and then, as a real wallet would, so a crash that loses a mempool only
//! delays its transactions.
use crate::sim_harness::EntryPoint;
use gridledger_execution::{account, participant};
use gridledger_node::chain::Chain;
use gridledger_types::{
    Address, ChainId, DecodeExt as _, MilliWon, Payload, PrivateKey, Role, SignedTransaction,
    Transaction,
};
use rand::{Rng, RngExt as _};
use std::collections::BTreeMap;

/// Transactions one signer may have pending at once (well below the mempool's nonce gap).
const MAX_PENDING_PER_SIGNER: usize = 4;
/// Every this many steps, each signer's pending transactions go again to a random node.
const RESUBMIT_EVERY_STEPS: u64 = 10;
/// Largest transfer in milliwon (a prosumer's mint is far larger, but a transfer that does not
/// fit still is a valid transaction: it is included with a failed receipt).
const MAX_TRANSFER_MILLIWON: u64 = 50_000;
const MINT_MILLIWON: u64 = 10_000_000;

pub fn key(seed: u64) -> PrivateKey {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_be_bytes());
    bytes[31] = 0x5A;
    PrivateKey::decode(bytes.as_slice()).expect("any 32 bytes are a private key")
}

struct Signer {
    key: PrivateKey,
    address: Address,
    /// Next nonce this client will sign.
    next_nonce: u64,
    /// Signed but not yet seen finalized, by nonce.
    pending: BTreeMap<u64, SignedTransaction>,
}

impl Signer {
    fn new(key: PrivateKey) -> Self {
        let address = Address::of(&key);
        Self {
            key,
            address,
            next_nonce: 0,
            pending: BTreeMap::new(),
        }
    }
}

pub struct Workload {
    chain_id: ChainId,
    operator: Signer,
    bank: Signer,
    users: Vec<Signer>,
    /// Users the operator has signed a registration for.
    registrations_signed: usize,
    steps: u64,
    /// Transactions handed to some mempool (first submissions only).
    pub submitted: u64,
}

impl Workload {
    pub fn new(chain_id: ChainId, operator: PrivateKey, bank: PrivateKey, users: usize) -> Self {
        Self {
            chain_id,
            operator: Signer::new(operator),
            bank: Signer::new(bank),
            users: (0..users as u64)
                .map(|i| Signer::new(key(100 + i)))
                .collect(),
            registrations_signed: 0,
            steps: 0,
            submitted: 0,
        }
    }

    fn sign(&self, k: &PrivateKey, nonce: u64, payload: Payload) -> SignedTransaction {
        Transaction {
            chain_id: self.chain_id.clone(),
            signer: Address::of(k),
            nonce,
            expires_at_ms: u64::MAX,
            payload,
        }
        .sign(k)
    }

    /// One step: forget what `reference` (the most advanced live node) has finalized, sign one
    /// new transaction if some signer may, and send it to a random node of `live`; every few
    /// steps resend what is pending.
    pub fn step(&mut self, rng: &mut impl Rng, reference: &Chain, live: &[EntryPoint]) {
        if live.is_empty() {
            return;
        }
        self.steps += 1;
        let registered: Vec<usize> = {
            let st = reference.read();
            for s in self.all_mut() {
                let done = account(&st.state, &s.address).nonce;
                s.pending.retain(|n, _| *n >= done);
            }
            (0..self.users.len())
                .filter(|i| participant(&st.state, &self.users[*i].address).is_some())
                .collect()
        };
        if let Some(tx) = self.next_tx(rng, &registered) {
            let node = &live[rng.random_range(0..live.len())];
            // A refusal (e.g. the signer is not registered on that node's state yet) is fine:
            // the transaction stays pending and goes again later.
            let _ = node.submit(vec![tx]);
            self.submitted += 1;
        }
        if self.steps.is_multiple_of(RESUBMIT_EVERY_STEPS) {
            let pending: Vec<Vec<SignedTransaction>> = self
                .all_mut()
                .map(|s| s.pending.values().cloned().collect())
                .collect();
            for txs in pending.into_iter().filter(|t: &Vec<_>| !t.is_empty()) {
                let node = &live[rng.random_range(0..live.len())];
                let _ = node.submit(txs);
            }
        }
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut Signer> {
        [&mut self.operator, &mut self.bank]
            .into_iter()
            .chain(self.users.iter_mut())
    }

    /// A new transaction valid on the reference state (registrations in order; mints and
    /// transfers only between registered users), or `None` if the chosen signer is at its limit.
    fn next_tx(&mut self, rng: &mut impl Rng, registered: &[usize]) -> Option<SignedTransaction> {
        let choice = rng.random_range(0..4u8);
        let (who, payload) = if self.registrations_signed < self.users.len() && choice == 0 {
            let i = self.registrations_signed;
            (
                Who::Operator,
                Payload::RegisterParticipant {
                    account: self.users[i].address.clone(),
                    role: Role::Prosumer,
                    name: format!("user-{i}"),
                },
            )
        } else if choice == 1 && !registered.is_empty() {
            let to = registered[rng.random_range(0..registered.len())];
            (
                Who::Bank,
                Payload::Mint {
                    to: self.users[to].address.clone(),
                    amount: MilliWon(MINT_MILLIWON),
                    bank_ref: format!("dep-{}", self.bank.next_nonce),
                },
            )
        } else if registered.len() >= 2 {
            let from = registered[rng.random_range(0..registered.len())];
            let mut to = registered[rng.random_range(0..registered.len())];
            if to == from {
                to = *registered.iter().find(|i| **i != from)?;
            }
            (
                Who::User(from),
                Payload::Transfer {
                    to: self.users[to].address.clone(),
                    amount: MilliWon(rng.random_range(1..=MAX_TRANSFER_MILLIWON)),
                    memo: String::new(),
                },
            )
        } else {
            return None;
        };
        let signer = match who {
            Who::Operator => &self.operator,
            Who::Bank => &self.bank,
            Who::User(i) => &self.users[i],
        };
        if signer.pending.len() >= MAX_PENDING_PER_SIGNER {
            return None;
        }
        let nonce = signer.next_nonce;
        let tx = self.sign(&signer.key, nonce, payload);
        let signer = match who {
            Who::Operator => {
                self.registrations_signed += 1;
                &mut self.operator
            }
            Who::Bank => &mut self.bank,
            Who::User(i) => &mut self.users[i],
        };
        signer.next_nonce += 1;
        signer.pending.insert(nonce, tx.clone());
        Some(tx)
    }
}

#[derive(Clone, Copy)]
enum Who {
    Operator,
    Bank,
    User(usize),
}
