//! The meter agent: posts one meter's readings by itself, from a CSV export or a synthetic
//! profile ([gridledger_sdk::profile]), signed with the meter's key.
//!
//! Every step starts from the meter's position on chain (its newest accepted batch), so an
//! interrupted or repeated run posts nothing twice.
use crate::{
    readings::{check_rows, fmt_kst, parse_csv, post_batches},
    Error,
};
use gridledger_sdk::{
    profile::Profile,
    readings::{self, cumulative, last_position, IntervalEnergy, MeterPosition},
    Client, TxSigner,
};
use gridledger_types::{Address, Registers};
use std::path::PathBuf;

fn plan(message: String) -> Error {
    Error::Readings(message)
}

/// Where readings come from.
#[derive(Debug, Clone)]
pub enum Source {
    Csv(PathBuf),
    Profile {
        profile: Profile,
        seed: u64,
        start: Registers,
    },
}

/// Boundary readings ready to post: the first at `start_ms`, then one per interval.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub start_ms: u64,
    pub registers: Vec<Registers>,
}

/// Most intervals planned in one step (then the meter's position is read again).
pub const STEP_MAX_INTERVALS: usize = 100 * readings::BATCH_MAX_INTERVALS;
/// Longest gap a profile fills between the meter's last reading and a later `--from`.
pub const GAP_MAX_INTERVALS: u64 = 1_000_000;

fn floor(t: u64, step: u64) -> u64 {
    t - t % step.max(1)
}

/// A profile's readings from the meter's position (or `from` with `start` registers for a meter
/// that never reported) up to `until`. A `from` after the position skips ahead; the registers
/// still advance by the profile's energy over the skipped time.
pub fn plan_profile(
    (profile, seed): (Profile, u64),
    start: Registers,
    pos: Option<MeterPosition>,
    from: Option<u64>,
    until: u64,
    interval_ms: u32,
) -> Result<Option<Plan>, Error> {
    let step = u64::from(interval_ms).max(1);
    let from = from.map(|t| floor(t, step));
    let (mut t, mut regs) = match (pos, from) {
        (Some(p), _) => (p.last_boundary_ms, p.last),
        (None, Some(f)) => (f, start),
        (None, None) => return Err(plan("the meter has never reported: give --from".into())),
    };
    if let Some(f) = from.filter(|f| *f > t) {
        let gap = (f - t) / step;
        if gap > GAP_MAX_INTERVALS {
            return Err(plan(format!(
                "--from is {gap} intervals after the meter's last reading \
                 (at most {GAP_MAX_INTERVALS})"
            )));
        }
        let e = profile.intervals(seed, t, interval_ms, gap as usize).fold(
            IntervalEnergy::default(),
            |a, e| IntervalEnergy {
                import_wh: a.import_wh.saturating_add(e.import_wh),
                export_wh: a.export_wh.saturating_add(e.export_wh),
            },
        );
        regs = cumulative(regs, [e])
            .and_then(|r| r.last().copied())
            .ok_or_else(|| plan("a register would pass u64::MAX".into()))?;
        t = f;
    }
    let until = floor(until, step);
    if until <= t {
        return Ok(None);
    }
    let n = ((until - t) / step).min(STEP_MAX_INTERVALS as u64) as usize;
    let registers = cumulative(regs, profile.intervals(seed, t, interval_ms, n))
        .ok_or_else(|| plan("a register would pass u64::MAX".into()))?;
    Ok(Some(Plan {
        start_ms: t,
        registers,
    }))
}

/// CSV rows from the meter's position (or `from`, if later) up to `until`.
pub fn plan_rows(
    rows: &[(u64, Registers)],
    pos: Option<MeterPosition>,
    from: Option<u64>,
    until: u64,
    interval_ms: u32,
) -> Result<Option<Plan>, Error> {
    let lower = pos.map(|p| p.last_boundary_ms).max(from).unwrap_or(0);
    let rows: Vec<_> = rows
        .iter()
        .filter(|(t, _)| *t >= lower && *t <= until)
        .take(STEP_MAX_INTERVALS + 1)
        .copied()
        .collect();
    if rows.len() < 2 {
        return Ok(None);
    }
    check_rows(&rows, interval_ms)?;
    if rows[0].0 % u64::from(interval_ms).max(1) != 0 {
        return Err(plan(format!(
            "the reading at {} ms is not on an interval boundary",
            rows[0].0
        )));
    }
    if let Some(p) = pos {
        let (t, r) = rows[0];
        let continues = t == p.last_boundary_ms;
        if (continues && r != p.last)
            || r.import_wh < p.last.import_wh
            || r.export_wh < p.last.export_wh
        {
            return Err(plan(format!(
                "the CSV reading at {} KST (import {} / export {} Wh) does not follow the meter's \
                 last accepted reading at {} KST (import {} / export {} Wh)",
                fmt_kst(t),
                r.import_wh,
                r.export_wh,
                fmt_kst(p.last_boundary_ms),
                p.last.import_wh,
                p.last.export_wh
            )));
        }
    }
    Ok(Some(Plan {
        start_ms: rows[0].0,
        registers: rows.iter().map(|(_, r)| *r).collect(),
    }))
}

