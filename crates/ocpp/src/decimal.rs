//! Meter readings as decimal text to whole Wh (floor), in integers only.
//!
//! Accepts `"1234"`, `"1234.567"`, `"+12.5"`; refuses exponents (`"1.5e3"`), signs other than `+`
//! on energy, and anything longer than [TEXT_MAX_LEN]. JSON numbers are read from their text form.

/// Longest reading we read.
pub const TEXT_MAX_LEN: usize = 40;

/// The unit of an energy reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnergyUnit {
    /// Watt-hours.
    Wh,
    /// Kilowatt-hours.
    KWh,
}

impl EnergyUnit {
    /// Reads an OCPP unit (`Wh`, `kWh`, any case); `None` for other units.
    pub fn parse(text: &str) -> Option<EnergyUnit> {
        if text.eq_ignore_ascii_case("wh") {
            Some(EnergyUnit::Wh)
        } else if text.eq_ignore_ascii_case("kwh") {
            Some(EnergyUnit::KWh)
        } else {
            None
        }
    }

    fn exponent(self) -> i32 {
        match self {
            EnergyUnit::Wh => 0,
            EnergyUnit::KWh => 3,
        }
    }
}

/// Reads `text` in `unit` times 10^`multiplier` (2.0.1 `unitOfMeasure.multiplier`; 0 in 1.6) as
/// whole Wh, rounded down. `None` if unreadable, negative or above `u64::MAX` Wh.
pub fn energy_wh(text: &str, unit: EnergyUnit, multiplier: i32) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || text.len() > TEXT_MAX_LEN {
        return None;
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // TEXT_MAX_LEN digits fit in u128 (< 3.4e38).
    let mut mantissa: u128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(u128::from(b - b'0'))?;
    }
    let fraction_len = i32::try_from(fraction.len()).ok()?;
    let exponent = multiplier
        .checked_add(unit.exponent())?
        .checked_sub(fraction_len)?;
    let wh = if exponent >= 0 {
        let mut value = mantissa;
        for _ in 0..exponent {
            if value == 0 {
                break;
            }
            value = value.checked_mul(10)?;
        }
        value
    } else {
        let mut value = mantissa;
        for _ in 0..exponent.unsigned_abs() {
            if value == 0 {
                break;
            }
            value /= 10;
        }
        value
    };
    u64::try_from(wh).ok()
}

/// A reading sent either as JSON text (1.6 `value`) or as a JSON number (2.0.1 `value`,
/// 1.6 `meterStart`); numbers are read from their text form. (serde_json without
/// `arbitrary_precision` keeps a non-integer number as its parsed binary value and prints the
/// shortest text that reads back the same, which is the sent decimal for up to 15 significant
/// digits; integers are exact. We never compute with it.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum Reading {
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string.
    Text(String),
}

impl Reading {
    /// The reading in `unit` x 10^`multiplier` as whole Wh (see [energy_wh]).
    pub fn wh(&self, unit: EnergyUnit, multiplier: i32) -> Option<u64> {
        match self {
            Reading::Number(n) => energy_wh(&n.to_string(), unit, multiplier),
            Reading::Text(t) => energy_wh(t, unit, multiplier),
        }
    }
}

/// Milli-won as decimal won text: `1234500` -> `"1234.5"`, `1000` -> `"1"`.
pub fn won_text(mwon: u64) -> String {
    let (won, milli) = (mwon / 1000, mwon % 1000);
    if milli == 0 {
        return won.to_string();
    }
    let fraction = format!("{milli:03}");
    format!("{won}.{}", fraction.trim_end_matches('0'))
}

/// Milli-won as whole won, rounded up: what we report as `totalCost` and `cost` (a won is the
/// smallest amount a driver pays; the chain keeps the exact milli-won).
pub fn won_ceil(mwon: u64) -> u64 {
    mwon / 1000 + u64::from(!mwon.is_multiple_of(1000))
}

/// Default measurand of a sampled value.
pub const DEFAULT_MEASURAND: &str = "Energy.Active.Import.Register";

/// One sampled value as both versions describe it.
pub struct Sample<'a> {
    pub value: &'a Reading,
    pub measurand: Option<&'a str>,
    pub phase: Option<&'a str>,
    /// `SignedData` samples (1.6 `format`) are skipped.
    pub signed: bool,
    /// Default `Wh`.
    pub unit: Option<&'a str>,
    pub multiplier: i32,
}

