//! The typed tariff tables: classes, seasons, tiers, common components and rounding rules.
//! All money is milli-won, energy watt-hours, prices milli-won per kWh, percentages basis
//! points. [TariffVersion::validate] states every rule the data must satisfy.
use crate::{error::invalid, Error};
use gridledger_types::{EnergyWh, MilliWon, PriceMilliWonPerKwh};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Longest version id, in bytes.
pub const ID_MAX_BYTES: usize = 64;
/// Longest season name, in bytes.
pub const NAME_MAX_BYTES: usize = 32;
/// Most tiers in one residential season.
pub const MAX_TIERS: usize = 8;
/// Most seasons in one class (one per month at most).
pub const MAX_SEASONS: usize = 12;
/// Most versions in one [crate::TariffSet].
pub const MAX_VERSIONS: usize = 1_024;
/// 100 % in basis points.
pub const BP_PER_UNIT: u32 = 10_000;

/// A tariff class (contract type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TariffClass {
    /// 주택용 저압: residential, low voltage.
    ResidentialLow,
    /// 주택용 고압: residential, high voltage.
    ResidentialHigh,
    /// 일반용(갑) I 저압: general service, low voltage (buildings); billed per kW contracted.
    GeneralLow,
}

impl TariffClass {
    pub const ALL: [Self; 3] = [
        Self::ResidentialLow,
        Self::ResidentialHigh,
        Self::GeneralLow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResidentialLow => "residential-low",
            Self::ResidentialHigh => "residential-high",
            Self::GeneralLow => "general-low",
        }
    }

    /// Code in the canonical encoding.
    pub fn code(self) -> u8 {
        match self {
            Self::ResidentialLow => 0,
            Self::ResidentialHigh => 1,
            Self::GeneralLow => 2,
        }
    }

    pub fn from_code(c: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == c)
    }

    /// Whether the bill needs the contracted demand (kW).
    pub fn needs_contract_kw(self) -> bool {
        matches!(self, Self::GeneralLow)
    }
}

impl fmt::Display for TariffClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TariffClass {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::UnknownClass(s.chars().take(64).collect()))
    }
}

/// A calendar date (the day a version takes effect). Ordered by (year, month, day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A valid Gregorian date or an error.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, Error> {
        let d = Self { year, month, day };
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(invalid("date", format!("{d} is not a calendar date")));
        }
        Ok(d)
    }

    /// The first day of a month; the date a monthly bill is priced at.
    pub fn first_of(year: u16, month: u8) -> Result<Self, Error> {
        if !(1..=12).contains(&month) {
            return Err(Error::InvalidMonth { year, month });
        }
        Ok(Self {
            year,
            month,
            day: 1,
        })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = || invalid("date", format!("{:?} is not YYYY-MM-DD", s));
        let b = s.as_bytes();
        if !s.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |t: &str| -> Result<u64, Error> {
            if t.bytes().all(|c| c.is_ascii_digit()) {
                crate::parse_decimal(t, 0).map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (y, m, d) = (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?);
        let y = u16::try_from(y).map_err(|_| bad())?;
        let m = u8::try_from(m).map_err(|_| bad())?;
        let d = u8::try_from(d).map_err(|_| bad())?;
        Self::new(y, m, d)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A set of months (bit `m` for month `m`, 1..=12). Serialized as a list of month numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MonthSet(u16);

impl MonthSet {
    /// All twelve months.
    pub const ALL: Self = Self(0b1_1111_1111_1110);

    /// The set of `months`, or an error for a month outside 1..=12 or a repeated month.
    pub fn from_months(months: &[u8]) -> Result<Self, Error> {
        let mut bits = 0u16;
        for &m in months {
            if !(1..=12).contains(&m) {
                return Err(invalid("months", format!("month {m} is not 1..=12")));
            }
            if bits & (1 << m) != 0 {
                return Err(invalid("months", format!("month {m} is listed twice")));
            }
            bits |= 1 << m;
        }
        Ok(Self(bits))
    }

    /// The set from its bit representation, if it has no bits outside 1..=12.
    pub fn from_bits(bits: u16) -> Option<Self> {
        (bits & !Self::ALL.0 == 0).then_some(Self(bits))
    }

    pub fn bits(self) -> u16 {
        self.0
    }

    pub fn contains(self, month: u8) -> bool {
        (1..=12).contains(&month) && self.0 & (1 << month) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn months(self) -> impl Iterator<Item = u8> {
        (1..=12u8).filter(move |m| self.contains(*m))
    }
}

impl Serialize for MonthSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.months())
    }
}

gridledger_types::tagged_enum! {
    /// How one bill component is rounded, in milli-won units: `FloorTo(1_000)` drops fractions
    /// of a won, `FloorTo(10_000)` drops amounts under 10 won, `HalfUpTo(1_000)` rounds to the
    /// nearest won with halves going up. The unit must be at least 1.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Rounding {
        #[serde(rename = "floor_to_mwon")]
        0 => FloorTo(u64),
        #[serde(rename = "half_up_to_mwon")]
        1 => HalfUpTo(u64),
    }
}

