//! The market calendar as pure decisions: given what the chain shows about one period or one
//! month and the block time, what (if anything) is due now. No I/O, no clock: the agent reads
//! the chain and calls these.
use gridledger_types::{kst_month, kst_month_start_ms, next_month, PeriodKind};
use serde_json::Value;

/// Most periods of one market looked at in one round (three months of quarter hours).
pub const PERIODS_MAX: usize = 3 * 31 * 96;

/// What the chain shows about one market period (`GET /api/v1/markets/{m}/periods/{start}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeriodState {
    pub gate_closure_ms: u64,
    pub period_end_ms: u64,
    pub cleared: bool,
    pub settled: bool,
    /// Intentions were entered for the period (open now, or since cancelled or filled): such a
    /// period must be cleared before its month's bills.
    pub has_intentions: bool,
    pub contracts: usize,
}

impl PeriodState {
    /// Reads the period view's JSON; `None` if a field is missing.
    pub fn from_view(v: &Value) -> Option<Self> {
        let non_empty = |k: &str| v[k].as_array().is_some_and(|l| !l.is_empty());
        Some(Self {
            gate_closure_ms: v["gate_closure_ms"].as_u64()?,
            period_end_ms: v["period_end_ms"].as_u64()?,
            cleared: v["cleared"].as_bool()?,
            settled: v["settled"].as_bool()?,
            has_intentions: v["intentions_entered"].as_u64()? > 0
                || non_empty("sells")
                || non_empty("buys"),
            contracts: v["contracts"].as_array().map_or(0, Vec::len),
        })
    }
}

/// The next step of a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodStep {
    /// `ClearPeriod` is due (the gate has closed).
    Clear,
    /// `SettlePeriod` is due (the dispute window has closed).
    Settle,
    /// Something is still to do, later.
    Wait,
    /// Nothing is left to do, ever.
    Done,
}

/// The step due at block time `now_ms` for a period of a market of `kind` that settles
/// `dispute_window_ms` after it ends.
///
/// A monthly period is always paired and settled (one transaction each a month; its PPAs are
/// settled with it even when nobody entered intentions). A real-time period (hourly, quarter
/// hour) is paired only if intentions were entered for it (also if all were cancelled since: the
/// month's bills need it cleared) and settled only if pairing made contracts, so an
/// idle market costs nothing.
pub fn period_step(
    kind: PeriodKind,
    dispute_window_ms: u64,
    p: &PeriodState,
    now_ms: u64,
) -> PeriodStep {
    let gate_passed = now_ms >= p.gate_closure_ms;
    let window_closed = now_ms >= p.period_end_ms.saturating_add(dispute_window_ms);
    let monthly = kind == PeriodKind::Monthly;
    if p.settled {
        return PeriodStep::Done;
    }
    if !p.cleared {
        return match (gate_passed, monthly || p.has_intentions) {
            (true, true) => PeriodStep::Clear,
            (true, false) => PeriodStep::Done,
            (false, _) => PeriodStep::Wait,
        };
    }
    if !monthly && p.contracts == 0 {
        return PeriodStep::Done;
    }
    if window_closed {
        PeriodStep::Settle
    } else {
        PeriodStep::Wait
    }
}

/// The length of a real-time period, `None` for monthly.
fn period_len_ms(kind: PeriodKind) -> Option<u64> {
    match kind {
        PeriodKind::Monthly => None,
        PeriodKind::Hourly => Some(3_600_000),
        PeriodKind::QuarterHour => Some(900_000),
    }
}

/// Starts of the periods of `kind` with `from_ms <= start <= to_ms`, oldest first, at most
/// [PERIODS_MAX].
pub fn period_starts(kind: PeriodKind, from_ms: u64, to_ms: u64) -> Vec<u64> {
    let mut out = Vec::new();
    match period_len_ms(kind) {
        None => {
            let mut m = kst_month(from_ms);
            while let Some(s) = kst_month_start_ms(m) {
                if s > to_ms || out.len() == PERIODS_MAX {
                    break;
                }
                if s >= from_ms {
                    out.push(s);
                }
                m = next_month(m);
            }
        }
        Some(len) => {
            let mut s = from_ms.div_ceil(len).saturating_mul(len);
            while s <= to_ms && out.len() < PERIODS_MAX {
                out.push(s);
                s = s.saturating_add(len);
            }
        }
    }
    out
}

