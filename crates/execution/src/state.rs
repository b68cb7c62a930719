//! The state: an ordered map from [StateKey] to [StateValue], its canonical encoding (what storage
//! persists), write-sets and layered reads for speculative execution.
//!
//! Every key and value encodes as one tag byte followed by its fields; text is bounded by
//! [TEXT_MAX_BYTES], so decoding hostile bytes fails instead of allocating or panicking.
use crate::billing::{MonthBilling, SiteBill, SiteP2p};
use crate::charging_state::{Charger, ChargerDay, Member, Session};
use crate::mandates::Mandate;
use crate::metering::{IntervalEnergy, MeterState, MonthTotals, Site};
use crate::payments::{AccountBill, Payment};
use crate::ppa::Ppa;
use crate::settlement::SettlementLine;
use crate::trading::{Contract, Intention, PeriodState};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_tariff::TariffVersion;
use gridledger_types::{
    read_string, read_validators, string_size, write_string, Address, ChargerId, ConfigureBilling,
    ConfigureCharging, ConfigureMarket, DeviceKind, Hash32, MarketId, MilliWon, Role, SiteId,
    ValidatorEntry, CARD_MAX_BYTES, TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, ops::Range};

/// Where a value lives. Ordered, so write-sets and the state root are deterministic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StateKey {
    /// Total credits in existence: minted minus burned.
    Supply,
    Account(Address),
    Participant(Address),
    Device(Address),
    /// A hold, by the hash of the transaction that placed it.
    Hold(Hash32),
    Site(SiteId),
    /// A meter device's binding and last reading.
    Meter(Address),
    /// A site's measured energy in a KST month (`YYYYMM`).
    SiteMonth(SiteId, u32),
    /// A site's energy in the interval starting at this time (ms).
    Interval(SiteId, u64),
    Market(MarketId),
    /// A market's period, by its start (ms).
    Period(MarketId, u64),
    /// An intention, by market, period start and arrival number.
    Intention(MarketId, u64, u32),
    /// Where the intention with this id (its transaction hash) lives.
    IntentionRef(Hash32),
    /// A contract, by market, period start and pairing number.
    Contract(MarketId, u64, u32),
    /// A contract's settlement, same key.
    Settlement(MarketId, u64, u32),
    /// The grid company, feed-in price and due day.
    BillingConfig,
    /// A tariff version by the date it takes effect (`YYYYMMDD`).
    Tariff(u32),
    /// A site's P2P trade in a month (`YYYYMM`).
    SiteP2p(SiteId, u32),
    /// A payment line: month, payer (address bytes), line number.
    Payment(u32, [u8; 32], u32),
    /// A payer's bill of a month.
    AccountBill(u32, [u8; 32]),
    /// A site's bill of a month.
    SiteBill(u32, SiteId),
    /// Progress of a month's billing.
    MonthBilling(u32),
    /// A PPA, by the hash of the transaction that proposed it.
    Ppa(Hash32),
    /// A live PPA of a market (proposed, or accepted with months still to settle), for
    /// settlement to find in id order.
    PpaByMarket(MarketId, Hash32),
    /// A PPA's settlement of a month (`YYYYMM`).
    PpaSettlement(Hash32, u32),
    /// A charging operator's hold rules.
    ChargingConfig(Address),
    Charger(ChargerId),
    /// A member by member number.
    Member(u64),
    /// The member number of an account.
    MemberByAccount(Address),
    /// The member number of a card (idTag).
    MemberCard(String),
    /// A session by charger and session number.
    ChargingSession(ChargerId, u64),
    /// A `Prepaid` session by its expiry time (index for `ExpireChargingHolds`).
    ChargingExpiry(u64, ChargerId, u64),
    /// A charger's totals of a KST day (`YYYYMMDD`).
    ChargerDay(ChargerId, u32),
    /// The next member number.
    ChargingMeta,
    /// The validator set in force from this epoch until the next record (genesis writes epoch
    /// 0; `ChangeValidators` writes the next epoch's).
    ValidatorSet(u64),
    /// Blocks per epoch (from the genesis).
    EpochLength,
    /// A sales company's mandate for a site: site, company (address bytes).
    Mandate(SiteId, [u8; 32]),
}