impl Rounding {
    pub fn unit(self) -> u64 {
        match self {
            Self::FloorTo(u) | Self::HalfUpTo(u) => u,
        }
    }

    /// Rounds an amount in milli-won. `None` if the unit is 0 or the result overflows.
    pub fn apply(self, amount: MilliWon) -> Option<MilliWon> {
        self.apply_ratio(u128::from(amount.0), 1)
    }

    /// Rounds the exact rational amount `num / den` milli-won (e.g. `charge * bp / 10_000`)
    /// without first truncating it to milli-won. `None` if the unit or `den` is 0 or the result
    /// overflows u64.
    pub fn apply_ratio(self, num: u128, den: u128) -> Option<MilliWon> {
        let unit = u128::from(self.unit());
        let step = den.checked_mul(unit).filter(|s| *s > 0)?;
        let units = match self {
            Self::FloorTo(_) => num / step,
            // floor(num / step + 1/2) = floor((2 num + step) / (2 step))
            Self::HalfUpTo(_) => num
                .checked_mul(2)?
                .checked_add(step)?
                .checked_div(step.checked_mul(2)?)?,
        };
        u64::try_from(units.checked_mul(unit)?).ok().map(MilliWon)
    }
}

/// The rounding rule of each rounded bill component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundingRules {
    /// Electricity charge (KEPCO: drop fractions of a won).
    pub electricity_charge: Rounding,
    /// VAT (KEPCO: nearest won).
    pub vat: Rounding,
    /// Power industry fund (KEPCO: drop amounts under 10 won).
    pub fund: Rounding,
    /// Billed total (KEPCO: drop amounts under 10 won).
    pub total: Rounding,
}

/// One block of a residential tier table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Tier {
    /// Upper end of the block (inclusive); `None` for the last, open-ended tier.
    pub up_to_wh: Option<EnergyWh>,
    /// Monthly base charge when the month's consumption reaches this tier.
    pub base: MilliWon,
    /// Energy charge for the energy inside this block.
    pub rate: PriceMilliWonPerKwh,
}

/// Tiers of the months of one residential season.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ResidentialSeason {
    pub name: String,
    pub months: MonthSet,
    pub tiers: Vec<Tier>,
}

/// The super-user charge: energy above `above_wh` in `months` is charged at `rate` instead of
/// the tier rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SuperUser {
    pub months: MonthSet,
    pub above_wh: EnergyWh,
    pub rate: PriceMilliWonPerKwh,
}

/// A residential (progressive, tiered) tariff.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ResidentialTariff {
    pub seasons: Vec<ResidentialSeason>,
    pub super_user: Option<SuperUser>,
}

/// The energy rate of the months of one general-service season.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct GeneralSeason {
    pub name: String,
    pub months: MonthSet,
    pub rate: PriceMilliWonPerKwh,
}

/// A general-service tariff: base charge per kW of contracted demand, seasonal energy rate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct GeneralTariff {
    pub base_per_kw: MilliWon,
    pub seasons: Vec<GeneralSeason>,
}

/// Components common to every class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Common {
    /// Climate-environment charge per kWh.
    pub climate_environment: PriceMilliWonPerKwh,
    /// Fuel-cost adjustment per kWh (only surcharges are supported: >= 0).
    pub fuel_cost_adjustment: PriceMilliWonPerKwh,
    /// VAT in basis points of the electricity charge (10 % = 1,000).
    pub vat_bp: u32,
    /// Electric power industry fund in basis points of the electricity charge (2.7 % = 270).
    pub fund_bp: u32,
    pub rounding: RoundingRules,
}

