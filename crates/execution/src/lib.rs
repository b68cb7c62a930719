//! GridLedger's deterministic state machine: it turns a state and a block of signed transactions
//! into a write-set, receipts and a state root.
//!
//! Rules: no I/O, no async, no clock (the block's `timestamp_ms` is an input), no floats and no
//! hash-ordered collections (enforced by this crate's `clippy.toml`). Nothing here panics on
//! input: every failure of a transaction becomes its receipt, with a [FailCode].
//!
//! # Where it lives
//! Layers, lowest first; a module imports only from layers below it, and the domain modules of
//! one layer do not import each other's handlers:
//!
//! | layer | job |
//! |---|---|
//! | [fail] | every failure code ([FailCode]) with its meaning; [Fail] |
//! | [state] | keys, values, [StateRead], write-sets, [Layered] reads (`state/mod.rs`); per domain, its records, their encoding and lookups (`state/<domain>.rs`) |
//! | `scratch` | one transaction's write overlay, [BlockEnv], the `TxCtx` every handler takes, role checks |
//! | `tx` | the handlers, one module per domain: `fn(s, cx, <payload fields>) -> Result<Vec<Event>, Fail>` |
//! | [executor] | admission, the block builder, the one dispatch from payload to handler, the state root |
//! | [view] | read-side computations (bills, charging, directory, report, forecast); reads [state] only |
//! | [genesis], [invariants] | the first state; the checks run after every block in tests |
//!
//! A new domain is `state/<x>.rs` + `tx/<x>.rs` + one arm in `executor::apply_payload`.
//! The module paths of before the layering (`billing`, `charging_view`, ...) are re-exports.
#![forbid(unsafe_code)]
#![deny(clippy::float_arithmetic)]

mod error;
pub mod executor;
pub mod fail;
pub mod genesis;
pub mod invariants;
pub(crate) mod scratch;
pub mod state;
pub(crate) mod tx;
pub mod view;

// The module paths of before the layering, kept for callers.
pub use state::{
    billing, charging, charging as charging_state, escrow, mandates, metering, payments, ppa,
    settlement, trading, validators,
};
pub use view::{billing as billing_view, charging as charging_view, directory, forecast, report};

#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;

pub use error::Error;
pub use executor::{
    admission_check, execute_block, state_root, verify_signatures_batch, BlockBuilder,
    BlockOutcome, Rejection, SigCheck, STATE_ROOT_DOMAIN,
};
pub use fail::{Fail, FailCode, FAILURE_MESSAGE_MAX_BYTES};
pub use genesis::{genesis_outcome, validate_validators, Genesis};
pub use invariants::check_invariants;
pub use metering::{
    interval_energy, meter, month_totals, site, IntervalEnergy, MeterState, MonthTotals, Site,
    TARIFF_CLASSES,
};
pub use scratch::BlockEnv;
pub use settlement::{line as settlement_line, measured, period_end, SettlementLine};
pub use state::{
    account, apply_writes, device, hold, participant, supply, AccountState, Device, Hold, Layered,
    Participant, StateKey, StateRead, StateValue, WriteSet,
};
pub use trading::{
    contracts, gate_closure_ms, intentions, market, order_book, period, Contract, Intention,
    PeriodState, MAX_INTENTIONS_PER_PERIOD,
};
pub use validators::{
    epoch_at_height, epoch_length, scheduled_after, validator_record, validators_at,
};
pub use view::directory::{directory, Directory};
