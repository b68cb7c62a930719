//! Sites, meters and interval readings: who measures what, and the energy measured per interval
//! and per KST month (the inputs of settlement and bills).
//!
//! A meter's batch carries register readings at interval boundaries: `registers[0]` is the
//! reading at `first_interval_start_ms`, `registers[i]` the reading at the end of interval `i`.
//! A batch that starts where the previous one ended must repeat its last reading; a later start
//! is a gap, whose energy (the register difference across it) is counted in the month where the
//! gap ends. The first batch of a meter only sets its baseline at `registers[0]`.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{registered, require_role, text_ok, Scratch, TxCtx};
use crate::state::metering::{
    interval_energy, meter, month_totals, site, MeterState, Site, TARIFF_CLASSES,
};
use crate::state::registry::device;
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{
    kst_month, kst_month_start_ms, Address, CorrectReadings, DeviceKind, Event, RegisterSite,
    Registers, Role, SiteId, SubmitReadings, TEXT_MAX_BYTES,
};

pub(crate) fn register_site<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &RegisterSite,
) -> Result<Vec<Event>, Fail> {
    let height = cx.height;
    let me = cx.me()?;
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
    cx: &TxCtx<'_>,
    meter_addr: &Address,
    site_id: &SiteId,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
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
    cx: &TxCtx<'_>,
    p: &SubmitReadings,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let meter_addr = cx.signer;
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
    cx: &TxCtx<'_>,
    p: &CorrectReadings,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
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
        crate::state::billing::ensure_month_open(s, start)?;
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
