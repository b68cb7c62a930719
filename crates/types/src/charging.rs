//! EV charging: charger ids, members, and the payloads of a charging session (prepay, cancel,
//! settle) with their encoding.
use crate::{
    codec_util::{read_string, string_size, write_string},
    Address, Error, MilliWon, PriceMilliWonPerKwh, TEXT_MAX_BYTES,
};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, Read, ReadExt, Write};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A charger's id, which is also its OCPP identity (the last path segment of its WebSocket
/// URL): 1 to 48 characters of `A-Z`, `a-z`, `0-9`, `.`, `_`, `-`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChargerId(String);

impl ChargerId {
    pub const MAX_LEN: usize = 48;

    pub fn new(s: impl Into<String>) -> Result<Self, Error> {
        let s = s.into();
        if Self::is_valid(&s) {
            Ok(Self(s))
        } else {
            Err(Error::Unknown {
                kind: "charger id (1-48 of A-Z a-z 0-9 . _ -)",
                value: s,
            })
        }
    }

    /// True if `s` is a well-formed charger id.
    pub fn is_valid(s: &str) -> bool {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Orders before every valid id: a lower bound for range scans, never a charger.
    pub fn bound_min() -> Self {
        Self(String::new())
    }
}

impl fmt::Display for ChargerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ChargerId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for ChargerId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Write for ChargerId {
    fn write(&self, buf: &mut impl BufMut) {
        write_string(&self.0, buf);
    }
}

impl EncodeSize for ChargerId {
    fn encode_size(&self) -> usize {
        string_size(&self.0)
    }
}

impl Read for ChargerId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Self::new(read_string(buf, Self::MAX_LEN)?)
            .map_err(|_| commonware_codec::Error::Invalid("ChargerId", "bad characters"))
    }
}

crate::role::code_enum!(
    /// How fast a charger is.
    ChargerKind {
        Fast = 0 => "fast",
        Slow = 1 => "slow",
    }
);

crate::role::code_enum!(
    /// Whether a member may charge.
    MemberStatus {
        Active = 0 => "active",
        Blocked = 1 => "blocked",
    }
);

crate::role::code_enum!(
    /// Why a session ended.
    StopReason {
        Local = 0 => "local",
        Remote = 1 => "remote",
        LimitReached = 2 => "limit_reached",
        EvDisconnected = 3 => "ev_disconnected",
        NeverStarted = 4 => "never_started",
        SoftStop = 5 => "soft_stop",
        Other = 6 => "other",
    }
);

crate::role::code_enum!(
    /// Where a charging session is.
    SessionState {
        Prepaid = 0 => "prepaid",
        Cancelled = 1 => "cancelled",
        Settled = 2 => "settled",
        Refunded = 3 => "refunded",
    }
);

/// Longest member card (RFID / idTag) in bytes; OCPP 1.6 idTag is at most 20 characters.
pub const CARD_MAX_BYTES: usize = 36;
/// Most connectors of one charger.
pub const MAX_CONNECTORS: u8 = 8;
/// Most sessions one `ExpireChargingHolds` refunds.
pub const EXPIRE_BATCH_MAX: u32 = 500;
/// Shortest and longest hold expiry a charging operator may configure.
pub const HOLD_EXPIRY_MIN_MS: u64 = 10 * 60 * 1000;
pub const HOLD_EXPIRY_MAX_MS: u64 = 7 * 24 * 3600 * 1000;
/// The first member number the chain issues.
pub const FIRST_MEMBER_NO: u64 = 10_000_001;

/// Charging operator only: its rules for holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigureCharging {
    /// A `Prepaid` session not stopped within this time (block time) is refunded.
    pub hold_expiry_ms: u64,
    /// Largest prepayment of one session.
    pub max_prepay: MilliWon,
    /// Largest standing authorisation a member may give for one session.
    pub auto_charge_max: MilliWon,
}

/// The charger's owner (a charging operator): create or update a charger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterCharger {
    pub charger: ChargerId,
    pub kind: ChargerKind,
    /// Connectors numbered 1..=connectors (1..=8).
    pub connectors: u8,
    pub price: PriceMilliWonPerKwh,
    /// Charged per whole minute a car stays plugged after charging, past the grace time.
    pub idle_fee_per_min: MilliWon,
    pub idle_grace_min: u32,
    /// An inactive charger accepts no prepayments.
    pub active: bool,
    pub label: String,
}

/// The member's operator: block or unblock a member, set its expiry (0 = none) and card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMember {
    pub member_no: u64,
    pub status: MemberStatus,
    pub valid_until_ms: u64,
    /// RFID card / idTag; empty = none.
    pub card: String,
}

/// Hold `amount` from `payer` for a session at a charger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargingPrepay {
    pub charger: ChargerId,
    pub connector: u8,
    /// Chosen by the charger's operator; unique per charger (the OCPP transactionId).
    pub session: u64,
    pub payer: Address,
    pub amount: MilliWon,
}