/// What lives at a key. The variant always matches the key's variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateValue {
    Supply(MilliWon),
    Account(AccountState),
    Participant(Participant),
    Device(Device),
    Hold(Hold),
    Site(Site),
    Meter(MeterState),
    SiteMonth(MonthTotals),
    Interval(IntervalEnergy),
    Market(ConfigureMarket),
    Period(PeriodState),
    Intention(Intention),
    IntentionRef(MarketId, u64, u32),
    Contract(Contract),
    Settlement(SettlementLine),
    BillingConfig(ConfigureBilling),
    Tariff(Box<TariffVersion>),
    SiteP2p(SiteP2p),
    Payment(Payment),
    AccountBill(AccountBill),
    SiteBill(SiteBill),
    MonthBilling(MonthBilling),
    Ppa(Box<Ppa>),
    /// The index entry carries nothing.
    PpaByMarket,
    PpaSettlement(SettlementLine),
    ChargingConfig(ConfigureCharging),
    Charger(Box<Charger>),
    Member(Box<Member>),
    MemberByAccount(u64),
    MemberCard(u64),
    ChargingSession(Box<Session>),
    /// The index entry carries nothing.
    ChargingExpiry,
    ChargerDay(ChargerDay),
    ChargingMeta(u64),
    /// Sorted by key, unique, 1 to `MAX_VALIDATORS` entries.
    ValidatorSet(Vec<ValidatorEntry>),
    EpochLength(u64),
    Mandate(Box<Mandate>),
}

/// An account's money and its next nonce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// Spendable credits.
    pub balance: MilliWon,
    /// Credits this account has placed in holds (the sum of the amounts of holds it pays).
    pub held: MilliWon,
    /// The nonce its next transaction must carry.
    pub nonce: u64,
}

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

/// Escrowed credits: taken from the payer's balance, counted in its `held`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub payer: Address,
    pub beneficiary: Address,
    pub amount: MilliWon,
    /// The beneficiary may capture until (and including) this time; the payer may release after.
    pub expires_at_ms: u64,
    pub memo: String,
}

// ---- canonical encoding -------------------------------------------------------------------

impl Write for StateKey {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            Self::Supply => 0u8.write(buf),
            Self::Account(a) => {
                1u8.write(buf);
                a.write(buf);
            }
            Self::Participant(a) => {
                2u8.write(buf);
                a.write(buf);
            }
            Self::Device(a) => {
                3u8.write(buf);
                a.write(buf);
            }
            Self::Hold(h) => {
                4u8.write(buf);
                h.write(buf);
            }
            Self::Site(id) => {
                5u8.write(buf);
                id.write(buf);
            }
            Self::Meter(a) => {
                6u8.write(buf);
                a.write(buf);
            }
            Self::SiteMonth(id, m) => {
                7u8.write(buf);
                id.write(buf);
                m.write(buf);
            }
            Self::Interval(id, t) => {
                8u8.write(buf);
                id.write(buf);
                t.write(buf);
            }
            Self::Market(id) => {
                9u8.write(buf);
                id.write(buf);
            }
            Self::Period(id, t) => {
                10u8.write(buf);
                id.write(buf);
                t.write(buf);
            }
            Self::Intention(id, t, n) => {
                11u8.write(buf);
                id.write(buf);
                t.write(buf);
                n.write(buf);
            }
            Self::IntentionRef(h) => {
                12u8.write(buf);
                h.write(buf);
            }
            Self::Contract(id, t, n) => {
                13u8.write(buf);
                id.write(buf);
                t.write(buf);
                n.write(buf);
            }
            Self::Settlement(id, t, n) => {
                14u8.write(buf);
                id.write(buf);
                t.write(buf);
                n.write(buf);
            }
            Self::BillingConfig => 15u8.write(buf),
            Self::Tariff(d) => {
                16u8.write(buf);
                d.write(buf);
            }
            Self::SiteP2p(id, m) => {
                17u8.write(buf);
                id.write(buf);
                m.write(buf);
            }
            Self::Payment(m, a, n) => {
                18u8.write(buf);
                m.write(buf);
                buf.put_slice(a);
                n.write(buf);
            }
            Self::AccountBill(m, a) => {
                19u8.write(buf);
                m.write(buf);
                buf.put_slice(a);
            }
            Self::SiteBill(m, id) => {
                20u8.write(buf);
                m.write(buf);
                id.write(buf);
            }
            Self::MonthBilling(m) => {
                21u8.write(buf);
                m.write(buf);
            }
            Self::Ppa(h) => {
                22u8.write(buf);
                h.write(buf);
            }
            Self::PpaByMarket(id, h) => {
                23u8.write(buf);
                id.write(buf);
                h.write(buf);
            }
            Self::PpaSettlement(h, m) => {
                24u8.write(buf);
                h.write(buf);
                m.write(buf);
            }
            Self::ChargingConfig(a) => {
                25u8.write(buf);
                a.write(buf);
            }
            Self::Charger(c) => {
                26u8.write(buf);
                c.write(buf);
            }
            Self::Member(n) => {
                27u8.write(buf);
                n.write(buf);
            }
            Self::MemberByAccount(a) => {
                28u8.write(buf);
                a.write(buf);
            }
            Self::MemberCard(c) => {
                29u8.write(buf);
                write_string(c, buf);
            }
            Self::ChargingSession(c, n) => {
                30u8.write(buf);
                c.write(buf);
                n.write(buf);
            }
            Self::ChargingExpiry(t, c, n) => {
                31u8.write(buf);
                t.write(buf);
                c.write(buf);
                n.write(buf);
            }
            Self::ChargerDay(c, d) => {
                32u8.write(buf);
                c.write(buf);
                d.write(buf);
            }
            Self::ChargingMeta => 33u8.write(buf),
            Self::ValidatorSet(e) => {
                34u8.write(buf);
                e.write(buf);
            }
            Self::EpochLength => 35u8.write(buf),
            Self::Mandate(site, a) => {
                36u8.write(buf);
                site.write(buf);
                buf.put_slice(a);
            }
        }
    }
}

