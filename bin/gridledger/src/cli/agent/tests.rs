use super::*;
use clap::Parser;
use gridledger_agents::meter::{plan_profile, plan_rows, STEP_MAX_INTERVALS};
use gridledger_sdk::readings::{self, cumulative, MeterPosition};

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

#[derive(Debug, Parser)]
struct T {
    #[command(flatten)]
    a: AgentArgs,
}

fn parse(args: &[&str]) -> Result<AgentArgs, clap::Error> {
    let mut v = vec!["t", "--key", "m.json"];
    v.extend_from_slice(args);
    T::try_parse_from(v).map(|t| t.a)
}

#[test]
fn arguments() {
    let a = parse(&[
        "--profile",
        "prosumer:300,5000",
        "--from",
        "2025-07-01 00:00",
    ])
    .unwrap();
    assert_eq!(
        a.profile,
        Some(Profile::Prosumer {
            monthly_kwh: 300,
            peak_w: 5_000
        })
    );
    assert_eq!(
        (a.interval, a.from, a.follow),
        (3_600_000, Some(JULY), false)
    );
    let a = parse(&["--csv", "x.csv", "--interval", "15m", "--follow"]).unwrap();
    assert_eq!(a.interval, 900_000);
    for bad in [
        vec![],
        vec!["--csv", "x.csv", "--profile", "pv:1"],
        vec!["--profile", "pv:1", "--follow", "--to", "1"],
        vec!["--profile", "pv:0"],
        vec!["--profile", "pv:1", "--interval", "30m"],
        vec!["--csv", "x.csv", "--seed", "s"],
        vec!["--csv", "x.csv", "--start-export-wh", "5"],
        vec!["--profile", "pv:1", "--from", "2025-02-30 00:00"],
        vec!["--profile", "pv:1", "--follow", "--poll-secs", "0"],
    ] {
        assert!(parse(&bad).is_err(), "{bad:?}");
    }
}
