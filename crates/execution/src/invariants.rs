//! Whole-state checks: money is neither created nor destroyed except by mint and burn.
//!
//! O(state): for tests, simulators and start-up checks, not for every block in production.
use crate::state::{StateKey, StateValue};
use gridledger_types::{Address, Hash32, PpaStatus, SessionState};
use std::collections::BTreeMap;

/// Every bill's `due + prepaid` equals the sum of its lines;
/// `Supply == sum(balance) + sum(held)`, every account's `held` equals the sum of the holds it
/// pays and the escrow of the intentions for its sites, every hold's payer and beneficiary differ, and every value sits under a key of its kind.
/// Charging: a session's cost never exceeds its hold; a `Prepaid` session's hold and a
/// `Cancelled` session's cost count in the payer's `held`; a prepaid session is in the expiry
/// index and is its member's one open session; a settled session has all three tx hashes.
/// PPAs: each index entry names a live PPA of its market; a PPA has one settlement per month it
/// counts as settled, each within its term.
/// Mandates: each sits under its company's key, with a share of at most 10,000 basis points,
/// at most `MANDATE_MAX_MARKETS` markets, and at most `MAX_MANDATES_PER_SITE` per site.
/// Validators: the epoch length is at least 1, the set of epoch 0 exists once the epoch length
/// does, and every recorded set is non-empty, at most `MAX_VALIDATORS`, strictly sorted by key,
/// with dialable addresses.
pub fn check_invariants(state: &BTreeMap<StateKey, StateValue>) -> Result<(), String> {
    let mut supply: Option<u64> = None;
    let mut balances: u128 = 0;
    let mut held: u128 = 0;
    let mut held_by: BTreeMap<&Address, u128> = BTreeMap::new();
    let mut holds_by: BTreeMap<&Address, u128> = BTreeMap::new();
    let mut lines: BTreeMap<(u32, [u8; 32]), u128> = BTreeMap::new();
    let mut bills: BTreeMap<(u32, [u8; 32]), u128> = BTreeMap::new();
    let mut ppa_months: BTreeMap<&Hash32, u32> = BTreeMap::new();
    let mut mandates: BTreeMap<&gridledger_types::SiteId, usize> = BTreeMap::new();
    for (key, value) in state {
        match (key, value) {
            (StateKey::Supply, StateValue::Supply(s)) => supply = Some(s.0),
            (StateKey::Account(a), StateValue::Account(acct)) => {
                balances += u128::from(acct.balance.0);
                held += u128::from(acct.held.0);
                held_by.insert(a, u128::from(acct.held.0));
            }
            (StateKey::Participant(_), StateValue::Participant(_))
            | (StateKey::Device(_), StateValue::Device(_))
            | (StateKey::Site(_), StateValue::Site(_))
            | (StateKey::Meter(_), StateValue::Meter(_))
            | (StateKey::SiteMonth(..), StateValue::SiteMonth(_))
            | (StateKey::Interval(..), StateValue::Interval(_))
            | (StateKey::Market(_), StateValue::Market(_))
            | (StateKey::Period(..), StateValue::Period(_))
            | (StateKey::IntentionRef(_), StateValue::IntentionRef(..))
            | (StateKey::Contract(..), StateValue::Contract(_))
            | (StateKey::Settlement(..), StateValue::Settlement(_))
            | (StateKey::BillingConfig, StateValue::BillingConfig(_))
            | (StateKey::Tariff(_), StateValue::Tariff(_))
            | (StateKey::SiteP2p(..), StateValue::SiteP2p(_))
            | (StateKey::SiteBill(..), StateValue::SiteBill(_))
            | (StateKey::MonthBilling(_), StateValue::MonthBilling(_)) => {}
            (StateKey::Payment(m, a, _), StateValue::Payment(p)) => {
                *lines.entry((*m, *a)).or_default() += u128::from(p.amount.0);
            }
            (StateKey::AccountBill(m, a), StateValue::AccountBill(b)) => {
                bills.insert((*m, *a), u128::from(b.due.0) + u128::from(b.prepaid.0));
            }
            (StateKey::Intention(..), StateValue::Intention(i)) => {
                // The site's owner is the money party, also of a company's intention.
                *holds_by.entry(&i.owner).or_default() += u128::from(i.escrow.0);
            }
            (StateKey::Ppa(_), StateValue::Ppa(_)) => {}
            (StateKey::PpaByMarket(mk, id), StateValue::PpaByMarket) => {
                let live = match state.get(&StateKey::Ppa(*id)) {
                    Some(StateValue::Ppa(p)) => {
                        &p.market == mk
                            && (p.status == PpaStatus::Proposed
                                || (p.status == PpaStatus::Accepted
                                    && p.months_settled < p.months()))
                    }
                    _ => false,
                };
                if !live {
                    return Err(format!(
                        "market {mk} indexes PPA {id}, which is not live there"
                    ));
                }
            }
            (StateKey::PpaSettlement(id, month), StateValue::PpaSettlement(_)) => {
                let in_term = match state.get(&StateKey::Ppa(*id)) {
                    Some(StateValue::Ppa(p)) => p.start_month <= *month && *month <= p.last_month,
                    _ => false,
                };
                if !in_term {
                    return Err(format!("PPA {id} is settled for {month}, outside its term"));
                }
                *ppa_months.entry(id).or_default() += 1;
            }
            (StateKey::ChargingConfig(_), StateValue::ChargingConfig(_))
            | (StateKey::Charger(_), StateValue::Charger(_))
            | (StateKey::MemberByAccount(_), StateValue::MemberByAccount(_))
            | (StateKey::MemberCard(_), StateValue::MemberCard(_))
            | (StateKey::ChargerDay(..), StateValue::ChargerDay(_))
            | (StateKey::ChargingMeta, StateValue::ChargingMeta(_)) => {}
            (StateKey::Member(no), StateValue::Member(m)) => {
                if let Some((c, id)) = &m.open {
                    let prepaid = matches!(
                        state.get(&StateKey::ChargingSession(c.clone(), *id)),
                        Some(StateValue::ChargingSession(x))
                            if x.state == SessionState::Prepaid && x.member_no == *no
                    );
                    if !prepaid {
                        return Err(format!(
                            "member {no} names session {id} at {c} open, which is not prepaid"
                        ));
                    }
                }
            }
            (StateKey::ChargingExpiry(t, c, id), StateValue::ChargingExpiry) => {
                let ok = matches!(
                    state.get(&StateKey::ChargingSession(c.clone(), *id)),
                    Some(StateValue::ChargingSession(x))
                        if x.state == SessionState::Prepaid && x.expires_at_ms == *t
                );
                if !ok {
                    return Err(format!("expiry index names session {id} at {c} wrongly"));
                }
            }
            (StateKey::ChargingSession(c, id), StateValue::ChargingSession(x)) => {
                if x.cost > x.hold {
                    return Err(format!("session {id} at {c} costs more than its hold"));
                }
                let held_now = match x.state {
                    SessionState::Prepaid => {
                        let indexed = state.contains_key(&StateKey::ChargingExpiry(
                            x.expires_at_ms,
                            c.clone(),
                            *id,
                        ));
                        let named = matches!(
                            state.get(&StateKey::Member(x.member_no)),
                            Some(StateValue::Member(m)) if m.open == Some((c.clone(), *id))
                        );
                        if !indexed || !named {
                            return Err(format!(
                                "prepaid session {id} at {c} is not indexed or not its member's open one"
                            ));
                        }
                        x.hold.0
                    }
                    SessionState::Cancelled => x.cost.0,
                    SessionState::Settled => {
                        if x.cancel_tx == Hash32::ZERO || x.settle_tx == Hash32::ZERO {
                            return Err(format!("settled session {id} at {c} lacks a tx hash"));
                        }
                        0
                    }
                    SessionState::Refunded => 0,
                };
                *holds_by.entry(&x.payer).or_default() += u128::from(held_now);
            }
            (StateKey::EpochLength, StateValue::EpochLength(l)) => {
                if *l == 0 {
                    return Err("epoch length is 0".into());
                }
                if !state.contains_key(&StateKey::ValidatorSet(0)) {
                    return Err("no validator set for epoch 0".into());
                }
            }
            (StateKey::ValidatorSet(e), StateValue::ValidatorSet(v)) => {
                if let Some(problem) = crate::validators::record_problem(v) {
                    return Err(format!("validator set of epoch {e}: {problem}"));
                }
            }
            (StateKey::Mandate(site, company), StateValue::Mandate(m)) => {
                if m.company.key_bytes() != *company
                    || m.share_bp > gridledger_types::SHARE_MAX_BP
                    || m.markets.len() > gridledger_types::MANDATE_MAX_MARKETS
                {
                    return Err(format!(
                        "mandate of {} for site {site} is malformed",
                        m.company
                    ));
                }
                let n = mandates.entry(site).or_default();
                *n += 1;
                if *n > crate::mandates::MAX_MANDATES_PER_SITE {
                    return Err(format!("site {site} holds more than the most mandates"));
                }
            }
            (StateKey::Hold(id), StateValue::Hold(h)) => {
                if h.payer == h.beneficiary {
                    return Err(format!("hold {id} pays its own payer"));
                }
                *holds_by.entry(&h.payer).or_default() += u128::from(h.amount.0);
            }
            (k, v) => return Err(format!("key {k:?} holds a value of another kind: {v:?}")),
        }
    }
    let supply = u128::from(supply.unwrap_or(0));
    if supply != balances + held {
        return Err(format!(
            "supply {supply} != balances {balances} + held {held}"
        ));
    }
    for (addr, amount) in &holds_by {
        let h = held_by.get(addr).copied().unwrap_or(0);
        if h != *amount {
            return Err(format!(
                "account {addr} has held {h} but its holds sum to {amount}"
            ));
        }
    }
    for (addr, h) in &held_by {
        if *h != 0 && !holds_by.contains_key(addr) {
            return Err(format!("account {addr} has held {h} but no holds"));
        }
    }
    for (key, value) in state.range(StateKey::Ppa(Hash32::ZERO)..) {
        if let (StateKey::Ppa(id), StateValue::Ppa(p)) = (key, value) {
            let n = ppa_months.get(id).copied().unwrap_or(0);
            if n != p.months_settled {
                return Err(format!(
                    "PPA {id} counts {} settled months but has {n} settlements",
                    p.months_settled
                ));
            }
        }
    }
    if lines != bills {
        return Err("a bill's due + prepaid differs from the sum of its payment lines".into());
    }
    Ok(())
}
