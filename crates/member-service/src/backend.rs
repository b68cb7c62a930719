//! The OCPP backend: what a connected charger's messages do to members and the chain.
//!
//! Identify (`Authorize`: member number or card), certify and prepay through our vendor
//! `DataTransfer` (`kr.gridledger`: `Certify {idTag, password}`, `Prepay {idTag, password,
//! connectorId, amountWon}`), or prepay by the operator within a member's auto-charge cap when
//! an RFID card is authorised. A start links the member's prepaid session (a refused start
//! still gets a fresh id); meter values give the running cost; a stop goes to the outbox at
//! once and is answered with the cost.
use crate::{
    lockout::charger_source, password::Password, service::Certified, store::LiveSession, Error,
    Service,
};
use gridledger_execution::charging_view::MemberView;
use gridledger_ocpp::{
    backend::{
        Authorization, Backend, BootInfo, ChargerRef, CostLimit, Credentials, DataTransferReply,
        DtStatus, IdStatus, StartDecision, StartTx, StopReply, StopTx, TxKey, Version,
    },
    Gateway,
};
use gridledger_types::{ChargerId, MilliWon, SessionState, StopReason};
use serde_json::{json, Value};
use std::sync::Arc;

/// Our vendor id in `DataTransfer`.
pub const VENDOR_ID: &str = "kr.gridledger";

pub struct OcppBackend(pub Arc<Service>);

impl OcppBackend {
    /// Lets the service's soft stop reach connected chargers through `gateway`.
    pub fn attach(svc: &Arc<Service>, gateway: Gateway) {
        let s = svc.clone();
        let _ = svc
            .remote_stop
            .set(Arc::new(move |charger: &str, session: u64| {
                let Ok(id) = ChargerId::new(charger) else {
                    return false;
                };
                let key = match gateway.version(charger) {
                    Some(Version::V16) => TxKey::Id(session as i64),
                    Some(Version::V201) => match s.store.live(&id, session).ok().flatten() {
                        Some(l) => match l.station_tx {
                            Some(t) => TxKey::Station(t),
                            None => return false,
                        },
                        None => return false,
                    },
                    None => return false,
                };
                gateway.remote_stop(charger, key).is_ok()
            }));
    }

    /// The member an idTag names: a card first, else a member number. `true` if by card.
    fn member_of(&self, id_tag: &str) -> Result<Option<(MemberView, bool)>, Error> {
        if let Some(m) = self.0.chain.member_by_card(id_tag)? {
            return Ok(Some((m, true)));
        }
        match id_tag.parse::<u64>() {
            Ok(no) if no >= gridledger_types::FIRST_MEMBER_NO => {
                Ok(self.0.chain.member(no)?.map(|m| (m, false)))
            }
            _ => Ok(None),
        }
    }

    fn session_of(&self, charger: &ChargerId, tx: &TxKey) -> Option<u64> {
        match tx {
            TxKey::Id(i) => u64::try_from(*i).ok(),
            TxKey::Station(t) => self.0.store.station_tx(charger, t).ok().flatten(),
        }
    }

    fn status_of(&self, m: &MemberView) -> IdStatus {
        if m.status == "blocked" {
            IdStatus::Blocked
        } else if m.valid_until_ms != 0 && self.0.chain.now_ms() > m.valid_until_ms {
            IdStatus::Expired
        } else {
            IdStatus::Accepted
        }
    }

    /// RFID auto-charge: the operator prepays min(cap, balance, max prepay).
    async fn auto_prepay(&self, charger: &ChargerId, m: &MemberView, id_tag: &str) -> IdStatus {
        let svc = &self.0;
        let Some(a) = m
            .auto_charge
            .as_ref()
            .filter(|a| &a.operator == svc.operator())
        else {
            return IdStatus::Accepted;
        };
        let max = svc
            .chain
            .config(svc.operator())
            .ok()
            .flatten()
            .map_or(0, |c| c.max_prepay.0);
        let amount = a.cap_mwon.min(m.balance_mwon).min(max);
        if amount == 0 {
            return IdStatus::NoCredit;
        }
        match svc
            .prepay_signed(
                charger,
                1,
                m.member_no,
                &svc.cfg.operator_key,
                &m.address,
                MilliWon(amount),
                id_tag,
            )
            .await
        {
            Ok(_) => IdStatus::Accepted,
            Err(Error::Refused { code, .. }) if code == "concurrent_session" => {
                IdStatus::ConcurrentTx
            }
            Err(e) => {
                tracing::warn!(error = %e, %charger, "auto-charge prepayment failed");
                IdStatus::NoCredit
            }
        }
    }