/// The charger's owner: the session ended; the whole hold is released and the cost fixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargingCancel {
    pub charger: ChargerId,
    pub session: u64,
    pub payer: Address,
    pub energy_wh: u64,
    pub idle_min: u32,
    pub reason: StopReason,
}

/// A session of a charger, named by the charger and its session number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRef {
    pub charger: ChargerId,
    pub session: u64,
    pub payer: Address,
}

impl Write for ConfigureCharging {
    fn write(&self, b: &mut impl BufMut) {
        self.hold_expiry_ms.write(b);
        self.max_prepay.write(b);
        self.auto_charge_max.write(b);
    }
}
impl FixedSize for ConfigureCharging {
    const SIZE: usize = 8 + 2 * MilliWon::SIZE;
}
impl Read for ConfigureCharging {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            hold_expiry_ms: u64::read(b)?,
            max_prepay: MilliWon::read(b)?,
            auto_charge_max: MilliWon::read(b)?,
        })
    }
}

impl Write for RegisterCharger {
    fn write(&self, b: &mut impl BufMut) {
        self.charger.write(b);
        self.kind.write(b);
        self.connectors.write(b);
        self.price.write(b);
        self.idle_fee_per_min.write(b);
        self.idle_grace_min.write(b);
        self.active.write(b);
        write_string(&self.label, b);
    }
}
impl EncodeSize for RegisterCharger {
    fn encode_size(&self) -> usize {
        self.charger.encode_size()
            + 1
            + 1
            + PriceMilliWonPerKwh::SIZE
            + MilliWon::SIZE
            + 4
            + 1
            + string_size(&self.label)
    }
}
impl Read for RegisterCharger {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            charger: ChargerId::read(b)?,
            kind: ChargerKind::read(b)?,
            connectors: u8::read(b)?,
            price: PriceMilliWonPerKwh::read(b)?,
            idle_fee_per_min: MilliWon::read(b)?,
            idle_grace_min: u32::read(b)?,
            active: bool::read(b)?,
            label: read_string(b, TEXT_MAX_BYTES)?,
        })
    }
}

impl Write for SetMember {
    fn write(&self, b: &mut impl BufMut) {
        self.member_no.write(b);
        self.status.write(b);
        self.valid_until_ms.write(b);
        write_string(&self.card, b);
    }
}
impl EncodeSize for SetMember {
    fn encode_size(&self) -> usize {
        8 + 1 + 8 + string_size(&self.card)
    }
}
impl Read for SetMember {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            member_no: u64::read(b)?,
            status: MemberStatus::read(b)?,
            valid_until_ms: u64::read(b)?,
            card: read_string(b, CARD_MAX_BYTES)?,
        })
    }
}

impl Write for ChargingPrepay {
    fn write(&self, b: &mut impl BufMut) {
        self.charger.write(b);
        self.connector.write(b);
        self.session.write(b);
        self.payer.write(b);
        self.amount.write(b);
    }
}
impl EncodeSize for ChargingPrepay {
    fn encode_size(&self) -> usize {
        self.charger.encode_size() + 1 + 8 + Address::SIZE + MilliWon::SIZE
    }
}
impl Read for ChargingPrepay {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            charger: ChargerId::read(b)?,
            connector: u8::read(b)?,
            session: u64::read(b)?,
            payer: Address::read(b)?,
            amount: MilliWon::read(b)?,
        })
    }
}

impl Write for ChargingCancel {
    fn write(&self, b: &mut impl BufMut) {
        self.charger.write(b);
        self.session.write(b);
        self.payer.write(b);
        self.energy_wh.write(b);
        self.idle_min.write(b);
        self.reason.write(b);
    }
}
impl EncodeSize for ChargingCancel {
    fn encode_size(&self) -> usize {
        self.charger.encode_size() + 8 + Address::SIZE + 8 + 4 + 1
    }
}
impl Read for ChargingCancel {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            charger: ChargerId::read(b)?,
            session: u64::read(b)?,
            payer: Address::read(b)?,
            energy_wh: u64::read(b)?,
            idle_min: u32::read(b)?,
            reason: StopReason::read(b)?,
        })
    }
}

impl Write for SessionRef {
    fn write(&self, b: &mut impl BufMut) {
        self.charger.write(b);
        self.session.write(b);
        self.payer.write(b);
    }
}
impl EncodeSize for SessionRef {
    fn encode_size(&self) -> usize {
        self.charger.encode_size() + 8 + Address::SIZE
    }
}
impl Read for SessionRef {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            charger: ChargerId::read(b)?,
            session: u64::read(b)?,
            payer: Address::read(b)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charger_ids_accept_ocpp_identities_and_refuse_the_rest() {
        for ok in ["CP-001", "a", "evse.7_B", &"x".repeat(48)] {
            assert!(ChargerId::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "with space",
            "slash/",
            "한글",
            &"x".repeat(49),
        ] {
            assert!(ChargerId::new(bad).is_err(), "{bad}");
        }
        assert!(ChargerId::bound_min() < ChargerId::new("0").unwrap());
    }
}
