//! Backend answers to each version's reply payload, and the calls they make us send.

use super::{Fault, Station, StopState, Tx};
use crate::{
    backend::{IdStatus, MeterAnswer, TxKey, Version},
    decimal::{won_ceil, won_text},
    frame::ErrorCode,
    pending::Outgoing,
    request::{Answer, Request},
    time, v16, v201, OcppConfig,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// Sent after an accepted 1.6 boot: no offline charging for unknown ids.
pub const V16_CONFIGURATION: [(&str, &str); 2] = [
    ("AllowOfflineTxForUnknownId", "false"),
    ("LocalAuthorizeOffline", "false"),
];

/// Sent after an accepted 1.6 boot: meter values carry the energy register (what the running
/// cost is priced from).
pub const V16_SAMPLED_DATA: (&str, &str) =
    ("MeterValuesSampledData", "Energy.Active.Import.Register");

/// The ChangeConfigurations after an accepted 1.6 boot: [V16_CONFIGURATION], then
/// `MeterValueSampleInterval` (unless configured 0) and [V16_SAMPLED_DATA].
fn v16_configuration(cfg: &OcppConfig) -> Vec<Outgoing> {
    let change = |key: &'static str, value: String| Outgoing::ChangeConfiguration { key, value };
    let mut calls: Vec<Outgoing> = V16_CONFIGURATION
        .iter()
        .map(|&(key, value)| change(key, value.to_owned()))
        .collect();
    if cfg.meter_sample_interval_s > 0 {
        calls.push(change(
            "MeterValueSampleInterval",
            cfg.meter_sample_interval_s.to_string(),
        ));
    }
    calls.push(change(V16_SAMPLED_DATA.0, V16_SAMPLED_DATA.1.to_owned()));
    calls
}

fn to_json<T: Serialize>(value: T) -> Result<Value, Fault> {
    serde_json::to_value(value)
        .map_err(|_| Fault::new(ErrorCode::InternalError, "reply could not be encoded"))
}

fn empty() -> Value {
    Value::Object(Map::new())
}

impl Station {
    /// The reply payload to `request` given the backend's `answer`, and the calls it makes us
    /// send (not yet queued: [Station::answer] queues them). A mismatched pair, or a 1.6 session
    /// id beyond `i32`, is an `InternalError`.
    pub fn reply(
        &mut self,
        now_ms: u64,
        request: &Request,
        answer: Answer,
    ) -> (Result<Value, Fault>, Vec<Outgoing>) {
        let now_ms = self.clock(now_ms);
        let v = self.version;
        let mut calls = Vec::new();
        let result = match (request, answer) {
            (Request::Boot(_), Answer::Boot(accepted)) => {
                self.booted |= accepted;
                let (status, interval) = if accepted {
                    ("Accepted", self.cfg.heartbeat_interval_s)
                } else {
                    ("Rejected", self.cfg.boot_rejected_interval_s)
                };
                if accepted && v == Version::V16 {
                    calls.extend(v16_configuration(&self.cfg));
                }
                let current_time = time::format_ms(now_ms);
                match v {
                    Version::V16 => to_json(v16::BootNotificationConf {
                        status,
                        current_time,
                        interval,
                    }),
                    Version::V201 => to_json(v201::BootNotificationResponse {
                        current_time,
                        interval,
                        status,
                    }),
                }
            }
            (Request::Heartbeat, Answer::Done) => to_json(v16::HeartbeatConf {
                current_time: time::format_ms(now_ms),
            }),
            (Request::Status { .. }, Answer::Done) => Ok(empty()),
            (Request::Authorize { .. }, Answer::Authorize(auth)) => match v {
                Version::V16 => to_json(v16::AuthorizeConf {
                    id_tag_info: v16::IdTagInfo {
                        status: auth.status.as_str(v),
                    },
                }),
                Version::V201 => to_json(v201::AuthorizeResponse {
                    id_token_info: v201::IdTokenInfo {
                        status: auth.status.as_str(v),
                        personal_message: auth.balance_mwon.map(|b| v201::MessageContent {
                            format: "UTF8",
                            content: format!("Balance {} won", won_text(b)),
                        }),
                    },
                }),
            },
            (Request::DataTransfer { .. }, Answer::DataTransfer(dt)) => match v {
                Version::V16 => to_json(v16::DataTransferConf {
                    status: dt.status.as_str().to_owned(),
                    data: dt.data.map(|d| match d {
                        Value::String(text) => text,
                        other => other.to_string(),
                    }),
                }),
                Version::V201 => to_json(v201::DataTransferResponse {
                    status: dt.status.as_str(),
                    data: dt.data,
                }),
            },
            (Request::Start(start), Answer::Start(decision)) => {
                let key = match (&start.station_tx_id, v) {
                    (Some(id), Version::V201) => Some(TxKey::Station(id.clone())),
                    _ => i64::try_from(decision.session).ok().map(TxKey::Id),
                };
                let status = decision.status.as_str(v);
                if decision.status == IdStatus::Accepted {
                    if let Some(key) = key {
                        self.track(Tx {
                            key,
                            session: Some(decision.session),
                            limit: decision.limit,
                            energy_wh: Some(start.meter_start_wh),
                            stop: StopState::NotRequested,
                        });
                    }
                }
                match v {
                    Version::V16 => match i32::try_from(decision.session) {
                        Ok(transaction_id) => to_json(v16::StartTransactionConf {
                            id_tag_info: v16::IdTagInfo { status },
                            transaction_id,
                        }),
                        Err(_) => Err(Fault::new(
                            ErrorCode::InternalError,
                            "session id does not fit a 1.6 transactionId",
                        )),
                    },
                    Version::V201 => to_json(v201::TransactionEventResponse {
                        total_cost: None,
                        id_token_info: Some(v201::IdTokenInfo {
                            status,
                            personal_message: None,
                        }),
                    }),
                }
            }
            (Request::Meter { tx, energy_wh }, Answer::Meter(meter)) => {
                if let Some(meter) = meter {
                    self.metered(tx, *energy_wh, meter, &mut calls);
                }
                match v {
                    Version::V16 => Ok(empty()),
                    Version::V201 => to_json(v201::TransactionEventResponse {
                        total_cost: meter.map(|m| won_ceil(m.cost_mwon)),
                        id_token_info: None,
                    }),
                }
            }
            (Request::Stop(stop), Answer::Stop(reply)) => {
                self.ended(&stop.tx);
                if let (Some(cost_mwon), Version::V16, true) =
                    (reply.cost_mwon, v, self.cfg.cost_messages)
                {
                    calls.push(Outgoing::Cost {
                        tx: stop.tx.clone(),
                        cost_mwon,
                        energy_wh: stop.meter_stop_wh,
                        last: true,
                    });
                }
                let accepted = stop.id_tag.as_ref().map(|_| IdStatus::Accepted.as_str(v));
                match v {
                    Version::V16 => to_json(v16::StopTransactionConf {
                        id_tag_info: accepted.map(|status| v16::IdTagInfo { status }),
                    }),
                    Version::V201 => to_json(v201::TransactionEventResponse {
                        total_cost: reply.cost_mwon.map(won_ceil),
                        id_token_info: accepted.map(|status| v201::IdTokenInfo {
                            status,
                            personal_message: None,
                        }),
                    }),
                }
            }
            _ => Err(Fault::new(
                ErrorCode::InternalError,
                "backend answer does not match the request",
            )),
        };
        (result, calls)
    }

    /// A priced reading: RemoteStop once the cost reaches the hold minus the margin; a 1.6
    /// running-cost message if enabled. An untracked transaction whose answer carries a limit
    /// (started before a reconnect or a restart) is tracked from now on; a limit in the answer
    /// replaces the tracked one.
    fn metered(
        &mut self,
        tx: &TxKey,
        energy_wh: u64,
        meter: MeterAnswer,
        calls: &mut Vec<Outgoing>,
    ) {
        let MeterAnswer { cost_mwon, limit } = meter;
        let margin = self.cfg.stop_margin_mwon;
        if let Some(limit) = limit.filter(|_| !self.txs.iter().any(|t| t.key == *tx)) {
            tracing::info!(charger = %self.charger, ?tx, "ocpp: reading of an untracked transaction with a limit, tracking it");
            let session = match tx {
                TxKey::Id(id) => u64::try_from(*id).ok(),
                TxKey::Station(_) => None,
            };
            self.track(Tx {
                key: tx.clone(),
                session,
                limit: Some(limit),
                energy_wh: None,
                stop: StopState::NotRequested,
            });
        }
        if let Some(t) = self.txs.iter_mut().find(|t| t.key == *tx) {
            t.energy_wh = Some(t.energy_wh.map_or(energy_wh, |e| e.max(energy_wh)));
            if limit.is_some() {
                t.limit = limit;
            }
            let reached = t
                .limit
                .is_some_and(|l| cost_mwon >= l.hold_mwon.saturating_sub(margin));
            if reached && t.stop == StopState::NotRequested {
                t.stop = StopState::Requested;
                // One the gateway asked for (e.g. after a reconnect) is not repeated.
                if !self.pending.has_remote_stop(tx) {
                    tracing::info!(charger = %self.charger, ?tx, cost_mwon, "ocpp: hold reached, RemoteStop");
                    calls.push(Outgoing::RemoteStop {
                        tx: tx.clone(),
                        attempt: 1,
                    });
                }
            }
        }
        if self.version == Version::V16 && self.cfg.cost_messages {
            calls.push(Outgoing::Cost {
                tx: tx.clone(),
                cost_mwon,
                energy_wh: Some(energy_wh),
                last: false,
            });
        }
    }
}
