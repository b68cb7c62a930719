//! EV charging paid from the wallet: chargers, members and the three transactions of a session.
//!
//! `Prepaid --ChargingCancel--> Cancelled --ChargingSettle--> Settled`, and
//! `Prepaid --ExpireChargingHolds--> Refunded` when the charger never reported.
//!
//! A prepayment is held in the payer's `held` (like a trading escrow, not a `Hold`, so no
//! `HoldCapture` can bypass these rules). The cancel releases the whole hold and holds the cost
//! (`<= hold`, computed in u128) in one transaction, so it cannot fail for lack of balance; the
//! settle pays the held cost to the charger's owner. Time is the block's: expiry is an explicit
//! operation over the `ChargingExpiry` index.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{require_role, text_ok, Scratch, TxCtx};
use crate::state::charging::{
    charger, charging_config, member, member_no_of, member_no_of_card, next_member_no, session,
    session_cost, AutoCharge, Charger, ChargerDay, Member, Session,
    MAX_CHARGING_PRICE_MWON_PER_KWH, MAX_SESSION_JUMP, MAX_SESSION_NO,
};
use crate::state::ledger::AccountState;
use crate::state::registry::{participant, Participant};
use crate::state::StateWrite;
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_types::{
    kst_day, Address, ChargerId, ChargingCancel, ChargingPrepay, ConfigureCharging, Event, Hash32,
    MemberStatus, MilliWon, RegisterCharger, Role, SessionRef, SessionState, SetMember,
    EXPIRE_BATCH_MAX, HOLD_EXPIRY_MAX_MS, HOLD_EXPIRY_MIN_MS, MAX_CONNECTORS,
};

pub(crate) fn configure<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &ConfigureCharging,
) -> Result<Vec<Event>, Fail> {
    require_role(
        cx.me()?,
        Role::ChargingOperator,
        FailCode::NotChargingOperator,
    )?;
    if !(HOLD_EXPIRY_MIN_MS..=HOLD_EXPIRY_MAX_MS).contains(&p.hold_expiry_ms) {
        return Err(fail(
            FailCode::BadExpiry,
            format!(
                "hold expiry must be {HOLD_EXPIRY_MIN_MS}..={HOLD_EXPIRY_MAX_MS} ms, got {}",
                p.hold_expiry_ms
            ),
        ));
    }
    if p.max_prepay.is_zero() || p.auto_charge_max > p.max_prepay {
        return Err(fail(
            FailCode::BadAmount,
            "max prepay must be positive and at least the auto-charge maximum",
        ));
    }
    s.put(
        StateKey::ChargingConfig(cx.signer.clone()),
        StateValue::ChargingConfig(p.clone()),
    );
    Ok(vec![Event::ChargingConfigured {
        operator: cx.signer.clone(),
        hold_expiry_ms: p.hold_expiry_ms,
    }])
}

pub(crate) fn register_charger<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &RegisterCharger,
) -> Result<Vec<Event>, Fail> {
    require_role(
        cx.me()?,
        Role::ChargingOperator,
        FailCode::NotChargingOperator,
    )?;
    text_ok("label", &p.label)?;
    if !(1..=MAX_CONNECTORS).contains(&p.connectors) {
        return Err(fail(
            FailCode::BadConnectors,
            format!("a charger has 1..={MAX_CONNECTORS} connectors"),
        ));
    }
    if p.price.0 == 0 || p.price.0 > MAX_CHARGING_PRICE_MWON_PER_KWH {
        return Err(fail(
            FailCode::BadPrice,
            format!("price must be 1..={MAX_CHARGING_PRICE_MWON_PER_KWH} mKRW/kWh"),
        ));
    }
    if charging_config(s, cx.signer).is_none() {
        return Err(fail(
            FailCode::ChargingNotConfigured,
            "send ConfigureCharging before registering chargers",
        ));
    }
    let existing = charger(s, &p.charger);
    if let Some(c) = &existing {
        if &c.owner != cx.signer {
            return Err(fail(
                FailCode::NotChargerOwner,
                format!("charger {} belongs to {}", p.charger, c.owner),
            ));
        }
    }
    let c = Charger {
        owner: cx.signer.clone(),
        kind: p.kind,
        connectors: p.connectors,
        price: p.price,
        idle_fee_per_min: p.idle_fee_per_min,
        idle_grace_min: p.idle_grace_min,
        active: p.active,
        label: p.label.clone(),
        last_session: existing.as_ref().map_or(0, |c| c.last_session),
    };
    s.put(
        StateKey::Charger(p.charger.clone()),
        StateValue::Charger(Box::new(c)),
    );
    Ok(vec![Event::ChargerRegistered {
        charger: p.charger.clone(),
        owner: cx.signer.clone(),
        created: existing.is_none(),
    }])
}

