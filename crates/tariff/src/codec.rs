//! Canonical binary encoding of a [TariffVersion] (commonware codec), so the execution crate
//! can store the version an operator sets on chain. Every length is bounded and a decoded
//! version is validated: hostile bytes give an error, never a panic or a huge allocation.
use crate::model::{
    Classes, Common, Date, GeneralSeason, GeneralTariff, MonthSet, ResidentialSeason,
    ResidentialTariff, Rounding, RoundingRules, SuperUser, TariffClass, TariffVersion, Tier,
    ID_MAX_BYTES, MAX_SEASONS, MAX_TIERS, NAME_MAX_BYTES,
};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use gridledger_types::{
    read_string, string_size, write_string, EnergyWh, MilliWon, PriceMilliWonPerKwh,
};

/// Upper bound of the encoded size of any decodable [TariffVersion], in bytes.
pub const VERSION_MAX_BYTES: usize = {
    // A string is a varint length (at most 2 bytes for these bounds) and its bytes.
    let tier = 1 + 8 + 8 + 8;
    let res_season = (2 + NAME_MAX_BYTES) + 2 + 2 + MAX_TIERS * tier;
    let residential = 2 + MAX_SEASONS * res_season + 1 + 2 + 8 + 8;
    let gen_season = (2 + NAME_MAX_BYTES) + 2 + 8;
    let general = 8 + 2 + MAX_SEASONS * gen_season;
    let common = 8 + 8 + 4 + 4 + 4 * 9;
    (2 + ID_MAX_BYTES) + 4 + 2 * residential + general + common
};

impl Write for TariffClass {
    fn write(&self, buf: &mut impl BufMut) {
        self.code().write(buf)
    }
}
impl EncodeSize for TariffClass {
    fn encode_size(&self) -> usize {
        1
    }
}
impl Read for TariffClass {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let c = u8::read(buf)?;
        Self::from_code(c).ok_or(Error::InvalidEnum(c))
    }
}

impl Write for Date {
    fn write(&self, buf: &mut impl BufMut) {
        self.year.write(buf);
        self.month.write(buf);
        self.day.write(buf);
    }
}
impl EncodeSize for Date {
    fn encode_size(&self) -> usize {
        4
    }
}
impl Read for Date {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let (y, m, d) = (u16::read(buf)?, u8::read(buf)?, u8::read(buf)?);
        Date::new(y, m, d).map_err(|_| Error::Invalid("Date", "not a calendar date"))
    }
}

impl Write for MonthSet {
    fn write(&self, buf: &mut impl BufMut) {
        self.bits().write(buf)
    }
}
impl EncodeSize for MonthSet {
    fn encode_size(&self) -> usize {
        2
    }
}
impl Read for MonthSet {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        MonthSet::from_bits(u16::read(buf)?)
            .ok_or(Error::Invalid("MonthSet", "month outside 1..=12"))
    }
}

impl Write for Tier {
    fn write(&self, buf: &mut impl BufMut) {
        self.up_to_wh.write(buf);
        self.base.write(buf);
        self.rate.write(buf);
    }
}
impl EncodeSize for Tier {
    fn encode_size(&self) -> usize {
        self.up_to_wh.encode_size() + 16
    }
}
impl Read for Tier {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            up_to_wh: Option::<EnergyWh>::read(buf)?,
            base: MilliWon::read(buf)?,
            rate: PriceMilliWonPerKwh::read(buf)?,
        })
    }
}

impl Write for ResidentialSeason {
    fn write(&self, buf: &mut impl BufMut) {
        write_string(&self.name, buf);
        self.months.write(buf);
        self.tiers.write(buf);
    }
}
impl EncodeSize for ResidentialSeason {
    fn encode_size(&self) -> usize {
        string_size(&self.name) + 2 + self.tiers.encode_size()
    }
}
impl Read for ResidentialSeason {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            name: read_string(buf, NAME_MAX_BYTES)?,
            months: MonthSet::read(buf)?,
            tiers: Vec::<Tier>::read_cfg(buf, &(RangeCfg::from(1..=MAX_TIERS), ()))?,
        })
    }
}

impl Write for SuperUser {
    fn write(&self, buf: &mut impl BufMut) {
        self.months.write(buf);
        self.above_wh.write(buf);
        self.rate.write(buf);
    }
}
impl EncodeSize for SuperUser {
    fn encode_size(&self) -> usize {
        2 + 8 + 8
    }
}
impl Read for SuperUser {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            months: MonthSet::read(buf)?,
            above_wh: EnergyWh::read(buf)?,
            rate: PriceMilliWonPerKwh::read(buf)?,
        })
    }
}

impl Write for ResidentialTariff {
    fn write(&self, buf: &mut impl BufMut) {
        self.seasons.write(buf);
        self.super_user.write(buf);
    }
}
impl EncodeSize for ResidentialTariff {
    fn encode_size(&self) -> usize {
        self.seasons.encode_size() + self.super_user.encode_size()
    }
}
impl Read for ResidentialTariff {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            seasons: Vec::<ResidentialSeason>::read_cfg(
                buf,
                &(RangeCfg::from(1..=MAX_SEASONS), ()),
            )?,
            super_user: Option::<SuperUser>::read(buf)?,
        })
    }
}

