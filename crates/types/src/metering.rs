//! Sites, meters and interval readings (the market issue's metering part).
use crate::{
    codec_util::{read_string, string_size, write_string},
    Address, Error, TEXT_MAX_BYTES,
};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, RangeCfg, Read, ReadExt, Write};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A site's id chosen by the operator: 1 to 32 characters of `a-z`, `0-9`, `-`, `_`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SiteId(String);

impl SiteId {
    pub const MAX_LEN: usize = 32;

    pub fn new(s: impl Into<String>) -> Result<Self, Error> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s))
        } else {
            Err(Error::Unknown {
                kind: "site id (1-32 of a-z 0-9 - _)",
                value: s,
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Orders before every valid id: a lower bound for range scans, never a site.
    pub fn bound_min() -> Self {
        Self(String::new())
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SiteId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for SiteId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Write for SiteId {
    fn write(&self, buf: &mut impl BufMut) {
        write_string(&self.0, buf);
    }
}

impl EncodeSize for SiteId {
    fn encode_size(&self) -> usize {
        string_size(&self.0)
    }
}

impl Read for SiteId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Self::new(read_string(buf, Self::MAX_LEN)?)
            .map_err(|_| commonware_codec::Error::Invalid("SiteId", "bad characters"))
    }
}

crate::role::code_enum!(
    /// What kind of site a meter measures.
    SiteKind {
        CommercialBuilding = 0 => "commercial_building",
        Household = 1 => "household",
    }
);

/// Operator only: a site (building or household) owned by a participant, on a feeder, billed
/// under a tariff class (`residential-low`, `residential-high`, `general-low`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterSite {
    pub site: SiteId,
    pub owner: Address,
    pub kind: SiteKind,
    pub tariff_class: String,
    /// Contracted demand in kW (buildings on general service); 0 where it does not apply.
    pub contract_kw: u32,
    pub feeder: u32,
    pub name: String,
}

/// Operator only: bind a registered meter device to a site. A meter measures one site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindMeter {
    pub meter: Address,
    pub site: SiteId,
}

/// Signed by a meter: consecutive intervals starting at `first_interval_start_ms`, each
/// `interval_ms` long, with the cumulative import and export registers (Wh) at each interval's
/// end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitReadings {
    pub first_interval_start_ms: u64,
    pub interval_ms: u32,
    pub registers: Vec<Registers>,
}

/// Cumulative register values at the end of an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registers {
    pub import_wh: u64,
    pub export_wh: u64,
}

/// Operator only: adjust a site's measured month (KST) with a reason; kept as an audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectReadings {
    pub site: SiteId,
    /// Month as `YYYYMM` (e.g. 202507).
    pub month: u32,
    pub import_adjust_wh: i64,
    pub export_adjust_wh: i64,
    pub reason: String,
}

impl SubmitReadings {
    /// Most register readings in one transaction: the start boundary and up to 191 intervals
    /// after it (the name is historical; the SDK batches 191 intervals).
    pub const MAX_INTERVALS: usize = 192;
    /// Interval lengths a meter may report.
    pub const INTERVALS_MS: [u32; 2] = [900_000, 3_600_000];
}

impl Write for Registers {
    fn write(&self, b: &mut impl BufMut) {
        self.import_wh.write(b);
        self.export_wh.write(b);
    }
}
impl FixedSize for Registers {
    const SIZE: usize = 16;
}
impl Read for Registers {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            import_wh: u64::read(b)?,
            export_wh: u64::read(b)?,
        })
    }
}

impl Write for RegisterSite {
    fn write(&self, b: &mut impl BufMut) {
        self.site.write(b);
        self.owner.write(b);
        self.kind.write(b);
        write_string(&self.tariff_class, b);
        self.contract_kw.write(b);
        self.feeder.write(b);
        write_string(&self.name, b);
    }
}
impl EncodeSize for RegisterSite {
    fn encode_size(&self) -> usize {
        self.site.encode_size()
            + Address::SIZE
            + 1
            + string_size(&self.tariff_class)
            + 4
            + 4
            + string_size(&self.name)
    }
}
impl Read for RegisterSite {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            site: SiteId::read(b)?,
            owner: Address::read(b)?,
            kind: SiteKind::read(b)?,
            tariff_class: read_string(b, 32)?,
            contract_kw: u32::read(b)?,
            feeder: u32::read(b)?,
            name: read_string(b, TEXT_MAX_BYTES)?,
        })
    }
}

impl Write for BindMeter {
    fn write(&self, b: &mut impl BufMut) {
        self.meter.write(b);
        self.site.write(b);
    }
}
impl EncodeSize for BindMeter {
    fn encode_size(&self) -> usize {
        Address::SIZE + self.site.encode_size()
    }
}
impl Read for BindMeter {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            meter: Address::read(b)?,
            site: SiteId::read(b)?,
        })
    }
}

impl Write for SubmitReadings {
    fn write(&self, b: &mut impl BufMut) {
        self.first_interval_start_ms.write(b);
        self.interval_ms.write(b);
        self.registers.write(b);
    }
}
impl EncodeSize for SubmitReadings {
    fn encode_size(&self) -> usize {
        8 + 4 + self.registers.encode_size()
    }
}
impl Read for SubmitReadings {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            first_interval_start_ms: u64::read(b)?,
            interval_ms: u32::read(b)?,
            registers: Vec::<Registers>::read_cfg(
                b,
                &(RangeCfg::from(1..=Self::MAX_INTERVALS), ()),
            )?,
        })
    }
}

