//! Registry transactions: participants and devices, admitted and suspended by the operator.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{registered, require_role, text_ok, Scratch, TxCtx};
use crate::state::ledger::AccountState;
use crate::state::registry::{participant, Device, Participant};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{Address, DeviceKind, Event, Role, TEXT_MAX_BYTES};

/// The operator admits an account with a role.
pub(crate) fn register_participant<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    who: &Address,
    role: &Role,
    name: &str,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    if name.is_empty() || name.len() > TEXT_MAX_BYTES {
        return Err(fail(
            FailCode::InvalidName,
            format!("name must be 1 to {TEXT_MAX_BYTES} bytes"),
        ));
    }
    if participant(s, who).is_some() || crate::state::registry::device(s, who).is_some() {
        return Err(fail(
            FailCode::AlreadyRegistered,
            format!("{who} is already registered"),
        ));
    }
    s.put(
        StateKey::Participant(who.clone()),
        StateValue::Participant(Participant {
            role: *role,
            name: name.to_owned(),
            suspended: false,
            registered_at: cx.height,
        }),
    );
    if s.get(&StateKey::Account(who.clone())).is_none() {
        s.put_account(who, AccountState::default());
    }
    Ok(vec![Event::ParticipantRegistered {
        account: who.clone(),
        role: *role,
    }])
}

/// The operator suspends a participant (it signs nothing until reinstated).
pub(crate) fn suspend_participant<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    who: &Address,
    reason: &str,
) -> Result<Vec<Event>, Fail> {
    let signer = cx.signer;
    let me = cx.me()?;
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    text_ok("reason", reason)?;
    let mut p = registered(s, who, FailCode::UnknownParticipant)?;
    if who == signer {
        return Err(fail(
            FailCode::CannotSuspendSelf,
            "an operator cannot suspend itself",
        ));
    }
    if p.suspended {
        return Err(fail(
            FailCode::AlreadySuspended,
            format!("{who} is already suspended"),
        ));
    }
    p.suspended = true;
    s.put(
        StateKey::Participant(who.clone()),
        StateValue::Participant(p),
    );
    Ok(vec![Event::ParticipantSuspended {
        account: who.clone(),
    }])
}

/// The operator lifts a suspension.
pub(crate) fn reinstate_participant<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    who: &Address,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    let mut p = registered(s, who, FailCode::UnknownParticipant)?;
    if !p.suspended {
        return Err(fail(
            FailCode::NotSuspended,
            format!("{who} is not suspended"),
        ));
    }
    p.suspended = false;
    s.put(
        StateKey::Participant(who.clone()),
        StateValue::Participant(p),
    );
    Ok(vec![Event::ParticipantReinstated {
        account: who.clone(),
    }])
}

/// The operator registers a device key (a meter) for an owner.
pub(crate) fn register_device<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    device: &Address,
    kind: &DeviceKind,
    owner: &Address,
    label: &str,
) -> Result<Vec<Event>, Fail> {
    let me = cx.me()?;
    require_role(me, Role::Operator, FailCode::NotOperator)?;
    text_ok("label", label)?;
    registered(s, owner, FailCode::UnknownOwner)?;
    if participant(s, device).is_some() || crate::state::registry::device(s, device).is_some() {
        return Err(fail(
            FailCode::AlreadyRegistered,
            format!("{device} is already registered"),
        ));
    }
    s.put(
        StateKey::Device(device.clone()),
        StateValue::Device(Device {
            kind: *kind,
            owner: owner.clone(),
            label: label.to_owned(),
        }),
    );
    Ok(vec![Event::DeviceRegistered {
        device: device.clone(),
        kind: *kind,
        owner: owner.clone(),
    }])
}
