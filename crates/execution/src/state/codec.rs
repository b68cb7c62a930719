use super::{StateKey, StateValue};
use crate::state::billing::{MonthBilling, SiteBill, SiteP2p};
use crate::state::charging::{Charger, ChargerDay, Member, Session};
use crate::state::ledger::{AccountState, Hold};
use crate::state::mandates::Mandate;
use crate::state::metering::{IntervalEnergy, MeterState, MonthTotals, Site};
use crate::state::payments::{AccountBill, Payment};
use crate::state::ppa::Ppa;
use crate::state::registry::{Device, Participant};
use crate::state::settlement::SettlementLine;
use crate::state::trading::{Contract, Intention, PeriodState};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_tariff::TariffVersion;
use gridledger_types::{
    read_string, read_validators, string_size, write_string, Address, ChargerId, ConfigureBilling,
    ConfigureCharging, ConfigureMarket, Hash32, MarketId, MilliWon, SiteId, CARD_MAX_BYTES,
};

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
