//! Monthly site bills, tariffs and billing settings on chain.
//!
//! Once a month has ended and every one of its periods with intentions is settled, anyone
//! may send `IssueBills`: the chain bills the next [BILL_BATCH] sites in id order. A site's
//! grid energy is its measured import minus what it bought from neighbours; its excess is its
//! export minus what it sold. The KEPCO bill (tariff crate, the version in force on the 1st of
//! the month, stored on chain) of the grid energy is owed to the grid company, which pays the
//! feed-in price for the excess. Beside it the same month without P2P: all import from the
//! grid, all export fed in.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{require_role, Scratch, TxCtx};
use crate::state::billing::{
    compute_site_bill, config, effective_key, month_billing, put_month_billing, site_p2p,
    tariff_for, tariffs, BILL_BATCH,
};
use crate::state::metering::month_totals;
use crate::state::payments::{record, Payment, PaymentSource};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use commonware_codec::{DecodeExt, Encode};
use gridledger_tariff::TariffVersion;
use gridledger_types::{
    kst_month_start_ms, next_month, ConfigureBilling, Event, PaymentKind, Role, SiteId,
};

pub(crate) fn issue_bills<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    month: u32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let cfg = config(s)?;
    let bad_month = || {
        fail(
            FailCode::InvalidMonth,
            format!("{month} is not a month (YYYYMM)"),
        )
    };
    let start = kst_month_start_ms(month).ok_or_else(bad_month)?;
    let end = kst_month_start_ms(next_month(month)).ok_or_else(bad_month)?;
    if now_ms < end {
        return Err(fail(
            FailCode::MonthNotEnded,
            format!("{month} ends at {end} ms"),
        ));
    }
    let mut mb = month_billing(s, month);
    if mb.done {
        return Err(fail(
            FailCode::AlreadyBilled,
            format!("every site is billed for {month}"),
        ));
    }
    if !mb.started {
        check_periods_settled(s, start, end)?;
        mb.started = true;
    }
    let version = tariff_for(s, month)?;
    let from = match &mb.cursor {
        Some(c) => StateKey::Site(c.clone()),
        None => StateKey::Site(SiteId::bound_min()),
    };
    // Every `Meter` key orders after every `Site` key.
    let range = from..StateKey::Meter(cfg.grid_company.clone());
    let mut billed = 0u32;
    let mut last = None;
    // The cursor itself, a full batch, and one more to know whether any are left.
    for (k, v) in s.scan_limit(&range, BILL_BATCH + 2) {
        let (StateKey::Site(id), StateValue::Site(site)) = (k, v) else {
            continue;
        };
        if Some(&id) == mb.cursor.as_ref() {
            continue;
        }
        if billed as usize == BILL_BATCH {
            last = None;
            break;
        }
        let totals = month_totals(s, &id, month);
        let p2p = site_p2p(s, &id, month);
        let b = compute_site_bill(&version, &site, month, totals, p2p, cfg.feed_in_price)?;
        let src = || PaymentSource::SiteBill { site: id.clone() };
        if site.owner != cfg.grid_company {
            let owed = [
                (
                    &site.owner,
                    &cfg.grid_company,
                    PaymentKind::GridSupply,
                    b.grid_charge,
                ),
                (
                    &cfg.grid_company,
                    &site.owner,
                    PaymentKind::FeedIn,
                    b.feed_in,
                ),
            ];
            for (payer, payee, kind, amount) in owed {
                let line = Payment {
                    payee: payee.clone(),
                    kind,
                    amount,
                    source: src(),
                    paid_by: None,
                };
                record(s, month, payer, line)?;
            }
        }
        s.put(
            StateKey::SiteBill(month, id.clone()),
            StateValue::SiteBill(b),
        );
        billed += 1;
        mb.cursor = Some(id.clone());
        last = Some(id);
    }
    // The loop ran out of sites (rather than filling a batch) exactly when `last` is set or
    // nothing was left to bill.
    let done = last.is_some() || billed == 0;
    mb.sites_billed = mb.sites_billed.saturating_add(billed);
    mb.done = done;
    put_month_billing(s, month, mb);
    Ok(vec![Event::BillsIssued {
        month,
        sites: billed,
        done,
    }])
}

