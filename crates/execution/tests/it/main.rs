//! Integration tests of the execution crate (one binary).
mod batch;
mod billing;
mod charging;
mod codec;
mod determinism;
mod escrow;
mod forecast;
mod inclusion;
mod invariants;
mod mandate_money;
mod mandates;
mod metering;
mod model;
mod ppa;
mod recorded_chain;
mod trading;
mod validators;
