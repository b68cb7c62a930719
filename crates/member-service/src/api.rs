//! The charging routes' answers ([ChargingApi] for the member service).
use crate::{lockout::charger_source, password::Password, service::Certified, Error, Service};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::{
    Caller, ChargingApi, ChargingFailure, ChargingIdentity, ChargingRequest, ClientAddr,
    SESSIONS_DEFAULT_LIMIT,
};
use gridledger_types::{ChargerId, MilliWon, Payload, SessionState, StopReason};
use serde_json::{json, Value};
use std::sync::Arc;

/// The member service as the API sees it.
#[derive(Clone)]
pub struct ChargingRoutes(pub Arc<Service>);

fn charger_id(s: &str) -> Result<ChargerId, Error> {
    ChargerId::new(s).map_err(|_| Error::refused(ErrorCode::InvalidRequest, "bad charger id"))
}

fn need_operator(svc: &Service, caller: &Caller) -> Result<(), Error> {
    match caller {
        Caller::Bearer(t) if svc.is_operator_token(t) => Ok(()),
        // The charging operator signed in to the dashboard.
        Caller::Session(a) if a == svc.operator() => Ok(()),
        _ => Err(Error::refused(
            ErrorCode::Unauthorized,
            "this request needs the operator's bearer token",
        )),
    }
}

/// Charger routes: Basic credentials of the charger named in the request.
fn need_charger(svc: &Service, caller: &Caller, charger: &str) -> Result<(), Error> {
    match caller {
        Caller::Basic { user, password } if user == charger => {
            match svc.check_secret(charger, password)? {
                Some(true) => Ok(()),
                _ => Err(Error::refused(
                    ErrorCode::Unauthorized,
                    "wrong charger credentials",
                )),
            }
        }
        Caller::Bearer(t) if svc.is_operator_token(t) => Ok(()),
        _ => Err(Error::refused(
            ErrorCode::Unauthorized,
            "this request needs the charger's Basic credentials",
        )),
    }
}

fn session_states(s: Option<&str>) -> Result<Vec<SessionState>, Error> {
    Ok(match s {
        None => vec![],
        Some("open") => vec![SessionState::Prepaid],
        Some("finished") => vec![SessionState::Cancelled, SessionState::Settled],
        Some("refunded") => vec![SessionState::Refunded],
        Some(_) => {
            return Err(Error::refused(
                ErrorCode::InvalidRequest,
                "state is open, finished or refunded",
            ))
        }
    })
}

impl ChargingRoutes {
    fn charger_json(&self, c: gridledger_execution::charging_view::ChargerView) -> Value {
        let st = self.0.charger_status(c.charger.as_str());
        let has_secret = self
            .0
            .store
            .secret_hash(c.charger.as_str())
            .ok()
            .flatten()
            .is_some();
        json!({
            "charger": c.charger, "owner": c.owner, "kind": c.kind, "connectors": c.connectors,
            "price_mwon_per_kwh": c.price_mwon_per_kwh,
            "idle_fee_per_min_mwon": c.idle_fee_per_min_mwon, "idle_grace_min": c.idle_grace_min,
            "active": c.active, "label": c.label, "online": st.online,
            "last_seen_ms": st.last_seen_ms,
            "connector_status": st.connectors.iter().map(|(n, (s, e))| json!({
                "connector": n, "status": s, "error_code": e})).collect::<Vec<_>>(),
            "has_secret": has_secret,
        })
    }

