//! The buyer's objection to a contract's delivery, and the operator's resolution.
//!
//! The buyer's meter is its confirmation: without an objection, settlement takes the measured
//! values. Between the period's end and the end of the market's dispute window the buyer (the
//! buyer site's owner, or a sales company under its buy mandate) may dispute a contract; the
//! operator may then
//! fix the delivered energy, with a reason. Settlement (after the window) uses the operator's
//! figure, capped by the meters, or 0 Wh if none was given.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{require_role, text_ok, Scratch, TxCtx};
use crate::state::mandates::{authority, Scope};
use crate::state::settlement::period_end;
use crate::state::trading::{market_and_period, period, Contract};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{ContractRef, Event, Role, Side};

pub(crate) fn dispute<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    c: &ContractRef,
    reason: &str,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
    text_ok("reason", reason)?;
    if reason.is_empty() {
        return Err(fail(FailCode::MissingReason, "a dispute needs a reason"));
    }
    let (key, mut contract, end, close) = load(s, c)?;
    let scope = Scope {
        side: Side::Buy,
        market: &c.market,
        gate_ms: None,
    };
    let buyer = authority(
        s,
        now_ms,
        signer,
        &contract.buyer,
        &contract.buyer_site,
        scope,
    )?;
    if buyer.is_none() {
        return Err(fail(
            FailCode::NotBuyer,
            "only the contract's buyer (or a sales company under its mandate) may dispute it",
        ));
    }
    if !contract.approved {
        return Err(fail(
            FailCode::NotApproved,
            "the contract was never approved",
        ));
    }
    if now_ms < end || now_ms >= close {
        return Err(fail(
            FailCode::OutsideDisputeWindow,
            format!("disputes are accepted from {end} ms until before {close} ms"),
        ));
    }
    if contract.disputed {
        return Err(fail(
            FailCode::AlreadyDisputed,
            "this contract is already disputed",
        ));
    }
    contract.disputed = true;
    s.put(key, StateValue::Contract(contract));
    Ok(vec![Event::ContractDisputed {
        contract: c.clone(),
        by: signer.clone(),
        reason: reason.to_string(),
    }])
}

pub(crate) fn resolve<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    c: &ContractRef,
    delivered_wh: u64,
    reason: &str,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    text_ok("reason", reason)?;
    if reason.is_empty() {
        return Err(fail(FailCode::MissingReason, "a resolution needs a reason"));
    }
    let (key, mut contract, _, _) = load(s, c)?;
    if !contract.disputed {
        return Err(fail(FailCode::NotDisputed, "the contract is not disputed"));
    }
    if delivered_wh > contract.energy_wh {
        return Err(fail(
            FailCode::InvalidEnergy,
            format!("the contract is for {} Wh", contract.energy_wh),
        ));
    }
    contract.resolved_wh = Some(delivered_wh);
    s.put(key, StateValue::Contract(contract));
    Ok(vec![Event::DisputeResolved {
        contract: c.clone(),
        delivered_wh,
    }])
}

fn load(
    s: &(impl StateRead + ?Sized),
    c: &ContractRef,
) -> Result<(StateKey, Contract, u64, u64), Fail> {
    let m = market_and_period(s, &c.market, c.period_start_ms)?;
    let end = period_end(m.period_kind, c.period_start_ms)
        .ok_or_else(|| fail(FailCode::InvalidPeriod, "the period's end overflows"))?;
    let key = StateKey::Contract(c.market.clone(), c.period_start_ms, c.number);
    let Some(StateValue::Contract(contract)) = s.get(&key) else {
        return Err(fail(
            FailCode::UnknownContract,
            format!(
                "no contract {} in {} period {}",
                c.number, c.market, c.period_start_ms
            ),
        ));
    };
    if period(s, &c.market, c.period_start_ms).settled {
        return Err(fail(
            FailCode::AlreadySettled,
            "the contract's period is settled",
        ));
    }
    Ok((key, contract, end, end.saturating_add(m.dispute_window_ms)))
}
