//! Meter readings on the client side: interval energies to cumulative registers, registers to
//! `SubmitReadings` batches, and where a meter left off on chain.
//!
//! A batch carries register readings at interval boundaries: `registers[0]` at
//! `first_interval_start_ms`, `registers[i]` at the end of interval `i`. A batch that continues
//! the previous one repeats its last reading.
use crate::{Client, Error, Result};
use gridledger_types::{Address, Payload, Registers, SubmitReadings};

/// Energy through a meter in one interval (Wh).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntervalEnergy {
    pub import_wh: u64,
    pub export_wh: u64,
}

/// The register readings at each boundary: `start`, then after each interval. `None` if a
/// register would pass `u64::MAX`.
pub fn cumulative(
    start: Registers,
    energies: impl IntoIterator<Item = IntervalEnergy>,
) -> Option<Vec<Registers>> {
    let mut out = vec![start];
    let mut r = start;
    for e in energies {
        r = Registers {
            import_wh: r.import_wh.checked_add(e.import_wh)?,
            export_wh: r.export_wh.checked_add(e.export_wh)?,
        };
        out.push(r);
    }
    Some(out)
}

/// Most intervals in one batch. The codec bounds a batch's register list, which holds one
/// reading more than the batch has intervals, by [SubmitReadings::MAX_INTERVALS]; so a batch
/// carries one interval less than that constant's name says.
pub const BATCH_MAX_INTERVALS: usize = SubmitReadings::MAX_INTERVALS - 1;

/// Splits boundary readings (the first at `first_interval_start_ms`, one interval apart) into
/// batches of at most [BATCH_MAX_INTERVALS] intervals, each starting with the previous batch's
/// last reading. Fewer than two readings make no batch.
pub fn batches(
    first_interval_start_ms: u64,
    interval_ms: u32,
    registers: &[Registers],
) -> Vec<SubmitReadings> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < registers.len() {
        let end = (i + BATCH_MAX_INTERVALS).min(registers.len() - 1);
        out.push(SubmitReadings {
            first_interval_start_ms: first_interval_start_ms
                .saturating_add((i as u64).saturating_mul(u64::from(interval_ms))),
            interval_ms,
            registers: registers[i..=end].to_vec(),
        });
        i = end;
    }
    out
}

/// Where a meter's next batch continues: its last boundary reading on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeterPosition {
    pub interval_ms: u32,
    pub last_boundary_ms: u64,
    pub last: Registers,
}

impl MeterPosition {
    /// The position after `batch` was accepted.
    pub fn after(batch: &SubmitReadings) -> Option<Self> {
        let intervals = batch.registers.len().checked_sub(1)? as u64;
        Some(Self {
            interval_ms: batch.interval_ms,
            last_boundary_ms: u64::from(batch.interval_ms)
                .checked_mul(intervals)?
                .checked_add(batch.first_interval_start_ms)?,
            last: *batch.registers.last()?,
        })
    }
}

/// Most history pages [last_position] reads before giving up.
pub const POSITION_MAX_PAGES: usize = 50;

/// The meter's position from its newest successful `SubmitReadings` (the only transaction that
/// moves it), found in the meter's history; `None` if it never reported.
pub async fn last_position(client: &Client, meter: &Address) -> Result<Option<MeterPosition>> {
    let me = meter.to_hex();
    let mut cursor: Option<String> = None;
    for _ in 0..POSITION_MAX_PAGES {
        let page = client.history(meter, Some(100), cursor.as_deref()).await?;
        for item in &page.items {
            let signer = item.tx.get("signer").and_then(|s| s.as_str());
            if signer != Some(me.as_str()) || !item.receipt.is_success() {
                continue;
            }
            let Some(payload) = item.tx.get("payload") else {
                continue;
            };
            if let Ok(Payload::SubmitReadings(batch)) = serde_json::from_value(payload.clone()) {
                return MeterPosition::after(&batch)
                    .map(Some)
                    .ok_or_else(|| Error::Decode(format!("readings batch in tx {}", item.hash)));
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(None),
        }
    }
    Err(Error::Invalid(format!(
        "no accepted readings in the newest {} of meter {meter}'s transactions",
        POSITION_MAX_PAGES * 100
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridledger_types::{DecodeExt, Encode};

    fn r(import_wh: u64, export_wh: u64) -> Registers {
        Registers {
            import_wh,
            export_wh,
        }
    }

    #[test]
    fn cumulative_adds_up_and_refuses_overflow() {
        let e = |i, x| IntervalEnergy {
            import_wh: i,
            export_wh: x,
        };
        let regs = cumulative(r(100, 7), [e(5, 0), e(0, 3), e(2, 2)]).unwrap();
        assert_eq!(regs, vec![r(100, 7), r(105, 7), r(105, 10), r(107, 12)]);
        assert_eq!(cumulative(r(1, 1), []).unwrap(), vec![r(1, 1)]);
        assert!(cumulative(r(u64::MAX, 0), [e(1, 0)]).is_none());
    }

    #[test]
    fn batches_repeat_the_previous_last_reading() {
        // 400 readings -> 399 intervals -> 191 + 191 + 17.
        let regs: Vec<_> = (0..400).map(|i| r(i, 0)).collect();
        let b = batches(3_600_000, 3_600_000, &regs);
        let lens: Vec<_> = b.iter().map(|x| x.registers.len()).collect();
        assert_eq!(lens, vec![192, 192, 18]);
        assert_eq!(b[1].first_interval_start_ms, 3_600_000 * 192);
        assert_eq!(b[1].registers[0], b[0].registers[191]);
        // A full batch survives the canonical codec; one more interval would not.
        let full = Payload::SubmitReadings(b[0].clone());
        assert_eq!(Payload::decode(full.encode()).unwrap(), full);
        let mut over = b[0].clone();
        over.registers.push(r(999, 0));
        assert!(SubmitReadings::decode(over.encode()).is_err());
        let pos = MeterPosition::after(&b[2]).unwrap();
        assert_eq!(pos.last_boundary_ms, 3_600_000 * 400);
        assert_eq!(pos.last, r(399, 0));
        assert!(batches(0, 900_000, &regs[..1]).is_empty());
        assert!(batches(0, 900_000, &[]).is_empty());
    }
}
