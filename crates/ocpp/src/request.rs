//! Version-neutral requests from a charger to the [Backend], and the backend's answers.
//!
//! [crate::Station::handle_call] turns a CALL into a [Request]; [ask] puts it to the backend;
//! [crate::Station::reply] turns the [Answer] into the version's reply.

use crate::backend::{
    Authorization, Backend, BootInfo, ChargerRef, DataTransferReply, MeterAnswer, StartDecision,
    StartTx, StopReply, StopTx, TxKey,
};
use serde_json::Value;

/// What a charger's call asks of the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// BootNotification.
    Boot(BootInfo),
    /// Heartbeat.
    Heartbeat,
    /// StatusNotification.
    Status {
        /// 1.6 connectorId / 2.0.1 evseId.
        connector: u32,
        /// The status.
        status: String,
        /// 1.6 errorCode.
        error_code: Option<String>,
    },
    /// Authorize.
    Authorize {
        /// Id tag / id token.
        id_tag: String,
    },
    /// DataTransfer.
    DataTransfer {
        /// Vendor.
        vendor_id: String,
        /// Message id.
        message_id: Option<String>,
        /// Data (1.6 JSON text parsed when it is JSON).
        data: Value,
    },
    /// StartTransaction / TransactionEvent with an id token.
    Start(StartTx),
    /// MeterValues / TransactionEvent with an energy reading.
    Meter {
        /// The transaction.
        tx: TxKey,
        /// Energy register, Wh.
        energy_wh: u64,
    },
    /// StopTransaction / TransactionEvent Ended.
    Stop(StopTx),
}

/// The backend's answer to a [Request].
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// To Boot: accepted?
    Boot(bool),
    /// To Heartbeat and Status.
    Done,
    /// To Authorize.
    Authorize(Authorization),
    /// To DataTransfer.
    DataTransfer(DataTransferReply),
    /// To Start.
    Start(StartDecision),
    /// To Meter: running cost and cost ceiling, if the transaction is known.
    Meter(Option<MeterAnswer>),
    /// To Stop.
    Stop(StopReply),
}

/// Puts `request` to the backend. An accepted boot also reports the charger online.
pub async fn ask(
    backend: &dyn Backend,
    c: ChargerRef<'_>,
    now_ms: u64,
    request: &Request,
) -> Answer {
    match request {
        Request::Boot(info) => {
            let accepted = backend.boot(c, info.clone()).await;
            if accepted {
                backend.connection(c.id, true, now_ms).await;
            }
            Answer::Boot(accepted)
        }
        Request::Heartbeat => {
            backend.heartbeat(c.id, now_ms).await;
            Answer::Done
        }
        Request::Status {
            connector,
            status,
            error_code,
        } => {
            backend
                .status(c.id, *connector, status.clone(), error_code.clone(), now_ms)
                .await;
            Answer::Done
        }
        Request::Authorize { id_tag } => Answer::Authorize(backend.authorize(c, id_tag).await),
        Request::DataTransfer {
            vendor_id,
            message_id,
            data,
        } => Answer::DataTransfer(
            backend
                .data_transfer(c, vendor_id, message_id.as_deref(), data.clone())
                .await,
        ),
        Request::Start(s) => Answer::Start(backend.start(c, s.clone()).await),
        Request::Meter { tx, energy_wh } => {
            Answer::Meter(backend.meter(c, tx.clone(), *energy_wh, now_ms).await)
        }
        Request::Stop(s) => Answer::Stop(backend.stop(c, s.clone()).await),
    }
}
