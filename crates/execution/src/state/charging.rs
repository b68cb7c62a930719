//! Charging records (settings, chargers, members, sessions, daily totals), their encoding and lookups; the session cost.
//!
//! The rules that change them are in `tx/charging.rs`.
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    read_string, string_size, write_string, Address, ChargerId, ChargerKind, ConfigureCharging,
    EnergyWh, Hash32, MemberStatus, MilliWon, PriceMilliWonPerKwh, SessionState, StopReason,
    CARD_MAX_BYTES, TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

/// A prepayment's session number is at most this far past the charger's last.
pub const MAX_SESSION_JUMP: u64 = 1_000;

/// Highest session number (OCPP 1.6 transaction ids are int32).
pub const MAX_SESSION_NO: u64 = i32::MAX as u64;

/// Highest price per kWh a charger may ask (10,000 won/kWh).
pub const MAX_CHARGING_PRICE_MWON_PER_KWH: u64 = 10_000_000;

/// The cost of a session: energy at the snapshot price (fraction of a milli-won dropped) plus
/// the idle fee for each minute past the grace time, never more than the hold.
pub fn session_cost(x: &Session, energy_wh: u64, idle_min: u32) -> MilliWon {
    let energy = x
        .price
        .cost_floor(EnergyWh(energy_wh))
        .map_or(u128::MAX, |c| u128::from(c.0));
    let idle =
        u128::from(idle_min.saturating_sub(x.idle_grace_min)) * u128::from(x.idle_fee_per_min.0);
    let total = energy.saturating_add(idle);
    // `min` with the hold: the result fits in u64 and never exceeds what is held.
    MilliWon(u64::try_from(total.min(u128::from(x.hold.0))).unwrap_or(x.hold.0))
}

/// A charger, owned by a charging operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charger {
    pub owner: Address,
    pub kind: ChargerKind,
    pub connectors: u8,
    pub price: PriceMilliWonPerKwh,
    pub idle_fee_per_min: MilliWon,
    pub idle_grace_min: u32,
    pub active: bool,
    pub label: String,
    /// Highest session number prepaid at this charger (0: none yet).
    pub last_session: u64,
}

/// A member's standing authorisation for one operator (RFID-only chargers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoCharge {
    pub operator: Address,
    pub cap: MilliWon,
    /// 0: no end.
    pub valid_until_ms: u64,
}

/// A member of a charging operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub account: Address,
    pub operator: Address,
    pub status: MemberStatus,
    /// 0: no expiry.
    pub valid_until_ms: u64,
    /// Its one `Prepaid` session, if any.
    pub open: Option<(ChargerId, u64)>,
    pub auto_charge: Option<AutoCharge>,
    /// RFID card / idTag; empty = none.
    pub card: String,
}

/// One charging session: the three transactions and the money they moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub member_no: u64,
    pub payer: Address,
    /// The charger's owner when the session was prepaid.
    pub payee: Address,
    pub connector: u8,
    /// Price snapshot at prepayment.
    pub price: PriceMilliWonPerKwh,
    pub idle_fee_per_min: MilliWon,
    pub idle_grace_min: u32,
    pub hold: MilliWon,
    pub prepaid_at_ms: u64,
    pub expires_at_ms: u64,
    pub state: SessionState,
    pub energy_wh: u64,
    pub idle_min: u32,
    /// Fixed by the cancel; `<= hold`.
    pub cost: MilliWon,
    pub reason: Option<StopReason>,
    pub prepay_tx: Hash32,
    /// `Hash32::ZERO` until sent (for a refund: the expiring transaction).
    pub cancel_tx: Hash32,
    pub settle_tx: Hash32,
    pub ended_at_ms: u64,
}

/// A charger's totals for one KST day (sessions settled that day).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargerDay {
    pub sessions: u32,
    pub energy_wh: u64,
    pub revenue: MilliWon,
}

