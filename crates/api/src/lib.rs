//! GridLedger's HTTP API, written against the [NodeApi] trait so it can be served by any node
//! (validator or full node) and tested without a chain.
#![forbid(unsafe_code)]

pub mod views;

pub use views::*;