    async fn data(&self, charger: &ChargerId, message: &str, data: &Value) -> DataTransferReply {
        let s = |k: &str| {
            data.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let n = |k: &str| data.get(k).and_then(Value::as_u64);
        let id_tag = s("idTag");
        let reject = |result: &str| DataTransferReply {
            status: DtStatus::Rejected,
            data: Some(json!({ "result": result })),
        };
        let Ok(password) = Password::new(s("password")) else {
            return reject("invalid");
        };
        let member_no = match self.member_of(&id_tag) {
            Ok(Some((m, _))) => m.member_no,
            // An unknown number still costs a KDF run in certify.
            _ => id_tag.parse::<u64>().unwrap_or(0),
        };
        match message {
            "Certify" => match self
                .0
                .certify(member_no, password, &charger_source(charger.as_str()))
                .await
            {
                Ok(c) => {
                    let balance = match &c {
                        Certified::Accepted(km) => Some(km.1.balance_mwon / 1_000),
                        _ => None,
                    };
                    DataTransferReply {
                        status: DtStatus::Accepted,
                        data: Some(json!({"result": c.label(), "balanceWon": balance})),
                    }
                }
                Err(e) => reject(&e.to_failure().code),
            },
            "Prepay" => {
                let (Some(connector), Some(won)) = (n("connectorId"), n("amountWon")) else {
                    return reject("invalid_request");
                };
                let (Ok(connector), Some(amount)) =
                    (u8::try_from(connector), won.checked_mul(1_000))
                else {
                    return reject("invalid_request");
                };
                match self
                    .0
                    .prepay(
                        charger,
                        connector,
                        member_no,
                        password,
                        &charger_source(charger.as_str()),
                        MilliWon(amount),
                        &id_tag,
                    )
                    .await
                {
                    Ok(o) => DataTransferReply {
                        status: DtStatus::Accepted,
                        data: Some(json!({"session": o.session, "holdWon": o.hold_mwon / 1_000,
                            "balanceWon": o.balance_mwon / 1_000, "prepayTx": o.prepay_tx})),
                    },
                    Err(e) => reject(&e.to_failure().code),
                }
            }
            _ => DataTransferReply {
                status: DtStatus::UnknownMessageId,
                data: None,
            },
        }
    }
}

/// The running cost shown to a charger: the chain's own rounding (energy x price, the
/// fraction of a milli-won dropped), before the cap at the hold.
fn cost_of(energy_wh: u64, price: u64) -> u64 {
    gridledger_types::PriceMilliWonPerKwh(price)
        .cost_floor(gridledger_types::EnergyWh(energy_wh))
        .map_or(u64::MAX, |c| c.0)
}

#[async_trait::async_trait]
impl Backend for OcppBackend {
    async fn credentials(&self, charger: &str, basic_password: Option<&str>) -> Credentials {
        if !ChargerId::is_valid(charger) {
            return Credentials::Unknown;
        }
        match (self.0.store.secret_hash(charger), basic_password) {
            (Ok(Some(_)), None) => Credentials::BadSecret,
            (Ok(Some(_)), Some(p)) => match self.0.check_secret(charger, p) {
                Ok(Some(true)) => Credentials::Allowed,
                _ => Credentials::BadSecret,
            },
            // No secret issued: connect without Basic auth; unknown chargers fail at boot.
            // No secret issued: only where the operator allows security profile 0 (tests,
            // benchmarks); unknown chargers then fail at boot.
            (Ok(None), None) if self.0.cfg.allow_unsecured_chargers => Credentials::Allowed,
            _ => Credentials::Unknown,
        }
    }

    async fn admitted(&self, charger: &str) -> bool {
        // The connection proved the charger's secret (profile 1): if it is ours and active, a
        // 1.6 charger that reconnects without rebooting is served without a new boot.
        let Ok(id) = ChargerId::new(charger) else {
            return false;
        };
        matches!(self.0.store.secret_hash(charger), Ok(Some(_)))
            && matches!(self.0.chain.charger(&id),
                Ok(Some(ch)) if &ch.owner == self.0.operator() && ch.active)
    }