fn check_card<S: StateRead + ?Sized>(
    s: &Scratch<'_, S>,
    card: &str,
    except: Option<u64>,
) -> Result<(), Fail> {
    if card.is_empty() {
        return Ok(());
    }
    if !card.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(fail(FailCode::BadCard, "a card id is printable ASCII"));
    }
    match member_no_of_card(s, card) {
        Some(n) if Some(n) != except => Err(fail(
            FailCode::CardInUse,
            format!("the card is already member {n}'s"),
        )),
        _ => Ok(()),
    }
}

fn put_member<S: StateRead + ?Sized>(s: &mut Scratch<'_, S>, no: u64, m: Member) {
    s.put(StateKey::Member(no), StateValue::Member(Box::new(m)));
}

pub(crate) fn enroll<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    account: &Address,
    card: &str,
) -> Result<Vec<Event>, Fail> {
    let height = cx.height;
    require_role(
        cx.me()?,
        Role::ChargingOperator,
        FailCode::NotChargingOperator,
    )?;
    if charging_config(s, cx.signer).is_none() {
        return Err(fail(
            FailCode::ChargingNotConfigured,
            "send ConfigureCharging before enrolling members",
        ));
    }
    if participant(s, account).is_some() || crate::state::registry::device(s, account).is_some() {
        return Err(fail(
            FailCode::AlreadyRegistered,
            format!("{account} is already registered"),
        ));
    }
    check_card(s, card, None)?;
    let no = next_member_no(s);
    s.put(StateKey::ChargingMeta, StateValue::ChargingMeta(no + 1));
    s.put(
        StateKey::Participant(account.clone()),
        StateValue::Participant(Participant {
            role: Role::Member,
            name: format!("member {no}"),
            suspended: false,
            registered_at: height,
        }),
    );
    if s.get(&StateKey::Account(account.clone())).is_none() {
        s.put_account(account, AccountState::default());
    }
    s.put(
        StateKey::MemberByAccount(account.clone()),
        StateValue::MemberByAccount(no),
    );
    if !card.is_empty() {
        s.put(
            StateKey::MemberCard(card.to_string()),
            StateValue::MemberCard(no),
        );
    }
    put_member(
        s,
        no,
        Member {
            account: account.clone(),
            operator: cx.signer.clone(),
            status: MemberStatus::Active,
            valid_until_ms: 0,
            open: None,
            auto_charge: None,
            card: card.to_string(),
        },
    );
    Ok(vec![
        Event::ParticipantRegistered {
            account: account.clone(),
            role: Role::Member,
        },
        Event::MemberEnrolled {
            member_no: no,
            account: account.clone(),
            operator: cx.signer.clone(),
        },
    ])
}

pub(crate) fn set_member<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &SetMember,
) -> Result<Vec<Event>, Fail> {
    let mut m = member(s, p.member_no).ok_or_else(|| {
        fail(
            FailCode::UnknownMember,
            format!("no member number {}", p.member_no),
        )
    })?;
    if &m.operator != cx.signer {
        return Err(fail(
            FailCode::NotMemberOperator,
            format!("member {} belongs to operator {}", p.member_no, m.operator),
        ));
    }
    check_card(s, &p.card, Some(p.member_no))?;
    if m.card != p.card {
        if !m.card.is_empty() {
            s.delete(StateKey::MemberCard(m.card.clone()));
        }
        if !p.card.is_empty() {
            s.put(
                StateKey::MemberCard(p.card.clone()),
                StateValue::MemberCard(p.member_no),
            );
        }
    }
    m.status = p.status;
    m.valid_until_ms = p.valid_until_ms;
    m.card = p.card.clone();
    put_member(s, p.member_no, m);
    Ok(vec![Event::MemberUpdated {
        member_no: p.member_no,
        status: p.status,
        valid_until_ms: p.valid_until_ms,
    }])
}

