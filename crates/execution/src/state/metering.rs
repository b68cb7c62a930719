//! Site and meter records, interval and monthly energy, their encoding and lookups.
//!
//! The rules that change them are in `tx/metering.rs`.
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    read_string, string_size, write_string, Address, Registers, SiteId, SiteKind, TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

/// Tariff classes a site may be billed under (the tariff crate's class names).
pub const TARIFF_CLASSES: [&str; 3] = ["residential-low", "residential-high", "general-low"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub owner: Address,
    pub kind: SiteKind,
    pub tariff_class: String,
    pub contract_kw: u32,
    pub feeder: u32,
    pub name: String,
    pub registered_at: u64,
}

/// A meter's binding and its last boundary reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterState {
    pub site: SiteId,
    /// 0 until the first batch.
    pub interval_ms: u32,
    /// Time of the last boundary reading (0 until the first batch).
    pub last_boundary_ms: u64,
    pub last: Registers,
}

/// A site's measured energy in one KST month, with the operator's audited corrections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthTotals {
    pub import_wh: u64,
    pub export_wh: u64,
    pub intervals: u32,
    pub corrections: u32,
}

/// Energy of one interval at a site (summed over its meters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalEnergy {
    pub import_wh: u64,
    pub export_wh: u64,
}

impl Write for Site {
    fn write(&self, b: &mut impl BufMut) {
        self.owner.write(b);
        self.kind.write(b);
        write_string(&self.tariff_class, b);
        self.contract_kw.write(b);
        self.feeder.write(b);
        write_string(&self.name, b);
        self.registered_at.write(b);
    }
}

impl EncodeSize for Site {
    fn encode_size(&self) -> usize {
        Address::SIZE + 1 + string_size(&self.tariff_class) + 4 + 4 + string_size(&self.name) + 8
    }
}

impl Read for Site {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            owner: Address::read(b)?,
            kind: SiteKind::read(b)?,
            tariff_class: read_string(b, 32)?,
            contract_kw: u32::read(b)?,
            feeder: u32::read(b)?,
            name: read_string(b, TEXT_MAX_BYTES)?,
            registered_at: u64::read(b)?,
        })
    }
}

impl Write for MeterState {
    fn write(&self, b: &mut impl BufMut) {
        self.site.write(b);
        self.interval_ms.write(b);
        self.last_boundary_ms.write(b);
        self.last.write(b);
    }
}

impl EncodeSize for MeterState {
    fn encode_size(&self) -> usize {
        self.site.encode_size() + 4 + 8 + Registers::SIZE
    }
}

impl Read for MeterState {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            site: SiteId::read(b)?,
            interval_ms: u32::read(b)?,
            last_boundary_ms: u64::read(b)?,
            last: Registers::read(b)?,
        })
    }
}

impl Write for MonthTotals {
    fn write(&self, b: &mut impl BufMut) {
        self.import_wh.write(b);
        self.export_wh.write(b);
        self.intervals.write(b);
        self.corrections.write(b);
    }
}

impl FixedSize for MonthTotals {
    const SIZE: usize = 8 + 8 + 4 + 4;
}

impl Read for MonthTotals {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            import_wh: u64::read(b)?,
            export_wh: u64::read(b)?,
            intervals: u32::read(b)?,
            corrections: u32::read(b)?,
        })
    }
}

impl Write for IntervalEnergy {
    fn write(&self, b: &mut impl BufMut) {
        self.import_wh.write(b);
        self.export_wh.write(b);
    }
}

impl FixedSize for IntervalEnergy {
    const SIZE: usize = 16;
}

impl Read for IntervalEnergy {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            import_wh: u64::read(b)?,
            export_wh: u64::read(b)?,
        })
    }
}

pub fn site(s: &(impl StateRead + ?Sized), id: &SiteId) -> Option<Site> {
    match s.get(&StateKey::Site(id.clone())) {
        Some(StateValue::Site(v)) => Some(v),
        _ => None,
    }
}

pub fn meter(s: &(impl StateRead + ?Sized), a: &Address) -> Option<MeterState> {
    match s.get(&StateKey::Meter(a.clone())) {
        Some(StateValue::Meter(v)) => Some(v),
        _ => None,
    }
}

pub fn month_totals(s: &(impl StateRead + ?Sized), id: &SiteId, yyyymm: u32) -> MonthTotals {
    match s.get(&StateKey::SiteMonth(id.clone(), yyyymm)) {
        Some(StateValue::SiteMonth(v)) => v,
        _ => MonthTotals::default(),
    }
}

pub fn interval_energy(
    s: &(impl StateRead + ?Sized),
    id: &SiteId,
    start_ms: u64,
) -> IntervalEnergy {
    match s.get(&StateKey::Interval(id.clone(), start_ms)) {
        Some(StateValue::Interval(v)) => v,
        _ => IntervalEnergy::default(),
    }
}