    async fn answer(
        &self,
        caller: Caller,
        client: ClientAddr,
        req: ChargingRequest,
    ) -> Result<Value, Error> {
        // Whose wrong passwords a member's lockout counts: the charger's (its credentials name
        // it), else the client address's.
        let source = |charger: &str| match &caller {
            Caller::Basic { user, .. } if user == charger => charger_source(charger),
            _ => client.source(),
        };
        let svc = &self.0;
        match req {
            ChargingRequest::SignUp(b) => {
                need_operator(svc, &caller)?;
                let (no, address, tx) = svc.sign_up(Password::new(b.password)?, b.card).await?;
                Ok(json!({"member_no": no, "address": address, "tx": tx}))
            }
            ChargingRequest::Member { member_no } => {
                let m = svc.chain.member(member_no)?.ok_or_else(|| {
                    Error::refused(ErrorCode::UnknownMember, format!("no member {member_no}"))
                })?;
                let mut v = serde_json::to_value(&m).map_err(|e| Error::Node(e.to_string()))?;
                v["locked_until_ms"] = json!(svc.lockout_until(member_no)?);
                Ok(v)
            }
            ChargingRequest::Unlock { member_no } => {
                need_operator(svc, &caller)?;
                svc.unlock(member_no).await?;
                Ok(
                    json!({"member_no": member_no, "locked_until_ms": svc.lockout_until(member_no)?}),
                )
            }
            ChargingRequest::Certify(b) => {
                need_charger(svc, &caller, &b.charger)?;
                let from = source(&b.charger);
                let c = svc
                    .certify(b.member_no, Password::new(b.password)?, &from)
                    .await?;
                let balance = match &c {
                    Certified::Accepted(km) => Some(km.1.balance_mwon),
                    _ => None,
                };
                Ok(json!({"result": c.label(), "balance_mwon": balance, "member_no": b.member_no}))
            }
            ChargingRequest::Prepay(b) => {
                need_charger(svc, &caller, &b.charger)?;
                let charger = charger_id(&b.charger)?;
                let from = source(&b.charger);
                let out = svc
                    .prepay(
                        &charger,
                        b.connector,
                        b.member_no,
                        Password::new(b.password)?,
                        &from,
                        MilliWon(b.amount_mwon),
                        &b.member_no.to_string(),
                    )
                    .await?;
                Ok(
                    json!({"charger": charger, "session": out.session, "prepay_tx": out.prepay_tx,
                    "hold_mwon": out.hold_mwon, "expires_at_ms": out.expires_at_ms,
                    "balance_mwon": out.balance_mwon}),
                )
            }
            ChargingRequest::Stop(b) => {
                need_charger(svc, &caller, &b.charger)?;
                let charger = charger_id(&b.charger)?;
                let reason = match b.reason.as_deref() {
                    None => StopReason::Local,
                    Some(r) => r.parse().map_err(|_| {
                        Error::refused(ErrorCode::InvalidRequest, "unknown stop reason")
                    })?,
                };
                let (queued, state) =
                    svc.stop(&charger, b.session, b.energy_wh, b.idle_min, reason)?;
                Ok(
                    json!({"charger": charger, "session": b.session, "queued": queued,
                    "state": state}),
                )
            }
            ChargingRequest::AutoCharge(b) => {
                let (key, _) = svc
                    .certify(b.member_no, Password::new(b.password)?, &client.source())
                    .await?
                    .accepted()?;
                let r = svc
                    .member_submit(
                        b.member_no,
                        &key,
                        Payload::SetAutoCharge {
                            operator: svc.operator().clone(),
                            cap: MilliWon(b.cap_mwon),
                            valid_until_ms: b.valid_until_ms,
                        },
                    )
                    .await?;
                if let gridledger_types::TxStatus::Failed { code, message } = &r.status {
                    return Err(Error::refused(code.clone(), message.clone()));
                }
                Ok(json!({"member_no": b.member_no, "cap_mwon": b.cap_mwon, "tx": r.tx_hash}))
            }
            ChargingRequest::Chargers => {
                let list: Vec<Value> = svc
                    .chain
                    .chargers()?
                    .into_iter()
                    .map(|c| self.charger_json(c))
                    .collect();
                Ok(json!({ "chargers": list }))
            }
            ChargingRequest::Charger { charger } => {
                let id = charger_id(&charger)?;
                let c = svc.chain.charger(&id)?.ok_or_else(|| {
                    Error::refused(ErrorCode::NotFound, format!("no charger {id}"))
                })?;
                Ok(self.charger_json(c))
            }
            ChargingRequest::ChargerSecret { charger } => {
                need_operator(svc, &caller)?;
                let id = charger_id(&charger)?;
                let secret = svc.issue_secret(&id)?;
                Ok(json!({"charger": id, "secret": secret}))
            }
            ChargingRequest::Sessions(f) => {
                let charger = f.charger.as_deref().map(charger_id).transpose()?;
                let states = session_states(f.state.as_deref())?;
                let list = svc.chain.sessions(
                    charger,
                    f.member,
                    states,
                    f.limit.unwrap_or(SESSIONS_DEFAULT_LIMIT),
                )?;
                Ok(json!({ "sessions": list }))
            }
            ChargingRequest::Session { charger, session } => {
                let id = charger_id(&charger)?;
                let s = svc.chain.session(&id, session)?.ok_or_else(|| {
                    Error::refused(ErrorCode::NotFound, format!("no session {session} at {id}"))
                })?;
                serde_json::to_value(s).map_err(|e| Error::Node(e.to_string()))
            }
            ChargingRequest::SoftStop { charger, session } => {
                need_operator(svc, &caller)?;
                let id = charger_id(&charger)?;
                let action = crate::soft_stop(svc, &id, session)?;
                Ok(json!({"charger": id, "session": session, "action": action}))
            }
            ChargingRequest::Revenue(f) => {
                let charger = f.charger.as_deref().map(charger_id).transpose()?;
                svc.chain
                    .revenue(charger, f.from.unwrap_or(0), f.to.unwrap_or(u32::MAX))
            }
        }
    }
}

#[async_trait::async_trait]
impl ChargingApi for ChargingRoutes {
    async fn handle(
        &self,
        caller: Caller,
        client: ClientAddr,
        req: ChargingRequest,
    ) -> Result<Value, ChargingFailure> {
        self.answer(caller, client, req)
            .await
            .map_err(|e| e.to_failure())
    }

    /// The operator's token reads as the operator; a charger's secret as that charger.
    async fn identify(&self, caller: &Caller) -> Option<ChargingIdentity> {
        let svc = &self.0;
        match caller {
            Caller::Bearer(t) if svc.is_operator_token(t) => {
                Some(ChargingIdentity::Operator(svc.operator().clone()))
            }
            Caller::Basic { user, password } => match svc.check_secret(user, password) {
                Ok(Some(true)) => Some(ChargingIdentity::Charger(user.clone())),
                _ => None,
            },
            _ => None,
        }
    }
}