/// The per-class tables of one version.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Classes {
    pub residential_low: ResidentialTariff,
    pub residential_high: ResidentialTariff,
    pub general_low: GeneralTariff,
}

/// One version of the tariff, in force from `effective_from` until the next version.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TariffVersion {
    /// Stable name, e.g. `kepco-2025-07`.
    pub id: String,
    pub effective_from: Date,
    pub classes: Classes,
    pub common: Common,
}

impl TariffVersion {
    /// Checks every rule of the data:
    /// - id: 1..=64 bytes of printable ASCII; `effective_from` a calendar date;
    /// - in each class, seasons are 1..=12, named (1..=32 bytes), and every month of the year
    ///   belongs to exactly one season;
    /// - residential tiers: 1..=8, limits strictly ascending and above 0, only the last one
    ///   open-ended, base charges non-decreasing (so a bill never drops when consumption grows);
    /// - the super-user threshold, if any, is at or above every finite tier limit of the seasons
    ///   of its months, and its month set is not empty;
    /// - VAT and fund at most 100 %; every rounding unit at least 1 milli-won.
    pub fn validate(&self) -> Result<(), Error> {
        let ctx = |what: &str| format!("{} {what}", self.id);
        if self.id.is_empty()
            || self.id.len() > ID_MAX_BYTES
            || !self.id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(invalid(
                "version id",
                format!(
                    "{:?} must be 1..={ID_MAX_BYTES} printable ASCII bytes",
                    self.id
                ),
            ));
        }
        let d = self.effective_from;
        Date::new(d.year, d.month, d.day)
            .map_err(|_| invalid(ctx("effective_from"), format!("{d} is not a date")))?;
        for (name, r) in [
            ("residential-low", &self.classes.residential_low),
            ("residential-high", &self.classes.residential_high),
        ] {
            validate_residential(r).map_err(|reason| invalid(ctx(name), reason))?;
        }
        validate_general(&self.classes.general_low)
            .map_err(|reason| invalid(ctx("general-low"), reason))?;
        let c = &self.common;
        if c.vat_bp > BP_PER_UNIT || c.fund_bp > BP_PER_UNIT {
            return Err(invalid(ctx("common"), "VAT and fund must be at most 100 %"));
        }
        let r = c.rounding;
        if [r.electricity_charge, r.vat, r.fund, r.total]
            .iter()
            .any(|x| x.unit() == 0)
        {
            return Err(invalid(
                ctx("rounding"),
                "a rounding unit must be at least 1 milli-won",
            ));
        }
        Ok(())
    }
}

fn validate_seasons<'a>(
    seasons: impl ExactSizeIterator<Item = (&'a str, MonthSet)>,
) -> Result<(), String> {
    if seasons.len() == 0 || seasons.len() > MAX_SEASONS {
        return Err(format!("1..={MAX_SEASONS} seasons required"));
    }
    let mut seen = 0u16;
    for (name, months) in seasons {
        if name.is_empty() || name.len() > NAME_MAX_BYTES {
            return Err(format!(
                "season name {name:?} must be 1..={NAME_MAX_BYTES} bytes"
            ));
        }
        if months.is_empty() {
            return Err(format!("season {name} has no months"));
        }
        if seen & months.bits() != 0 {
            return Err(format!("season {name} repeats a month of another season"));
        }
        seen |= months.bits();
    }
    if seen != MonthSet::ALL.bits() {
        return Err("the seasons must cover all twelve months".into());
    }
    Ok(())
}

