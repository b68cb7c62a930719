//! The GridLedger HTTP API's contract: every JSON shape, request and response, error code, and
//! the traits the API is served through ([NodeApi], [ChargingApi], [PortalApi]), shared by the
//! server (`gridledger-api`), its services (`gridledger-member-service`, `gridledger-portal`) and
//! clients (`gridledger-sdk`).
//!
//! Rules: data and traits only, no server. It depends on `gridledger-types`, serde and light
//! crates, never on an HTTP server or async runtime (no axum, tokio, hyper, tower), so a client
//! built on it carries none (`.ci/run` checks with `cargo tree`: api-types, the SDK and the
//! portal have no axum and no `gridledger-api`; charging no `gridledger-api`). Amounts
//! are integers in milli-won, hashes and addresses lowercase hex. A change here is a change of
//! the wire format: the API's tests and its OpenAPI document must agree.
#![forbid(unsafe_code)]

pub mod authorization;
pub mod charging;
mod client_addr;
pub mod error;
mod metrics;
pub mod node;
pub mod portal;
pub mod views;

pub use charging::*;
pub use client_addr::ClientAddr;
pub use error::{ErrorBody, ErrorCode};
pub use metrics::MetricsSource;
pub use node::*;
pub use portal::{PortalApi, PortalError, SessionView, CSRF_HEADER, SESSION_COOKIE};
pub use views::*;