impl EncodeSize for StateKey {
    fn encode_size(&self) -> usize {
        1 + match self {
            Self::Supply => 0,
            Self::Account(_) | Self::Participant(_) | Self::Device(_) | Self::Meter(_) => {
                Address::SIZE
            }
            Self::Hold(_) => Hash32::SIZE,
            Self::Site(id) => id.encode_size(),
            Self::SiteMonth(id, _) => id.encode_size() + 4,
            Self::Interval(id, _) | Self::Period(id, _) => id.encode_size() + 8,
            Self::Market(id) => id.encode_size(),
            Self::Intention(id, _, _) | Self::Contract(id, _, _) | Self::Settlement(id, _, _) => {
                id.encode_size() + 12
            }
            Self::IntentionRef(_) => Hash32::SIZE,
            Self::BillingConfig => 0,
            Self::Tariff(_) | Self::MonthBilling(_) => 4,
            Self::SiteP2p(id, _) | Self::SiteBill(_, id) => id.encode_size() + 4,
            Self::Payment(..) => 4 + 32 + 4,
            Self::AccountBill(..) => 4 + 32,
            Self::Ppa(_) => Hash32::SIZE,
            Self::PpaByMarket(id, _) => id.encode_size() + Hash32::SIZE,
            Self::PpaSettlement(..) => Hash32::SIZE + 4,
            Self::ChargingConfig(_) | Self::MemberByAccount(_) => Address::SIZE,
            Self::Charger(c) => c.encode_size(),
            Self::Member(_) => 8,
            Self::MemberCard(c) => string_size(c),
            Self::ChargingSession(c, _) => c.encode_size() + 8,
            Self::ChargingExpiry(_, c, _) => 8 + c.encode_size() + 8,
            Self::ChargerDay(c, _) => c.encode_size() + 4,
            Self::ChargingMeta => 0,
            Self::ValidatorSet(_) => 8,
            Self::EpochLength => 0,
            Self::Mandate(site, _) => site.encode_size() + 32,
        }
    }
}

impl Read for StateKey {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(match u8::read(buf)? {
            0 => Self::Supply,
            1 => Self::Account(Address::read(buf)?),
            2 => Self::Participant(Address::read(buf)?),
            3 => Self::Device(Address::read(buf)?),
            4 => Self::Hold(Hash32::read(buf)?),
            5 => Self::Site(SiteId::read(buf)?),
            6 => Self::Meter(Address::read(buf)?),
            7 => Self::SiteMonth(SiteId::read(buf)?, u32::read(buf)?),
            8 => Self::Interval(SiteId::read(buf)?, u64::read(buf)?),
            9 => Self::Market(MarketId::read(buf)?),
            10 => Self::Period(MarketId::read(buf)?, u64::read(buf)?),
            11 => Self::Intention(MarketId::read(buf)?, u64::read(buf)?, u32::read(buf)?),
            12 => Self::IntentionRef(Hash32::read(buf)?),
            13 => Self::Contract(MarketId::read(buf)?, u64::read(buf)?, u32::read(buf)?),
            14 => Self::Settlement(MarketId::read(buf)?, u64::read(buf)?, u32::read(buf)?),
            15 => Self::BillingConfig,
            16 => Self::Tariff(u32::read(buf)?),
            17 => Self::SiteP2p(SiteId::read(buf)?, u32::read(buf)?),
            18 => Self::Payment(u32::read(buf)?, <[u8; 32]>::read(buf)?, u32::read(buf)?),
            19 => Self::AccountBill(u32::read(buf)?, <[u8; 32]>::read(buf)?),
            20 => Self::SiteBill(u32::read(buf)?, SiteId::read(buf)?),
            21 => Self::MonthBilling(u32::read(buf)?),
            22 => Self::Ppa(Hash32::read(buf)?),
            23 => Self::PpaByMarket(MarketId::read(buf)?, Hash32::read(buf)?),
            24 => Self::PpaSettlement(Hash32::read(buf)?, u32::read(buf)?),
            25 => Self::ChargingConfig(Address::read(buf)?),
            26 => Self::Charger(ChargerId::read(buf)?),
            27 => Self::Member(u64::read(buf)?),
            28 => Self::MemberByAccount(Address::read(buf)?),
            29 => Self::MemberCard(read_string(buf, CARD_MAX_BYTES)?),
            30 => Self::ChargingSession(ChargerId::read(buf)?, u64::read(buf)?),
            31 => Self::ChargingExpiry(u64::read(buf)?, ChargerId::read(buf)?, u64::read(buf)?),
            32 => Self::ChargerDay(ChargerId::read(buf)?, u32::read(buf)?),
            33 => Self::ChargingMeta,
            34 => Self::ValidatorSet(u64::read(buf)?),
            35 => Self::EpochLength,
            36 => Self::Mandate(SiteId::read(buf)?, <[u8; 32]>::read(buf)?),
            other => return Err(CodecError::InvalidEnum(other)),
        })
    }
}

