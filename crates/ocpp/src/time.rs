//! Lenient charger timestamps to unix milliseconds, and our own timestamps as strict RFC 3339.
//!
//! Chargers write `Z`, `+HH:MM`, `+HHMM`, `+HH`, or no zone at all (read as UTC), with any number of
//! fraction digits (truncated to milliseconds). Anything else is `None`: the caller then uses the
//! receive time. Charger times feed display and idle minutes only, never money.

/// Latest time we format: 9999-12-31T23:59:59.999Z.
pub const MAX_MS: u64 = 253_402_300_799_999;

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads exactly `n` ASCII digits at `*pos`.
fn digits(bytes: &[u8], pos: &mut usize, n: usize) -> Option<i64> {
    let end = pos.checked_add(n)?;
    let slice = bytes.get(*pos..end)?;
    let mut value = 0i64;
    for b in slice {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(b - b'0');
    }
    *pos = end;
    Some(value)
}

fn expect(bytes: &[u8], pos: &mut usize, allowed: &[u8]) -> Option<()> {
    let b = bytes.get(*pos)?;
    if allowed.contains(b) {
        *pos += 1;
        Some(())
    } else {
        None
    }
}

/// Parses a charger timestamp to unix milliseconds; `None` if unreadable or before 1970.
pub fn parse_ms(text: &str) -> Option<u64> {
    let bytes = text.trim().as_bytes();
    let mut pos = 0;
    let year = digits(bytes, &mut pos, 4)?;
    expect(bytes, &mut pos, b"-")?;
    let month = digits(bytes, &mut pos, 2)?;
    expect(bytes, &mut pos, b"-")?;
    let day = digits(bytes, &mut pos, 2)?;
    expect(bytes, &mut pos, b"Tt ")?;
    let hour = digits(bytes, &mut pos, 2)?;
    expect(bytes, &mut pos, b":")?;
    let minute = digits(bytes, &mut pos, 2)?;
    expect(bytes, &mut pos, b":")?;
    let second = digits(bytes, &mut pos, 2)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // A leap second reads as the last millisecond-aligned second of the minute.
    let second = second.min(59);
    let mut millis = 0i64;
    if bytes.get(pos) == Some(&b'.') || bytes.get(pos) == Some(&b',') {
        pos += 1;
        let start = pos;
        while let Some(b) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
            if pos - start < 3 {
                millis = millis * 10 + i64::from(b - b'0');
            }
            pos += 1;
        }
        let count = pos - start;
        if count == 0 {
            return None;
        }
        for _ in count..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match bytes.get(pos) {
        None => 0,
        Some(b'Z' | b'z') => {
            pos += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let negative = *sign == b'-';
            pos += 1;
            let hours = digits(bytes, &mut pos, 2)?;
            let minutes = if bytes.get(pos) == Some(&b':') {
                pos += 1;
                digits(bytes, &mut pos, 2)?
            } else if pos < bytes.len() {
                digits(bytes, &mut pos, 2)?
            } else {
                0
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = hours * 60 + minutes;
            if negative {
                -total
            } else {
                total
            }
        }
        Some(_) => return None,
    };
    if pos != bytes.len() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let ms =
        days * MS_PER_DAY + ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000 + millis;
    u64::try_from(ms).ok()
}

/// Formats unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (clamped to [MAX_MS]).
pub fn format_ms(ms: u64) -> String {
    let ms = i64::try_from(ms.min(MAX_MS)).unwrap_or(0);
    let days = ms.div_euclid(MS_PER_DAY);
    let rest = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (rest / 3_600_000, rest / 60_000 % 60);
    let (second, millis) = (rest / 1000 % 60, rest % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    #[test]
    fn reads_every_zone_spelling() {
        for text in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:00:00",
            "2026-01-01T09:00:00+09:00",
            "2026-01-01T09:00:00+0900",
            "2026-01-01T09:00:00+09",
            "2025-12-31T15:00:00-09:00",
            "2026-01-01T00:00:00+0000",
            "2026-01-01 00:00:00z",
            " 2026-01-01T00:00:00Z ",
        ] {
            assert_eq!(parse_ms(text), Some(T), "{text}");
        }
    }

    #[test]
    fn reads_any_fraction() {
        assert_eq!(parse_ms("2026-01-01T00:00:00.5Z"), Some(T + 500));
        assert_eq!(parse_ms("2026-01-01T00:00:00.12Z"), Some(T + 120));
        assert_eq!(parse_ms("2026-01-01T00:00:00.123456789Z"), Some(T + 123));
        assert_eq!(parse_ms("2026-01-01T00:00:00,250+00:00"), Some(T + 250));
    }

    #[test]
    fn refuses_nonsense() {
        for text in [
            "",
            "now",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+2:00",
            "2026-01-01T00:00:00+25:00",
            "2026-01-01T00:00:00ZZ",
            "1969-12-31T23:59:59Z",
            "2026-01-01",
            "२०२६-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_ms(text), None, "{text}");
        }
        assert!(parse_ms("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn formats_strict_rfc3339() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(T + 1_234), "2026-01-01T00:00:01.234Z");
        assert_eq!(format_ms(u64::MAX), "9999-12-31T23:59:59.999Z");
        for ms in [0, 1, 951_782_400_000, T, T + 86_399_999, 4_102_444_800_000] {
            assert_eq!(parse_ms(&format_ms(ms)), Some(ms));
        }
    }
}
