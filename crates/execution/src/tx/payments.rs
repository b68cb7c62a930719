//! Payment lines, account bills, paying a bill and auto-debit on the due day.
//!
//! Every amount one party owes another is a [Payment] line under `Payment(month, payer, n)`.
//! Lines paid at once (real-time contracts, from the buyer's escrow) move money when they are
//! recorded; the others add to the payer's [AccountBill] of the month, which is paid whole by
//! `PayBill` or by `CollectBills` on the due day, moving each line to its payee.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{Scratch, TxCtx};
use crate::state::billing::{month_billing, put_month_billing};
use crate::state::ledger::account;
use crate::state::payments::{due_ms, lines, AccountBill, COLLECT_BATCH, DAY_MS};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{Address, Event, Hash32};

/// Pays `payer`'s bill of `month` whole: debits `due`, credits every unpaid line's payee.
fn settle_bill<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    tx: Hash32,
    month: u32,
    payer: &Address,
    mut bill: AccountBill,
    due_at: u64,
) -> Result<Event, Fail> {
    s.debit(payer, bill.due)?;
    for (n, mut line) in lines(s, month, payer) {
        if line.paid_by.is_some() {
            continue;
        }
        s.credit(&line.payee, line.amount)?;
        line.paid_by = Some(tx);
        s.put(
            StateKey::Payment(month, payer.key_bytes(), n),
            StateValue::Payment(line),
        );
    }
    bill.paid_by = Some(tx);
    bill.paid_at_ms = now_ms;
    bill.late = now_ms >= due_at.saturating_add(DAY_MS);
    let event = Event::BillPaid {
        month,
        payer: payer.clone(),
        amount: bill.due,
        late: bill.late,
    };
    s.put(
        StateKey::AccountBill(month, payer.key_bytes()),
        StateValue::AccountBill(bill),
    );
    Ok(event)
}

/// The due time of `month`'s bills, once they are all issued.
fn issued_due<S: StateRead + ?Sized>(s: &Scratch<'_, S>, month: u32) -> Result<u64, Fail> {
    let cfg = crate::state::billing::config(s)?;
    if !month_billing(s, month).done {
        return Err(fail(
            FailCode::BillsNotIssued,
            format!("the bills of {month} are not all issued yet"),
        ));
    }
    due_ms(month, cfg.due_day)
        .ok_or_else(|| fail(FailCode::InvalidMonth, format!("no month {month}")))
}

pub(crate) fn pay_bill<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    month: u32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let tx = cx.hash;
    let payer = cx.signer;
    let due_at = issued_due(s, month)?;
    let Some(StateValue::AccountBill(bill)) =
        s.get(&StateKey::AccountBill(month, payer.key_bytes()))
    else {
        return Err(fail(
            FailCode::NoBill,
            format!("{payer} has no bill for {month}"),
        ));
    };
    if bill.paid_by.is_some() {
        return Err(fail(FailCode::AlreadyPaid, "this bill is already paid"));
    }
    Ok(vec![settle_bill(
        s, now_ms, tx, month, payer, bill, due_at,
    )?])
}

pub(crate) fn collect<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    month: u32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let tx = cx.hash;
    let due_at = issued_due(s, month)?;
    if now_ms < due_at {
        return Err(fail(
            FailCode::NotDue,
            format!("the bills of {month} are due at {due_at} ms"),
        ));
    }
    let mut mb = month_billing(s, month);
    if mb.collected {
        return Err(fail(
            FailCode::AlreadyCollected,
            "every bill of that month was tried",
        ));
    }
    let from = match &mb.collect_cursor {
        Some(a) => StateKey::AccountBill(month, a.key_bytes()),
        None => StateKey::AccountBill(month, [0; 32]),
    };
    let range = from..StateKey::AccountBill(month.saturating_add(1), [0; 32]);
    let mut events = Vec::new();
    let mut seen = 0usize;
    let mut last = None;
    for (k, v) in s.scan_limit(&range, COLLECT_BATCH + 2) {
        let (StateKey::AccountBill(_, raw), StateValue::AccountBill(bill)) = (k, v) else {
            continue;
        };
        let Some(payer) = Address::from_key_bytes(&raw) else {
            continue;
        };
        if Some(&payer) == mb.collect_cursor.as_ref() {
            continue;
        }
        if seen == COLLECT_BATCH {
            break;
        }
        seen += 1;
        last = Some(payer.clone());
        if bill.paid_by.is_some() || bill.due.is_zero() {
            continue;
        }
        if account(s, &payer).balance >= bill.due {
            events.push(settle_bill(s, now_ms, tx, month, &payer, bill, due_at)?);
        } else if !bill.overdue {
            events.push(Event::BillOverdue {
                month,
                payer: payer.clone(),
                amount: bill.due,
            });
            let mut b = bill;
            b.overdue = true;
            s.put(
                StateKey::AccountBill(month, raw),
                StateValue::AccountBill(b),
            );
        }
    }
    if seen < COLLECT_BATCH {
        mb.collected = true;
    }
    if last.is_some() {
        mb.collect_cursor = last;
    }
    put_month_billing(s, month, mb);
    Ok(events)
}