fn signer_member<S: StateRead + ?Sized>(
    s: &Scratch<'_, S>,
    account: &Address,
) -> Result<(u64, Member), Fail> {
    let no = member_no_of(s, account).ok_or_else(|| {
        fail(
            FailCode::NotAMember,
            format!("{account} is not a charging member"),
        )
    })?;
    let m =
        member(s, no).ok_or_else(|| fail(FailCode::NotAMember, format!("member {no} is gone")))?;
    Ok((no, m))
}

pub(crate) fn set_auto_charge<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    operator: &Address,
    cap: MilliWon,
    valid_until_ms: u64,
) -> Result<Vec<Event>, Fail> {
    let (no, mut m) = signer_member(s, cx.signer)?;
    if cap.is_zero() {
        m.auto_charge = None;
    } else {
        let cfg = charging_config(s, operator).ok_or_else(|| {
            fail(
                FailCode::ChargingNotConfigured,
                format!("{operator} is not a configured charging operator"),
            )
        })?;
        if cap > cfg.auto_charge_max {
            return Err(fail(
                FailCode::CapTooHigh,
                format!(
                    "cap {} mKRW exceeds the operator's maximum {} mKRW",
                    cap.0, cfg.auto_charge_max.0
                ),
            ));
        }
        m.auto_charge = Some(AutoCharge {
            operator: operator.clone(),
            cap,
            valid_until_ms,
        });
    }
    put_member(s, no, m);
    Ok(vec![Event::AutoChargeSet {
        member_no: no,
        operator: operator.clone(),
        cap,
    }])
}

fn put_session<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    charger: &ChargerId,
    id: u64,
    x: Session,
) {
    s.put(
        StateKey::ChargingSession(charger.clone(), id),
        StateValue::ChargingSession(Box::new(x)),
    );
}

/// Returns a `Prepaid` session's whole hold to its payer and closes it as `Refunded`.
fn refund<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    charger: &ChargerId,
    id: u64,
    mut x: Session,
) -> Result<Event, Fail> {
    s.release(&x.payer, x.hold)?;
    s.delete(StateKey::ChargingExpiry(
        x.expires_at_ms,
        charger.clone(),
        id,
    ));
    if let Some(mut m) = member(s, x.member_no) {
        if m.open.as_ref() == Some(&(charger.clone(), id)) {
            m.open = None;
            put_member(s, x.member_no, m);
        }
    }
    x.state = SessionState::Refunded;
    x.cancel_tx = cx.hash;
    x.ended_at_ms = cx.now_ms;
    let ev = Event::ChargingRefunded {
        charger: charger.clone(),
        session: id,
        payer: x.payer.clone(),
        amount: x.hold,
    };
    put_session(s, charger, id, x);
    Ok(ev)
}

