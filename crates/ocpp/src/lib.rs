#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod backend;
mod config;
pub mod decimal;
mod error;
pub mod frame;
pub mod pending;
pub mod request;
pub mod schema;
pub mod server;
pub mod station;
pub mod time;
pub mod v16;
pub mod v201;

pub use backend::{
    Authorization, Backend, BootInfo, ChargerRef, CostLimit, Credentials, DataTransferReply,
    DtStatus, IdStatus, MeterAnswer, StartDecision, StartTx, StopReply, StopTx, TxKey, Version,
};
pub use config::OcppConfig;
pub use error::Error;
pub use frame::{ErrorCode, Frame, FramePart};
pub use pending::Outgoing;
pub use request::{ask, Answer, Request};
pub use server::{router, serve, Gateway};
pub use station::{Fault, Incoming, Station, Step, StopState};
