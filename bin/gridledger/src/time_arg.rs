//! Times on the command line: ms since the Unix epoch, or RFC 3339 such as
//! `2026-06-01T00:00:00+09:00` (midnight KST) or `2026-05-31T15:00:00Z`.
const DAY_MS: u64 = 86_400_000;

/// Parses `s` as ms since the Unix epoch or as an RFC 3339 date-time (years 1970-9999; a
/// fraction of a second is truncated to ms; no leap seconds).
pub fn parse_time_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map_err(|_| format!("{s} ms is out of range"));
    }
    rfc3339_ms(s).ok_or_else(|| {
        format!(
            "'{s}' is neither ms since the Unix epoch nor RFC 3339 like 2026-06-01T00:00:00+09:00"
        )
    })
}

/// `n` ASCII digits at `s[at..at + n]`.
fn digits(s: &[u8], at: usize, n: usize) -> Option<u64> {
    let part = s.get(at..at + n)?;
    part.iter().try_fold(0u64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

/// Days from 1970-01-01 to `y-m-d` (proleptic Gregorian; Howard Hinnant's algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y / 400, y % 400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: u64) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

fn rfc3339_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10)?, b'T' | b't' | b' ')
    {
        return None;
    }
    let (h, mi, sec) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut at = 19;
    let mut frac_ms = 0;
    if b.get(at) == Some(&b'.') {
        let n = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        // First three digits are ms; later ones are truncated.
        frac_ms = (0..3).fold(0, |acc, i| {
            acc * 10
                + if i < n {
                    u64::from(b[at + 1 + i] - b'0')
                } else {
                    0
                }
        });
        at += 1 + n;
    }
    let offset_ms: i64 = match b.get(at)? {
        b'Z' | b'z' if b.len() == at + 1 => 0,
        sign @ (b'+' | b'-') if b.len() == at + 6 && b[at + 3] == b':' => {
            let (oh, om) = (digits(b, at + 1, 2)?, digits(b, at + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let ms = ((oh * 60 + om) * 60_000) as i64;
            if *sign == b'-' {
                -ms
            } else {
                ms
            }
        }
        _ => return None,
    };
    let month_days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return None,
    };
    if y < 1970 || d == 0 || d > month_days {
        return None;
    }
    let local_ms =
        days_from_civil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + sec) * 1_000 + frac_ms;
    u64::try_from(i128::from(local_ms) - i128::from(offset_ms)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_and_ms_parse_to_the_same_instant() {
        // Reference values from Python's datetime.
        for (s, ms) in [
            ("2026-06-01T00:00:00+09:00", 1_780_239_600_000),
            ("2026-05-31T15:00:00Z", 1_780_239_600_000),
            ("1970-01-01T00:00:00Z", 0),
            ("2024-02-29T23:59:59.999-05:30", 1_709_270_999_999),
            ("2024-02-29t23:59:59.9999999-05:30", 1_709_270_999_999),
            ("2000-03-01 00:00:00z", 951_868_800_000),
            ("1780239600000", 1_780_239_600_000),
        ] {
            assert_eq!(parse_time_ms(s), Ok(ms), "{s}");
        }
        // Midnight KST on the first of a month is where the ledger says that month starts.
        for yyyymm in [197002, 200002, 202402, 202603, 202612, 999912] {
            let s = format!("{}-{:02}-01T00:00:00+09:00", yyyymm / 100, yyyymm % 100);
            assert_eq!(
                parse_time_ms(&s).ok(),
                gridledger_types::kst_month_start_ms(yyyymm),
                "{s}"
            );
        }
    }

    #[test]
    fn malformed_times_are_errors_not_panics() {
        for s in [
            "",
            "yesterday",
            "2026-06-01",
            "2026-06-01T00:00:00",
            "2026-06-01T00:00:00+0900",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-06-01T24:00:00Z",
            "2026-06-01T00:60:00Z",
            "2026-06-01T00:00:60Z",
            "2026-06-01T00:00:00.Z",
            "2026-06-01T00:00:00Zjunk",
            "1969-12-31T23:59:59Z",
            "0000-03-01T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "1970-01-01T00:00:00+00:01",
            "2026-06-01T00:00:00+24:00",
            "99999999999999999999999",
            "-5",
            "２026-06-01T00:00:00Z",
        ] {
            assert!(parse_time_ms(s).is_err(), "{s}");
        }
    }
}
