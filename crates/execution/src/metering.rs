//! Sites, meters and interval readings: who measures what, and the energy measured per interval
//! and per KST month (the inputs of settlement and bills).
//!
//! A meter's batch carries register readings at interval boundaries: `registers[0]` is the
//! reading at `first_interval_start_ms`, `registers[i]` the reading at the end of interval `i`.
//! A batch that starts where the previous one ended must repeat its last reading; a later start
//! is a gap, whose energy (the register difference across it) is counted in the month where the
//! gap ends. The first batch of a meter only sets its baseline at `registers[0]`.
use crate::executor::{fail, registered, require_role, text_ok, Fail, Scratch};
use crate::fail::FailCode;
use crate::state::{device, Participant, StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    kst_month, kst_month_start_ms, read_string, string_size, write_string, Address,
    CorrectReadings, DeviceKind, Event, RegisterSite, Registers, Role, SiteId, SiteKind,
    SubmitReadings, TEXT_MAX_BYTES,
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

pub(crate) fn register_site<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    height: u64,
    me: &Participant,
    p: &RegisterSite,
) -> Result<Vec<Event>, Fail> {
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    if site(s, &p.site).is_some() {
        return Err(fail(
            FailCode::SiteExists,
            format!("site {} already exists", p.site),
        ));
    }
    registered(s, &p.owner, FailCode::UnknownOwner)?;
    if !TARIFF_CLASSES.contains(&p.tariff_class.as_str()) {
        return Err(fail(
            FailCode::UnknownTariffClass,
            format!(
                "tariff class '{}' is not one of {TARIFF_CLASSES:?}",
                p.tariff_class
            ),
        ));
    }
    if p.tariff_class == "general-low" && p.contract_kw == 0 {
        return Err(fail(
            FailCode::MissingContractKw,
            "general service sites need their contracted demand in kW",
        ));
    }
    if p.name.is_empty() || p.name.len() > TEXT_MAX_BYTES {
        return Err(fail(
            FailCode::InvalidName,
            format!("name must be 1 to {TEXT_MAX_BYTES} bytes"),
        ));
    }
    s.put(
        StateKey::Site(p.site.clone()),
        StateValue::Site(Site {
            owner: p.owner.clone(),
            kind: p.kind,
            tariff_class: p.tariff_class.clone(),
            contract_kw: p.contract_kw,
            feeder: p.feeder,
            name: p.name.clone(),
            registered_at: height,
        }),
    );
    Ok(vec![Event::SiteRegistered {
        site: p.site.clone(),
        owner: p.owner.clone(),
        feeder: p.feeder,
    }])
}

pub(crate) fn bind_meter<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    me: &Participant,
    meter_addr: &Address,
    site_id: &SiteId,
) -> Result<Vec<Event>, Fail> {
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    let d = device(s, meter_addr).ok_or_else(|| {
        fail(
            FailCode::UnknownDevice,
            format!("{meter_addr} is not a registered device"),
        )
    })?;
    if d.kind != DeviceKind::Meter {
        return Err(fail(
            FailCode::NotAMeter,
            format!("device {meter_addr} is a {}", d.kind),
        ));
    }
    if site(s, site_id).is_none() {
        return Err(fail(FailCode::UnknownSite, format!("no site {site_id}")));
    }
    if let Some(m) = meter(s, meter_addr) {
        return Err(fail(
            FailCode::AlreadyBound,
            format!("meter {meter_addr} measures site {}", m.site),
        ));
    }
    s.put(
        StateKey::Meter(meter_addr.clone()),
        StateValue::Meter(MeterState {
            site: site_id.clone(),
            interval_ms: 0,
            last_boundary_ms: 0,
            last: Registers {
                import_wh: 0,
                export_wh: 0,
            },
        }),
    );
    Ok(vec![Event::MeterBound {
        meter: meter_addr.clone(),
        site: site_id.clone(),
    }])
}

