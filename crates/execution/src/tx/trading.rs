//! Markets, intentions and period clearing: the operator configures markets; site owners (or
//! sales companies under their mandate, see [crate::mandates]) post sell and buy intentions for
//! a period; at or after gate closure anyone may ask for the period to be cleared, and the chain
//! pairs the intentions that stand with the market crate's deterministic clearing into
//! contracts stored in the state. The site's owner is the money party of every intention.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{Scratch, TxCtx};
use crate::state::escrow::{escrowed, max_cost, vat_bp};
use crate::state::mandates::{authority, either, Authority, Scope};
use crate::state::metering::site;
use crate::state::trading::{
    gate_closure_ms, intentions, market, market_and_period, orders_of, period, stands,
    valid_period, Contract, Intention, MAX_FEE, MAX_GATE_LEAD_MS, MAX_INTENTIONS_PER_PERIOD,
};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_market::{clear, ClearingConfig, PricingRule};
use gridledger_types::{
    Address, ConfigureMarket, EnergyWh, Event, Hash32, MarketId, MilliWon, Pricing, Role, Side,
    SubmitIntention,
};

/// Holds the maximum cost of a new buy intention from the site's owner; zero where nothing is
/// held.
pub(crate) fn hold_for<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    m: &ConfigureMarket,
    owner: &Address,
    p: &SubmitIntention,
) -> Result<MilliWon, Fail> {
    if !escrowed(m) || p.side != Side::Buy {
        return Ok(MilliWon::ZERO);
    }
    let amount = max_cost(m, p.energy_wh, p.limit, vat_bp(s, p.period_start_ms)?)?;
    s.escrow(owner, amount).map_err(|e| {
        if e.code == FailCode::InsufficientBalance {
            fail(
                FailCode::InsufficientBalance,
                format!(
                    "a real-time buy holds its maximum cost of {} mKRW: {}",
                    amount.0, e.message
                ),
            )
        } else {
            e
        }
    })?;
    Ok(amount)
}

/// After pairing: keeps the maximum cost of the filled energy, releases the rest.
pub(crate) fn release_unfilled<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    m: &ConfigureMarket,
    period_start: u64,
    i: &mut Intention,
) -> Result<(), Fail> {
    if i.escrow.is_zero() {
        return Ok(());
    }
    let keep = if i.filled_wh == 0 {
        MilliWon::ZERO
    } else {
        max_cost(m, i.filled_wh, i.limit, vat_bp(s, period_start)?)?.min(i.escrow)
    };
    let release = i.escrow.checked_sub(keep).unwrap_or(MilliWon::ZERO);
    s.release(&i.owner, release)?;
    i.escrow = keep;
    Ok(())
}

pub(crate) fn configure<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &ConfigureMarket,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    crate::scratch::require_role(me, Role::Operator, FailCode::NotOperator)?;
    if p.gate_lead_ms > MAX_GATE_LEAD_MS {
        return Err(fail(
            FailCode::InvalidGate,
            format!("gate lead is at most {MAX_GATE_LEAD_MS} ms"),
        ));
    }
    if p.approval_window_ms > MAX_GATE_LEAD_MS {
        return Err(fail(
            FailCode::InvalidApprovalWindow,
            format!("approval window is at most {MAX_GATE_LEAD_MS} ms"),
        ));
    }
    if let Some(old) = market(s, &p.market) {
        if old.period_kind != p.period_kind {
            return Err(fail(
                FailCode::PeriodKindFixed,
                format!(
                    "market {} has {} periods; a market's period length never changes",
                    p.market, old.period_kind
                ),
            ));
        }
    }
    if p.wheeling_fee > MAX_FEE || p.platform_fee > MAX_FEE {
        return Err(fail(
            FailCode::InvalidFee,
            format!("fees are at most {} mKRW/kWh", MAX_FEE.0),
        ));
    }
    s.put(
        StateKey::Market(p.market.clone()),
        StateValue::Market(p.clone()),
    );
    Ok(vec![Event::MarketConfigured {
        market: p.market.clone(),
    }])
}