impl Write for AccountState {
    fn write(&self, buf: &mut impl BufMut) {
        self.balance.write(buf);
        self.held.write(buf);
        self.nonce.write(buf);
    }
}

impl FixedSize for AccountState {
    const SIZE: usize = MilliWon::SIZE + MilliWon::SIZE + u64::SIZE;
}

impl Read for AccountState {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            balance: MilliWon::read(buf)?,
            held: MilliWon::read(buf)?,
            nonce: u64::read(buf)?,
        })
    }
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

impl Write for Hold {
    fn write(&self, buf: &mut impl BufMut) {
        self.payer.write(buf);
        self.beneficiary.write(buf);
        self.amount.write(buf);
        self.expires_at_ms.write(buf);
        write_string(&self.memo, buf);
    }
}

impl EncodeSize for Hold {
    fn encode_size(&self) -> usize {
        Address::SIZE + Address::SIZE + MilliWon::SIZE + u64::SIZE + string_size(&self.memo)
    }
}

impl Read for Hold {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            payer: Address::read(buf)?,
            beneficiary: Address::read(buf)?,
            amount: MilliWon::read(buf)?,
            expires_at_ms: u64::read(buf)?,
            memo: read_string(buf, TEXT_MAX_BYTES)?,
        })
    }
}

impl Write for StateValue {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            Self::Supply(s) => {
                0u8.write(buf);
                s.write(buf);
            }
            Self::Account(a) => {
                1u8.write(buf);
                a.write(buf);
            }
            Self::Participant(p) => {
                2u8.write(buf);
                p.write(buf);
            }
            Self::Device(d) => {
                3u8.write(buf);
                d.write(buf);
            }
            Self::Hold(h) => {
                4u8.write(buf);
                h.write(buf);
            }
            Self::Site(v) => {
                5u8.write(buf);
                v.write(buf);
            }
            Self::Meter(v) => {
                6u8.write(buf);
                v.write(buf);
            }
            Self::SiteMonth(v) => {
                7u8.write(buf);
                v.write(buf);
            }
            Self::Interval(v) => {
                8u8.write(buf);
                v.write(buf);
            }
            Self::Market(v) => {
                9u8.write(buf);
                v.write(buf);
            }
            Self::Period(v) => {
                10u8.write(buf);
                v.write(buf);
            }
            Self::Intention(v) => {
                11u8.write(buf);
                v.write(buf);
            }
            Self::IntentionRef(id, t, n) => {
                12u8.write(buf);
                id.write(buf);
                t.write(buf);
                n.write(buf);
            }
            Self::Contract(v) => {
                13u8.write(buf);
                v.write(buf);
            }
            Self::Settlement(v) => {
                14u8.write(buf);
                v.write(buf);
            }
            Self::BillingConfig(v) => {
                15u8.write(buf);
                v.write(buf);
            }
            Self::Tariff(v) => {
                16u8.write(buf);
                v.write(buf);
            }
            Self::SiteP2p(v) => {
                17u8.write(buf);
                v.write(buf);
            }
            Self::Payment(v) => {
                18u8.write(buf);
                v.write(buf);
            }
            Self::AccountBill(v) => {
                19u8.write(buf);
                v.write(buf);
            }
            Self::SiteBill(v) => {
                20u8.write(buf);
                v.write(buf);
            }
            Self::MonthBilling(v) => {
                21u8.write(buf);
                v.write(buf);
            }
            Self::Ppa(v) => {
                22u8.write(buf);
                v.write(buf);
            }
            Self::PpaByMarket => 23u8.write(buf),
            Self::PpaSettlement(v) => {
                24u8.write(buf);
                v.write(buf);
            }
            Self::ChargingConfig(v) => {
                25u8.write(buf);
                v.write(buf);
            }
            Self::Charger(v) => {
                26u8.write(buf);
                v.write(buf);
            }
            Self::Member(v) => {
                27u8.write(buf);
                v.write(buf);
            }
            Self::MemberByAccount(v) => {
                28u8.write(buf);
                v.write(buf);
            }
            Self::MemberCard(v) => {
                29u8.write(buf);
                v.write(buf);
            }
            Self::ChargingSession(v) => {
                30u8.write(buf);
                v.write(buf);
            }
            Self::ChargingExpiry => 31u8.write(buf),
            Self::ChargerDay(v) => {
                32u8.write(buf);
                v.write(buf);
            }
            Self::ChargingMeta(v) => {
                33u8.write(buf);
                v.write(buf);
            }
            Self::ValidatorSet(v) => {
                34u8.write(buf);
                v.write(buf);
            }
            Self::EpochLength(v) => {
                35u8.write(buf);
                v.write(buf);
            }
            Self::Mandate(v) => {
                36u8.write(buf);
                v.write(buf);
            }
        }
    }
}