pub(crate) fn prepay<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &ChargingPrepay,
) -> Result<Vec<Event>, Fail> {
    let mut c = charger(s, &p.charger).ok_or_else(|| {
        fail(
            FailCode::UnknownCharger,
            format!("no charger {}", p.charger),
        )
    })?;
    if !c.active {
        return Err(fail(
            FailCode::ChargerInactive,
            format!("charger {} is inactive", p.charger),
        ));
    }
    if !(1..=c.connectors).contains(&p.connector) {
        return Err(fail(
            FailCode::BadConnector,
            format!("charger {} has connectors 1..={}", p.charger, c.connectors),
        ));
    }
    let cfg = charging_config(s, &c.owner).ok_or_else(|| {
        fail(
            FailCode::ChargingNotConfigured,
            "the charger's operator has no charging configuration",
        )
    })?;
    if p.amount.is_zero() || p.amount > cfg.max_prepay {
        return Err(fail(
            FailCode::BadAmount,
            format!(
                "a prepayment is 1..={} mKRW, got {}",
                cfg.max_prepay.0, p.amount.0
            ),
        ));
    }
    let (no, mut m) = signer_member(s, &p.payer)?;
    if cx.signer != &p.payer {
        let allowed = cx.signer == &c.owner
            && m.auto_charge.as_ref().is_some_and(|a| {
                a.operator == c.owner
                    && p.amount <= a.cap
                    && (a.valid_until_ms == 0 || cx.now_ms <= a.valid_until_ms)
            });
        if !allowed {
            return Err(fail(
                FailCode::NotAuthorised,
                "only the member, or the charger's owner within the member's auto-charge cap, \
                 may prepay",
            ));
        }
    }
    if participant(s, &p.payer).is_some_and(|x| x.suspended) {
        return Err(fail(
            FailCode::MemberBlocked,
            format!("member {no} is suspended"),
        ));
    }
    if m.status == MemberStatus::Blocked {
        return Err(fail(
            FailCode::MemberBlocked,
            format!("member {no} is blocked"),
        ));
    }
    if m.valid_until_ms != 0 && cx.now_ms > m.valid_until_ms {
        return Err(fail(
            FailCode::MemberExpired,
            format!("member {no} has expired"),
        ));
    }
    if session(s, &p.charger, p.session).is_some() {
        return Err(fail(
            FailCode::SessionExists,
            format!("charger {} already has session {}", p.charger, p.session),
        ));
    }
    // Session numbers are OCPP 1.6 transaction ids (int32) and a charger's operator counts
    // them up: nobody may jump far ahead and use up a charger's numbers.
    let max = c
        .last_session
        .saturating_add(MAX_SESSION_JUMP)
        .min(MAX_SESSION_NO);
    if p.session == 0 || p.session > max {
        return Err(fail(
            FailCode::BadSession,
            format!(
                "session numbers of {} are 1..={max} now (at most {MAX_SESSION_JUMP} past the last, \
                 at most {MAX_SESSION_NO})",
                p.charger
            ),
        ));
    }
    let mut events = Vec::new();
    if let Some((oc, oid)) = m.open.clone() {
        match session(s, &oc, oid) {
            Some(x) if x.state == SessionState::Prepaid && cx.now_ms > x.expires_at_ms => {
                events.push(refund(s, cx, &oc, oid, x)?);
                m.open = None;
            }
            Some(x) if x.state == SessionState::Prepaid => {
                return Err(fail(
                    FailCode::ConcurrentSession,
                    format!("member {no} already has session {oid} open at charger {oc}"),
                ));
            }
            // Not reachable while `open` names a Prepaid session; heal by forgetting it.
            _ => m.open = None,
        }
    }
    s.escrow(&p.payer, p.amount)?;
    let expires_at_ms = cx.now_ms.saturating_add(cfg.hold_expiry_ms);
    put_session(
        s,
        &p.charger,
        p.session,
        Session {
            member_no: no,
            payer: p.payer.clone(),
            payee: c.owner.clone(),
            connector: p.connector,
            price: c.price,
            idle_fee_per_min: c.idle_fee_per_min,
            idle_grace_min: c.idle_grace_min,
            hold: p.amount,
            prepaid_at_ms: cx.now_ms,
            expires_at_ms,
            state: SessionState::Prepaid,
            energy_wh: 0,
            idle_min: 0,
            cost: MilliWon::ZERO,
            reason: None,
            prepay_tx: cx.hash,
            cancel_tx: Hash32::ZERO,
            settle_tx: Hash32::ZERO,
            ended_at_ms: 0,
        },
    );
    s.put(
        StateKey::ChargingExpiry(expires_at_ms, p.charger.clone(), p.session),
        StateValue::ChargingExpiry,
    );
    m.open = Some((p.charger.clone(), p.session));
    put_member(s, no, m);
    c.last_session = c.last_session.max(p.session);
    s.put(
        StateKey::Charger(p.charger.clone()),
        StateValue::Charger(Box::new(c)),
    );
    events.push(Event::ChargingPrepaid {
        charger: p.charger.clone(),
        session: p.session,
        member_no: no,
        payer: p.payer.clone(),
        amount: p.amount,
        expires_at_ms,
    });
    Ok(events)
}

fn session_for<S: StateRead + ?Sized>(
    s: &Scratch<'_, S>,
    charger: &ChargerId,
    id: u64,
    payer: &Address,
) -> Result<Session, Fail> {
    let x = session(s, charger, id).ok_or_else(|| {
        fail(
            FailCode::UnknownSession,
            format!("charger {charger} has no session {id}"),
        )
    })?;
    if &x.payer != payer {
        return Err(fail(
            FailCode::WrongPayer,
            format!("session {id} at {charger} is paid by {}", x.payer),
        ));
    }
    Ok(x)
}

