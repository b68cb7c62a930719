//! The transaction handlers, one module per domain; each takes the transaction's scratch overlay
//! and its context and returns the events of a success or the [crate::fail::Fail] that undoes it.
pub(crate) mod billing;
pub(crate) mod charging;
pub(crate) mod disputes;
pub(crate) mod ledger;
pub(crate) mod mandates;
pub(crate) mod metering;
pub(crate) mod payments;
pub(crate) mod ppa;
pub(crate) mod registry;
pub(crate) mod settlement;
pub(crate) mod trading;
pub(crate) mod validators;