pub(crate) fn submit<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &SubmitIntention,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let id = cx.hash;
    let signer = cx.signer;
    let m = market(s, &p.market)
        .ok_or_else(|| fail(FailCode::UnknownMarket, format!("no market {}", p.market)))?;
    if !m.active {
        return Err(fail(
            FailCode::MarketInactive,
            format!("market {} is not active", p.market),
        ));
    }
    if !valid_period(m.period_kind, p.period_start_ms) {
        return Err(fail(
            FailCode::InvalidPeriod,
            format!(
                "{} does not start a {} period",
                p.period_start_ms, m.period_kind
            ),
        ));
    }
    let gate = gate_closure_ms(&m, p.period_start_ms);
    if now_ms >= gate {
        return Err(fail(
            FailCode::GateClosed,
            format!("intentions for this period closed at {gate} ms"),
        ));
    }
    let st = site(s, &p.site)
        .ok_or_else(|| fail(FailCode::UnknownSite, format!("no site {}", p.site)))?;
    let scope = Scope {
        side: p.side,
        market: &p.market,
        gate_ms: Some(gate),
    };
    let acting = authority(s, now_ms, signer, &st.owner, &p.site, scope)?.ok_or_else(|| {
        fail(
            FailCode::NotSiteOwner,
            format!(
                "only the owner of {} or a sales company under its mandate may trade for it",
                p.site
            ),
        )
    })?;
    if p.energy_wh == 0 {
        return Err(fail(
            FailCode::ZeroEnergy,
            "energy must be greater than zero",
        ));
    }
    if p.side == Side::Buy && p.limit.is_zero() {
        return Err(fail(
            FailCode::ZeroLimit,
            "a buy needs a maximum price above zero",
        ));
    }
    let mut per = period(s, &p.market, p.period_start_ms);
    if per.cleared {
        return Err(fail(FailCode::GateClosed, "this period is already cleared"));
    }
    if per.next_seq >= MAX_INTENTIONS_PER_PERIOD {
        return Err(fail(
            FailCode::PeriodFull,
            format!("a period takes at most {MAX_INTENTIONS_PER_PERIOD} intentions"),
        ));
    }
    let escrow = hold_for(s, &m, &st.owner, p)?;
    let seq = per.next_seq;
    per.next_seq += 1;
    s.put(
        StateKey::Period(p.market.clone(), p.period_start_ms),
        StateValue::Period(per),
    );
    s.put(
        StateKey::Intention(p.market.clone(), p.period_start_ms, seq),
        StateValue::Intention(Intention {
            id,
            submitter: signer.clone(),
            owner: st.owner,
            side: p.side,
            site: p.site.clone(),
            feeder: st.feeder,
            energy_wh: p.energy_wh,
            limit: p.limit,
            cancelled: false,
            filled_wh: 0,
            escrow,
            share_bp: acting.share_bp(),
        }),
    );
    s.put(
        StateKey::IntentionRef(id),
        StateValue::IntentionRef(p.market.clone(), p.period_start_ms, seq),
    );
    let mut events = vec![Event::IntentionSubmitted {
        intention: id,
        market: p.market.clone(),
        period_start_ms: p.period_start_ms,
        side: p.side,
        site: p.site.clone(),
        energy_wh: p.energy_wh,
        limit: p.limit,
    }];
    if !escrow.is_zero() {
        events.push(Event::EscrowHeld {
            intention: id,
            amount: escrow,
        });
    }
    Ok(events)
}