impl EncodeSize for StateValue {
    fn encode_size(&self) -> usize {
        1 + match self {
            Self::Supply(_) => MilliWon::SIZE,
            Self::Account(_) => AccountState::SIZE,
            Self::Participant(p) => p.encode_size(),
            Self::Device(d) => d.encode_size(),
            Self::Hold(h) => h.encode_size(),
            Self::Site(v) => v.encode_size(),
            Self::Meter(v) => v.encode_size(),
            Self::SiteMonth(_) => MonthTotals::SIZE,
            Self::Interval(_) => IntervalEnergy::SIZE,
            Self::Market(v) => v.encode_size(),
            Self::Period(v) => v.encode_size(),
            Self::Intention(v) => v.encode_size(),
            Self::IntentionRef(id, _, _) => id.encode_size() + 12,
            Self::Contract(v) => v.encode_size(),
            Self::Settlement(_) => SettlementLine::SIZE,
            Self::BillingConfig(_) => ConfigureBilling::SIZE,
            Self::Tariff(v) => v.encode_size(),
            Self::SiteP2p(_) => SiteP2p::SIZE,
            Self::Payment(v) => v.encode_size(),
            Self::AccountBill(v) => v.encode_size(),
            Self::SiteBill(v) => v.encode_size(),
            Self::MonthBilling(v) => v.encode_size(),
            Self::Ppa(v) => v.encode_size(),
            Self::PpaByMarket => 0,
            Self::PpaSettlement(_) => SettlementLine::SIZE,
            Self::ChargingConfig(_) => ConfigureCharging::SIZE,
            Self::Charger(v) => v.encode_size(),
            Self::Member(v) => v.encode_size(),
            Self::MemberByAccount(_) | Self::MemberCard(_) | Self::ChargingMeta(_) => 8,
            Self::ChargingSession(v) => v.encode_size(),
            Self::ChargingExpiry => 0,
            Self::ChargerDay(_) => ChargerDay::SIZE,
            Self::ValidatorSet(v) => v.encode_size(),
            Self::EpochLength(_) => 8,
            Self::Mandate(v) => v.encode_size(),
        }
    }
}

