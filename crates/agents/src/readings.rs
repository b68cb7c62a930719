//! Meter readings as the agents post them: CSV exports (`timestamp,import_wh,export_wh`), times
//! in Korea time or RFC 3339, and posting batches signed with the meter's key.
use crate::Error;
use gridledger_sdk::{readings::MeterPosition, Client, TxSigner};
use gridledger_types::{Payload, Registers, SubmitReadings, TxStatus};
use std::{str::FromStr, time::Duration};

fn bad(what: &str) -> Error {
    Error::Readings(what.to_string())
}

/// A number, or the parser's complaint as an [Error::Readings].
fn num<T: FromStr>(s: &str) -> Result<T, Error>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e: T::Err| Error::Readings(e.to_string()))
}

/// Parses the CSV into (timestamp ms, registers) rows.
pub fn parse_csv(text: &str) -> Result<Vec<(u64, Registers)>, Error> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        // Skip blank lines and a header line.
        if line.is_empty() || (n == 0 && !line.starts_with(|c: char| c.is_ascii_digit())) {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != 3 {
            return Err(Error::Readings(format!(
                "line {}: expected timestamp,import_wh,export_wh",
                n + 1
            )));
        }
        let ts = parse_time(cols[0])
            .map_err(|e| Error::Readings(format!("line {}: timestamp: {e}", n + 1)))?;
        let import_wh =
            num(cols[1]).map_err(|e| Error::Readings(format!("line {}: import_wh: {e}", n + 1)))?;
        let export_wh =
            num(cols[2]).map_err(|e| Error::Readings(format!("line {}: export_wh: {e}", n + 1)))?;
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
pub fn parse_time(s: &str) -> Result<u64, Error> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<u64>() {
        return Ok(ms);
    }
    let (local, offset_min) = split_offset(s)?;
    let local = local.replace('T', " ");
    let (date, time) = local
        .split_once(' ')
        .ok_or_else(|| bad("expected YYYY-MM-DD HH:MM"))?;
    let d: Vec<u32> = date.split('-').map(num).collect::<Result<_, _>>()?;
    let (hm, secs) = match time.splitn(3, ':').collect::<Vec<_>>()[..] {
        [h, m] => ([h, m], "0"),
        [h, m, s] => ([h, m], s),
        _ => return Err(bad("expected HH:MM or HH:MM:SS")),
    };
    let (h, m): (u64, u64) = (num(hm[0])?, num(hm[1])?);
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
    let sec: u64 = num(whole)?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("bad fraction of a second"));
    }
    let milli: u64 = num(&format!("{:0<3}", &frac[..frac.len().min(3)]))?;
    if d.len() != 3
        || !(1970..=9999).contains(&d[0])
        || !(1..=12).contains(&d[1])
        || h > 23
        || m > 59
        || sec > 59
    {
        return Err(bad("expected YYYY-MM-DD HH:MM"));
    }
    let month = d[0] * 100 + d[1];
    let month_start =
        gridledger_types::kst_month_start_ms(month).ok_or_else(|| bad("invalid month"))?;
    if !(1..=31).contains(&d[2]) {
        return Err(bad("invalid day"));
    }
    let kst_ms = month_start
        + u64::from(d[2] - 1) * 86_400_000
        + h * 3_600_000
        + m * 60_000
        + sec * 1_000
        + milli;
    // Check the day exists in that month (e.g. no Feb 30).
    if gridledger_types::kst_month(kst_ms) != month {
        return Err(bad("invalid day"));
    }
    // The same wall-clock time at `offset_min` east of UTC instead of KST (+540).
    let utc = i128::from(kst_ms) + (540 - i128::from(offset_min)) * 60_000;
    u64::try_from(utc).map_err(|_| bad("time before 1970"))
}

/// Splits an RFC 3339 zone suffix off a date-time: (rest, minutes east of UTC), KST without one.
fn split_offset(s: &str) -> Result<(&str, i64), Error> {
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
    let (h, m) = off[1..]
        .split_once(':')
        .ok_or_else(|| bad("offset must be +HH:MM"))?;
    let (h, m): (i64, i64) = (num(h)?, num(m)?);
    if h > 23 || m > 59 {
        return Err(bad("offset out of range"));
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
pub fn check_rows(rows: &[(u64, Registers)], interval_ms: u32) -> Result<(), Error> {
    if rows.len() < 2 {
        return Err(Error::Readings(
            "need at least two readings (one interval)".into(),
        ));
    }
    for w in rows.windows(2) {
        if w[0].0.checked_add(u64::from(interval_ms)) != Some(w[1].0) {
            return Err(Error::Readings(format!(
                "readings at {} and {} are not one interval apart",
                w[0].0, w[1].0
            )));
        }
    }
    Ok(())
}

/// Signs, submits and waits for each batch in turn; prints one line per batch posted when `print`
/// (the demo's agents are quiet). Stops at the first failed transaction with
/// [Error::TxFailed] (its line). Returns how many batches were accepted.
pub async fn post_batches(
    client: &Client,
    signer: &mut TxSigner,
    batches: Vec<SubmitReadings>,
    print: bool,
) -> Result<usize, Error> {
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
                return Err(Error::TxFailed(format!(
                    "{summary} tx {hash} failed {code}: {message}"
                )));
            }
        }
        done += 1;
    }
    Ok(done)
}
