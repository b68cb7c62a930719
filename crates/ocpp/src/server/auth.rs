//! HTTP Basic credentials (OCPP security profile 1). The password is never logged.

use axum::http::{header, HeaderMap};

/// The Basic user and password; `Ok(None)` without an Authorization header, `Err` if malformed.
pub(super) fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?.trim();
    let (scheme, encoded) = value.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = base64_decode(encoded.trim()).ok_or(())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (user, password) = text.split_once(':').ok_or(())?;
    Ok(Some((user.to_owned(), password.to_owned())))
}

fn sextet(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Standard base64 with optional padding; `None` if malformed or longer than 1 KiB.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() > 1024 || text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= sextet(b)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("Zg==").unwrap(), b"f");
        assert_eq!(base64_decode("Zm8=").unwrap(), b"fo");
        assert_eq!(base64_decode("Zm9v").unwrap(), b"foo");
        assert_eq!(base64_decode("Zm9vYg").unwrap(), b"foob");
        assert_eq!(base64_decode("Q1AtMTpzM2NyM3Q=").unwrap(), b"CP-1:s3cr3t");
        assert_eq!(base64_decode("Z"), None);
        assert_eq!(base64_decode("Zm9v!"), None);
    }

    #[test]
    fn reads_basic_credentials() {
        assert_eq!(basic(&HeaderMap::new()), Ok(None));
        assert_eq!(
            basic(&with("Basic Q1AtMTpzM2NyM3Q=")),
            Ok(Some(("CP-1".into(), "s3cr3t".into())))
        );
        assert_eq!(
            basic(&with("basic Q1AtMTpzM2NyM3Q=")),
            Ok(Some(("CP-1".into(), "s3cr3t".into())))
        );
        assert_eq!(basic(&with("Bearer abc")), Err(()));
        assert_eq!(basic(&with("Basic !!")), Err(()));
        assert_eq!(basic(&with("Basic Zm9v")), Err(()), "no colon");
    }
}