impl Write for Charger {
    fn write(&self, b: &mut impl BufMut) {
        self.owner.write(b);
        self.kind.write(b);
        self.connectors.write(b);
        self.price.write(b);
        self.idle_fee_per_min.write(b);
        self.idle_grace_min.write(b);
        self.active.write(b);
        write_string(&self.label, b);
        self.last_session.write(b);
    }
}

impl EncodeSize for Charger {
    fn encode_size(&self) -> usize {
        Address::SIZE + 1 + 1 + 8 + 8 + 4 + 1 + string_size(&self.label) + 8
    }
}

impl Read for Charger {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            owner: Address::read(b)?,
            kind: ChargerKind::read(b)?,
            connectors: u8::read(b)?,
            price: PriceMilliWonPerKwh::read(b)?,
            idle_fee_per_min: MilliWon::read(b)?,
            idle_grace_min: u32::read(b)?,
            active: bool::read(b)?,
            label: read_string(b, TEXT_MAX_BYTES)?,
            last_session: u64::read(b)?,
        })
    }
}

impl Write for Member {
    fn write(&self, b: &mut impl BufMut) {
        self.account.write(b);
        self.operator.write(b);
        self.status.write(b);
        self.valid_until_ms.write(b);
        write_opt_addr_u64(&self.open, b);
        match &self.auto_charge {
            None => 0u8.write(b),
            Some(a) => {
                1u8.write(b);
                a.operator.write(b);
                a.cap.write(b);
                a.valid_until_ms.write(b);
            }
        }
        write_string(&self.card, b);
    }
}

impl EncodeSize for Member {
    fn encode_size(&self) -> usize {
        2 * Address::SIZE
            + 1
            + 8
            + 1
            + self.open.as_ref().map_or(0, |(c, _)| c.encode_size() + 8)
            + 1
            + self.auto_charge.as_ref().map_or(0, |_| Address::SIZE + 16)
            + string_size(&self.card)
    }
}

impl Read for Member {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            account: Address::read(b)?,
            operator: Address::read(b)?,
            status: MemberStatus::read(b)?,
            valid_until_ms: u64::read(b)?,
            open: match u8::read(b)? {
                0 => None,
                1 => Some((ChargerId::read(b)?, u64::read(b)?)),
                t => return Err(CodecError::InvalidEnum(t)),
            },
            auto_charge: match u8::read(b)? {
                0 => None,
                1 => Some(AutoCharge {
                    operator: Address::read(b)?,
                    cap: MilliWon::read(b)?,
                    valid_until_ms: u64::read(b)?,
                }),
                t => return Err(CodecError::InvalidEnum(t)),
            },
            card: read_string(b, CARD_MAX_BYTES)?,
        })
    }
}

impl Write for Session {
    fn write(&self, b: &mut impl BufMut) {
        self.member_no.write(b);
        self.payer.write(b);
        self.payee.write(b);
        self.connector.write(b);
        self.price.write(b);
        self.idle_fee_per_min.write(b);
        self.idle_grace_min.write(b);
        self.hold.write(b);
        self.prepaid_at_ms.write(b);
        self.expires_at_ms.write(b);
        self.state.write(b);
        self.energy_wh.write(b);
        self.idle_min.write(b);
        self.cost.write(b);
        match self.reason {
            None => 0u8.write(b),
            Some(r) => {
                1u8.write(b);
                r.write(b);
            }
        }
        self.prepay_tx.write(b);
        self.cancel_tx.write(b);
        self.settle_tx.write(b);
        self.ended_at_ms.write(b);
    }
}

impl EncodeSize for Session {
    fn encode_size(&self) -> usize {
        8 + 2 * Address::SIZE
            + 1
            + 8
            + 8
            + 4
            + 8
            + 8
            + 8
            + 1
            + 8
            + 4
            + 8
            + 1
            + usize::from(self.reason.is_some())
            + 3 * Hash32::SIZE
            + 8
    }
}