    async fn boot(&self, c: ChargerRef<'_>, info: BootInfo) -> bool {
        let Ok(id) = ChargerId::new(c.id) else {
            return false;
        };
        let ok = matches!(self.0.chain.charger(&id), Ok(Some(ch)) if &ch.owner == self.0.operator() && ch.active);
        tracing::info!(charger = c.id, vendor = %info.vendor, model = %info.model, accepted = ok, "boot");
        ok
    }

    async fn connection(&self, charger: &str, online: bool, now_ms: u64) {
        self.0.set_status(charger, |s| {
            s.online = online;
            s.last_seen_ms = Some(now_ms);
        });
    }

    async fn heartbeat(&self, charger: &str, now_ms: u64) {
        self.0
            .set_status(charger, |s| s.last_seen_ms = Some(now_ms));
    }

    async fn status(
        &self,
        charger: &str,
        connector: u32,
        status: String,
        error_code: Option<String>,
        now_ms: u64,
    ) {
        self.0.set_status(charger, |s| {
            s.last_seen_ms = Some(now_ms);
            s.connectors.insert(connector, (status, error_code));
        });
    }

    async fn authorize(&self, c: ChargerRef<'_>, id_tag: &str) -> Authorization {
        let Ok(charger) = ChargerId::new(c.id) else {
            return Authorization {
                status: IdStatus::Invalid,
                balance_mwon: None,
            };
        };
        let (m, by_card) = match self.member_of(id_tag) {
            Ok(Some(x)) => x,
            _ => {
                return Authorization {
                    status: IdStatus::Invalid,
                    balance_mwon: None,
                }
            }
        };
        let mut status = self.status_of(&m);
        // Only a card presented at the charger may spend the standing authorisation: member
        // numbers are not secret.
        if status == IdStatus::Accepted && by_card {
            let prepaid = self
                .0
                .store
                .live_at(&charger)
                .unwrap_or_default()
                .iter()
                .any(|l| l.member_no == m.member_no && !l.started);
            if !prepaid && m.open_session.is_none() {
                status = self.auto_prepay(&charger, &m, id_tag).await;
            }
        }
        let balance = self.0.chain.account(&m.address).ok().map(|(b, _)| b);
        Authorization {
            status,
            balance_mwon: balance,
        }
    }

    async fn data_transfer(
        &self,
        c: ChargerRef<'_>,
        vendor_id: &str,
        message_id: Option<&str>,
        data: Value,
    ) -> DataTransferReply {
        if vendor_id != VENDOR_ID {
            return DataTransferReply {
                status: DtStatus::UnknownVendorId,
                data: None,
            };
        }
        let Ok(charger) = ChargerId::new(c.id) else {
            return DataTransferReply {
                status: DtStatus::Rejected,
                data: None,
            };
        };
        self.data(&charger, message_id.unwrap_or(""), &data).await
    }

