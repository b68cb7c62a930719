//! The charger agent: an OCPP 1.6J charger simulator for a node's central system. It boots,
//! heartbeats, and runs charging sessions for member RFID cards on a schedule: Authorize (with a
//! card whose member has a standing authorisation, the central system prepays on chain before
//! it answers), StartTransaction, MeterValues, StopTransaction (the gateway then cancels the hold
//! and settles the cost on chain).
use crate::{
    ocpp_client::{card_session, Charger, SessionOutcome, SessionPlan},
    Error,
};
use std::time::Duration;
use tokio::time::Instant;

/// A simulated charger's schedule (the CLI's options; the demo builds its own).
#[derive(Clone, Debug)]
pub struct Sim {
    pub ocpp: String,
    pub charger: String,
    pub secret: Option<String>,
    pub cards: Vec<String>,
    pub every: Duration,
    pub energy_wh: u64,
    pub meter_values: u32,
    pub meter_pause: Duration,
    pub sessions: u64,
    pub heartbeat: Option<Duration>,
    pub connector: u32,
    /// Held (read) during each session and its report: the demo takes it (write) to move the
    /// chain clock between sessions, never during one.
    pub gate: Option<std::sync::Arc<tokio::sync::RwLock<()>>>,
    /// Keep retrying when the first connection fails (the demo, started with its node); the
    /// CLI reports a wrong or unreachable endpoint at once instead.
    pub patient: bool,
}

/// Wall time in ms (OCPP timestamps; the central system keeps its own clock).
fn wall_ms() -> u64 {
    gridledger_sdk::now_ms()
}

impl Sim {
    /// Connects and boots; the heartbeat period.
    async fn connect(&self) -> Result<(Charger, Duration), Error> {
        let mut c = Charger::connect(&self.ocpp, &self.charger, self.secret.as_deref()).await?;
        let interval = c.boot("GridLedger", "agent-charger").await?;
        let hb = self
            .heartbeat
            .unwrap_or(Duration::from_secs(interval.clamp(1, 3_600)));
        Ok((c, hb))
    }

    /// Runs the schedule; `report` gets each session's outcome (and the session number from 0).
    /// Connection failures are retried every 5 s; a charger the central system refuses at boot
    /// ends the run.
    pub async fn run<F: std::future::Future<Output = ()>>(
        &self,
        mut report: impl FnMut(u64, String, SessionOutcome) -> F,
    ) -> Result<(), Error> {
        if self.cards.is_empty() {
            return Err(Error::Ocpp("no member card to charge with".into()));
        }
        let mut done = 0u64;
        let mut register = 0u64;
        let mut next_session = Instant::now();
        let mut connected = false;
        'connect: loop {
            let (mut c, hb) = match self.connect().await {
                Ok(x) => x,
                // Refused at boot, or at the handshake (unknown charger, wrong secret): no
                // point retrying.
                Err(e)
                    if format!("{e:#}").contains("boot not accepted")
                        || format!("{e:#}").contains("HTTP error") =>
                {
                    return Err(e)
                }
                Err(e) if !connected && !self.patient => return Err(e),
                Err(e) => {
                    eprintln!("charger {}: {e:#}; reconnecting in 5 s", self.charger);
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            connected = true;
            let mut next_hb = Instant::now() + hb;
            loop {
                if self.sessions > 0 && done >= self.sessions {
                    c.close().await;
                    return Ok(());
                }
                let now = Instant::now();
                if now >= next_session {
                    next_session = now + self.every;
                    let card = &self.cards[(done % self.cards.len() as u64) as usize];
                    let plan = SessionPlan {
                        connector: self.connector,
                        card: card.clone(),
                        meter_start: register,
                        energy_wh: self.energy_wh,
                        steps: self.meter_values,
                        pause: self.meter_pause,
                    };
                    let guard = match &self.gate {
                        Some(g) => Some(g.clone().read_owned().await),
                        None => None,
                    };
                    match card_session(&mut c, &plan, wall_ms).await {
                        Ok(out) => {
                            register += out.energy_wh;
                            report(done, card.clone(), out).await;
                            drop(guard);
                            done += 1;
                        }
                        Err(e) => {
                            eprintln!("charger {}: session: {e:#}; reconnecting", self.charger);
                            tokio::time::sleep(Duration::from_secs(2)).await;
                            continue 'connect;
                        }
                    }
                    continue;
                }
                if now >= next_hb {
                    if let Err(e) = c.heartbeat().await {
                        eprintln!("charger {}: heartbeat: {e:#}; reconnecting", self.charger);
                        continue 'connect;
                    }
                    next_hb = now + hb;
                }
                let wake = next_session.min(next_hb);
                if let Err(e) = c.idle(wake.saturating_duration_since(Instant::now())).await {
                    eprintln!("charger {}: {e:#}; reconnecting", self.charger);
                    continue 'connect;
                }
            }
        }
    }
}

/// One line about a session, as the CLI and the demo print it.
pub fn describe(charger: &str, card: &str, out: &SessionOutcome) -> String {
    match (&out.transaction_id, out.start.as_deref()) {
        (Some(tx), Some("Accepted")) => format!(
            "charger {charger}: card {card} charged {} Wh in session {tx} (stopped {})",
            out.energy_wh,
            if out.stopped { "yes" } else { "no" }
        ),
        (Some(tx), start) => format!(
            "charger {charger}: card {card} start refused ({}) for session {tx}",
            start.unwrap_or("?")
        ),
        (None, _) => format!(
            "charger {charger}: card {card} not authorized ({})",
            out.authorize
        ),
    }
}