impl Read for Session {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            member_no: u64::read(b)?,
            payer: Address::read(b)?,
            payee: Address::read(b)?,
            connector: u8::read(b)?,
            price: PriceMilliWonPerKwh::read(b)?,
            idle_fee_per_min: MilliWon::read(b)?,
            idle_grace_min: u32::read(b)?,
            hold: MilliWon::read(b)?,
            prepaid_at_ms: u64::read(b)?,
            expires_at_ms: u64::read(b)?,
            state: SessionState::read(b)?,
            energy_wh: u64::read(b)?,
            idle_min: u32::read(b)?,
            cost: MilliWon::read(b)?,
            reason: match u8::read(b)? {
                0 => None,
                1 => Some(StopReason::read(b)?),
                t => return Err(CodecError::InvalidEnum(t)),
            },
            prepay_tx: Hash32::read(b)?,
            cancel_tx: Hash32::read(b)?,
            settle_tx: Hash32::read(b)?,
            ended_at_ms: u64::read(b)?,
        })
    }
}

impl Write for ChargerDay {
    fn write(&self, b: &mut impl BufMut) {
        self.sessions.write(b);
        self.energy_wh.write(b);
        self.revenue.write(b);
    }
}

impl FixedSize for ChargerDay {
    const SIZE: usize = 4 + 8 + 8;
}

impl Read for ChargerDay {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            sessions: u32::read(b)?,
            energy_wh: u64::read(b)?,
            revenue: MilliWon::read(b)?,
        })
    }
}

pub fn charging_config(
    s: &(impl StateRead + ?Sized),
    operator: &Address,
) -> Option<ConfigureCharging> {
    match s.get(&StateKey::ChargingConfig(operator.clone())) {
        Some(StateValue::ChargingConfig(c)) => Some(c),
        _ => None,
    }
}

pub fn charger(s: &(impl StateRead + ?Sized), id: &ChargerId) -> Option<Charger> {
    match s.get(&StateKey::Charger(id.clone())) {
        Some(StateValue::Charger(c)) => Some(*c),
        _ => None,
    }
}

pub fn member(s: &(impl StateRead + ?Sized), member_no: u64) -> Option<Member> {
    match s.get(&StateKey::Member(member_no)) {
        Some(StateValue::Member(m)) => Some(*m),
        _ => None,
    }
}

/// The member number of `account`, if it is a member.
pub fn member_no_of(s: &(impl StateRead + ?Sized), account: &Address) -> Option<u64> {
    match s.get(&StateKey::MemberByAccount(account.clone())) {
        Some(StateValue::MemberByAccount(n)) => Some(n),
        _ => None,
    }
}

/// The member number of the member with this card.
pub fn member_no_of_card(s: &(impl StateRead + ?Sized), card: &str) -> Option<u64> {
    match s.get(&StateKey::MemberCard(card.to_string())) {
        Some(StateValue::MemberCard(n)) => Some(n),
        _ => None,
    }
}

pub fn session(s: &(impl StateRead + ?Sized), charger: &ChargerId, id: u64) -> Option<Session> {
    match s.get(&StateKey::ChargingSession(charger.clone(), id)) {
        Some(StateValue::ChargingSession(x)) => Some(*x),
        _ => None,
    }
}

pub fn charger_day(s: &(impl StateRead + ?Sized), charger: &ChargerId, day: u32) -> ChargerDay {
    match s.get(&StateKey::ChargerDay(charger.clone(), day)) {
        Some(StateValue::ChargerDay(d)) => d,
        _ => ChargerDay::default(),
    }
}

/// The next member number the chain will issue.
pub fn next_member_no(s: &(impl StateRead + ?Sized)) -> u64 {
    match s.get(&StateKey::ChargingMeta) {
        Some(StateValue::ChargingMeta(n)) => n,
        _ => gridledger_types::FIRST_MEMBER_NO,
    }
}

pub(crate) fn write_opt_addr_u64(v: &Option<(ChargerId, u64)>, b: &mut impl BufMut) {
    match v {
        None => 0u8.write(b),
        Some((c, n)) => {
            1u8.write(b);
            c.write(b);
            n.write(b);
        }
    }
}