fn validate_residential(r: &ResidentialTariff) -> Result<(), String> {
    validate_seasons(r.seasons.iter().map(|s| (s.name.as_str(), s.months)))?;
    for s in &r.seasons {
        if s.tiers.is_empty() || s.tiers.len() > MAX_TIERS {
            return Err(format!("season {}: 1..={MAX_TIERS} tiers required", s.name));
        }
        let mut prev_limit = EnergyWh::ZERO;
        let mut prev_base = MilliWon::ZERO;
        let last = s.tiers.len() - 1;
        for (i, t) in s.tiers.iter().enumerate() {
            match (t.up_to_wh, i == last) {
                (None, true) => {}
                (None, false) => {
                    return Err(format!(
                        "season {}: only the last tier may be open-ended",
                        s.name
                    ))
                }
                (Some(_), true) => {
                    return Err(format!(
                        "season {}: the last tier must be open-ended",
                        s.name
                    ))
                }
                (Some(l), false) => {
                    if l <= prev_limit {
                        return Err(format!(
                            "season {}: tier limits must be ascending and above 0",
                            s.name
                        ));
                    }
                    prev_limit = l;
                }
            }
            if t.base < prev_base {
                return Err(format!("season {}: base charges must not decrease", s.name));
            }
            prev_base = t.base;
        }
        if let Some(su) = r.super_user {
            if su.months.bits() & s.months.bits() != 0 && su.above_wh < prev_limit {
                return Err(format!(
                    "super-user threshold is below a tier limit of season {}",
                    s.name
                ));
            }
        }
    }
    if let Some(su) = r.super_user {
        if su.months.is_empty() {
            return Err("super-user charge has no months".into());
        }
    }
    Ok(())
}

fn validate_general(g: &GeneralTariff) -> Result<(), String> {
    validate_seasons(g.seasons.iter().map(|s| (s.name.as_str(), s.months)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_round_trip() {
        for c in TariffClass::ALL {
            assert_eq!(c.as_str().parse::<TariffClass>(), Ok(c));
            assert_eq!(TariffClass::from_code(c.code()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{c}\""));
            assert_eq!(serde_json::from_str::<TariffClass>(&json).unwrap(), c);
        }
        assert!("residential".parse::<TariffClass>().is_err());
        assert!("Residential-Low".parse::<TariffClass>().is_err());
        assert_eq!(TariffClass::from_code(3), None);
    }

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("2024-07-01").unwrap(),
            Date::new(2024, 7, 1).unwrap()
        );
        assert!(Date::parse("2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-7-1",
            "2024/07/01",
            "20x4-07-01",
            "2024-07-01 ",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::new(2024, 7, 1).unwrap() < Date::new(2025, 1, 1).unwrap());
        assert_eq!(
            Date::first_of(2024, 13),
            Err(Error::InvalidMonth {
                year: 2024,
                month: 13
            })
        );
    }

    #[test]
    fn month_sets() {
        let s = MonthSet::from_months(&[7, 8]).unwrap();
        assert!(s.contains(7) && s.contains(8) && !s.contains(6) && !s.contains(0));
        assert_eq!(s.months().collect::<Vec<_>>(), vec![7, 8]);
        assert!(MonthSet::from_months(&[0]).is_err());
        assert!(MonthSet::from_months(&[13]).is_err());
        assert!(MonthSet::from_months(&[1, 1]).is_err());
        assert_eq!(MonthSet::from_bits(1), None);
        assert_eq!(MonthSet::from_bits(1 << 13), None);
        assert_eq!(serde_json::to_string(&s).unwrap(), "[7,8]");
    }

    #[test]
    fn rounding_rules() {
        let won = Rounding::FloorTo(1_000);
        assert_eq!(won.apply(MilliWon(12_999)), Some(MilliWon(12_000)));
        let ten = Rounding::FloorTo(10_000);
        assert_eq!(ten.apply(MilliWon(19_999)), Some(MilliWon(10_000)));
        let half = Rounding::HalfUpTo(1_000);
        assert_eq!(half.apply(MilliWon(1_499)), Some(MilliWon(1_000)));
        assert_eq!(half.apply(MilliWon(1_500)), Some(MilliWon(2_000)));
        // 12,345 won x 10 % = 1,234.5 won exactly: half goes up.
        assert_eq!(
            half.apply_ratio(12_345_000 * 1_000, 10_000),
            Some(MilliWon(1_235_000))
        );
        // 1,234.4999 won (a fraction of a milli-won below the half) goes down.
        assert_eq!(
            half.apply_ratio(12_344_999 * 1_000, 10_000),
            Some(MilliWon(1_234_000))
        );
        assert_eq!(Rounding::FloorTo(0).apply(MilliWon(1)), None);
        assert_eq!(half.apply(MilliWon(u64::MAX)), None);
        assert_eq!(
            won.apply(MilliWon(u64::MAX)),
            Some(MilliWon(u64::MAX / 1_000 * 1_000))
        );
        assert_eq!(
            serde_json::to_string(&won).unwrap(),
            r#"{"floor_to_mwon":1000}"#
        );
    }
}
