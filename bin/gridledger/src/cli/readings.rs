//! `gridledger readings import`: submit a meter's exported AMI readings (CSV) in signed batches.
//!
//! CSV rows are register readings at interval boundaries, oldest first:
//! `timestamp,import_wh,export_wh` where `timestamp` is Unix milliseconds, `YYYY-MM-DD HH:MM` in
//! Korea time or RFC 3339. A header line is allowed. Consecutive rows must be one interval apart.
//! The batching and posting here are shared with `gridledger meter-agent`.
use super::{client, load_key, Exit, EXIT_TX_FAILED};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gridledger_sdk::{
    readings::{self, MeterPosition},
    Client, TxSigner,
};
use gridledger_types::{Payload, Registers, SubmitReadings, TxStatus};
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

/// Unix ms; or `YYYY-MM-DD HH:MM[:SS[.fff]]` (also with `T`) in KST, or in another zone with an
/// RFC 3339 suffix (`Z`, `+09:00`, `-05:00`).
pub fn parse_time(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<u64>() {
        return Ok(ms);
    }
    let (local, offset_min) = split_offset(s)?;
    let local = local.replace('T', " ");
    let (date, time) = local.split_once(' ').context("expected YYYY-MM-DD HH:MM")?;
    let d: Vec<u32> = date.split('-').map(str::parse).collect::<Result<_, _>>()?;
    let (hm, secs) = match time.splitn(3, ':').collect::<Vec<_>>()[..] {
        [h, m] => ([h, m], "0"),
        [h, m, s] => ([h, m], s),
        _ => bail!("expected HH:MM or HH:MM:SS"),
    };
    let (h, m): (u64, u64) = (hm[0].parse()?, hm[1].parse()?);
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
    let sec: u64 = whole.parse()?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        bail!("bad fraction of a second");
    }
    let milli: u64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse()?;
    if d.len() != 3
        || !(1970..=9999).contains(&d[0])
        || !(1..=12).contains(&d[1])
        || h > 23
        || m > 59
        || sec > 59
    {
        bail!("expected YYYY-MM-DD HH:MM");
    }
    let month = d[0] * 100 + d[1];
    let month_start = gridledger_types::kst_month_start_ms(month).context("invalid month")?;
    if !(1..=31).contains(&d[2]) {
        bail!("invalid day");
    }
    let kst_ms = month_start
        + u64::from(d[2] - 1) * 86_400_000
        + h * 3_600_000
        + m * 60_000
        + sec * 1_000
        + milli;
    // Check the day exists in that month (e.g. no Feb 30).
    if gridledger_types::kst_month(kst_ms) != month {
        bail!("invalid day");
    }
    // The same wall-clock time at `offset_min` east of UTC instead of KST (+540).
    let utc = i128::from(kst_ms) + (540 - i128::from(offset_min)) * 60_000;
    u64::try_from(utc).context("time before 1970")
}

/// Splits an RFC 3339 zone suffix off a date-time: (rest, minutes east of UTC), KST without one.
fn split_offset(s: &str) -> anyhow::Result<(&str, i64)> {
    if let Some(rest) = s.strip_suffix(['Z', 'z']) {
        return Ok((rest, 0));
    }
    // A sign after the date (whose own '-' are in the first 10 bytes) starts an offset.
    let Some(i) = s
        .char_indices()
        .skip(10)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i)
    else {
        return Ok((s, 540));
    };
    let (rest, off) = s.split_at(i);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let (h, m) = off[1..].split_once(':').context("offset must be +HH:MM")?;
    let (h, m): (i64, i64) = (h.parse()?, m.parse()?);
    if h > 23 || m > 59 {
        bail!("offset out of range");
    }
    Ok((rest, sign * (h * 60 + m)))
}

/// `YYYY-MM-DD HH:MM` in KST.
pub fn fmt_kst(ms: u64) -> String {
    let (y, mo, d) = gridledger_types::kst_date(ms);
    let minute = (ms.saturating_add(gridledger_types::KST_OFFSET_MS) % 86_400_000) / 60_000;
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}",
        minute / 60,
        minute % 60
    )
}

/// Checks that rows are at least two readings, one interval apart.
pub fn check_rows(rows: &[(u64, Registers)], interval_ms: u32) -> anyhow::Result<()> {
    if rows.len() < 2 {
        bail!("need at least two readings (one interval)");
    }
    for w in rows.windows(2) {
        if w[0].0.checked_add(u64::from(interval_ms)) != Some(w[1].0) {
            bail!(
                "readings at {} and {} are not one interval apart",
                w[0].0,
                w[1].0
            );
        }
    }
    Ok(())
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
    post_batches_with(client, signer, batches, true).await
}

/// [post_batches], printing each batch's line only when `print` (the demo's agents are quiet).
pub async fn post_batches_with(
    client: &Client,
    signer: &mut TxSigner,
    batches: Vec<SubmitReadings>,
    print: bool,
) -> anyhow::Result<usize> {
    let mut done = 0;
    for b in batches {
        let (Some(first), Some(last)) = (b.registers.first(), b.registers.last()) else {
            continue;
        };
        let end = MeterPosition::after(&b).map_or(0, |p| p.last_boundary_ms);
        let summary = format!(
            "{}..{} KST {} intervals import {} Wh export {} Wh",
            fmt_kst(b.first_interval_start_ms),
            fmt_kst(end),
            b.registers.len() - 1,
            last.import_wh.saturating_sub(first.import_wh),
            last.export_wh.saturating_sub(first.export_wh),
        );
        let tx = signer.sign(Payload::SubmitReadings(b), None);
        let hash = client.submit(&tx).await?;
        let v = client.wait_for_tx(&hash, Duration::from_secs(60)).await?;
        match &v.receipt.status {
            TxStatus::Success => {
                if print {
                    println!("{summary} tx {hash} success");
                }
            }
            TxStatus::Failed { code, message } => {
                if !print {
                    bail!("{summary} tx {hash} failed {code}: {message}");
                }
                println!("{summary} tx {hash} failed {code}: {message}");
                return Err(Exit(EXIT_TX_FAILED).into());
            }
        }
        done += 1;
    }
    Ok(done)
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