pub(crate) fn cancel<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
    let Some(StateValue::IntentionRef(mk, start, seq)) = s.get(&StateKey::IntentionRef(*id)) else {
        return Err(fail(
            FailCode::UnknownIntention,
            format!("no intention {id}"),
        ));
    };
    let key = StateKey::Intention(mk.clone(), start, seq);
    let Some(StateValue::Intention(mut i)) = s.get(&key) else {
        return Err(fail(
            FailCode::UnknownIntention,
            format!("no intention {id}"),
        ));
    };
    let m =
        market(s, &mk).ok_or_else(|| fail(FailCode::UnknownMarket, format!("no market {mk}")))?;
    let gate = gate_closure_ms(&m, start);
    let scope = Scope {
        side: i.side,
        market: &mk,
        gate_ms: Some(gate),
    };
    if authority(s, now_ms, signer, &i.owner, &i.site, scope)?.is_none() {
        return Err(fail(
            FailCode::NotAuthorized,
            "only the site's owner or a sales company under its mandate may cancel an intention",
        ));
    }
    if i.cancelled {
        return Err(fail(
            FailCode::AlreadyCancelled,
            format!("intention {id} is already cancelled"),
        ));
    }
    if now_ms >= gate || period(s, &mk, start).cleared {
        return Err(fail(
            FailCode::GateClosed,
            format!("the gate closed at {gate} ms"),
        ));
    }
    i.cancelled = true;
    s.release(&i.owner, i.escrow)?;
    i.escrow = MilliWon::ZERO;
    s.put(key, StateValue::Intention(i));
    Ok(vec![Event::IntentionCancelled { intention: *id }])
}

pub(crate) fn approve<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    mk: &MarketId,
    start: u64,
    number: u32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
    let key = StateKey::Contract(mk.clone(), start, number);
    let Some(StateValue::Contract(mut c)) = s.get(&key) else {
        return Err(fail(
            FailCode::UnknownContract,
            format!("no contract {number} in {mk} period {start}"),
        ));
    };
    if c.approved {
        return Err(fail(
            FailCode::AlreadyApproved,
            "this contract is already approved",
        ));
    }
    // Approvals close at the deadline, and at the latest when the period ends (so settlement
    // and the buyer's dispute window see every approved contract).
    let period_ends = market(s, mk)
        .and_then(|m| crate::state::settlement::period_end(m.period_kind, start))
        .unwrap_or(0);
    if now_ms > c.approval_deadline_ms || now_ms >= period_ends {
        return Err(fail(
            FailCode::ApprovalExpired,
            format!(
                "approvals closed at {} ms",
                c.approval_deadline_ms.min(period_ends)
            ),
        ));
    }
    let (sell_side, buy_side) = contract_sides(s, now_ms, signer, mk, &c)?;
    c.seller_approved |= sell_side.is_some();
    c.buyer_approved |= buy_side.is_some();
    c.approved = c.seller_approved && c.buyer_approved;
    let approved = c.approved;
    s.put(key, StateValue::Contract(c));
    Ok(vec![Event::ContractApproved {
        market: mk.clone(),
        period_start_ms: start,
        number,
        by: signer.clone(),
        approved,
    }])
}

