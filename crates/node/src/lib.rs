//! A GridLedger node: our application for commonware simplex + marshal (propose, verify,
//! finalize), the mempool, the finalized state and its store, and the HTTP API around them.
//!
//! Rules: the only crate that sees commonware's engine, p2p and runtime (the rest of the
//! workspace never imports them); business rules stay in `gridledger-execution` (this crate
//! orders, executes and stores blocks, it decides nothing about trading); nothing finalized is
//! acknowledged before it is durably stored, and a node that cannot trust its ledger rebuilds it
//! or refuses to start ([recovery]). Finalized blocks are applied on their own thread so storage
//! never blocks consensus.
#![forbid(unsafe_code)]

pub mod api_impl;
pub mod application;
pub mod block;
pub mod chain;
pub mod clock;
pub mod engine;
pub mod epochs;
mod error;
pub mod genesis;
pub mod gossip;
pub mod mempool;
pub mod metrics;
pub mod node;
pub mod panics;
pub mod recovery;

pub use error::Error;

/// Consensus signatures: one ed25519 key per validator.
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;
