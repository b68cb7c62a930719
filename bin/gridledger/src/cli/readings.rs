//! `gridledger readings import`: submit a meter's exported AMI readings (CSV) in signed batches.
//!
//! CSV rows are register readings at interval boundaries, oldest first:
//! `timestamp,import_wh,export_wh` where `timestamp` is Unix milliseconds or `YYYY-MM-DD HH:MM`
//! in Korea time. A header line is allowed. Consecutive rows must be one interval apart.
use super::{client, load_key, Exit, EXIT_TX_FAILED};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gridledger_sdk::TxSigner;
use gridledger_types::{Payload, Registers, SubmitReadings};
use std::{path::PathBuf, time::Duration};

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

/// Parses the CSV into (timestamp ms, registers) rows.
pub fn parse_csv(text: &str) -> anyhow::Result<Vec<(u64, Registers)>> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        // Skip blank lines and a header line.
        if line.is_empty() || (n == 0 && !line.starts_with(|c: char| c.is_ascii_digit())) {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != 3 {
            bail!("line {}: expected timestamp,import_wh,export_wh", n + 1);
        }
        let ts = parse_time(cols[0]).with_context(|| format!("line {}: timestamp", n + 1))?;
        let import_wh = cols[1]
            .parse()
            .with_context(|| format!("line {}: import_wh", n + 1))?;
        let export_wh = cols[2]
            .parse()
            .with_context(|| format!("line {}: export_wh", n + 1))?;
        rows.push((
            ts,
            Registers {
                import_wh,
                export_wh,
            },
        ));
    }
    Ok(rows)
}

/// Unix ms, or `YYYY-MM-DD HH:MM` (also with `T`) in KST.
pub fn parse_time(s: &str) -> anyhow::Result<u64> {
    if let Ok(ms) = s.parse::<u64>() {
        return Ok(ms);
    }
    let s = s.replace('T', " ");
    let (date, time) = s.split_once(' ').context("expected YYYY-MM-DD HH:MM")?;
    let d: Vec<u32> = date.split('-').map(str::parse).collect::<Result<_, _>>()?;
    let t: Vec<u32> = time.split(':').map(str::parse).collect::<Result<_, _>>()?;
    if d.len() != 3 || t.len() < 2 || t[0] > 23 || t[1] > 59 {
        bail!("expected YYYY-MM-DD HH:MM");
    }
    let month_start =
        gridledger_types::kst_month_start_ms(d[0] * 100 + d[1]).context("invalid month")?;
    if !(1..=31).contains(&d[2]) {
        bail!("invalid day");
    }
    let ms = month_start
        + u64::from(d[2] - 1) * 86_400_000
        + u64::from(t[0]) * 3_600_000
        + u64::from(t[1]) * 60_000;
    // Check the day exists in that month (e.g. no Feb 30).
    if gridledger_types::kst_month(ms) != d[0] * 100 + d[1] {
        bail!("invalid day");
    }
    Ok(ms)
}

/// Splits rows into batch payloads of at most `SubmitReadings::MAX_INTERVALS` intervals, each
/// starting with the previous batch's last reading.
pub fn batches(rows: &[(u64, Registers)], interval_ms: u32) -> anyhow::Result<Vec<Payload>> {
    if rows.len() < 2 {
        bail!("need at least two readings (one interval)");
    }
    for w in rows.windows(2) {
        if w[1].0 != w[0].0 + u64::from(interval_ms) {
            bail!(
                "readings at {} and {} are not one interval apart",
                w[0].0,
                w[1].0
            );
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < rows.len() {
        let end = (i + SubmitReadings::MAX_INTERVALS).min(rows.len() - 1);
        out.push(Payload::SubmitReadings(SubmitReadings {
            first_interval_start_ms: rows[i].0,
            interval_ms,
            registers: rows[i..=end].iter().map(|(_, r)| *r).collect(),
        }));
        i = end;
    }
    Ok(out)
}

pub async fn run(cmd: ReadingsCmd) -> anyhow::Result<()> {
    let ReadingsCmd::Import(a) = cmd;
    if a.interval_min != 15 && a.interval_min != 60 {
        bail!("--interval-min must be 15 or 60");
    }
    let text = std::fs::read_to_string(&a.csv)
        .with_context(|| format!("cannot read {}", a.csv.display()))?;
    let payloads = batches(&parse_csv(&text)?, a.interval_min * 60_000)?;
    let client = client(a.rpc.as_deref())?;
    let key = load_key(&a.key, a.password_file.as_ref())?;
    let mut signer = TxSigner::connect(&client, key, None).await?;
    let mut failed = false;
    for p in payloads {
        let tx = signer.sign(p, None);
        let hash = client.submit(&tx).await?;
        let v = client.wait_for_tx(&hash, Duration::from_secs(60)).await?;
        match &v.receipt.status {
            gridledger_types::TxStatus::Success => println!("tx {hash} success"),
            gridledger_types::TxStatus::Failed { code, message } => {
                println!("tx {hash} failed {code}: {message}");
                failed = true;
                break;
            }
        }
    }
    if failed {
        return Err(Exit(EXIT_TX_FAILED).into());
    }
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
        // 400 hourly readings -> 399 intervals -> batches of 192, 192, 15, each repeating the
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
        let lens: Vec<usize> = b
            .iter()
            .map(|p| match p {
                Payload::SubmitReadings(r) => r.registers.len(),
                _ => 0,
            })
            .collect();
        assert_eq!(lens, vec![193, 193, 16]);
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