/// One meter posting its readings (`meter-agent`, and the meter half of `agent site`).
pub struct MeterAgent {
    pub client: Client,
    pub signer: TxSigner,
    pub meter: Address,
    pub source: Source,
    pub interval_ms: u32,
    pub from: Option<u64>,
    /// Print one line per batch posted.
    pub print: bool,
}

impl MeterAgent {
    /// A meter posting a synthetic profile; a meter that never reported starts at `from` with
    /// zero registers.
    pub fn profile(
        client: Client,
        signer: TxSigner,
        (profile, seed): (Profile, u64),
        interval_ms: u32,
        from: Option<u64>,
    ) -> Self {
        Self {
            client,
            meter: signer.address().clone(),
            signer,
            source: Source::Profile {
                profile,
                seed,
                start: Registers {
                    import_wh: 0,
                    export_wh: 0,
                },
            },
            interval_ms,
            from,
            print: true,
        }
    }

    /// Posts what is due up to `until`, at most [STEP_MAX_INTERVALS]; the number of batches.
    pub async fn step(&mut self, until: u64) -> Result<usize, Error> {
        // A devnet's clock may have moved (a transaction signed against the old time expires).
        self.signer.resync_clock(&self.client).await?;
        let pos = last_position(&self.client, &self.meter).await?;
        if let Some(p) = pos.filter(|p| p.interval_ms != self.interval_ms) {
            return Err(plan(format!(
                "meter {} reports {} min intervals; use --interval {}",
                self.meter,
                p.interval_ms / 60_000,
                if p.interval_ms == 900_000 {
                    "15m"
                } else {
                    "1h"
                }
            )));
        }
        let plan = match &self.source {
            Source::Csv(path) => {
                let text = std::fs::read_to_string(path).map_err(|err| Error::Io {
                    what: format!("cannot read {}", path.display()),
                    err,
                })?;
                plan_rows(&parse_csv(&text)?, pos, self.from, until, self.interval_ms)?
            }
            Source::Profile {
                profile,
                seed,
                start,
            } => plan_profile(
                (*profile, *seed),
                *start,
                pos,
                self.from,
                until,
                self.interval_ms,
            )?,
        };
        let Some(plan) = plan else {
            return Ok(0);
        };
        let batches = readings::batches(plan.start_ms, self.interval_ms, &plan.registers);
        post_batches(&self.client, &mut self.signer, batches, self.print).await
    }