pub(crate) fn clear_period<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    mk: &MarketId,
    start: u64,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let m = market_and_period(s, mk, start)?;
    let gate = gate_closure_ms(&m, start);
    if now_ms < gate {
        return Err(fail(
            FailCode::GateOpen,
            format!("the gate closes at {gate} ms"),
        ));
    }
    let mut per = period(s, mk, start);
    if per.cleared {
        return Err(fail(
            FailCode::AlreadyCleared,
            "this period is already cleared",
        ));
    }
    crate::state::billing::ensure_month_open(s, start)?;
    let mut book = intentions(s, mk, start);
    // A company's intention whose mandate no longer covers the period (revoked, ended or
    // narrowed before the gate) is dropped, and what it held goes back to the owner.
    for (seq, i) in book.iter_mut() {
        if i.cancelled || stands(s, i, mk, gate) {
            continue;
        }
        i.cancelled = true;
        s.release(&i.owner, i.escrow)?;
        i.escrow = MilliWon::ZERO;
        s.put(
            StateKey::Intention(mk.clone(), start, *seq),
            StateValue::Intention(i.clone()),
        );
    }
    let orders = orders_of(&book);
    let cfg = ClearingConfig {
        rule: match m.pricing {
            Pricing::Uniform => PricingRule::Uniform,
            Pricing::PayAsBid => PricingRule::PayAsBid,
        },
        prefer_same_feeder: m.prefer_same_feeder,
        min_trade: EnergyWh(1),
    };
    let result = clear(&orders, &cfg).map_err(|e| fail(FailCode::ClearingFailed, e.to_string()))?;
    let by_seq: std::collections::BTreeMap<u32, &Intention> =
        book.iter().map(|(q, i)| (*q, i)).collect();
    let mut filled: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for (n, mt) in result.matches.iter().enumerate() {
        let (sq, bq) = (mt.sell_id as u32, mt.buy_id as u32);
        let (Some(sell), Some(buy)) = (by_seq.get(&sq), by_seq.get(&bq)) else {
            return Err(fail(
                FailCode::ClearingFailed,
                "a match names an unknown intention",
            ));
        };
        *filled.entry(sq).or_default() += mt.energy.0;
        *filled.entry(bq).or_default() += mt.energy.0;
        s.put(
            StateKey::Contract(mk.clone(), start, n as u32),
            StateValue::Contract(Contract {
                sell: sell.id,
                buy: buy.id,
                seller: sell.owner.clone(),
                buyer: buy.owner.clone(),
                seller_site: sell.site.clone(),
                buyer_site: buy.site.clone(),
                energy_wh: mt.energy.0,
                price: mt.price,
                approved: m.approval_window_ms == 0,
                seller_approved: false,
                buyer_approved: false,
                approval_deadline_ms: if m.approval_window_ms == 0 {
                    0
                } else {
                    now_ms.saturating_add(m.approval_window_ms)
                },
                disputed: false,
                resolved_wh: None,
            }),
        );
    }
    for (seq, i) in &book {
        let wh = filled.get(seq).copied().unwrap_or(0);
        if wh == 0 && i.escrow.is_zero() {
            continue;
        }
        let mut i = i.clone();
        i.filled_wh = wh;
        release_unfilled(s, &m, start, &mut i)?;
        s.put(
            StateKey::Intention(mk.clone(), start, *seq),
            StateValue::Intention(i),
        );
    }
    per.cleared = true;
    per.contracts = result.matches.len() as u32;
    per.matched_wh = result.matched_energy.0;
    per.clearing_price = result.clearing_price;
    s.put(StateKey::Period(mk.clone(), start), StateValue::Period(per));
    Ok(vec![Event::PeriodCleared {
        market: mk.clone(),
        period_start_ms: start,
        contracts: per.contracts,
        matched_wh: per.matched_wh,
        clearing_price: per.clearing_price,
    }])
}

/// Which sides of contract `c` the signer may act for at `now_ms`: the seller's (as the seller
/// site's owner or a sales company under its sell mandate), the buyer's, or both; `not_a_party`
/// or the mandate's failure if neither.
pub(crate) fn contract_sides(
    s: &(impl StateRead + ?Sized),
    now_ms: u64,
    signer: &Address,
    mk: &MarketId,
    c: &Contract,
) -> Result<(Option<Authority>, Option<Authority>), Fail> {
    let scope = |side| Scope {
        side,
        market: mk,
        gate_ms: None,
    };
    either(
        authority(
            s,
            now_ms,
            signer,
            &c.seller,
            &c.seller_site,
            scope(Side::Sell),
        ),
        authority(s, now_ms, signer, &c.buyer, &c.buyer_site, scope(Side::Buy)),
        || {
            fail(
                FailCode::NotAParty,
                "only the contract's seller or buyer (or a sales company under its mandate) may \
                 do this",
            )
        },
    )
}
