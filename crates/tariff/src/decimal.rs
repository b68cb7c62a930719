//! Exact decimal parsing without floats: `"307.3"` won/kWh with 3 fraction digits is
//! 307,300 milli-won/kWh; `"2.7"` percent with 2 fraction digits is 270 basis points.
use crate::Error;
use gridledger_types::EnergyWh;

/// Longest decimal string accepted (digits, one point, `_` separators).
pub const DECIMAL_MAX_LEN: usize = 40;

/// Parses an unsigned decimal `s` into an integer scaled by `10^scale`: `parse_decimal("1.5", 3)`
/// is 1,500. Accepts `_` as a digit separator, at most `scale` fraction digits (more would lose
/// precision and is an error, never rounded), and no sign, exponent or surrounding space.
pub fn parse_decimal(s: &str, scale: u32) -> Result<u64, Error> {
    let bad = |reason| Error::Decimal {
        value: s.chars().take(DECIMAL_MAX_LEN).collect(),
        reason,
    };
    if s.len() > DECIMAL_MAX_LEN {
        return Err(bad("too long"));
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if int.is_empty() || !digits(int) || !digits(frac) || !int.bytes().any(|b| b != b'_') {
        return Err(bad(
            "expected digits with an optional fraction, e.g. 120 or 307.3",
        ));
    }
    if s.contains('.') && !frac.bytes().any(|b| b.is_ascii_digit()) {
        return Err(bad("expected digits after the decimal point"));
    }
    let frac_digits: Vec<u8> = frac.bytes().filter(|b| *b != b'_').collect();
    if frac_digits.len() > scale as usize {
        return Err(bad("too many fraction digits for the unit"));
    }
    let overflow = || bad("too large");
    let mut value: u64 = 0;
    for b in int.bytes().filter(|b| *b != b'_') {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    for i in 0..scale as usize {
        let d = frac_digits.get(i).map_or(0, |b| u64::from(b - b'0'));
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(d))
            .ok_or_else(overflow)?;
    }
    Ok(value)
}

/// Parses kWh with up to 3 decimals (Wh precision): `"350.5"` is 350,500 Wh.
pub fn parse_kwh(s: &str) -> Result<EnergyWh, Error> {
    parse_decimal(s, 3).map(EnergyWh)
}

/// Formats `value / 10^scale` with exactly `scale` fraction digits (trailing zeros trimmed to
/// at least one when `scale > 0`): `format_decimal(307_300, 3)` is `"307.3"`.
pub fn format_decimal(value: u64, scale: u32) -> String {
    if scale == 0 {
        return value.to_string();
    }
    let div = 10u64.pow(scale.min(19));
    let frac = format!("{:0width$}", value % div, width = scale as usize);
    let trimmed = frac.trim_end_matches('0');
    let frac = if trimmed.is_empty() { "0" } else { trimmed };
    format!("{}.{}", value / div, frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_decimal("120.0", 3), Ok(120_000));
        assert_eq!(parse_decimal("307.3", 3), Ok(307_300));
        assert_eq!(parse_decimal("736.2", 3), Ok(736_200));
        assert_eq!(parse_decimal("6160", 3), Ok(6_160_000));
        assert_eq!(parse_decimal("6_160", 3), Ok(6_160_000));
        assert_eq!(parse_decimal("2.7", 2), Ok(270));
        assert_eq!(parse_decimal("3.25", 2), Ok(325));
        assert_eq!(parse_decimal("10", 2), Ok(1_000));
        assert_eq!(parse_decimal("0.001", 3), Ok(1));
        assert_eq!(parse_decimal("007", 0), Ok(7));
        assert_eq!(parse_kwh("350.5"), Ok(EnergyWh(350_500)));
        // The largest value and one more.
        assert_eq!(parse_decimal("18446744073709551.615", 3), Ok(u64::MAX));
        assert!(parse_decimal("18446744073709551.616", 3).is_err());
        assert!(parse_decimal("99999999999999999999", 0).is_err());
    }

    #[test]
    fn refuses_anything_inexact_or_signed() {
        for bad in [
            "", " 1", "1 ", "-1", "+1", "1e3", ".5", "5.", "1.2.3", "abc", "1,000", "0x10", "_",
            "1.2345", "NaN", "inf", "１",
        ] {
            assert!(parse_decimal(bad, 3).is_err(), "{bad:?}");
        }
        assert!(parse_decimal("2.75", 1).is_err());
        assert!(parse_decimal(&"1".repeat(DECIMAL_MAX_LEN + 1), 0).is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(format_decimal(307_300, 3), "307.3");
        assert_eq!(format_decimal(120_000, 3), "120.0");
        assert_eq!(format_decimal(1, 3), "0.001");
        assert_eq!(format_decimal(270, 2), "2.7");
        assert_eq!(format_decimal(42, 0), "42");
        assert_eq!(format_decimal(u64::MAX, 3), "18446744073709551.615");
    }
}