impl Write for GeneralSeason {
    fn write(&self, buf: &mut impl BufMut) {
        write_string(&self.name, buf);
        self.months.write(buf);
        self.rate.write(buf);
    }
}
impl EncodeSize for GeneralSeason {
    fn encode_size(&self) -> usize {
        string_size(&self.name) + 2 + 8
    }
}
impl Read for GeneralSeason {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            name: read_string(buf, NAME_MAX_BYTES)?,
            months: MonthSet::read(buf)?,
            rate: PriceMilliWonPerKwh::read(buf)?,
        })
    }
}

impl Write for GeneralTariff {
    fn write(&self, buf: &mut impl BufMut) {
        self.base_per_kw.write(buf);
        self.seasons.write(buf);
    }
}
impl EncodeSize for GeneralTariff {
    fn encode_size(&self) -> usize {
        8 + self.seasons.encode_size()
    }
}
impl Read for GeneralTariff {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            base_per_kw: MilliWon::read(buf)?,
            seasons: Vec::<GeneralSeason>::read_cfg(buf, &(RangeCfg::from(1..=MAX_SEASONS), ()))?,
        })
    }
}

impl Write for Common {
    fn write(&self, buf: &mut impl BufMut) {
        self.climate_environment.write(buf);
        self.fuel_cost_adjustment.write(buf);
        self.vat_bp.write(buf);
        self.fund_bp.write(buf);
        let r = self.rounding;
        for x in [r.electricity_charge, r.vat, r.fund, r.total] {
            x.write(buf);
        }
    }
}
impl EncodeSize for Common {
    fn encode_size(&self) -> usize {
        8 + 8 + 4 + 4 + 4 * 9
    }
}
impl Read for Common {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            climate_environment: PriceMilliWonPerKwh::read(buf)?,
            fuel_cost_adjustment: PriceMilliWonPerKwh::read(buf)?,
            vat_bp: u32::read(buf)?,
            fund_bp: u32::read(buf)?,
            rounding: RoundingRules {
                electricity_charge: Rounding::read(buf)?,
                vat: Rounding::read(buf)?,
                fund: Rounding::read(buf)?,
                total: Rounding::read(buf)?,
            },
        })
    }
}

impl Write for TariffVersion {
    fn write(&self, buf: &mut impl BufMut) {
        write_string(&self.id, buf);
        self.effective_from.write(buf);
        self.classes.residential_low.write(buf);
        self.classes.residential_high.write(buf);
        self.classes.general_low.write(buf);
        self.common.write(buf);
    }
}
impl EncodeSize for TariffVersion {
    fn encode_size(&self) -> usize {
        string_size(&self.id)
            + 4
            + self.classes.residential_low.encode_size()
            + self.classes.residential_high.encode_size()
            + self.classes.general_low.encode_size()
            + self.common.encode_size()
    }
}
impl Read for TariffVersion {
    type Cfg = ();
    /// Reads and validates ([TariffVersion::validate]) a version.
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let v = Self {
            id: read_string(buf, ID_MAX_BYTES)?,
            effective_from: Date::read(buf)?,
            classes: Classes {
                residential_low: ResidentialTariff::read(buf)?,
                residential_high: ResidentialTariff::read(buf)?,
                general_low: GeneralTariff::read(buf)?,
            },
            common: Common::read(buf)?,
        };
        v.validate()
            .map_err(|_| Error::Invalid("TariffVersion", "breaks a tariff data rule"))?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TariffSet;
    use commonware_codec::{DecodeExt, Encode};

    #[test]
    fn versions_round_trip() {
        let set = TariffSet::kepco().unwrap();
        for v in set.versions() {
            let bytes = v.encode();
            assert_eq!(bytes.len(), v.encode_size());
            assert!(bytes.len() <= VERSION_MAX_BYTES);
            assert_eq!(&TariffVersion::decode(bytes).unwrap(), v);
        }
        for c in TariffClass::ALL {
            assert_eq!(TariffClass::decode(c.encode()).unwrap(), c);
        }
        assert!(TariffClass::decode(&[3u8][..]).is_err());
    }

    #[test]
    fn truncated_or_corrupt_bytes_are_errors() {
        let set = TariffSet::kepco().unwrap();
        let v = &set.versions()[0];
        let bytes = v.encode().to_vec();
        for n in 0..bytes.len() {
            assert!(TariffVersion::decode(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(TariffVersion::decode(&extra[..]).is_err());
        // Flip every byte in turn: decoding must never panic (it may still succeed, e.g. a
        // rate changes, but then the result is a valid version).
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            if let Ok(d) = TariffVersion::decode(&b[..]) {
                assert!(d.validate().is_ok());
            }
        }
    }

    #[test]
    fn decoded_versions_are_validated() {
        let mut v = TariffSet::kepco().unwrap().versions()[0].clone();
        v.classes.residential_low.seasons[0].tiers.swap(0, 1);
        assert!(TariffVersion::decode(v.encode()).is_err());
        let mut v = TariffSet::kepco().unwrap().versions()[0].clone();
        v.common.rounding.vat = Rounding::HalfUpTo(0);
        assert!(TariffVersion::decode(v.encode()).is_err());
    }
}