/// What the chain shows about a month's billing (`GET /api/v1/billing/{month}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthState {
    /// `IssueBills` has started (the month's periods are closed).
    pub started: bool,
    /// Every site is billed.
    pub done: bool,
    /// `CollectBills` went through every bill.
    pub collected: bool,
    pub due_ms: Option<u64>,
}

impl MonthState {
    pub fn from_view(v: &Value) -> Option<Self> {
        let p = &v["progress"];
        Some(Self {
            started: p["started"].as_bool()?,
            done: p["done"].as_bool()?,
            collected: p["collected"].as_bool()?,
            due_ms: v["due_ms"].as_u64(),
        })
    }
}

/// The next billing step of a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonthStep {
    /// `IssueBills` is due (one more batch of sites).
    Issue,
    /// `CollectBills` is due (one more batch of account bills).
    Collect,
    Wait,
    Done,
}

/// The billing step due at `now_ms` for `month`, given whether any of its periods is still
/// open (to pair or settle). Bills are issued once the month has ended (the 1st, 00:00 KST)
/// and its periods are closed; they are collected (auto-debit) from the due time on.
pub fn month_step(month: u32, m: &MonthState, periods_open: bool, now_ms: u64) -> MonthStep {
    let ended = kst_month_start_ms(next_month(month)).is_some_and(|end| now_ms >= end);
    if m.collected {
        return MonthStep::Done;
    }
    if !m.done {
        return if ended && !periods_open {
            MonthStep::Issue
        } else {
            MonthStep::Wait
        };
    }
    match m.due_ms {
        Some(due) if now_ms >= due => MonthStep::Collect,
        _ => MonthStep::Wait,
    }
}