pub(crate) fn submit_readings<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    meter_addr: &Address,
    p: &SubmitReadings,
) -> Result<Vec<Event>, Fail> {
    let mut m = meter(s, meter_addr).ok_or_else(|| {
        fail(
            FailCode::UnboundMeter,
            format!("{meter_addr} is not bound to a site"),
        )
    })?;
    if !SubmitReadings::INTERVALS_MS.contains(&p.interval_ms) {
        return Err(fail(
            FailCode::InvalidInterval,
            format!(
                "interval {} ms is not one of {:?}",
                p.interval_ms,
                SubmitReadings::INTERVALS_MS
            ),
        ));
    }
    if m.interval_ms != 0 && m.interval_ms != p.interval_ms {
        return Err(fail(
            FailCode::IntervalMismatch,
            format!("this meter reports {} ms intervals", m.interval_ms),
        ));
    }
    let step = u64::from(p.interval_ms);
    if !p.first_interval_start_ms.is_multiple_of(step) {
        return Err(fail(
            FailCode::MisalignedInterval,
            "intervals must start on a multiple of their length",
        ));
    }
    if p.registers.len() < 2 {
        return Err(fail(
            FailCode::TooFewReadings,
            "a batch needs its start reading and at least one interval",
        ));
    }
    let n = (p.registers.len() - 1) as u64;
    let end = step
        .checked_mul(n)
        .and_then(|d| d.checked_add(p.first_interval_start_ms))
        .ok_or_else(|| fail(FailCode::FutureReading, "interval end overflows"))?;
    if end > now_ms {
        return Err(fail(
            FailCode::FutureReading,
            format!("the last interval ends at {end} ms, after block time {now_ms} ms"),
        ));
    }
    let first = p.registers[0];
    let mut gap = Registers {
        import_wh: 0,
        export_wh: 0,
    };
    if m.last_boundary_ms != 0 {
        if p.first_interval_start_ms < m.last_boundary_ms {
            return Err(fail(
                FailCode::DuplicateInterval,
                format!(
                    "intervals up to {} ms are already reported",
                    m.last_boundary_ms
                ),
            ));
        }
        if p.first_interval_start_ms == m.last_boundary_ms && first != m.last {
            return Err(fail(
                FailCode::RegisterMismatch,
                format!(
                    "the reading at {} ms was import {} / export {} Wh",
                    m.last_boundary_ms, m.last.import_wh, m.last.export_wh
                ),
            ));
        }
        gap = delta(&m.last, &first).ok_or_else(|| backwards(0))?;
    }
    let mut import_total = gap.import_wh;
    let mut export_total = gap.export_wh;
    if gap.import_wh > 0 || gap.export_wh > 0 {
        add_month(s, &m.site, kst_month(p.first_interval_start_ms), gap, 0)?;
    }
    for (i, pair) in p.registers.windows(2).enumerate() {
        let d = delta(&pair[0], &pair[1]).ok_or_else(|| backwards(i + 1))?;
        let start = p.first_interval_start_ms + step * i as u64;
        let mut e = interval_energy(s, &m.site, start);
        e.import_wh = add(e.import_wh, d.import_wh)?;
        e.export_wh = add(e.export_wh, d.export_wh)?;
        s.put(
            StateKey::Interval(m.site.clone(), start),
            StateValue::Interval(e),
        );
        add_month(s, &m.site, kst_month(start), d, 1)?;
        import_total = add(import_total, d.import_wh)?;
        export_total = add(export_total, d.export_wh)?;
    }
    m.interval_ms = p.interval_ms;
    m.last_boundary_ms = end;
    m.last = *p.registers.last().unwrap_or(&first);
    let site_id = m.site.clone();
    s.put(StateKey::Meter(meter_addr.clone()), StateValue::Meter(m));
    Ok(vec![Event::ReadingsAccepted {
        meter: meter_addr.clone(),
        site: site_id,
        first_interval_start_ms: p.first_interval_start_ms,
        intervals: n as u32,
        import_wh: import_total,
        export_wh: export_total,
    }])
}

pub(crate) fn correct_readings<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    me: &Participant,
    p: &CorrectReadings,
) -> Result<Vec<Event>, Fail> {
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    if site(s, &p.site).is_none() {
        return Err(fail(FailCode::UnknownSite, format!("no site {}", p.site)));
    }
    if kst_month_start_ms(p.month).is_none() {
        return Err(fail(
            FailCode::InvalidMonth,
            format!("{} is not a YYYYMM month", p.month),
        ));
    }
    if p.reason.is_empty() {
        return Err(fail(FailCode::MissingReason, "a correction needs a reason"));
    }
    text_ok("reason", &p.reason)?;
    if let Some(start) = gridledger_types::kst_month_start_ms(p.month) {
        crate::billing::ensure_month_open(s, start)?;
    }
    let mut t = month_totals(s, &p.site, p.month);
    t.import_wh = t
        .import_wh
        .checked_add_signed(p.import_adjust_wh)
        .ok_or_else(|| {
            fail(
                FailCode::CorrectionOutOfRange,
                "import would go below zero or overflow",
            )
        })?;
    t.export_wh = t
        .export_wh
        .checked_add_signed(p.export_adjust_wh)
        .ok_or_else(|| {
            fail(
                FailCode::CorrectionOutOfRange,
                "export would go below zero or overflow",
            )
        })?;
    t.corrections = t.corrections.saturating_add(1);
    s.put(
        StateKey::SiteMonth(p.site.clone(), p.month),
        StateValue::SiteMonth(t),
    );
    Ok(vec![Event::ReadingsCorrected {
        site: p.site.clone(),
        month: p.month,
        import_adjust_wh: p.import_adjust_wh,
        export_adjust_wh: p.export_adjust_wh,
        reason: p.reason.clone(),
    }])
}

fn delta(from: &Registers, to: &Registers) -> Option<Registers> {
    Some(Registers {
        import_wh: to.import_wh.checked_sub(from.import_wh)?,
        export_wh: to.export_wh.checked_sub(from.export_wh)?,
    })
}

fn backwards(i: usize) -> Fail {
    fail(
        FailCode::RegisterBackwards,
        format!("register reading {i} is below the one before it"),
    )
}

fn add(a: u64, b: u64) -> Result<u64, Fail> {
    a.checked_add(b)
        .ok_or_else(|| fail(FailCode::Overflow, "energy total would overflow"))
}

fn add_month<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    id: &SiteId,
    month: u32,
    d: Registers,
    intervals: u32,
) -> Result<(), Fail> {
    let mut t = month_totals(s, id, month);
    t.import_wh = add(t.import_wh, d.import_wh)?;
    t.export_wh = add(t.export_wh, d.export_wh)?;
    t.intervals = t.intervals.saturating_add(intervals);
    s.put(
        StateKey::SiteMonth(id.clone(), month),
        StateValue::SiteMonth(t),
    );
    Ok(())
}

// ---- canonical encoding -------------------------------------------------------------------

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