    /// Posts everything due up to `until` (repeating steps); the number of batches.
    pub async fn catch_up(&mut self, until: u64) -> Result<usize, Error> {
        let mut posted = 0;
        loop {
            let n = self.step(until).await?;
            if n == 0 {
                return Ok(posted);
            }
            posted += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;
    /// 2025-07-01 00:00 KST.
    const JULY: u64 = 1_751_295_600_000;
    const PV: (Profile, u64) = (Profile::Pv { peak_w: 4_000 }, 9);

    fn r(import_wh: u64, export_wh: u64) -> Registers {
        Registers {
            import_wh,
            export_wh,
        }
    }

    fn pos(at: u64, last: Registers) -> Option<MeterPosition> {
        Some(MeterPosition {
            interval_ms: HOUR as u32,
            last_boundary_ms: at,
            last,
        })
    }

    /// The profile's readings over `n` hours from `t`, starting at `start`.
    fn expected(start: Registers, t: u64, n: usize) -> Vec<Registers> {
        cumulative(start, PV.0.intervals(PV.1, t, HOUR as u32, n)).unwrap()
    }

    #[test]
    fn a_new_meter_starts_at_from_with_the_given_registers() {
        let start = r(10, 20);
        // --from inside an hour is rounded down; --until too.
        let p = plan_profile(
            PV,
            start,
            None,
            Some(JULY + 5),
            JULY + 48 * HOUR + 7,
            HOUR as u32,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.start_ms, JULY);
        assert_eq!(p.registers, expected(start, JULY, 48));
        assert!(plan_profile(PV, start, None, None, JULY, HOUR as u32).is_err());
        assert_eq!(
            plan_profile(PV, start, None, Some(JULY), JULY + HOUR - 1, HOUR as u32).unwrap(),
            None
        );
    }

    #[test]
    fn a_resumed_profile_continues_exactly_where_the_meter_left_off() {
        let start = r(0, 1_000);
        let whole = expected(start, JULY, 72);
        // The meter accepted the first day; the rest picks up at its last reading, even with the
        // same --from again, and matches one run over all three days.
        let p = plan_profile(
            PV,
            start,
            pos(JULY + 24 * HOUR, whole[24]),
            Some(JULY),
            JULY + 72 * HOUR,
            HOUR as u32,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.start_ms, JULY + 24 * HOUR);
        assert_eq!(p.registers, whole[24..].to_vec());
        // Caught up: nothing to post.
        let done = pos(JULY + 72 * HOUR, whole[72]);
        let p = plan_profile(PV, start, done, None, JULY + 72 * HOUR, HOUR as u32).unwrap();
        assert_eq!(p, None);
        // A later --from skips ahead; the registers still count the skipped day's energy.
        let p = plan_profile(
            PV,
            start,
            pos(JULY, start),
            Some(JULY + 24 * HOUR),
            JULY + 72 * HOUR,
            HOUR as u32,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.start_ms, JULY + 24 * HOUR);
        assert_eq!(p.registers, whole[24..].to_vec());
    }

    #[test]
    fn one_step_plans_at_most_a_hundred_batches() {
        let p = plan_profile(
            PV,
            r(0, 0),
            None,
            Some(JULY - 3 * 365 * 24 * HOUR),
            JULY,
            HOUR as u32,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.registers.len(), STEP_MAX_INTERVALS + 1);
        assert_eq!(
            readings::batches(p.start_ms, HOUR as u32, &p.registers).len(),
            100
        );
        let far = plan_profile(PV, r(0, 0), pos(0, r(0, 0)), Some(JULY), JULY, 900_000);
        assert!(far.is_err());
    }

    #[test]
    fn csv_rows_resume_after_the_meter_position() {
        let rows: Vec<_> = (0..6u64)
            .map(|i| (JULY + i * HOUR, r(100 + i * 10, 5)))
            .collect();
        let all = plan_rows(&rows, None, None, u64::MAX, HOUR as u32)
            .unwrap()
            .unwrap();
        assert_eq!((all.start_ms, all.registers.len()), (JULY, 6));
        // Only rows ending by `until`, from `from`.
        let p = plan_rows(&rows, None, Some(JULY + HOUR), JULY + 3 * HOUR, HOUR as u32)
            .unwrap()
            .unwrap();
        assert_eq!((p.start_ms, p.registers.len()), (JULY + HOUR, 3));
        // From the meter's last reading, which must match the CSV's.
        let p = plan_rows(
            &rows,
            pos(JULY + 2 * HOUR, r(120, 5)),
            None,
            u64::MAX,
            HOUR as u32,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            p.registers,
            rows[2..].iter().map(|x| x.1).collect::<Vec<_>>()
        );
        assert!(plan_rows(
            &rows,
            pos(JULY + 2 * HOUR, r(121, 5)),
            None,
            u64::MAX,
            HOUR as u32
        )
        .is_err());
        // A gap before the CSV starts is fine; registers below the meter's are not.
        assert!(plan_rows(
            &rows,
            pos(JULY - HOUR, r(90, 5)),
            None,
            u64::MAX,
            HOUR as u32
        )
        .unwrap()
        .is_some());
        assert!(plan_rows(
            &rows,
            pos(JULY - HOUR, r(101, 5)),
            None,
            u64::MAX,
            HOUR as u32
        )
        .is_err());
        // Caught up, or one reading only: nothing to post.
        assert_eq!(
            plan_rows(
                &rows,
                pos(JULY + 5 * HOUR, r(150, 5)),
                None,
                u64::MAX,
                HOUR as u32
            )
            .unwrap(),
            None
        );
        // Misaligned or not one interval apart.
        let odd: Vec<_> = rows.iter().map(|(t, x)| (t + 1, *x)).collect();
        assert!(plan_rows(&odd, None, None, u64::MAX, HOUR as u32).is_err());
        assert!(plan_rows(&rows, None, None, u64::MAX, 900_000).is_err());
    }
}
