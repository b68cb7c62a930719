//! Registry payloads: participants and devices, admitted and suspended by the operator.
use crate::executor::{fail, registered, require_role, text_ok, BlockEnv, Fail, Scratch};
use crate::state::{
    participant, AccountState, Device, Participant, StateKey, StateRead, StateValue,
};
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
            require_role(me, Role::Operator, "not_operator")?;
            if name.is_empty() || name.len() > TEXT_MAX_BYTES {
                return Err(fail(
                    "invalid_name",
                    format!("name must be 1 to {TEXT_MAX_BYTES} bytes"),
                ));
            }
            if participant(s, who).is_some() || crate::state::device(s, who).is_some() {
                return Err(fail(
                    "already_registered",
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
            require_role(me, Role::Operator, "not_operator")?;
            text_ok("reason", reason)?;
            let mut p = registered(s, who, "unknown_participant")?;
            if who == signer {
                return Err(fail(
                    "cannot_suspend_self",
                    "an operator cannot suspend itself",
                ));
            }
            if p.suspended {
                return Err(fail(
                    "already_suspended",
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
            require_role(me, Role::Operator, "not_operator")?;
            let mut p = registered(s, who, "unknown_participant")?;
            if !p.suspended {
                return Err(fail("not_suspended", format!("{who} is not suspended")));
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
            require_role(me, Role::Operator, "not_operator")?;
            text_ok("label", label)?;
            registered(s, owner, "unknown_owner")?;
            if participant(s, device).is_some() || crate::state::device(s, device).is_some() {
                return Err(fail(
                    "already_registered",
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
        _ => Err(fail("unreachable", "not a registry payload")),
    }
}
