//! An in-memory [Backend] that records what it is asked on a channel the test can await.

use async_trait::async_trait;
use gridledger_ocpp::{
    Authorization, Backend, BootInfo, ChargerRef, CostLimit, Credentials, DataTransferReply,
    DtStatus, IdStatus, MeterAnswer, StartDecision, StartTx, StopReply, StopTx, TxKey,
};
use serde_json::{json, Value};
use std::{collections::HashMap, sync::Mutex};
use tokio::sync::mpsc;

/// The member who may charge.
pub const MEMBER: &str = "10000001";
/// The charger with a secret.
pub const SECRET_CHARGER: &str = "CP-SECRET";
/// Its secret.
pub const SECRET: &str = "s3cr3t";
/// Every session's hold: 1,000 won.
pub const HOLD_MWON: u64 = 1_000_000;
/// Price: 300 won per kWh.
pub const PRICE_MWON_PER_KWH: u64 = 300_000;

/// What the backend was told, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Boot(String),
    Connection(String, bool),
    Heartbeat(String),
    Status(String, u32, String),
    Authorize(String, String),
    DataTransfer(String, String, Value),
    Start(String, StartTx),
    Meter(String, TxKey, u64),
    Stop(String, StopTx),
}

pub struct Fake {
    events: mpsc::UnboundedSender<Event>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_session: u64,
    meter_start_wh: HashMap<(String, TxKey), u64>,
}

impl Fake {
    pub fn new() -> (Fake, mpsc::UnboundedReceiver<Event>) {
        let (events, rx) = mpsc::unbounded_channel();
        let state = Mutex::new(State {
            next_session: 100,
            ..State::default()
        });
        (Fake { events, state }, rx)
    }

    fn record(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn cost(&self, charger: &str, tx: &TxKey, energy_wh: u64) -> Option<u64> {
        let state = self.state.lock().unwrap();
        let start = *state
            .meter_start_wh
            .get(&(charger.to_owned(), tx.clone()))?;
        Some(energy_wh.saturating_sub(start) * PRICE_MWON_PER_KWH / 1000)
    }
}

#[async_trait]
impl Backend for Fake {
    async fn credentials(&self, charger: &str, password: Option<&str>) -> Credentials {
        if charger.starts_with("UNKNOWN") {
            Credentials::Unknown
        } else if charger == SECRET_CHARGER && password != Some(SECRET) {
            Credentials::BadSecret
        } else {
            Credentials::Allowed
        }
    }

    async fn boot(&self, c: ChargerRef<'_>, _info: BootInfo) -> bool {
        self.record(Event::Boot(c.id.to_owned()));
        !c.id.starts_with("REJECT")
    }

    /// Chargers named `KNOWN-...` are served after a reconnect without a new boot.
    async fn admitted(&self, charger: &str) -> bool {
        charger.starts_with("KNOWN-")
    }

    async fn connection(&self, charger: &str, online: bool, _now_ms: u64) {
        self.record(Event::Connection(charger.to_owned(), online));
    }

    async fn heartbeat(&self, charger: &str, _now_ms: u64) {
        self.record(Event::Heartbeat(charger.to_owned()));
    }

    async fn status(
        &self,
        charger: &str,
        connector: u32,
        status: String,
        _e: Option<String>,
        _now: u64,
    ) {
        self.record(Event::Status(charger.to_owned(), connector, status));
    }

    async fn authorize(&self, c: ChargerRef<'_>, id_tag: &str) -> Authorization {
        self.record(Event::Authorize(c.id.to_owned(), id_tag.to_owned()));
        if id_tag == MEMBER {
            Authorization {
                status: IdStatus::Accepted,
                balance_mwon: Some(50_000_000),
            }
        } else {
            Authorization {
                status: IdStatus::NoCredit,
                balance_mwon: None,
            }
        }
    }

    async fn data_transfer(
        &self,
        c: ChargerRef<'_>,
        vendor_id: &str,
        _message_id: Option<&str>,
        data: Value,
    ) -> DataTransferReply {
        self.record(Event::DataTransfer(
            c.id.to_owned(),
            vendor_id.to_owned(),
            data.clone(),
        ));
        DataTransferReply {
            status: DtStatus::Accepted,
            data: Some(json!({"echo": data})),
        }
    }

    async fn start(&self, c: ChargerRef<'_>, s: StartTx) -> StartDecision {
        self.record(Event::Start(c.id.to_owned(), s.clone()));
        let mut state = self.state.lock().unwrap();
        let session = state.next_session;
        state.next_session += 1;
        let key = match &s.station_tx_id {
            Some(id) => TxKey::Station(id.clone()),
            None => TxKey::Id(session as i64),
        };
        if s.id_tag != MEMBER {
            return StartDecision {
                session,
                status: IdStatus::Invalid,
                limit: None,
            };
        }
        state
            .meter_start_wh
            .insert((c.id.to_owned(), key), s.meter_start_wh);
        StartDecision {
            session,
            status: IdStatus::Accepted,
            limit: Some(CostLimit {
                hold_mwon: HOLD_MWON,
                price_mwon_per_kwh: PRICE_MWON_PER_KWH,
            }),
        }
    }

    async fn meter(
        &self,
        c: ChargerRef<'_>,
        tx: TxKey,
        energy_wh: u64,
        _now_ms: u64,
    ) -> Option<MeterAnswer> {
        self.record(Event::Meter(c.id.to_owned(), tx.clone(), energy_wh));
        Some(MeterAnswer {
            cost_mwon: self.cost(c.id, &tx, energy_wh)?,
            limit: Some(CostLimit {
                hold_mwon: HOLD_MWON,
                price_mwon_per_kwh: PRICE_MWON_PER_KWH,
            }),
        })
    }

    async fn stop(&self, c: ChargerRef<'_>, s: StopTx) -> StopReply {
        self.record(Event::Stop(c.id.to_owned(), s.clone()));
        let cost = s
            .meter_stop_wh
            .and_then(|wh| self.cost(c.id, &s.tx, wh))
            .map(|cost| cost.min(HOLD_MWON));
        StopReply { cost_mwon: cost }
    }
}