impl Read for StateValue {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(match u8::read(buf)? {
            0 => Self::Supply(MilliWon::read(buf)?),
            1 => Self::Account(AccountState::read(buf)?),
            2 => Self::Participant(Participant::read(buf)?),
            3 => Self::Device(Device::read(buf)?),
            4 => Self::Hold(Hold::read(buf)?),
            5 => Self::Site(Site::read(buf)?),
            6 => Self::Meter(MeterState::read(buf)?),
            7 => Self::SiteMonth(MonthTotals::read(buf)?),
            8 => Self::Interval(IntervalEnergy::read(buf)?),
            9 => Self::Market(ConfigureMarket::read(buf)?),
            10 => Self::Period(PeriodState::read(buf)?),
            11 => Self::Intention(Intention::read(buf)?),
            12 => Self::IntentionRef(MarketId::read(buf)?, u64::read(buf)?, u32::read(buf)?),
            13 => Self::Contract(Contract::read(buf)?),
            14 => Self::Settlement(SettlementLine::read(buf)?),
            15 => Self::BillingConfig(ConfigureBilling::read(buf)?),
            16 => Self::Tariff(Box::new(TariffVersion::read(buf)?)),
            17 => Self::SiteP2p(SiteP2p::read(buf)?),
            18 => Self::Payment(Payment::read(buf)?),
            19 => Self::AccountBill(AccountBill::read(buf)?),
            20 => Self::SiteBill(SiteBill::read(buf)?),
            21 => Self::MonthBilling(MonthBilling::read(buf)?),
            22 => Self::Ppa(Box::new(Ppa::read(buf)?)),
            23 => Self::PpaByMarket,
            24 => Self::PpaSettlement(SettlementLine::read(buf)?),
            25 => Self::ChargingConfig(ConfigureCharging::read(buf)?),
            26 => Self::Charger(Box::new(Charger::read(buf)?)),
            27 => Self::Member(Box::new(Member::read(buf)?)),
            28 => Self::MemberByAccount(u64::read(buf)?),
            29 => Self::MemberCard(u64::read(buf)?),
            30 => Self::ChargingSession(Box::new(Session::read(buf)?)),
            31 => Self::ChargingExpiry,
            32 => Self::ChargerDay(ChargerDay::read(buf)?),
            33 => Self::ChargingMeta(u64::read(buf)?),
            34 => Self::ValidatorSet(read_validators(buf)?),
            35 => Self::EpochLength(u64::read(buf)?),
            36 => Self::Mandate(Box::new(Mandate::read(buf)?)),
            other => return Err(CodecError::InvalidEnum(other)),
        })
    }
}

// ---- reading and writing state ------------------------------------------------------------

/// Read access to a state.
pub trait StateRead {
    fn get(&self, key: &StateKey) -> Option<StateValue>;
    /// Every entry with a key in `range`, in key order.
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)>;
    /// The first `limit` entries of [StateRead::scan].
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        let mut v = self.scan(range);
        v.truncate(limit);
        v
    }
}

impl StateRead for BTreeMap<StateKey, StateValue> {
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        BTreeMap::get(self, key).cloned()
    }
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        self.range(range.clone())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        self.range(range.clone())
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl<T: StateRead + ?Sized> StateRead for &T {
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        (**self).get(key)
    }
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        (**self).scan(range)
    }
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        (**self).scan_limit(range, limit)
    }
}

/// Deletes in `writes` within `range`: each can hide at most one entry below.
pub(crate) fn deletes_in(writes: &WriteSet, range: &Range<StateKey>) -> usize {
    writes
        .range(range.clone())
        .filter(|(_, v)| v.is_none())
        .count()
}

/// The first `limit` entries of `below` as changed by `writes`, where `below` reads enough
/// entries that deletes in `writes` cannot leave fewer than `limit` that exist.
pub(crate) fn scan_limit_over(
    below: &(impl StateRead + ?Sized),
    writes: &WriteSet,
    range: &Range<StateKey>,
    limit: usize,
) -> Vec<(StateKey, StateValue)> {
    let want = limit.saturating_add(deletes_in(writes, range));
    let read = below.scan_limit(range, want);
    // If `below` was cut short, keys after the last one it returned are unknown here: only
    // merged keys up to it are complete (and at least `limit` of those survive the deletes).
    let last = (read.len() >= want)
        .then(|| read.last().map(|(k, _)| k.clone()))
        .flatten();
    let mut merged = scan_over(read, writes, range);
    if let Some(last) = last {
        merged.retain(|(k, _)| k <= &last);
    }
    merged.truncate(limit);
    merged
}

/// `below` as changed by `writes`, within `range`.
pub(crate) fn scan_over(
    below: Vec<(StateKey, StateValue)>,
    writes: &WriteSet,
    range: &Range<StateKey>,
) -> Vec<(StateKey, StateValue)> {
    let mut merged: BTreeMap<StateKey, StateValue> = below.into_iter().collect();
    for (k, v) in writes.range(range.clone()) {
        match v {
            Some(v) => {
                merged.insert(k.clone(), v.clone());
            }
            None => {
                merged.remove(k);
            }
        }
    }
    merged.into_iter().collect()
}

/// The changes one block makes, in key order. `None` deletes the key; a delete may name a key the
/// base never held (a hold placed and settled within the same block), and applying it is a no-op.
pub type WriteSet = BTreeMap<StateKey, Option<StateValue>>;

/// Reads through a stack of write-sets (newest last) over a base; used for speculative execution
/// of unfinalized blocks.
pub struct Layered<'a, S: StateRead + ?Sized> {
    pub base: &'a S,
    pub layers: Vec<&'a WriteSet>,
}

