//! Device and operator agents that act on a network through the SDK.
//!
//! An agent is a client like any other: it reads the chain through a node's API, signs its own
//! transactions with its own key and submits them. Its rules:
//! - It decides what to do only from what the chain shows (records, block time), never from a
//!   local memory of what it did, so a restarted agent continues where the chain is and two
//!   agents running at once do nothing twice (the chain refuses the second of two equal steps).
//! - Time is the chain's block time, never the wall clock, so a devnet's clock control drives
//!   it.
//! - The [operator] agent runs the market calendar: pairing, settlement, bills, collection and
//!   charging hold expiry; the [meter] agent posts a meter's readings ([readings]); the [site] agent is a site's energy
//!   management system (readings, standing rules, approvals); the [charger] agent simulates an
//!   OCPP 1.6J charger running member sessions ([ocpp_client]).
#![forbid(unsafe_code)]

pub mod charger;
pub mod error;
pub mod meter;
pub mod ocpp_client;
pub mod operator;
pub mod readings;
pub mod site;

pub use error::Error;
