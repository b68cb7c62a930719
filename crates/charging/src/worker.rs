//! The background worker: settles the outbox's stops on chain (Cancel + Settle, resuming from
//! whatever the chain already has), refunds expired holds, and stops sessions that never
//! started.
use crate::{service::wall_ms, store::StopRecord, Error, Service};
use gridledger_types::{ChargingCancel, Payload, SessionRef, SessionState, StopReason};
use std::{sync::Arc, time::Duration};

/// Most stops settled in one round (two transactions each).
pub const OUTBOX_BATCH: usize = 200;

/// Runs until the task is aborted.
pub async fn run(svc: Arc<Service>) {
    let mut last_sweep = tokio::time::Instant::now();
    loop {
        if let Err(e) = settle_round(&svc).await {
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

/// One pass over the outbox: every pending stop's remaining transactions in one submission.
pub async fn settle_round(svc: &Service) -> Result<usize, Error> {
    let stops = svc.store.stops()?;
    if stops.is_empty() {
        return Ok(0);
    }
    let mut payloads = Vec::new();
    for r in stops.iter().take(OUTBOX_BATCH) {
        match svc.chain.session(&r.charger, r.session)? {
            None => {
                tracing::warn!(charger = %r.charger, session = r.session, "stop for a session the chain does not have; dropped");
                svc.store.finish(&r.charger, r.session)?;
            }
            Some(s) => match next_steps(r, s.state) {
                Some(p) => payloads.extend(p),
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
        let receipts = svc.operator_submit(payloads).await?;
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