impl<S: StateRead + ?Sized> StateRead for Layered<'_, S> {
    fn scan(&self, range: &Range<StateKey>) -> Vec<(StateKey, StateValue)> {
        let mut out = self.base.scan(range);
        for layer in &self.layers {
            out = scan_over(out, layer, range);
        }
        out
    }
    fn scan_limit(&self, range: &Range<StateKey>, limit: usize) -> Vec<(StateKey, StateValue)> {
        let deletes: usize = self.layers.iter().map(|l| deletes_in(l, range)).sum();
        let mut out = self.base.scan_limit(range, limit.saturating_add(deletes));
        let cut = out.len() >= limit.saturating_add(deletes);
        let last = out.last().map(|(k, _)| k.clone());
        for layer in &self.layers {
            out = scan_over(out, layer, range);
        }
        if let (true, Some(last)) = (cut, last) {
            out.retain(|(k, _)| k <= &last);
        }
        out.truncate(limit);
        out
    }
    fn get(&self, key: &StateKey) -> Option<StateValue> {
        for layer in self.layers.iter().rev() {
            if let Some(v) = layer.get(key) {
                return v.clone();
            }
        }
        self.base.get(key)
    }
}

/// Applies a write-set to a state.
pub fn apply_writes(state: &mut BTreeMap<StateKey, StateValue>, writes: &WriteSet) {
    for (key, value) in writes {
        match value {
            Some(v) => {
                state.insert(key.clone(), v.clone());
            }
            None => {
                state.remove(key);
            }
        }
    }
}

// ---- typed helpers ------------------------------------------------------------------------

