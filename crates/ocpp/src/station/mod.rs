//! The per-connection OCPP state machine, without I/O.
//!
//! Time is an argument (`now_ms`; it never goes back: an earlier value is read as the latest).
//! Text in, text out: [Station::on_text] reads a frame and either answers at once or returns a
//! [Request] for the backend, whose [Answer] goes to [Station::answer]. Our own calls wait in a
//! [Pending] queue; [Station::poll] hands out the next one and expires the outstanding one.
//!
//! The station tracks the transactions started on this connection (session, limit, last
//! energy, stop state) to RemoteStop one whose running cost reaches its hold minus the margin.
//! A priced meter reading of a transaction it does not track (started on an earlier connection,
//! before a reconnect or a node restart) is tracked from then on if the backend's answer carries
//! a limit, and stopped at once if it is already at the hold.
//! A RemoteStop goes ahead of our other queued calls and shortens the wait for the one on the
//! wire to `stop_wait_ms`; timed out, rejected or answered with a CALLERROR it is retried once
//! (unless the transaction's stop arrived meanwhile), then flagged. Every field a call carries
//! that we read is checked first ([crate::schema]); a violation is answered with its code.
//! Protocol errors (malformed frames and payloads) are answered and counted: [ERROR_BUDGET] in
//! [ERROR_WINDOW_MS] closes the connection with 1008. Unknown actions are answered
//! `NotImplemented` and not counted. Before a boot is accepted on the connection, every call but
//! `BootNotification` is answered `SecurityError` ([BOOT_FIRST]), not counted either.

mod calls;
mod replies;

pub use calls::BOOT_FIRST;
#[cfg(test)]
mod tests;

use crate::{
    backend::{ChargerRef, CostLimit, TxKey, Version},
    frame::{ErrorCode, Frame, FramePart},
    pending::{Outgoing, Pending, Sent},
    request::{Answer, Request},
    v16, v201, Error, OcppConfig,
};
use serde_json::{json, Value};
use std::collections::VecDeque;

/// Protocol errors that close a connection ...
pub const ERROR_BUDGET: usize = 10;
/// ... within this window.
pub const ERROR_WINDOW_MS: u64 = 60_000;
/// Close code for too many protocol errors (policy violation).
pub const CLOSE_POLICY: u16 = 1008;
/// Transactions tracked per connection (the oldest is forgotten beyond).
pub const TX_MAX: usize = 16;
/// Flagged transactions remembered per connection.
pub const FLAGGED_MAX: usize = 16;

/// A CALLERROR we answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The code (spelled per version on the wire).
    pub code: ErrorCode,
    /// What is wrong, never echoing input values.
    pub description: String,
}

impl Fault {
    fn new(code: ErrorCode, description: impl Into<String>) -> Fault {
        Fault {
            code,
            description: description.into(),
        }
    }
}

/// What to do with a charger's call.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Answer at once with this payload.
    Reply(Value),
    /// Answer at once with a CALLERROR.
    Error(Fault),
    /// Ask the backend, then call [Station::answer].
    Ask(Request),
}

/// What to do with a text message from the charger.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// Send this text (a CALLRESULT or CALLERROR).
    Send(String),
    /// Ask the backend, then send [Station::answer]'s text.
    Ask {
        /// The call's message id.
        id: String,
        /// What to ask.
        request: Request,
    },
    /// Nothing to send (an answer to one of our calls).
    Nothing,
    /// Close the connection.
    Close {
        /// WebSocket close code.
        code: u16,
        /// Close reason.
        reason: &'static str,
    },
}

/// Where a tracked transaction's RemoteStop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopState {
    /// Not asked.
    NotRequested,
    /// Asked (queued, sent, or accepted by the charger).
    Requested,
    /// Asked twice without success: needs an operator (or the backend's soft stop).
    Flagged,
}

#[derive(Debug, Clone)]
struct Tx {
    key: TxKey,
    /// `None` for a 2.0.1 transaction first seen in a meter reading.
    session: Option<u64>,
    limit: Option<CostLimit>,
    energy_wh: Option<u64>,
    stop: StopState,
}

/// One charger connection's OCPP state.
#[derive(Debug)]
pub struct Station {
    charger: String,
    version: Version,
    cfg: OcppConfig,
    now_ms: u64,
    booted: bool,
    txs: VecDeque<Tx>,
    pending: Pending,
    errors: VecDeque<u64>,
    flagged: VecDeque<TxKey>,
    /// Transactions whose stop arrived on this connection (the most recent [TX_MAX]): a
    /// RemoteStop for one of them that then fails is not retried.
    stopped: VecDeque<TxKey>,
}

