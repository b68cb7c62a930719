//! The background worker: settles the outbox's stops on chain (Cancel + Settle, resuming from
//! whatever the chain already has), refunds expired holds, and stops sessions that never
//! started.
use crate::{chain::TX_TTL_MS, service::wall_ms, store::StopRecord, Error, Service};
use gridledger_types::{ChargerId, ChargingCancel, Payload, SessionRef, SessionState, StopReason};
use std::{collections::BTreeMap, sync::Arc, time::Duration};

/// Most stops settled in one round (two transactions each).
pub const OUTBOX_BATCH: usize = 200;

/// Runs until the task is aborted.
pub async fn run(svc: Arc<Service>) {
    let mut last_sweep = tokio::time::Instant::now();
    let mut in_flight = InFlight::default();
    loop {
        if let Err(e) = settle_round(&svc, &mut in_flight).await {
            tracing::warn!(error = %e, "outbox round failed; retrying");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if last_sweep.elapsed() >= svc.cfg.sweep_every {
            last_sweep = tokio::time::Instant::now();
            if let Err(e) = sweep(&svc).await {
                tracing::warn!(error = %e, "sweep failed");
            }
        }
        let tick = svc.cfg.sweep_every.min(Duration::from_millis(500));
        let _ = tokio::time::timeout(tick, svc.wake.notified()).await;
    }
}

/// The payloads that take one stop from the chain's state to `Settled`; `None` when done.
fn next_steps(r: &StopRecord, state: SessionState) -> Option<Vec<Payload>> {
    let settle = Payload::ChargingSettle(SessionRef {
        charger: r.charger.clone(),
        session: r.session,
        payer: r.payer.clone(),
    });
    match state {
        SessionState::Prepaid => Some(vec![
            Payload::ChargingCancel(ChargingCancel {
                charger: r.charger.clone(),
                session: r.session,
                payer: r.payer.clone(),
                energy_wh: r.energy_wh,
                idle_min: r.idle_min,
                reason: r.reason,
            }),
            settle,
        ]),
        SessionState::Cancelled => Some(vec![settle]),
        SessionState::Settled | SessionState::Refunded => None,
    }
}

/// Stops whose transactions were admitted but whose outcome is unknown (the wait for finality
/// timed out), with the chain time after which those transactions can no longer land. Until
/// then, or until the chain has the session settled or refunded, they are not sent again:
/// a second Cancel and Settle would only fail.
#[derive(Debug, Default)]
pub struct InFlight(BTreeMap<(ChargerId, u64), u64>);

impl InFlight {
    /// Whether the stop's transactions may still land (the chain's session is in `state`).
    fn waiting(&mut self, r: &StopRecord, state: SessionState, now_ms: u64) -> bool {
        let key = (r.charger.clone(), r.session);
        let landing = self.0.get(&key).is_some_and(|&until| {
            now_ms <= until && !matches!(state, SessionState::Settled | SessionState::Refunded)
        });
        if !landing {
            self.0.remove(&key);
        }
        landing
    }

    /// Stops whose outcome is not known yet.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No stop is in flight.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One pass over the outbox: every pending stop's remaining transactions in one submission.
pub async fn settle_round(svc: &Service, in_flight: &mut InFlight) -> Result<usize, Error> {
    let stops = svc.store.stops()?;
    if stops.is_empty() {
        return Ok(0);
    }
    let now_ms = svc.chain.now_ms();
    let mut payloads = Vec::new();
    let mut sent = Vec::new();
    for r in stops.iter().take(OUTBOX_BATCH) {
        match svc.chain.session(&r.charger, r.session)? {
            Some(s) if in_flight.waiting(r, s.state, now_ms) => {}
            None => {
                tracing::warn!(charger = %r.charger, session = r.session, "stop for a session the chain does not have; dropped");
                svc.store.finish(&r.charger, r.session)?;
            }
            Some(s) => match next_steps(r, s.state) {
                Some(p) => {
                    payloads.extend(p);
                    sent.push((r.charger.clone(), r.session));
                }
                None => {
                    if s.state == SessionState::Refunded {
                        tracing::warn!(charger = %r.charger, session = r.session, "stop after the hold was refunded; nothing charged");
                    }
                    svc.store.finish(&r.charger, r.session)?;
                }
            },
        }
    }
    let n = payloads.len();
    if n > 0 {
        let receipts = match svc.operator_submit(payloads).await {
            Ok(receipts) => receipts,
            // Refused at admission: what was admitted is final, the rest was never sent.
            Err(e @ Error::Refused { .. }) => return Err(e),
            // Unknown outcome: what was admitted may still land.
            Err(e) => {
                let until = svc.chain.now_ms().saturating_add(TX_TTL_MS);
                in_flight.0.extend(sent.into_iter().map(|k| (k, until)));
                return Err(e);
            }
        };
        for r in receipts.iter().filter(|r| !r.is_success()) {
            // e.g. session_not_open when a stop raced a refund: the next round reads the
            // chain's state and finishes the entry.
            tracing::info!(tx = %r.tx_hash, status = ?r.status, "outbox transaction refused");
        }
    }
    Ok(n)
}

/// Before its hold expires, a session still charging is asked to stop.
pub const EXPIRY_MARGIN_MS: u64 = 5 * 60_000;
/// A prepayment whose outcome never arrived is forgotten after this long if the chain has no
/// such session.
pub const LOST_PREPAY_MS: u64 = 10 * 60_000;

/// Refunds expired holds, stops sessions that never started or are about to expire, and
/// forgets sessions the chain has finished.
pub async fn sweep(svc: &Service) -> Result<(), Error> {
    let now = svc.chain.now_ms();
    let due = svc
        .chain
        .due_expiries(now, gridledger_types::EXPIRE_BATCH_MAX as usize)?;
    if due > 0 {
        let r = svc
            .operator_submit(vec![Payload::ExpireChargingHolds { max: due as u32 }])
            .await?;
        tracing::info!(refunded = r[0].events.len(), "expired holds refunded");
    }
    let wall = wall_ms();
    for mut live in svc.store.all_live()? {
        let (c, id) = (live.charger.clone(), live.session);
        let Some(s) = svc.chain.session(&c, id)? else {
            if !live.prepaid && wall.saturating_sub(live.prepaid_ms) > LOST_PREPAY_MS {
                svc.store.finish(&c, id)?;
            }
            continue;
        };
        match s.state {
            SessionState::Settled | SessionState::Refunded => {
                if !svc.store.has_stop(&c, id)? {
                    svc.store.finish(&c, id)?;
                }
            }
            SessionState::Cancelled => {}
            SessionState::Prepaid => {
                if !live.prepaid {
                    live.prepaid = true;
                    live.expires_at_ms = s.expires_at_ms;
                    svc.store.put_live(&live)?;
                }
                if svc.store.has_stop(&c, id)? {
                    continue;
                }
                if !live.started {
                    if wall.saturating_sub(live.prepaid_ms) > svc.cfg.never_started_ms {
                        svc.stop(&c, id, 0, 0, StopReason::NeverStarted)?;
                    }
                } else if now.saturating_add(EXPIRY_MARGIN_MS) >= s.expires_at_ms {
                    tracing::warn!(charger = %c, session = id, "hold about to expire: stopping");
                    crate::soft_stop(svc, &c, id)?;
                }
            }
        }
    }
    Ok(())
}