pub(crate) fn cancel<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &ChargingCancel,
) -> Result<Vec<Event>, Fail> {
    let mut x = session_for(s, &p.charger, p.session, &p.payer)?;
    if cx.signer != &x.payee {
        return Err(fail(
            FailCode::NotChargerOwner,
            format!("only {} may end sessions of {}", x.payee, p.charger),
        ));
    }
    match x.state {
        SessionState::Prepaid => {}
        SessionState::Refunded => {
            return Err(fail(
                FailCode::SessionRefunded,
                format!("session {} was refunded after its hold expired", p.session),
            ))
        }
        SessionState::Cancelled | SessionState::Settled => {
            return Err(fail(
                FailCode::SessionNotOpen,
                format!("session {} has already ended", p.session),
            ))
        }
    }
    let cost = session_cost(&x, p.energy_wh, p.idle_min);
    if cost > x.hold {
        // Unreachable: session_cost caps at the hold. Refuse rather than underflow.
        return Err(fail(FailCode::Overflow, "the cost exceeds the hold"));
    }
    s.release(&x.payer, x.hold)?;
    // Cannot fail: the balance just grew by `hold >= cost`.
    s.escrow(&x.payer, cost)?;
    s.delete(StateKey::ChargingExpiry(
        x.expires_at_ms,
        p.charger.clone(),
        p.session,
    ));
    if let Some(mut m) = member(s, x.member_no) {
        if m.open.as_ref() == Some(&(p.charger.clone(), p.session)) {
            m.open = None;
            put_member(s, x.member_no, m);
        }
    }
    let released = x.hold;
    x.state = SessionState::Cancelled;
    x.energy_wh = p.energy_wh;
    x.idle_min = p.idle_min;
    x.cost = cost;
    x.reason = Some(p.reason);
    x.cancel_tx = cx.hash;
    x.ended_at_ms = cx.now_ms;
    put_session(s, &p.charger, p.session, x);
    Ok(vec![Event::ChargingCancelled {
        charger: p.charger.clone(),
        session: p.session,
        released,
        cost,
        energy_wh: p.energy_wh,
    }])
}

pub(crate) fn settle<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &SessionRef,
) -> Result<Vec<Event>, Fail> {
    let mut x = session_for(s, &p.charger, p.session, &p.payer)?;
    match x.state {
        SessionState::Cancelled => {}
        SessionState::Prepaid => {
            return Err(fail(
                FailCode::SessionNotCancelled,
                format!("session {} must be cancelled before it settles", p.session),
            ))
        }
        SessionState::Settled => {
            return Err(fail(
                FailCode::SessionSettled,
                format!("session {} is already settled", p.session),
            ))
        }
        SessionState::Refunded => {
            return Err(fail(
                FailCode::SessionRefunded,
                format!("session {} was refunded", p.session),
            ))
        }
    }
    s.pay_from_held(&x.payer, &x.payee, x.cost)?;
    let day = kst_day(cx.now_ms);
    let mut d: ChargerDay = crate::state::charging::charger_day(s, &p.charger, day);
    d.sessions = d.sessions.saturating_add(1);
    d.energy_wh = d.energy_wh.saturating_add(x.energy_wh);
    d.revenue = MilliWon(d.revenue.0.saturating_add(x.cost.0));
    s.put(
        StateKey::ChargerDay(p.charger.clone(), day),
        StateValue::ChargerDay(d),
    );
    x.state = SessionState::Settled;
    x.settle_tx = cx.hash;
    let ev = Event::ChargingSettled {
        charger: p.charger.clone(),
        session: p.session,
        payee: x.payee.clone(),
        cost: x.cost,
    };
    put_session(s, &p.charger, p.session, x);
    Ok(vec![ev])
}

pub(crate) fn expire<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    max: u32,
) -> Result<Vec<Event>, Fail> {
    if !(1..=EXPIRE_BATCH_MAX).contains(&max) {
        return Err(fail(
            FailCode::BadBatch,
            format!("expire 1..={EXPIRE_BATCH_MAX} sessions at a time"),
        ));
    }
    let range = StateKey::ChargingExpiry(0, ChargerId::bound_min(), 0)
        ..StateKey::ChargingExpiry(cx.now_ms, ChargerId::bound_min(), 0);
    let due = s.scan_limit(&range, max as usize);
    if due.is_empty() {
        return Err(fail(
            FailCode::NothingExpired,
            "no prepaid session has expired",
        ));
    }
    let mut events = Vec::with_capacity(due.len());
    for (key, _) in due {
        if let StateKey::ChargingExpiry(_, c, id) = key {
            if let Some(x) = session(s, &c, id) {
                if x.state == SessionState::Prepaid {
                    events.push(refund(s, cx, &c, id, x)?);
                }
            }
        }
    }
    Ok(events)
}
