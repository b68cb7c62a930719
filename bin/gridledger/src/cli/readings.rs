//! `gridledger readings import`: submit a meter's exported AMI readings (CSV) in signed batches.
//!
//! CSV rows are register readings at interval boundaries, oldest first:
//! `timestamp,import_wh,export_wh` where `timestamp` is Unix milliseconds, `YYYY-MM-DD HH:MM` in
//! Korea time or RFC 3339. A header line is allowed. Consecutive rows must be one interval apart.
//! Parsing and posting are [gridledger_agents::readings], shared with `gridledger meter-agent`.
use super::{client, load_key};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
pub use gridledger_agents::readings::{check_rows, fmt_kst, parse_csv, parse_time};
use gridledger_sdk::{readings, Client, TxSigner};
use gridledger_types::{Registers, SubmitReadings};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ReadingsCmd {
    /// Sign and submit a CSV of boundary readings with the meter's key.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(long)]
    pub csv: PathBuf,
    /// Interval length in minutes: 15 or 60.
    #[arg(long, default_value_t = 60)]
    pub interval_min: u32,
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// The meter's key file.
    #[arg(long)]
    pub key: PathBuf,
    #[arg(long)]
    pub password_file: Option<PathBuf>,
}

/// Splits rows into batches of at most `readings::BATCH_MAX_INTERVALS` intervals, each
/// starting with the previous batch's last reading.
pub fn batches(rows: &[(u64, Registers)], interval_ms: u32) -> anyhow::Result<Vec<SubmitReadings>> {
    check_rows(rows, interval_ms)?;
    let regs: Vec<Registers> = rows.iter().map(|(_, r)| *r).collect();
    Ok(readings::batches(rows[0].0, interval_ms, &regs))
}

/// Signs, submits and waits for each batch in turn, printing one line per batch; stops at the
/// first failed transaction with [EXIT_TX_FAILED]. Returns how many batches were accepted.
pub async fn post_batches(
    client: &Client,
    signer: &mut TxSigner,
    batches: Vec<SubmitReadings>,
) -> anyhow::Result<usize> {
    gridledger_agents::readings::post_batches(client, signer, batches, true)
        .await
        .map_err(super::agent::exit_on_failed_tx)
}

pub async fn run(cmd: ReadingsCmd) -> anyhow::Result<()> {
    let ReadingsCmd::Import(a) = cmd;
    if a.interval_min != 15 && a.interval_min != 60 {
        bail!("--interval-min must be 15 or 60");
    }
    let text = std::fs::read_to_string(&a.csv)
        .with_context(|| format!("cannot read {}", a.csv.display()))?;
    let batches = batches(&parse_csv(&text)?, a.interval_min * 60_000)?;
    let client = client(a.rpc.as_deref())?;
    let key = load_key(&a.key, a.password_file.as_ref())?;
    let mut signer = TxSigner::connect(&client, key, None).await?;
    let client = signer.reads(&client);
    post_batches(&client, &mut signer, batches).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_times_and_batches() {
        // 2025-07-01 00:00 KST.
        assert_eq!(parse_time("2025-07-01 00:00").unwrap(), 1_751_295_600_000);
        assert_eq!(parse_time("2025-07-01T01:00").unwrap(), 1_751_299_200_000);
        assert!(parse_time("2025-02-30 00:00").is_err());
        assert!(parse_time("yesterday").is_err());
        // RFC 3339 in any zone, seconds and fractions.
        for t in [
            "2025-07-01T00:00:00+09:00",
            "2025-06-30T15:00:00Z",
            "2025-06-30T15:00:00.000Z",
            "2025-06-30T10:00:00-05:00",
            "2025-07-01 00:00:00",
        ] {
            assert_eq!(parse_time(t).unwrap(), 1_751_295_600_000, "{t}");
        }
        assert_eq!(
            parse_time("2025-06-30T15:00:01.25Z").unwrap(),
            1_751_295_601_250
        );
        for bad in [
            "2025-13-01 00:00",
            "2025-07-01 24:00",
            "2025-07-01 00:00:60",
            "2025-07-01T00:00+9",
            "2025-07-01T00:00+25:00",
            "4294967295-4294967295-1 00:00",
            "1970-01-01T00:00:00+09:01",
            "2025-07-01 00:00:0x.1",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(fmt_kst(1_751_295_600_000), "2025-07-01 00:00");
        assert_eq!(fmt_kst(1_751_295_600_000 - 60_000), "2025-06-30 23:59");
        let csv = "timestamp,import_wh,export_wh\n2025-07-01 00:00,10,0\n2025-07-01 01:00,20,5\n";
        let rows = parse_csv(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1].1,
            Registers {
                import_wh: 20,
                export_wh: 5
            }
        );
        let b = batches(&rows, 3_600_000).unwrap();
        assert_eq!(b.len(), 1);
        // 400 hourly readings -> 399 intervals -> batches of 191, 191, 17, each repeating the
        // previous batch's last reading.
        let many: Vec<_> = (0..400u64)
            .map(|i| {
                (
                    i * 3_600_000,
                    Registers {
                        import_wh: i,
                        export_wh: 0,
                    },
                )
            })
            .collect();
        let b = batches(&many, 3_600_000).unwrap();
        let lens: Vec<usize> = b.iter().map(|r| r.registers.len()).collect();
        assert_eq!(lens, vec![192, 192, 18]);
        let gap = vec![
            (
                0,
                Registers {
                    import_wh: 0,
                    export_wh: 0,
                },
            ),
            (
                7_200_000,
                Registers {
                    import_wh: 1,
                    export_wh: 0,
                },
            ),
        ];
        assert!(batches(&gap, 3_600_000).is_err());
        assert!(parse_csv("1,2\n").is_err());
    }
}