    async fn start(&self, c: ChargerRef<'_>, s: StartTx) -> StartDecision {
        let svc = &self.0;
        let Ok(charger) = ChargerId::new(c.id) else {
            return StartDecision {
                session: 0,
                status: IdStatus::Invalid,
                limit: None,
            };
        };
        let member = self.member_of(&s.id_tag).ok().flatten().map(|(m, _)| m);
        let member_no = member.as_ref().map(|m| m.member_no);
        let accept = |l: &LiveSession| StartDecision {
            session: l.session,
            status: IdStatus::Accepted,
            limit: Some(CostLimit {
                hold_mwon: l.hold_mwon,
                price_mwon_per_kwh: l.price_mwon_per_kwh,
            }),
        };
        // A session of this member the chain still holds prepaid, with no stop queued.
        let usable = |l: &LiveSession| {
            Some(l.member_no) == member_no
                && l.prepaid
                && !svc.store.has_stop(&charger, l.session).unwrap_or(true)
                && matches!(svc.chain.session(&charger, l.session),
                    Ok(Some(x)) if x.state == SessionState::Prepaid)
        };
        let live_here = svc.store.live_at(&charger).unwrap_or_default();
        // The same start again: 2.0.1 events repeat the station's id; a 1.6 charger that lost
        // our answer repeats the start on the same connector with the same meter value. The
        // same member starting on another connector is not a repeat: ConcurrentTx below.
        let again = live_here.iter().find(|l| {
            l.started
                && usable(l)
                && match (&s.station_tx_id, &l.station_tx) {
                    (Some(t), Some(lt)) => t == lt,
                    (None, None) => {
                        u32::from(l.connector) == s.connector
                            && l.meter_start_wh == s.meter_start_wh
                    }
                    _ => false,
                }
        });
        if let Some(l) = again {
            return accept(l);
        }
        let fresh = live_here.iter().find(|l| !l.started && usable(l)).cloned();
        if let Some(mut l) = fresh {
            l.started = true;
            // From now on, the connector the session runs on (it may differ from the one the
            // keypad prepaid for; OCPP connector ids fit a byte here, the chain allows 1..=8).
            l.connector = u8::try_from(s.connector).unwrap_or(u8::MAX);
            l.meter_start_wh = s.meter_start_wh;
            l.last_meter_wh = s.meter_start_wh;
            l.station_tx = s.station_tx_id.clone();
            let ok = svc.store.put_live(&l).is_ok()
                && s.station_tx_id
                    .as_ref()
                    .is_none_or(|t| svc.store.map_station_tx(&charger, t, l.session).is_ok());
            if ok {
                return accept(&l);
            }
        }
        // Refused: a fresh id anyway (never prepaid, so a stop for it settles nothing), with
        // the reason.
        let status = match &member {
            None => IdStatus::Invalid,
            Some(m) => match self.status_of(m) {
                IdStatus::Accepted if m.open_session.is_some() => IdStatus::ConcurrentTx,
                IdStatus::Accepted => IdStatus::Invalid,
                other => other,
            },
        };
        let last = svc
            .chain
            .charger(&charger)
            .ok()
            .flatten()
            .map_or(0, |c| c.last_session);
        let session = svc.store.next_session(&charger, last).unwrap_or(0);
        tracing::info!(%charger, session, ?status, "start refused");
        StartDecision {
            session,
            status,
            limit: None,
        }
    }

    async fn meter(
        &self,
        c: ChargerRef<'_>,
        tx: TxKey,
        energy_wh: u64,
        _now_ms: u64,
    ) -> Option<gridledger_ocpp::backend::MeterAnswer> {
        let charger = ChargerId::new(c.id).ok()?;
        let session = self.session_of(&charger, &tx)?;
        let mut l = self.0.store.live(&charger, session).ok()??;
        if energy_wh > l.last_meter_wh {
            l.last_meter_wh = energy_wh;
            let _ = self.0.store.put_live(&l);
        }
        Some(gridledger_ocpp::backend::MeterAnswer {
            cost_mwon: cost_of(
                energy_wh.saturating_sub(l.meter_start_wh),
                l.price_mwon_per_kwh,
            ),
            limit: Some(CostLimit {
                hold_mwon: l.hold_mwon,
                price_mwon_per_kwh: l.price_mwon_per_kwh,
            }),
        })
    }

    async fn stop(&self, c: ChargerRef<'_>, s: StopTx) -> StopReply {
        let Ok(charger) = ChargerId::new(c.id) else {
            return StopReply { cost_mwon: None };
        };
        let Some(session) = self.session_of(&charger, &s.tx) else {
            return StopReply { cost_mwon: None };
        };
        let Ok(Some(l)) = self.0.store.live(&charger, session) else {
            // A refused start, an unknown id, or a repeated stop after settlement.
            return StopReply { cost_mwon: None };
        };
        // A session that never started delivered nothing, whatever the register says.
        let energy = if l.started {
            let end = s
                .meter_stop_wh
                .unwrap_or(l.last_meter_wh)
                .max(l.meter_start_wh);
            end - l.meter_start_wh
        } else {
            0
        };
        let reason = match s.reason.as_deref() {
            Some("Remote") => StopReason::Remote,
            Some("EVDisconnected") => StopReason::EvDisconnected,
            Some("Local") | None => StopReason::Local,
            Some(_) => StopReason::Other,
        };
        if let Err(e) = self.0.stop(&charger, session, energy, 0, reason) {
            tracing::warn!(error = %e, %charger, session, "stop not queued");
            return StopReply { cost_mwon: None };
        }
        StopReply {
            cost_mwon: Some(cost_of(energy, l.price_mwon_per_kwh).min(l.hold_mwon)),
        }
    }
}