/// How many holds in a list of charging sessions (`GET /api/v1/charging/sessions?state=prepaid`)
/// have expired before block time `now_ms`: what `ExpireChargingHolds` would refund.
pub fn expired_holds(sessions: &Value, now_ms: u64) -> usize {
    sessions["sessions"].as_array().map_or(0, |l| {
        l.iter()
            .filter(|s| s["state"] == "prepaid")
            .filter(|s| s["expires_at_ms"].as_u64().is_some_and(|t| t < now_ms))
            .count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const H: u64 = 3_600_000;

    fn period(cleared: bool, settled: bool, has_intentions: bool, contracts: usize) -> PeriodState {
        PeriodState {
            gate_closure_ms: 10 * H,
            period_end_ms: 12 * H,
            cleared,
            settled,
            has_intentions,
            contracts,
        }
    }

    #[test]
    fn a_real_time_period_is_paired_at_its_gate_and_settled_after_its_window() {
        let k = PeriodKind::Hourly;
        let p = period(false, false, true, 0);
        assert_eq!(period_step(k, H, &p, 10 * H - 1), PeriodStep::Wait);
        assert_eq!(period_step(k, H, &p, 10 * H), PeriodStep::Clear);
        let p = period(true, false, false, 2);
        assert_eq!(period_step(k, H, &p, 13 * H - 1), PeriodStep::Wait);
        assert_eq!(period_step(k, H, &p, 13 * H), PeriodStep::Settle);
        assert_eq!(
            period_step(k, H, &period(true, true, false, 2), 20 * H),
            PeriodStep::Done
        );
        // Nothing to pair, or pairing made no contracts: nothing to send.
        assert_eq!(
            period_step(k, H, &period(false, false, false, 0), 10 * H),
            PeriodStep::Done
        );
        assert_eq!(
            period_step(k, H, &period(true, false, false, 0), 20 * H),
            PeriodStep::Done
        );
    }

    #[test]
    fn a_monthly_period_is_always_paired_and_settled() {
        let k = PeriodKind::Monthly;
        assert_eq!(
            period_step(k, 0, &period(false, false, false, 0), 10 * H),
            PeriodStep::Clear
        );
        assert_eq!(
            period_step(k, 0, &period(true, false, false, 0), 12 * H),
            PeriodStep::Settle
        );
        assert_eq!(
            period_step(k, 0, &period(true, false, false, 0), 12 * H - 1),
            PeriodStep::Wait
        );
    }

    #[test]
    fn period_starts_by_kind() {
        let dec = kst_month_start_ms(202612).unwrap();
        let feb = kst_month_start_ms(202702).unwrap();
        assert_eq!(
            period_starts(PeriodKind::Monthly, dec - 1, feb),
            vec![dec, kst_month_start_ms(202701).unwrap(), feb]
        );
        assert_eq!(
            period_starts(PeriodKind::Monthly, dec + 1, feb - 1).len(),
            1
        );
        assert_eq!(
            period_starts(PeriodKind::Hourly, H + 1, 4 * H),
            vec![2 * H, 3 * H, 4 * H]
        );
        assert_eq!(period_starts(PeriodKind::QuarterHour, 0, H).len(), 5);
        assert_eq!(
            period_starts(PeriodKind::QuarterHour, 0, u64::MAX).len(),
            PERIODS_MAX
        );
        assert!(period_starts(PeriodKind::Hourly, 5 * H, 4 * H).is_empty());
    }

    #[test]
    fn bills_on_the_first_once_periods_are_closed_then_collection_on_the_due_day() {
        let nov = 202611;
        let dec1 = kst_month_start_ms(202612).unwrap();
        let m = MonthState::default();
        assert_eq!(month_step(nov, &m, false, dec1 - 1), MonthStep::Wait);
        assert_eq!(month_step(nov, &m, true, dec1), MonthStep::Wait);
        assert_eq!(month_step(nov, &m, false, dec1), MonthStep::Issue);
        let m = MonthState {
            started: true,
            done: true,
            collected: false,
            due_ms: Some(dec1 + 10 * 24 * H),
        };
        assert_eq!(month_step(nov, &m, false, dec1 + 24 * H), MonthStep::Wait);
        assert_eq!(
            month_step(nov, &m, false, dec1 + 10 * 24 * H),
            MonthStep::Collect
        );
        let m = MonthState {
            collected: true,
            ..m
        };
        assert_eq!(
            month_step(nov, &m, false, dec1 + 20 * 24 * H),
            MonthStep::Done
        );
    }

    #[test]
    fn views_are_read_and_expired_holds_counted() {
        let v = json!({"gate_closure_ms": 5, "period_end_ms": 9, "cleared": true,
            "settled": false, "sells": [], "buys": [{}], "intentions_entered": 3,
            "contracts": [{}, {}]});
        assert_eq!(
            PeriodState::from_view(&v),
            Some(PeriodState {
                gate_closure_ms: 5,
                period_end_ms: 9,
                cleared: true,
                settled: false,
                has_intentions: true,
                contracts: 2
            })
        );
        assert_eq!(PeriodState::from_view(&json!({"cleared": true})), None);
        // Every intention cancelled: nothing open, but the period still has to be paired.
        let cancelled = json!({"gate_closure_ms": 5, "period_end_ms": 9, "cleared": false,
            "settled": false, "sells": [], "buys": [], "intentions_entered": 1, "contracts": []});
        let p = PeriodState::from_view(&cancelled).unwrap();
        assert!(p.has_intentions);
        assert_eq!(period_step(PeriodKind::Hourly, 0, &p, 5), PeriodStep::Clear);
        let b = json!({"progress": {"started": true, "done": false, "collected": false}});
        assert_eq!(
            MonthState::from_view(&b).map(|m| (m.started, m.done, m.due_ms)),
            Some((true, false, None))
        );
        let s = json!({"sessions": [
            {"state": "prepaid", "expires_at_ms": 10},
            {"state": "prepaid", "expires_at_ms": 20},
            {"state": "settled", "expires_at_ms": 1}]});
        assert_eq!(expired_holds(&s, 15), 1);
        assert_eq!(expired_holds(&s, 21), 2);
        assert_eq!(expired_holds(&json!({}), 21), 0);
    }
}
