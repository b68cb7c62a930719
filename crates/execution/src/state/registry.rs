//! Participant and device records, their encoding and lookups.
//!
//! The rules that change them are in `tx/registry.rs`.
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    read_string, string_size, write_string, Address, DeviceKind, Role, TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

/// A registered market participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub role: Role,
    pub name: String,
    /// A suspended participant cannot sign; its credits stay where they are.
    pub suspended: bool,
    /// Height of the block that registered it (0 for genesis).
    pub registered_at: u64,
}

/// A device key (meter, charger) bound to an owner participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub kind: DeviceKind,
    pub owner: Address,
    pub label: String,
}

impl Write for Participant {
    fn write(&self, buf: &mut impl BufMut) {
        self.role.write(buf);
        write_string(&self.name, buf);
        self.suspended.write(buf);
        self.registered_at.write(buf);
    }
}

impl EncodeSize for Participant {
    fn encode_size(&self) -> usize {
        Role::SIZE + string_size(&self.name) + bool::SIZE + u64::SIZE
    }
}

impl Read for Participant {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            role: Role::read(buf)?,
            name: read_string(buf, TEXT_MAX_BYTES)?,
            suspended: bool::read(buf)?,
            registered_at: u64::read(buf)?,
        })
    }
}

impl Write for Device {
    fn write(&self, buf: &mut impl BufMut) {
        self.kind.write(buf);
        self.owner.write(buf);
        write_string(&self.label, buf);
    }
}

impl EncodeSize for Device {
    fn encode_size(&self) -> usize {
        DeviceKind::SIZE + Address::SIZE + string_size(&self.label)
    }
}

impl Read for Device {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            kind: DeviceKind::read(buf)?,
            owner: Address::read(buf)?,
            label: read_string(buf, TEXT_MAX_BYTES)?,
        })
    }
}

/// The participant registered at `addr`.
pub fn participant(state: &(impl StateRead + ?Sized), addr: &Address) -> Option<Participant> {
    match state.get(&StateKey::Participant(addr.clone())) {
        Some(StateValue::Participant(p)) => Some(p),
        _ => None,
    }
}

/// The device registered at `addr`.
pub fn device(state: &(impl StateRead + ?Sized), addr: &Address) -> Option<Device> {
    match state.get(&StateKey::Device(addr.clone())) {
        Some(StateValue::Device(d)) => Some(d),
        _ => None,
    }
}
