//! Path and query parameters: one strict parser per kind, shared by every route. Each accepts
//! exactly what the OpenAPI document's schema for that parameter allows (the patterns and
//! bounds in `openapi.json`; `tests/it/openapi.rs` checks that the two agree), so a request the
//! document calls valid is never refused as malformed, and one it calls invalid never served.
use crate::error::ApiError;
use axum::extract::{rejection::PathRejection, Path};
use gridledger_api_types::ErrorCode;
use gridledger_types::{kst_month_start_ms, next_month, Address, Hash32, SiteId};

/// The path parameter, or `code` if it could not be extracted (e.g. invalid UTF-8).
pub(crate) fn path_segment(
    p: Result<Path<String>, PathRejection>,
    code: ErrorCode,
) -> Result<String, ApiError> {
    p.map(|Path(s)| s)
        .map_err(|e| ApiError::bad_request(code, format!("bad path parameter: {}", e.body_text())))
}

/// An unsigned decimal integer up to `max`: digits only (no sign, no spaces, no exponent).
pub fn uint(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|n| *n <= max)
}

/// 64 hex characters of either case, optionally after `0x` (the document's path parameter
/// pattern `^(0x)?[0-9a-fA-F]{64}$`).
fn is_hex64(s: &str) -> bool {
    let s = s.strip_prefix("0x").unwrap_or(s);
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A transaction hash or PPA id: `400 invalid_hash` unless 64 hex characters.
pub fn parse_hash(s: &str) -> Result<Hash32, ApiError> {
    let bad = || ApiError::bad_request(ErrorCode::InvalidHash, "expected 64 hex characters");
    if !is_hex64(s) {
        return Err(bad());
    }
    Hash32::from_hex(s).map_err(|_| bad())
}

/// An account address: `400 invalid_address` unless 64 hex characters; 64 hex characters that
/// are not an ed25519 public key are well-formed but name no account that can exist, so
/// `404 not_found`.
pub fn parse_address(s: &str) -> Result<Address, ApiError> {
    if !is_hex64(s) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidAddress,
            "expected an address: 64 hex characters",
        ));
    }
    Address::from_hex(s).map_err(|_| {
        ApiError::not_found(format!(
            "{s} is not an ed25519 public key, so no account has it"
        ))
    })
}

/// A site or market id: `400 invalid_site` unless 1-32 of `a-z 0-9 - _`.
pub fn parse_site(s: &str) -> Result<SiteId, ApiError> {
    SiteId::new(s).map_err(|_| {
        ApiError::bad_request(ErrorCode::InvalidSite, "site ids are 1-32 of a-z 0-9 - _")
    })
}

/// A KST calendar month `YYYYMM` whose start and end are Unix times: 197002 (the first month
/// that starts after the epoch in KST) to 999912. Anything else is `400 invalid_month`.
pub fn parse_month(s: &str) -> Result<u32, ApiError> {
    let bad = || {
        ApiError::bad_request(
            ErrorCode::InvalidMonth,
            "month must be YYYYMM, from 197002 to 999912",
        )
    };
    if s.len() != 6 {
        return Err(bad());
    }
    let m = uint(s, 999_912).ok_or_else(bad)? as u32;
    match (kst_month_start_ms(m), kst_month_start_ms(next_month(m))) {
        (Some(_), Some(_)) => Ok(m),
        _ => Err(bad()),
    }
}

/// A KST calendar day `YYYYMMDD` (a real date, 19700101 to 99991231), else `400 invalid_day`.
pub fn parse_day(s: &str) -> Result<u32, ApiError> {
    let bad = || ApiError::bad_request(ErrorCode::InvalidDay, "days are YYYYMMDD (e.g. 20250801)");
    if s.len() != 8 {
        return Err(bad());
    }
    let n = uint(s, 99_991_231).ok_or_else(bad)? as u32;
    let (y, m, d) = (n / 10_000, n / 100 % 100, n % 100);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if y < 1970 || d == 0 || d > days_in_month {
        return Err(bad());
    }
    Ok(n)
}

/// A dashboard login: 1-32 characters, counted as the document's `minLength`/`maxLength` count
/// them (Unicode scalar values, not bytes).
pub fn is_login(s: &str) -> bool {
    (1..=32).contains(&s.chars().count())
}