impl Write for CorrectReadings {
    fn write(&self, b: &mut impl BufMut) {
        self.site.write(b);
        self.month.write(b);
        (self.import_adjust_wh as u64).write(b);
        (self.export_adjust_wh as u64).write(b);
        write_string(&self.reason, b);
    }
}
impl EncodeSize for CorrectReadings {
    fn encode_size(&self) -> usize {
        self.site.encode_size() + 4 + 8 + 8 + string_size(&self.reason)
    }
}
impl Read for CorrectReadings {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            site: SiteId::read(b)?,
            month: u32::read(b)?,
            import_adjust_wh: u64::read(b)? as i64,
            export_adjust_wh: u64::read(b)? as i64,
            reason: read_string(b, TEXT_MAX_BYTES)?,
        })
    }
}

/// Korea Standard Time is UTC+9 all year (no daylight saving).
pub const KST_OFFSET_MS: u64 = 9 * 3_600_000;
const DAY_MS: u64 = 86_400_000;

/// (year, month, day) in KST of a Unix time in ms (proleptic Gregorian, integer arithmetic).
pub fn kst_date(ts_ms: u64) -> (i64, u32, u32) {
    let days = ((ts_ms.saturating_add(KST_OFFSET_MS)) / DAY_MS) as i64;
    civil_from_days(days)
}

/// `YYYYMM` of the KST month containing `ts_ms`.
pub fn kst_month(ts_ms: u64) -> u32 {
    let (y, m, _) = kst_date(ts_ms);
    (y as u32) * 100 + m
}

/// `YYYYMMDD` of the KST day containing `ts_ms`.
pub fn kst_day(ts_ms: u64) -> u32 {
    let (y, m, d) = kst_date(ts_ms);
    (y as u32) * 10_000 + m * 100 + d
}

/// Unix ms of 00:00 KST on the first day of month `yyyymm`; `None` for an invalid month.
pub fn kst_month_start_ms(yyyymm: u32) -> Option<u64> {
    let (y, m) = ((yyyymm / 100) as i64, yyyymm % 100);
    if !(1..=12).contains(&m) || y < 1970 {
        return None;
    }
    let days = days_from_civil(y, m, 1);
    (days as u64)
        .checked_mul(DAY_MS)?
        .checked_sub(KST_OFFSET_MS)
}

/// The month after `yyyymm`.
pub fn next_month(yyyymm: u32) -> u32 {
    if yyyymm % 100 >= 12 {
        (yyyymm / 100 + 1) * 100 + 1
    } else {
        yyyymm + 1
    }
}

// Howard Hinnant's algorithms for days <-> civil dates.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    #[test]
    fn kst_calendar() {
        // 2025-06-30T15:00:00Z is 2025-07-01 00:00 KST.
        let t = 1_751_295_600_000;
        assert_eq!(kst_date(t), (2025, 7, 1));
        assert_eq!(kst_date(t - 1), (2025, 6, 30));
        assert_eq!(kst_month(t), 202507);
        assert_eq!(kst_day(t - 1), 20250630);
        assert_eq!(kst_month_start_ms(202507), Some(t));
        assert_eq!(kst_month_start_ms(202413), None);
        assert_eq!(next_month(202512), 202601);
        assert_eq!(next_month(202502), 202503);
        // Leap day 2024-02-29 12:00 KST.
        assert_eq!(kst_date(1_709_175_600_000), (2024, 2, 29));
        for (ym, prev) in [
            (200002, 200001),
            (202403, 202402),
            (202501, 202412),
            (209912, 209911),
        ] {
            let s = kst_month_start_ms(ym).unwrap();
            assert_eq!(kst_month(s), ym);
            assert_eq!(kst_month(s - 1), prev);
        }
        // Midnight KST 1970-01-01 is before the Unix epoch.
        assert_eq!(kst_month_start_ms(197001), None);
    }

    #[test]
    fn payloads_round_trip_and_bounds() {
        let r = SubmitReadings {
            first_interval_start_ms: 7,
            interval_ms: 900_000,
            registers: vec![
                Registers {
                    import_wh: 1,
                    export_wh: 2
                };
                3
            ],
        };
        assert_eq!(SubmitReadings::decode(r.encode()).unwrap(), r);
        let mut big = r.clone();
        big.registers = vec![
            Registers {
                import_wh: 1,
                export_wh: 2
            };
            SubmitReadings::MAX_INTERVALS + 1
        ];
        assert!(SubmitReadings::decode(big.encode()).is_err());
        let mut empty = r;
        empty.registers.clear();
        assert!(SubmitReadings::decode(empty.encode()).is_err());
        let c = CorrectReadings {
            site: SiteId::new("b-1").unwrap(),
            month: 202507,
            import_adjust_wh: -500,
            export_adjust_wh: 3,
            reason: "meter swap".into(),
        };
        assert_eq!(CorrectReadings::decode(c.encode()).unwrap(), c);
        assert!(SiteId::new("Bad Id").is_err());
        assert!(SiteId::new("").is_err());
    }
}
