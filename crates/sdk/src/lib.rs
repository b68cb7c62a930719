//! GridLedger client SDK: a typed HTTP client for the node API ([Client]), transaction signing
//! with locally tracked nonces ([TxSigner]), an encrypted key file ([Keystore]), and meter
//! readings: batching ([readings]) and deterministic synthetic profiles ([profile]).
//!
//! Rules: a client, never a server (it knows the API through `gridledger-api-types` only, so
//! `cargo tree -p gridledger-sdk` has no axum; `.ci/run` checks it); transactions take the
//! chain's time from the node, never the local clock; keys leave memory only encrypted.
#![forbid(unsafe_code)]

pub mod client;
mod error;
mod kdf_memory;
pub mod kdf_pool;
pub mod keystore;
pub mod lockout;
pub mod profile;
pub mod readings;
pub mod signer;
pub mod sse;
pub mod turns;

pub use client::{BasicAuth, Client};
pub use error::{Error, Result};
pub use keystore::{generate_key, KdfParams, Keystore};
pub use signer::{chain_time_ms, default_expiry_ms, now_ms, TxSigner, DEFAULT_EXPIRY};

/// Re-exported so SDK users need not depend on the types and api-types crates directly.
pub use gridledger_api_types as api;
pub use gridledger_types as types;