/// A block height or a period start (Unix ms): an unsigned 64-bit integer, else `400 code`.
pub fn parse_u64(s: &str, code: ErrorCode, what: &str) -> Result<u64, ApiError> {
    uint(s, u64::MAX).ok_or_else(|| {
        ApiError::bad_request(code, format!("{what} must be an unsigned 64-bit integer"))
    })
}

/// A history cursor: `"{height}-{index}"` of the last (oldest) item of the previous page.
pub fn encode_cursor(height: u64, index: u32) -> String {
    format!("{height}-{index}")
}

/// A history cursor as given: empty (the first page) or `{digits}-{digits}` (the document's
/// `^([0-9]+-[0-9]+)?$`), else `400 invalid_cursor`. The page holds what is strictly older than
/// the cursor, so numbers beyond the largest height or index saturate: "older than anything".
pub fn decode_cursor(s: &str) -> Result<Option<(u64, u32)>, ApiError> {
    if s.is_empty() {
        return Ok(None);
    }
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    match s.split_once('-') {
        Some((h, i)) if digits(h) && digits(i) => Ok(Some((
            h.parse().unwrap_or(u64::MAX),
            i.parse().unwrap_or(u32::MAX),
        ))),
        _ => Err(ApiError::bad_request(
            ErrorCode::InvalidCursor,
            "cursor must be the next_cursor of a previous page ({height}-{index})",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uints_are_digits_only_and_bounded() {
        assert_eq!(uint("0", 5), Some(0));
        assert_eq!(uint("007", 7), Some(7));
        assert_eq!(uint("18446744073709551615", u64::MAX), Some(u64::MAX));
        for bad in [
            "",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1e3",
            "0x1",
            "1.0",
            "18446744073709551616",
        ] {
            assert_eq!(uint(bad, u64::MAX), None, "{bad}");
        }
        assert_eq!(uint("6", 5), None);
    }

    #[test]
    fn cursors_round_trip_saturate_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(12, 3)).unwrap(), Some((12, 3)));
        assert_eq!(
            decode_cursor(&encode_cursor(u64::MAX, u32::MAX)).unwrap(),
            Some((u64::MAX, u32::MAX))
        );
        assert_eq!(decode_cursor("").unwrap(), None);
        assert_eq!(
            decode_cursor("99999999999999999999999-99999999999").unwrap(),
            Some((u64::MAX, u32::MAX))
        );
        for bad in ["-", "1-", "-1", "a-1", "1-2-3", "+1-2", "1 -2", "m\u{aa}"] {
            assert_eq!(
                decode_cursor(bad).unwrap_err().code,
                ErrorCode::InvalidCursor,
                "{bad}"
            );
        }
    }

    #[test]
    fn months_are_those_with_a_unix_start_and_end() {
        assert_eq!(parse_month("197002").unwrap(), 197002);
        assert_eq!(parse_month("202612").unwrap(), 202612);
        assert_eq!(parse_month("999912").unwrap(), 999912);
        for bad in [
            "197001", "196912", "202600", "202613", "20261", "0202601", "+20261",
        ] {
            assert_eq!(
                parse_month(bad).unwrap_err().code,
                ErrorCode::InvalidMonth,
                "{bad}"
            );
        }
    }

    #[test]
    fn days_are_real_dates() {
        assert_eq!(parse_day("20240229").unwrap(), 20240229);
        assert_eq!(parse_day("20000229").unwrap(), 20000229);
        for bad in [
            "20230229", "21000229", "20251301", "20250100", "2025081", "19691231", "2025-8-1",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_are_hex_and_non_keys_are_not_found() {
        let key = "2783b4876ba68fb82a17deb908763b84fa61adb53b0673e85b4aa1ce2fc8d360";
        for ok in [key.to_string(), key.to_uppercase(), format!("0x{key}")] {
            assert_eq!(parse_address(&ok).unwrap().to_hex(), key);
        }
        for bad in [
            format!("0X{key}"),
            format!("{key}0"),
            key[..63].to_string(),
            String::new(),
        ] {
            assert_eq!(
                parse_address(&bad).unwrap_err().code,
                ErrorCode::InvalidAddress,
                "{bad}"
            );
        }
        // 64 hex characters, but not a point on the curve.
        let not_a_key = "835b806931d9b81514c6fcc485b460c5b0bd02c769e83b0481441a4c07ffb0d9";
        let e = parse_address(not_a_key).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.code.as_ref()),
            (404, ErrorCode::NotFound.as_str())
        );
    }
}
