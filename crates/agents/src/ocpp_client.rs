//! A minimal OCPP 1.6J charger client, shared by `bench-ocpp` (many chargers) and
//! `agent charger` (one charger on a schedule): one call at a time; calls from the central
//! system (RemoteStopTransaction, ChangeConfiguration, cost messages) are all accepted.
use crate::Error;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a call waits for its answer.
/// A transport or protocol failure as an [Error::Ocpp].
fn ocpp(e: impl std::fmt::Display) -> Error {
    Error::Ocpp(e.to_string())
}

pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Charger {
    ws: Ws,
    next: u64,
    /// Transaction ids the central system asked to stop (RemoteStopTransaction).
    pub remote_stops: Vec<u64>,
}

/// `Basic base64(user:password)` (RFC 7617), as OCPP security profile 1 sends it.
pub fn basic_auth_header(user: &str, password: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

/// An RFC 3339 UTC time for OCPP timestamps (the central system keeps its own clock): the
/// OCPP crate's own format.
pub fn now_iso(ms: u64) -> String {
    gridledger_ocpp::time::format_ms(ms)
}

impl Charger {
    /// Connects to `<base>/<id>` with subprotocol `ocpp1.6`, with Basic auth when a secret is
    /// given.
    pub async fn connect(base: &str, id: &str, secret: Option<&str>) -> Result<Self, Error> {
        let mut req = format!("{base}/{id}").into_client_request().map_err(ocpp)?;
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", "ocpp1.6".parse().map_err(ocpp)?);
        if let Some(secret) = secret {
            req.headers_mut().insert(
                "Authorization",
                basic_auth_header(id, secret).parse().map_err(ocpp)?,
            );
        }
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .map_err(|e| Error::Ocpp(format!("connecting charger {id} to {base}: {e}")))?;
        Ok(Self {
            ws,
            next: 0,
            remote_stops: Vec::new(),
        })
    }

    /// Sends a CALL and returns its CALLRESULT payload (answering calls that arrive first).
    pub async fn call(&mut self, action: &str, payload: Value) -> Result<Value, Error> {
        self.next += 1;
        let id = format!("b{}", self.next);
        self.ws
            .send(Message::text(json!([2, id, action, payload]).to_string()))
            .await
            .map_err(ocpp)?;
        loop {
            let msg = tokio::time::timeout(CALL_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| Error::Ocpp(format!("no answer to {action} within 60 s")))?
                .ok_or_else(|| Error::Ocpp("connection closed".into()))?
                .map_err(ocpp)?;
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(&text).map_err(ocpp)?;
            match v[0].as_u64() {
                Some(3) if v[1] == id.as_str() => return Ok(v[2].clone()),
                Some(4) if v[1] == id.as_str() => {
                    return Err(Error::Ocpp(format!(
                        "{action}: CALLERROR {} {}",
                        v[2], v[3]
                    )))
                }
                Some(2) => self.answer(&v).await?,
                _ => {}
            }
        }
    }

    /// Accepts a call from the central system.
    async fn answer(&mut self, call: &Value) -> Result<(), Error> {
        if call[2] == "RemoteStopTransaction" {
            if let Some(tx) = call[3]["transactionId"].as_u64() {
                self.remote_stops.push(tx);
            }
        }
        let answer = json!([3, call[1], {"status": "Accepted"}]);
        self.ws
            .send(Message::text(answer.to_string()))
            .await
            .map_err(ocpp)?;
        Ok(())
    }

    /// BootNotification (must be accepted) and connector 1 Available; the heartbeat interval
    /// the central system asked for, in seconds.
    pub async fn boot(&mut self, vendor: &str, model: &str) -> Result<u64, Error> {
        let r = self
            .call(
                "BootNotification",
                json!({"chargePointVendor": vendor, "chargePointModel": model}),
            )
            .await?;
        if r["status"] != "Accepted" {
            return Err(Error::Ocpp(format!("boot not accepted: {r}")));
        }
        self.status(1, "Available").await?;
        Ok(r["interval"].as_u64().unwrap_or(300))
    }

    pub async fn status(&mut self, connector: u32, status: &str) -> Result<(), Error> {
        self.call(
            "StatusNotification",
            json!({"connectorId": connector, "errorCode": "NoError", "status": status}),
        )
        .await?;
        Ok(())
    }

    pub async fn heartbeat(&mut self) -> Result<Value, Error> {
        self.call("Heartbeat", json!({})).await
    }

    /// Answers the central system's calls for `d` (between a charger's own messages).
    pub async fn idle(&mut self, d: Duration) -> Result<(), Error> {
        let end = tokio::time::Instant::now() + d;
        loop {
            let m = match tokio::time::timeout_at(end, self.ws.next()).await {
                Err(_) => return Ok(()),
                Ok(m) => m,
            };
            match m {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        if v[0] == 2 {
                            self.answer(&v).await?;
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(ocpp(e)),
                None => return Err(Error::Ocpp("connection closed".into())),
            }
        }
    }

    /// Keeps the connection alive (answers calls) until `stop` fires.
    pub async fn hold(mut self, stop: Arc<Notify>) {
        loop {
            tokio::select! {
                _ = stop.notified() => return,
                m = self.ws.next() => match m {
                    Some(Ok(Message::Text(text))) => {
                        if let Ok(v) = serde_json::from_str::<Value>(&text) {
                            if v[0] == 2 && self.answer(&v).await.is_err() {
                                return;
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// What one charging session did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionOutcome {
    /// `idTagInfo.status` of Authorize (with a card that has auto-charge: after the prepayment).
    pub authorize: String,
    /// The transaction id (the chain's session number) and StartTransaction's status.
    pub transaction_id: Option<u64>,
    pub start: Option<String>,
    pub energy_wh: u64,
    pub stopped: bool,
}

/// A session to run with an RFID card.
#[derive(Clone, Debug)]
pub struct SessionPlan {
    pub connector: u32,
    pub card: String,
    /// The connector's energy register at the start (Wh).
    pub meter_start: u64,
    pub energy_wh: u64,
    /// MeterValues sent, `pause` apart, the last one at `energy_wh`.
    pub steps: u32,
    pub pause: Duration,
}

/// One session with an RFID card: Authorize, StartTransaction, MeterValues, StopTransaction.
/// Stops early when the central system asks (RemoteStopTransaction).
pub async fn card_session(
    c: &mut Charger,
    plan: &SessionPlan,
    now_ms: impl Fn() -> u64,
) -> Result<SessionOutcome, Error> {
    let SessionPlan {
        connector,
        ref card,
        meter_start,
        energy_wh,
        steps,
        pause,
    } = *plan;
    let mut out = SessionOutcome::default();
    let auth = c.call("Authorize", json!({"idTag": card})).await?;
    out.authorize = auth["idTagInfo"]["status"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    if out.authorize != "Accepted" {
        return Ok(out);
    }
    c.status(connector, "Preparing").await?;
    let st = c
        .call(
            "StartTransaction",
            json!({"connectorId": connector, "idTag": card, "meterStart": meter_start,
                   "timestamp": now_iso(now_ms())}),
        )
        .await?;
    let tx = st["transactionId"].as_u64().unwrap_or(0);
    out.transaction_id = Some(tx);
    out.start = st["idTagInfo"]["status"].as_str().map(str::to_string);
    if out.start.as_deref() != Some("Accepted") {
        c.status(connector, "Available").await?;
        return Ok(out);
    }
    c.status(connector, "Charging").await?;
    let steps = steps.max(1);
    let mut reached = 0;
    for i in 1..=steps {
        if c.remote_stops.contains(&tx) {
            break;
        }
        c.idle(pause).await?;
        reached = energy_wh * u64::from(i) / u64::from(steps);
        c.call(
            "MeterValues",
            json!({"connectorId": connector, "transactionId": tx, "meterValue": [{
                "timestamp": now_iso(now_ms()),
                "sampledValue": [{"value": (meter_start + reached).to_string(),
                                  "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}),
        )
        .await?;
    }
    let reason = if c.remote_stops.contains(&tx) {
        "Remote"
    } else {
        "Local"
    };
    c.call(
        "StopTransaction",
        json!({"transactionId": tx, "meterStop": meter_start + reached,
               "timestamp": now_iso(now_ms()), "reason": reason}),
    )
    .await?;
    c.status(connector, "Available").await?;
    out.energy_wh = reached;
    out.stopped = true;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_rfc7617() {
        // RFC 7617's example.
        assert_eq!(
            basic_auth_header("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic_auth_header("a", ""), "Basic YTo=");
        assert_eq!(basic_auth_header("ab", "c"), "Basic YWI6Yw==");
    }

    #[test]
    fn iso_times() {
        assert_eq!(now_iso(0), "1970-01-01T00:00:00.000Z");
        // 2026-06-01T00:00:00+09:00
        assert_eq!(now_iso(1_780_239_600_000), "2026-05-31T15:00:00.000Z");
        assert_eq!(now_iso(951_782_400_000 + 1_500), "2000-02-29T00:00:01.500Z");
    }
}