pub(crate) fn configure<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &ConfigureBilling,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    let gc = crate::scratch::registered(s, &p.grid_company, FailCode::UnknownGridCompany)?;
    if gc.role != Role::GridCompany {
        return Err(fail(
            FailCode::NotGridCompany,
            format!("{} has role {}, not grid_company", p.grid_company, gc.role),
        ));
    }
    let op = crate::scratch::registered(s, &p.platform_account, FailCode::UnknownPlatformAccount)?;
    if op.role != Role::Operator {
        return Err(fail(
            FailCode::NotOperatorAccount,
            format!("{} has role {}, not operator", p.platform_account, op.role),
        ));
    }
    if !(1..=28).contains(&p.due_day) {
        return Err(fail(FailCode::InvalidDueDay, "the due day is 1 to 28"));
    }
    if p.feed_in_price > crate::state::trading::MAX_FEE {
        return Err(fail(
            FailCode::InvalidPrice,
            format!(
                "the feed-in price is at most {} mKRW/kWh",
                crate::state::trading::MAX_FEE.0
            ),
        ));
    }
    s.put(
        StateKey::BillingConfig,
        StateValue::BillingConfig(p.clone()),
    );
    Ok(vec![Event::BillingConfigured {
        grid_company: p.grid_company.clone(),
        feed_in_price: p.feed_in_price,
        due_day: p.due_day,
    }])
}

pub(crate) fn set_tariff<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    bytes: &[u8],
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    let v = TariffVersion::decode(bytes).map_err(|e| {
        fail(
            FailCode::InvalidTariff,
            format!("tariff version does not decode: {e}"),
        )
    })?;
    if v.encode().as_ref() != bytes {
        return Err(fail(
            FailCode::InvalidTariff,
            "tariff version is not canonically encoded",
        ));
    }
    let key = effective_key(&v);
    // The first month whose 1st it is in force on; no billed month may change under it.
    let first = if key % 100 == 1 {
        key / 100
    } else {
        next_month(key / 100)
    };
    let billed = s
        .scan(&(StateKey::MonthBilling(first)..StateKey::MonthBilling(u32::MAX)))
        .into_iter()
        .find_map(|(k, v)| match (k, v) {
            (StateKey::MonthBilling(m), StateValue::MonthBilling(b)) if b.started => Some(m),
            _ => None,
        });
    if let Some(m) = billed {
        return Err(fail(
            FailCode::MonthBilled,
            format!("bills of {m} are already issued under the tariff in force then"),
        ));
    }
    if tariffs(s)
        .iter()
        .any(|t| t.id == v.id && effective_key(t) != key)
    {
        return Err(fail(
            FailCode::TariffIdTaken,
            format!("a tariff version named {} has another effective date", v.id),
        ));
    }
    let id = v.id.clone();
    s.put(StateKey::Tariff(key), StateValue::Tariff(Box::new(v)));
    Ok(vec![Event::TariffSet { id, effective: key }])
}

/// Every period of `month` with intentions must be settled (or cleared without contracts).
fn check_periods_settled(s: &(impl StateRead + ?Sized), start: u64, end: u64) -> Result<(), Fail> {
    let markets =
        s.scan(&(StateKey::Market(SiteId::bound_min())..StateKey::Period(SiteId::bound_min(), 0)));
    for (k, v) in markets {
        // A monthly period starts on the 1st; shorter periods starting in the month belong to it.
        let (StateKey::Market(mk), StateValue::Market(m)) = (k, v) else {
            continue;
        };
        let month = gridledger_types::kst_month(start);
        if m.period_kind == gridledger_types::PeriodKind::Monthly
            && !crate::state::trading::period(s, &mk, start).settled
            && !crate::state::ppa::active(s, &mk, month).is_empty()
        {
            return Err(fail(
                FailCode::PeriodsUnsettled,
                format!("market {mk} has PPAs to settle in {month}; clear and settle its period"),
            ));
        }
        let range = StateKey::Period(mk.clone(), start)..StateKey::Period(mk.clone(), end);
        for (pk, pv) in s.scan(&range) {
            let (StateKey::Period(_, p_start), StateValue::Period(p)) = (pk, pv) else {
                continue;
            };
            let open = p.next_seq > 0 && !(p.settled || (p.cleared && p.contracts == 0));
            if open {
                return Err(fail(
                    FailCode::PeriodsUnsettled,
                    format!("period {p_start} of market {mk} has intentions and is not settled"),
                ));
            }
        }
    }
    Ok(())
}
