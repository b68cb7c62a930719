//! The `Authorization` header of a request, parsed: a signed read (`GridLedger-Ed25519`, see
//! [ReadAuth]), HTTP `Basic` (a charger), `Bearer` (the charging operator's token), or
//! nothing we know. The one parser of the header; the server and the member service share it.
use gridledger_types::ReadAuth;

/// An `Authorization` header, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    /// No header.
    None,
    /// The signed-read scheme; `Err` says what is wrong with it.
    Signed(Result<Box<ReadAuth>, String>),
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
    /// A scheme we do not know, or an unreadable value.
    Unknown,
}

/// Parses an `Authorization` header value (schemes are case-insensitive, RFC 9110).
pub fn parse_authorization(value: Option<&str>) -> Authorization {
    let Some(value) = value else {
        return Authorization::None;
    };
    if ReadAuth::is_scheme(value) {
        return Authorization::Signed(
            ReadAuth::parse(value)
                .map(Box::new)
                .map_err(|e| e.to_string()),
        );
    }
    let Some((scheme, rest)) = value.trim().split_once(' ') else {
        return Authorization::Unknown;
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("Bearer") && !rest.is_empty() {
        return Authorization::Bearer(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("Basic") {
        if let Some((user, password)) = decode_basic(rest) {
            return Authorization::Basic { user, password };
        }
    }
    Authorization::Unknown
}

/// `base64(user:password)` of HTTP Basic authentication.
pub fn decode_basic(b64: &str) -> Option<(String, String)> {
    let bytes = base64_decode(b64)?;
    let text = String::from_utf8(bytes).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = T.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_parser_tells_the_schemes_apart() {
        assert_eq!(parse_authorization(None), Authorization::None);
        // "CP-1:s3cret"
        assert_eq!(
            parse_authorization(Some("Basic Q1AtMTpzM2NyZXQ=")),
            Authorization::Basic {
                user: "CP-1".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(
            parse_authorization(Some("bearer  abc ")),
            Authorization::Bearer("abc".into())
        );
        assert_eq!(parse_authorization(Some("Bearer ")), Authorization::Unknown);
        assert_eq!(
            parse_authorization(Some("Digest x")),
            Authorization::Unknown
        );
        assert!(matches!(
            parse_authorization(Some("GridLedger-Ed25519 address=1")),
            Authorization::Signed(Err(_))
        ));
        assert!(matches!(
            parse_authorization(Some("gridledger-ed25519")),
            Authorization::Signed(Err(_))
        ));
    }
}
