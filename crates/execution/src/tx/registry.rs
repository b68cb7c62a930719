use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{registered, require_role, text_ok, BlockEnv, Scratch};
use crate::state::ledger::AccountState;
use crate::state::registry::{participant, Device, Participant};
use crate::state::StateWrite;
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_types::{Address, Event, Payload, Role, TEXT_MAX_BYTES};

pub(crate) fn apply<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    env: &BlockEnv,
    signer: &Address,
    me: &Participant,
    payload: &Payload,
) -> Result<Vec<Event>, Fail> {
    match payload {
        Payload::RegisterParticipant {
            account: who,
            role,
            name,
        } => {
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
                    name: name.clone(),
                    suspended: false,
                    registered_at: env.height,
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
        Payload::SuspendParticipant {
            account: who,
            reason,
        } => {
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
        Payload::ReinstateParticipant { account: who } => {
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
        Payload::RegisterDevice {
            device,
            kind,
            owner,
            label,
        } => {
            require_role(me, Role::Operator, FailCode::NotOperator)?;
            text_ok("label", label)?;
            registered(s, owner, FailCode::UnknownOwner)?;
            if participant(s, device).is_some()
                || crate::state::registry::device(s, device).is_some()
            {
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
                    label: label.clone(),
                }),
            );
            Ok(vec![Event::DeviceRegistered {
                device: device.clone(),
                kind: *kind,
                owner: owner.clone(),
            }])
        }
        _ => Err(fail(FailCode::Unreachable, "not a registry payload")),
    }
}
