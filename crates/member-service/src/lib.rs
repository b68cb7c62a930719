//! The charging operator's member service: members' keys sealed under their passwords,
//! certification with lockout, member-signed prepayments, a durable outbox that settles stops
//! on chain, expiry sweeps, and the OCPP backend that connects real chargers to all of it.
//!
//! Rules: it talks to the node only through `gridledger-api-types` traits (never the server
//! crate); passwords and member keys never leave it or reach a log; a charge is paid only by
//! the chain's three transactions (prepay, cancel, settle), and a stop is stored durably before
//! it is acknowledged to the charger, so a crash never loses or doubles a settlement.
#![forbid(unsafe_code)]

pub mod api;
pub mod backend;
pub mod chain;
mod error;
/// Password lockout, shared with the dashboard's sign-in (lives in the SDK).
pub use gridledger_sdk::lockout;
pub mod password;
pub mod service;
pub mod store;
pub mod worker;

pub use error::Error;
pub use service::{Service, ServiceConfig};

use gridledger_api_types::ErrorCode;
use gridledger_types::{ChargerId, SessionState, StopReason};

/// The operator's soft stop of a stuck session: a remote stop if the charger is connected,
/// else a stop at the last known meter. Returns which.
pub fn soft_stop(svc: &Service, charger: &ChargerId, session: u64) -> Result<&'static str, Error> {
    let s = svc.chain.session(charger, session)?.ok_or_else(|| {
        Error::refused(
            ErrorCode::NotFound,
            format!("no session {session} at {charger}"),
        )
    })?;
    if s.state != SessionState::Prepaid {
        return Err(Error::refused(
            ErrorCode::SessionNotOpen,
            "the session has already ended",
        ));
    }
    if svc.request_remote_stop(charger.as_str(), session) {
        return Ok("remote_stop");
    }
    let energy = svc
        .store
        .live(charger, session)?
        .map(|l| l.last_meter_wh.saturating_sub(l.meter_start_wh))
        .unwrap_or(0);
    svc.stop(charger, session, energy, 0, StopReason::SoftStop)?;
    Ok("settle_at_last_meter")
}