/// The highest total `Energy.Active.Import.Register` reading among `samples`, in Wh: other
/// measurands, per-phase and signed values are skipped.
pub fn highest_energy_wh<'a>(samples: impl Iterator<Item = Sample<'a>>) -> Option<u64> {
    samples
        .filter(|s| s.measurand.unwrap_or(DEFAULT_MEASURAND) == DEFAULT_MEASURAND)
        .filter(|s| s.phase.is_none() && !s.signed)
        .filter_map(|s| {
            s.value
                .wh(EnergyUnit::parse(s.unit.unwrap_or("Wh"))?, s.multiplier)
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnergyUnit::{KWh, Wh};

    #[test]
    fn reads_wh_and_kwh_with_floor() {
        assert_eq!(energy_wh("1234", Wh, 0), Some(1234));
        assert_eq!(energy_wh("1234.999", Wh, 0), Some(1234));
        assert_eq!(energy_wh("+7", Wh, 0), Some(7));
        assert_eq!(energy_wh("12.345", KWh, 0), Some(12_345));
        assert_eq!(energy_wh("12.3456", KWh, 0), Some(12_345));
        assert_eq!(energy_wh("0.5", KWh, 0), Some(500));
        assert_eq!(energy_wh(".5", KWh, 0), Some(500));
        assert_eq!(energy_wh("5.", KWh, 0), Some(5000));
        assert_eq!(energy_wh("0", Wh, 0), Some(0));
        assert_eq!(energy_wh("000012", Wh, 0), Some(12));
    }

    #[test]
    fn applies_the_multiplier() {
        assert_eq!(energy_wh("12", Wh, 3), Some(12_000));
        assert_eq!(energy_wh("12.3456", KWh, -1), Some(1_234));
        assert_eq!(energy_wh("1", Wh, -3), Some(0));
        assert_eq!(energy_wh("5", Wh, -100), Some(0));
        assert_eq!(energy_wh("0", Wh, 100), Some(0));
        assert_eq!(energy_wh("5", Wh, 100), None);
        assert_eq!(energy_wh("1", Wh, i32::MAX), None);
        assert_eq!(energy_wh("1", KWh, i32::MIN), Some(0));
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for text in [
            "", ".", "-1", "1.5e3", "1E3", "abc", "1,5", "1.2.3", "++1", " ", "NaN", "inf", "0x10",
        ] {
            assert_eq!(energy_wh(text, Wh, 0), None, "{text:?}");
        }
        assert_eq!(energy_wh(&"9".repeat(41), Wh, 0), None);
        assert_eq!(energy_wh("18446744073709551615", Wh, 0), Some(u64::MAX));
        assert_eq!(energy_wh("18446744073709551616", Wh, 0), None);
        assert_eq!(energy_wh("18446744073709551.615", KWh, 0), Some(u64::MAX));
    }

    #[test]
    fn reads_units() {
        assert_eq!(EnergyUnit::parse("Wh"), Some(Wh));
        assert_eq!(EnergyUnit::parse("kWh"), Some(KWh));
        assert_eq!(EnergyUnit::parse("KWH"), Some(KWh));
        assert_eq!(EnergyUnit::parse("varh"), None);
    }

    #[test]
    fn reads_json_numbers_and_strings() {
        let n: Reading = serde_json::from_str("1234").unwrap();
        assert_eq!(n.wh(Wh, 0), Some(1234));
        let f: Reading = serde_json::from_str("12.5").unwrap();
        assert_eq!(f.wh(KWh, 0), Some(12_500));
        let s: Reading = serde_json::from_str("\"7.9\"").unwrap();
        assert_eq!(s.wh(Wh, 0), Some(7));
        let neg: Reading = serde_json::from_str("-3").unwrap();
        assert_eq!(neg.wh(Wh, 0), None);
        let exp: Reading = serde_json::from_str("1e30").unwrap();
        assert_eq!(exp.wh(Wh, 0), None);
        assert!(serde_json::from_str::<Reading>("true").is_err());
    }

    #[test]
    fn formats_won() {
        assert_eq!(won_text(0), "0");
        assert_eq!(won_text(1_000), "1");
        assert_eq!(won_text(1_234_500), "1234.5");
        assert_eq!(won_text(1_234_567), "1234.567");
        assert_eq!(won_text(1_050), "1.05");
        assert_eq!(won_ceil(0), 0);
        assert_eq!(won_ceil(1), 1);
        assert_eq!(won_ceil(1_000), 1);
        assert_eq!(won_ceil(1_001), 2);
        assert_eq!(won_ceil(u64::MAX), u64::MAX / 1000 + 1);
    }
}
