use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{registered, require_role, text_ok, BlockEnv, Scratch};
use crate::state::ledger::{account, hold, supply, Hold};
use crate::state::registry::Participant;
use crate::state::StateWrite;
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_types::{Event, MilliWon, Payload, Role, SignedTransaction};

pub(crate) fn apply<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    env: &BlockEnv,
    tx: &SignedTransaction,
    me: &Participant,
) -> Result<Vec<Event>, Fail> {
    let signer = &tx.tx.signer;
    match &tx.tx.payload {
        Payload::Mint {
            to,
            amount,
            bank_ref,
        } => {
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
                bank_ref: bank_ref.clone(),
            }])
        }
        Payload::Burn { amount, bank_ref } => {
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
                bank_ref: bank_ref.clone(),
            }])
        }
        Payload::Transfer { to, amount, memo } => {
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
        Payload::HoldPlace {
            beneficiary,
            amount,
            expires_at_ms,
            memo,
        } => {
            nonzero(*amount)?;
            text_ok("memo", memo)?;
            if beneficiary == signer {
                return Err(fail(FailCode::SelfHold, "cannot place a hold for oneself"));
            }
            registered(s, beneficiary, FailCode::UnknownRecipient)?;
            if *expires_at_ms <= env.timestamp_ms {
                return Err(fail(
                    FailCode::ExpiryInPast,
                    format!(
                        "hold expiry {expires_at_ms} ms is not after block time {} ms",
                        env.timestamp_ms
                    ),
                ));
            }
            let id = tx.hash();
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
                    memo: memo.clone(),
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
        Payload::HoldRelease { hold: id } => {
            let h =
                hold(s, id).ok_or_else(|| fail(FailCode::UnknownHold, format!("no hold {id}")))?;
            if signer == &h.beneficiary {
                // The beneficiary may give the hold back at any time.
            } else if signer == &h.payer {
                if env.timestamp_ms <= h.expires_at_ms {
                    return Err(fail(
                        FailCode::HoldNotExpired,
                        format!(
                            "hold expires at {} ms; block time is {} ms",
                            h.expires_at_ms, env.timestamp_ms
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
        Payload::HoldCapture { hold: id, amount } => {
            let h =
                hold(s, id).ok_or_else(|| fail(FailCode::UnknownHold, format!("no hold {id}")))?;
            if signer != &h.beneficiary {
                return Err(fail(
                    FailCode::NotAuthorized,
                    "only the hold's beneficiary may capture it",
                ));
            }
            if env.timestamp_ms > h.expires_at_ms {
                return Err(fail(
                    FailCode::HoldExpired,
                    format!(
                        "hold expired at {} ms; block time is {} ms",
                        h.expires_at_ms, env.timestamp_ms
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
        _ => Err(fail(FailCode::Unreachable, "not a ledger payload")),
    }
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