impl Station {
    /// A fresh connection of `charger` speaking `version`.
    pub fn new(charger: impl Into<String>, version: Version, cfg: OcppConfig) -> Station {
        let pending = Pending::new(cfg.call_timeout_ms);
        Station {
            charger: charger.into(),
            version,
            cfg,
            now_ms: 0,
            booted: false,
            txs: VecDeque::new(),
            pending,
            errors: VecDeque::new(),
            flagged: VecDeque::new(),
            stopped: VecDeque::new(),
        }
    }

    /// The charger and version, as the backend sees them.
    pub fn charger(&self) -> ChargerRef<'_> {
        ChargerRef {
            id: &self.charger,
            version: self.version,
        }
    }

    /// The connection's OCPP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether a boot was accepted on this connection.
    pub fn booted(&self) -> bool {
        self.booted
    }

    /// Serves this connection as booted (the backend admitted a charger that reconnected
    /// without a new BootNotification).
    pub fn admit(&mut self) {
        self.booted = true;
    }

    /// The RemoteStop state of a tracked transaction.
    pub fn stop_state(&self, tx: &TxKey) -> Option<StopState> {
        self.txs.iter().find(|t| t.key == *tx).map(|t| t.stop)
    }

    /// The session id of a tracked transaction (not known for a 2.0.1 transaction first seen in
    /// a meter reading: see [Station::stop_state]).
    pub fn session(&self, tx: &TxKey) -> Option<u64> {
        self.txs
            .iter()
            .find(|t| t.key == *tx)
            .and_then(|t| t.session)
    }

    /// The last energy reading of a tracked transaction.
    pub fn energy_wh(&self, tx: &TxKey) -> Option<u64> {
        self.txs
            .iter()
            .find(|t| t.key == *tx)
            .and_then(|t| t.energy_wh)
    }

    /// Transactions whose RemoteStop failed twice (most recent last).
    pub fn flagged(&self) -> impl Iterator<Item = &TxKey> {
        self.flagged.iter()
    }

    /// The outstanding call, if any.
    pub fn outstanding(&self) -> Option<&Sent> {
        self.pending.outstanding()
    }

    /// Calls waiting behind the outstanding one.
    pub fn queued(&self) -> usize {
        self.pending.queued()
    }

    /// When [Station::poll] next has work without input (the outstanding call's deadline).
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.pending.deadline_ms()
    }

    fn clock(&mut self, now_ms: u64) -> u64 {
        self.now_ms = self.now_ms.max(now_ms);
        self.now_ms
    }

    /// Counts a protocol error; true if the budget is spent and the connection must close.
    fn protocol_error(&mut self, now_ms: u64) -> bool {
        while self
            .errors
            .front()
            .is_some_and(|t| t.saturating_add(ERROR_WINDOW_MS) <= now_ms)
        {
            self.errors.pop_front();
        }
        self.errors.push_back(now_ms);
        self.errors.len() >= ERROR_BUDGET
    }

    fn error_text(&self, id: &str, fault: &Fault) -> String {
        Frame::error(id, fault.code, self.version, &fault.description).to_text()
    }

    /// Reads one text message from the charger.
    pub fn on_text(&mut self, now_ms: u64, text: &str) -> Incoming {
        let now_ms = self.clock(now_ms);
        match Frame::parse(text) {
            Err(Error::Frame { part, id, reply }) => {
                if self.protocol_error(now_ms) {
                    return Incoming::Close {
                        code: CLOSE_POLICY,
                        reason: "too many protocol errors",
                    };
                }
                if !reply {
                    tracing::debug!(charger = %self.charger, %part, "ocpp: malformed answer ignored");
                    return Incoming::Nothing;
                }
                let code = match part {
                    FramePart::MessageType => ErrorCode::MessageTypeNotSupported,
                    FramePart::Id => ErrorCode::RpcFrameworkError,
                    _ => ErrorCode::FormatViolation,
                };
                let id = id.unwrap_or_else(|| "-1".to_owned());
                Incoming::Send(self.error_text(&id, &Fault::new(code, part.to_string())))
            }
            Err(_) => Incoming::Nothing,
            Ok(Frame::Call {
                id,
                action,
                payload,
            }) => match self.handle_call(now_ms, &action, payload) {
                Step::Reply(payload) => Incoming::Send(Frame::CallResult { id, payload }.to_text()),
                Step::Error(fault) => {
                    tracing::info!(charger = %self.charger, %action, code = ?fault.code,
                        description = %fault.description, "ocpp: call refused");
                    let counted = !matches!(
                        fault.code,
                        ErrorCode::NotImplemented | ErrorCode::SecurityError
                    );
                    if counted && self.protocol_error(now_ms) {
                        return Incoming::Close {
                            code: CLOSE_POLICY,
                            reason: "too many protocol errors",
                        };
                    }
                    Incoming::Send(self.error_text(&id, &fault))
                }
                Step::Ask(request) => Incoming::Ask { id, request },
            },
            Ok(Frame::CallResult { id, payload }) => {
                self.on_answer(now_ms, &id, Ok(&payload));
                Incoming::Nothing
            }
            Ok(Frame::CallError { id, code, .. }) => {
                self.on_answer(now_ms, &id, Err(&code));
                Incoming::Nothing
            }
        }
    }

    /// Builds the frame answering call `id` from the backend's answer, and queues our calls.
    pub fn answer(&mut self, now_ms: u64, id: &str, request: &Request, answer: Answer) -> String {
        let (result, calls) = self.reply(now_ms, request, answer);
        for call in calls {
            self.enqueue(now_ms, call);
        }
        match result {
            Ok(payload) => Frame::CallResult {
                id: id.to_owned(),
                payload,
            }
            .to_text(),
            Err(fault) => self.error_text(id, &fault),
        }
    }

    /// Queues one of our calls at `now_ms`; false if refused (queue full of RemoteStops).
    pub fn queue(&mut self, now_ms: u64, call: Outgoing) -> bool {
        self.enqueue(now_ms, call)
    }

    /// Queues a call. A RemoteStop goes ahead of the other queued calls, and an outstanding
    /// call that is not a RemoteStop gets at most `stop_wait_ms` more to be answered.
    fn enqueue(&mut self, now_ms: u64, call: Outgoing) -> bool {
        let now_ms = self.clock(now_ms);
        let stop = matches!(call, Outgoing::RemoteStop { .. });
        let queued = self.pending.push(call);
        if queued && stop {
            self.pending
                .hurry(now_ms.saturating_add(self.cfg.stop_wait_ms));
        }
        queued
    }

    /// Asks the charger to stop `tx` (from the gateway). A stop already queued or outstanding
    /// for it is not repeated; a flagged transaction is asked again.
    pub fn remote_stop(&mut self, now_ms: u64, tx: TxKey) -> bool {
        if let Some(t) = self.txs.iter_mut().find(|t| t.key == tx) {
            t.stop = StopState::Requested;
        }
        if self.pending.has_remote_stop(&tx) {
            return true;
        }
        self.enqueue(now_ms, Outgoing::RemoteStop { tx, attempt: 1 })
    }

    /// Expires the outstanding call if due and returns the next call to send, as text.
    pub fn poll(&mut self, now_ms: u64) -> Option<String> {
        let now_ms = self.clock(now_ms);
        if let Some(sent) = self.pending.expired(now_ms) {
            tracing::warn!(charger = %self.charger, call = ?sent.call, "ocpp: our call timed out");
            self.failed(sent.call);
        }
        while let Some(call) = self.pending.pop() {
            match self.render(now_ms, &call) {
                Some((action, payload)) => {
                    let id = self.pending.sent(call, now_ms);
                    return Some(
                        Frame::Call {
                            id,
                            action: action.to_owned(),
                            payload,
                        }
                        .to_text(),
                    );
                }
                None => {
                    tracing::warn!(charger = %self.charger, ?call, "ocpp: call does not fit the version, dropped");
                }
            }
        }
        None
    }

    /// A CALLRESULT (`Ok`) or CALLERROR (`Err(code)`) to one of our calls.
    fn on_answer(&mut self, _now_ms: u64, id: &str, answer: Result<&Value, &str>) {
        let Some(sent) = self.pending.take(id) else {
            tracing::debug!(charger = %self.charger, id, "ocpp: answer to no call of ours, ignored");
            return;
        };
        let status = match answer {
            Ok(payload) => serde_json::from_value::<v16::StatusConf>(payload.clone())
                .map(|s| s.status)
                .unwrap_or_default(),
            Err(code) => {
                tracing::warn!(charger = %self.charger, call = ?sent.call, code, "ocpp: our call failed");
                String::new()
            }
        };
        match &sent.call {
            Outgoing::RemoteStop { .. } if status == "Accepted" => {}
            Outgoing::RemoteStop { .. } => self.failed(sent.call),
            Outgoing::ChangeConfiguration { key, .. } => {
                if status != "Accepted" && status != "RebootRequired" {
                    tracing::warn!(charger = %self.charger, key, status, "ocpp: configuration refused");
                }
            }
            Outgoing::Cost { .. } => {}
        }
    }

    /// One of our calls failed (rejected, CALLERROR, or timed out): retry a RemoteStop once,
    /// unless the transaction's stop has arrived meanwhile.
    fn failed(&mut self, call: Outgoing) {
        let Outgoing::RemoteStop { tx, attempt } = call else {
            return;
        };
        if self.stopped.contains(&tx) {
            return;
        }
        if attempt < 2 {
            self.pending.push(Outgoing::RemoteStop { tx, attempt: 2 });
            return;
        }
        tracing::warn!(charger = %self.charger, ?tx, "ocpp: RemoteStop failed twice, flagged");
        if let Some(t) = self.txs.iter_mut().find(|t| t.key == tx) {
            t.stop = StopState::Flagged;
        }
        if self.flagged.len() >= FLAGGED_MAX {
            self.flagged.pop_front();
        }
        self.flagged.push_back(tx);
    }

    /// The action and payload of one of our calls in this version; `None` if it does not fit.
    fn render(&self, now_ms: u64, call: &Outgoing) -> Option<(&'static str, Value)> {
        use crate::decimal::won_ceil;
        match (self.version, call) {
            (
                Version::V16,
                Outgoing::RemoteStop {
                    tx: TxKey::Id(id), ..
                },
            ) => {
                let transaction_id = i32::try_from(*id).ok()?;
                let req = v16::RemoteStopTransactionReq { transaction_id };
                Some(("RemoteStopTransaction", serde_json::to_value(req).ok()?))
            }
            (
                Version::V201,
                Outgoing::RemoteStop {
                    tx: TxKey::Station(id),
                    ..
                },
            ) => {
                let req = v201::RequestStopTransactionRequest {
                    transaction_id: id.clone(),
                };
                Some(("RequestStopTransaction", serde_json::to_value(req).ok()?))
            }
            (Version::V16, Outgoing::ChangeConfiguration { key, value }) => {
                let req = v16::ChangeConfigurationReq {
                    key: (*key).to_owned(),
                    value: value.clone(),
                };
                Some(("ChangeConfiguration", serde_json::to_value(req).ok()?))
            }
            (
                Version::V16,
                Outgoing::Cost {
                    tx: TxKey::Id(id),
                    cost_mwon,
                    energy_wh,
                    last,
                },
            ) => {
                let cost = won_ceil(*cost_mwon);
                let (message_id, data) = if *last {
                    let text = format!("{} won", crate::decimal::won_text(*cost_mwon));
                    (
                        "FinalCost",
                        json!({"transactionId": id, "cost": cost, "priceText": text}),
                    )
                } else {
                    let mut data = json!({
                        "transactionId": id,
                        "timestamp": crate::time::format_ms(now_ms),
                        "cost": cost,
                        "state": "Charging",
                    });
                    if let (Some(wh), Some(map)) = (energy_wh, data.as_object_mut()) {
                        map.insert("meterValue".to_owned(), json!(wh));
                    }
                    ("RunningCost", data)
                };
                let req = v16::DataTransferReq {
                    vendor_id: v16::COSTMSG_VENDOR.to_owned(),
                    message_id: Some(message_id.to_owned()),
                    data: Some(Value::String(data.to_string())),
                };
                Some(("DataTransfer", serde_json::to_value(req).ok()?))
            }
            (
                Version::V201,
                Outgoing::Cost {
                    tx: TxKey::Station(id),
                    cost_mwon,
                    ..
                },
            ) => {
                let req = v201::CostUpdatedRequest {
                    total_cost: won_ceil(*cost_mwon),
                    transaction_id: id.clone(),
                };
                Some(("CostUpdated", serde_json::to_value(req).ok()?))
            }
            _ => None,
        }
    }

    /// Notes that `tx` stopped: it is tracked no more, and its queued calls but a final cost
    /// are dropped.
    fn ended(&mut self, tx: &TxKey) {
        self.txs.retain(|t| t.key != *tx);
        self.pending.forget(tx);
        if !self.stopped.contains(tx) {
            if self.stopped.len() >= TX_MAX {
                self.stopped.pop_front();
            }
            self.stopped.push_back(tx.clone());
        }
    }

    fn track(&mut self, tx: Tx) {
        self.txs.retain(|t| t.key != tx.key);
        if self.txs.len() >= TX_MAX {
            self.txs.pop_front();
        }
        self.txs.push_back(tx);
    }
}
