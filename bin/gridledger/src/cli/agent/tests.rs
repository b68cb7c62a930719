use super::*;
use clap::Parser;

/// 2025-07-01 00:00 KST.
const JULY: u64 = 1_751_295_600_000;

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
