//! Ledger transactions: the settlement token (mint, burn, transfer) and escrow holds.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{registered, require_role, text_ok, Scratch, TxCtx};
use crate::state::ledger::{account, hold, supply, Hold};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{Address, Event, Hash32, MilliWon, Role};

/// The bank credits `to` with new money (`bank_ref` names the deposit).
pub(crate) fn mint<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    to: &Address,
    amount: &MilliWon,
    bank_ref: &str,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    require_role(me, Role::Bank, FailCode::NotBank)?;
    nonzero(*amount)?;
    bank_ref_ok(bank_ref)?;
    registered(s, to, FailCode::UnknownRecipient)?;
    let total = supply(s)
        .checked_add(*amount)
        .ok_or_else(|| fail(FailCode::Overflow, "supply would overflow"))?;
    s.credit(to, *amount)?;
    s.put_supply(total);
    Ok(vec![Event::Minted {
        to: to.clone(),
        amount: *amount,
        bank_ref: bank_ref.to_owned(),
    }])
}

/// The signer withdraws `amount` out of the chain (to its bank account).
pub(crate) fn burn<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    amount: &MilliWon,
    bank_ref: &str,
) -> Result<Vec<Event>, Fail> {
    let signer = cx.signer;
    nonzero(*amount)?;
    bank_ref_ok(bank_ref)?;
    s.debit(signer, *amount)?;
    // Unreachable while the supply invariant holds; a failure rather than a panic.
    let total = supply(s)
        .checked_sub(*amount)
        .ok_or_else(|| fail(FailCode::Overflow, "supply would go below zero"))?;
    s.put_supply(total);
    Ok(vec![Event::Burned {
        from: signer.clone(),
        amount: *amount,
        bank_ref: bank_ref.to_owned(),
    }])
}

/// The signer pays `amount` to `to`.
pub(crate) fn transfer<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    to: &Address,
    amount: &MilliWon,
    memo: &str,
) -> Result<Vec<Event>, Fail> {
    let signer = cx.signer;
    nonzero(*amount)?;
    text_ok("memo", memo)?;
    if to == signer {
        return Err(fail(FailCode::SelfTransfer, "cannot transfer to oneself"));
    }
    registered(s, to, FailCode::UnknownRecipient)?;
    s.debit(signer, *amount)?;
    s.credit(to, *amount)?;
    Ok(vec![Event::Transferred {
        from: signer.clone(),
        to: to.clone(),
        amount: *amount,
    }])
}

/// The signer escrows `amount` for `beneficiary` until `expires_at_ms`.
pub(crate) fn hold_place<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    beneficiary: &Address,
    amount: &MilliWon,
    expires_at_ms: &u64,
    memo: &str,
) -> Result<Vec<Event>, Fail> {
    let signer = cx.signer;
    nonzero(*amount)?;
    text_ok("memo", memo)?;
    if beneficiary == signer {
        return Err(fail(FailCode::SelfHold, "cannot place a hold for oneself"));
    }
    registered(s, beneficiary, FailCode::UnknownRecipient)?;
    if *expires_at_ms <= cx.now_ms {
        return Err(fail(
            FailCode::ExpiryInPast,
            format!(
                "hold expiry {expires_at_ms} ms is not after block time {} ms",
                cx.now_ms
            ),
        ));
    }
    let id = cx.hash;
    if hold(s, &id).is_some() {
        return Err(fail(
            FailCode::HoldExists,
            format!("hold {id} already exists"),
        ));
    }
    s.debit(signer, *amount)?;
    let mut payer = account(s, signer);
    payer.held = payer
        .held
        .checked_add(*amount)
        .ok_or_else(|| fail(FailCode::Overflow, "held amount would overflow"))?;
    s.put_account(signer, payer);
    s.put(
        StateKey::Hold(id),
        StateValue::Hold(Hold {
            payer: signer.clone(),
            beneficiary: beneficiary.clone(),
            amount: *amount,
            expires_at_ms: *expires_at_ms,
            memo: memo.to_owned(),
        }),
    );
    Ok(vec![Event::HoldPlaced {
        hold: id,
        payer: signer.clone(),
        beneficiary: beneficiary.clone(),
        amount: *amount,
        expires_at_ms: *expires_at_ms,
    }])
}

/// The beneficiary (any time) or the payer (after expiry) returns a hold to its payer.
pub(crate) fn hold_release<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let signer = cx.signer;
    let h = hold(s, id).ok_or_else(|| fail(FailCode::UnknownHold, format!("no hold {id}")))?;
    if signer == &h.beneficiary {
        // The beneficiary may give the hold back at any time.
    } else if signer == &h.payer {
        if cx.now_ms <= h.expires_at_ms {
            return Err(fail(
                FailCode::HoldNotExpired,
                format!(
                    "hold expires at {} ms; block time is {} ms",
                    h.expires_at_ms, cx.now_ms
                ),
            ));
        }
    } else {
        return Err(fail(
            FailCode::NotAuthorized,
            "only the hold's beneficiary, or its payer after expiry, may release it",
        ));
    }
    s.take_held(&h.payer, h.amount)?;
    s.credit(&h.payer, h.amount)?;
    s.delete(StateKey::Hold(*id));
    Ok(vec![Event::HoldReleased {
        hold: *id,
        payer: h.payer,
        amount: h.amount,
    }])
}

/// The beneficiary takes `amount` of a hold; the rest returns to the payer.
pub(crate) fn hold_capture<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    id: &Hash32,
    amount: &MilliWon,
) -> Result<Vec<Event>, Fail> {
    let signer = cx.signer;
    let h = hold(s, id).ok_or_else(|| fail(FailCode::UnknownHold, format!("no hold {id}")))?;
    if signer != &h.beneficiary {
        return Err(fail(
            FailCode::NotAuthorized,
            "only the hold's beneficiary may capture it",
        ));
    }
    if cx.now_ms > h.expires_at_ms {
        return Err(fail(
            FailCode::HoldExpired,
            format!(
                "hold expired at {} ms; block time is {} ms",
                h.expires_at_ms, cx.now_ms
            ),
        ));
    }
    let returned = h.amount.checked_sub(*amount).ok_or_else(|| {
        fail(
            FailCode::ExceedsHold,
            format!(
                "capture of {} mKRW exceeds hold of {} mKRW",
                amount.0, h.amount.0
            ),
        )
    })?;
    s.take_held(&h.payer, h.amount)?;
    s.credit(&h.beneficiary, *amount)?;
    s.credit(&h.payer, returned)?;
    s.delete(StateKey::Hold(*id));
    Ok(vec![Event::HoldCaptured {
        hold: *id,
        beneficiary: h.beneficiary,
        amount: *amount,
        returned,
    }])
}

fn bank_ref_ok(bank_ref: &str) -> Result<(), Fail> {
    if bank_ref.is_empty() {
        return Err(fail(FailCode::MissingBankRef, "bank_ref must not be empty"));
    }
    text_ok("bank_ref", bank_ref)
}

fn nonzero(amount: MilliWon) -> Result<(), Fail> {
    if amount.is_zero() {
        return Err(fail(
            FailCode::ZeroAmount,
            "amount must be greater than zero",
        ));
    }
    Ok(())
}