/// The account at `addr`, or a zero account if there is none.
pub fn account(state: &(impl StateRead + ?Sized), addr: &Address) -> AccountState {
    match state.get(&StateKey::Account(addr.clone())) {
        Some(StateValue::Account(a)) => a,
        _ => AccountState::default(),
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

/// The hold placed by the transaction with hash `id`.
pub fn hold(state: &(impl StateRead + ?Sized), id: &Hash32) -> Option<Hold> {
    match state.get(&StateKey::Hold(*id)) {
        Some(StateValue::Hold(h)) => Some(h),
        _ => None,
    }
}

/// Total credits in existence (zero before genesis).
pub fn supply(state: &(impl StateRead + ?Sized)) -> MilliWon {
    match state.get(&StateKey::Supply) {
        Some(StateValue::Supply(s)) => s,
        _ => MilliWon::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};
    use gridledger_types::PrivateKey;

    fn addr(seed: u8) -> Address {
        Address::of(&PrivateKey::decode([seed; 32].as_slice()).unwrap())
    }

    fn samples() -> Vec<(StateKey, StateValue)> {
        let a = addr(1);
        let h = Hash32::digest(&[b"hold"]);
        vec![
            (StateKey::Supply, StateValue::Supply(MilliWon(77))),
            (
                StateKey::Account(a.clone()),
                StateValue::Account(AccountState {
                    balance: MilliWon(5),
                    held: MilliWon(6),
                    nonce: 7,
                }),
            ),
            (
                StateKey::Participant(a.clone()),
                StateValue::Participant(Participant {
                    role: Role::Prosumer,
                    name: "건물 A".into(),
                    suspended: true,
                    registered_at: 3,
                }),
            ),
            (
                StateKey::Device(addr(2)),
                StateValue::Device(Device {
                    kind: DeviceKind::Charger,
                    owner: a.clone(),
                    label: "c-1".into(),
                }),
            ),
            (
                StateKey::Hold(h),
                StateValue::Hold(Hold {
                    payer: a.clone(),
                    beneficiary: addr(3),
                    amount: MilliWon(9),
                    expires_at_ms: 1_000,
                    memo: "escrow".into(),
                }),
            ),
            (
                StateKey::ValidatorSet(7),
                StateValue::ValidatorSet(vec![
                    ValidatorEntry {
                        public_key: a,
                        p2p_addr: "10.0.0.1:7070".parse().unwrap(),
                    },
                    ValidatorEntry {
                        public_key: addr(4),
                        p2p_addr: "[2001:db8::4]:7070".parse().unwrap(),
                    },
                ]),
            ),
            (StateKey::EpochLength, StateValue::EpochLength(1_000)),
            (
                StateKey::Mandate(SiteId::new("s0").unwrap(), addr(5).key_bytes()),
                StateValue::Mandate(Box::new(Mandate {
                    company: addr(5),
                    sides: gridledger_types::MandateSides::Both,
                    markets: vec![MarketId::new("monthly").unwrap()],
                    from_ms: 1,
                    until_ms: Some(2),
                    share_bp: 10_000,
                    granted_at_ms: 1,
                    revoked_at_ms: None,
                })),
            ),
        ]
    }

    #[test]
    fn keys_and_values_round_trip_with_exact_sizes() {
        for (k, v) in samples() {
            let ke = k.encode();
            assert_eq!(ke.len(), k.encode_size());
            assert_eq!(StateKey::decode(ke).unwrap(), k);
            let ve = v.encode();
            assert_eq!(ve.len(), v.encode_size());
            assert_eq!(StateValue::decode(ve).unwrap(), v);
        }
    }

    #[test]
    fn unknown_tags_trailing_bytes_and_bad_bools_are_rejected() {
        assert!(StateKey::decode([9u8].as_slice()).is_err());
        assert!(StateValue::decode([9u8].as_slice()).is_err());
        assert!(StateKey::decode([0u8, 0].as_slice()).is_err());
        let (_, p) = samples().swap_remove(2);
        let mut enc = p.encode().to_vec();
        // `suspended` sits 9 bytes from the end (bool, then the u64 height).
        let i = enc.len() - 9;
        enc[i] = 2;
        assert!(StateValue::decode(enc.as_slice()).is_err());
    }

    #[test]
    fn oversized_text_does_not_decode() {
        let d = StateValue::Device(Device {
            kind: DeviceKind::Meter,
            owner: addr(1),
            label: "x".repeat(TEXT_MAX_BYTES + 1),
        });
        assert!(StateValue::decode(d.encode()).is_err());
    }

    #[test]
    fn key_order_is_variant_then_field() {
        let mut keys: Vec<StateKey> = samples().into_iter().map(|(k, _)| k).collect();
        keys.reverse();
        keys.sort();
        assert_eq!(keys[0], StateKey::Supply);
        assert!(matches!(keys[4], StateKey::Hold(_)));
    }

    #[test]
    fn layered_reads_newest_layer_first_and_honours_deletes() {
        let mut base = BTreeMap::new();
        base.insert(StateKey::Supply, StateValue::Supply(MilliWon(1)));
        let a = StateKey::Account(addr(1));
        base.insert(a.clone(), StateValue::Account(AccountState::default()));
        let mut l1 = WriteSet::new();
        l1.insert(StateKey::Supply, Some(StateValue::Supply(MilliWon(2))));
        l1.insert(a.clone(), None);
        let mut l2 = WriteSet::new();
        l2.insert(StateKey::Supply, Some(StateValue::Supply(MilliWon(3))));
        let view = Layered {
            base: &base,
            layers: vec![&l1, &l2],
        };
        assert_eq!(supply(&view), MilliWon(3));
        assert_eq!(view.get(&a), None);
        let only_l1 = Layered {
            base: &base,
            layers: vec![&l1],
        };
        assert_eq!(supply(&only_l1), MilliWon(2));

        apply_writes(&mut base, &l1);
        apply_writes(&mut base, &l2);
        assert_eq!(supply(&base), MilliWon(3));
        assert!(!base.contains_key(&a));
    }
}

#[cfg(test)]
mod scan_limit_tests {
    use super::*;
    use proptest::prelude::*;

    fn key(n: u32) -> StateKey {
        StateKey::SiteMonth(SiteId::new("s").unwrap(), n)
    }
    fn val(n: u32) -> StateValue {
        StateValue::Supply(MilliWon(u64::from(n)))
    }
    fn writes(ops: &[(u32, bool)]) -> WriteSet {
        ops.iter()
            .map(|(n, put)| (key(*n), put.then(|| val(*n + 1_000))))
            .collect()
    }

    proptest! {
        /// A limited scan through write-sets (with deletes) is the full scan cut short.
        #[test]
        fn scan_limit_is_the_prefix_of_scan(
            base in proptest::collection::btree_set(0u32..60, 0..40),
            l1 in proptest::collection::vec((0u32..60, any::<bool>()), 0..20),
            l2 in proptest::collection::vec((0u32..60, any::<bool>()), 0..20),
            from in 0u32..60,
            len in 0u32..60,
            limit in 0usize..30,
        ) {
            let base: BTreeMap<StateKey, StateValue> =
                base.into_iter().map(|n| (key(n), val(n))).collect();
            let (w1, w2) = (writes(&l1), writes(&l2));
            let range = key(from)..key(from + len);
            let layered = Layered { base: &base, layers: vec![&w1, &w2] };
            let mut full = layered.scan(&range);
            full.truncate(limit);
            prop_assert_eq!(layered.scan_limit(&range, limit), full);
            let mut one = scan_over(base.scan(&range), &w1, &range);
            one.truncate(limit);
            prop_assert_eq!(scan_limit_over(&base, &w1, &range, limit), one);
        }
    }
}
