//! Signed reads: how a key proves who is asking for a record, without a session.
//!
//! The caller signs `chain_id \n METHOD \n path?query \n time_ms` with its ed25519 key under
//! [READ_NAMESPACE] (commonware's namespaced signing, as transactions are signed under their
//! own namespace, so a read signature is never a valid transaction signature and the other way
//! round) and sends it in one header:
//!
//! ```text
//! Authorization: GridLedger-Ed25519 address=<64 hex>, time=<ms since the epoch>, signature=<128 hex>
//! ```
//!
//! A node accepts it while `time` is within [READ_WINDOW_MS] of its own wall clock. Nothing
//! else bounds a replay: within the window the same request (same method, path and query) can
//! be sent again and answers the same record to whoever sends it. Reads change nothing, so a
//! replay only shows what the eavesdropper already saw on the wire (use TLS in front of a node;
//! see OPERATIONS.md).
use crate::{Address, Error, PrivateKey, Signature};
use commonware_codec::DecodeExt;
use commonware_cryptography::{Signer, Verifier};

/// Signing namespace of reads (commonware prepends it, length-prefixed, to the message).
pub const READ_NAMESPACE: &[u8] = b"GRIDLEDGER_READ_V1";

/// The `Authorization` scheme of a signed read (compared case-insensitively).
pub const READ_SCHEME: &str = "GridLedger-Ed25519";

/// How far a signed read's time may be from the node's wall clock, either way.
pub const READ_WINDOW_MS: u64 = 60_000;

/// Longest header value accepted (a well-formed one is about 260 bytes).
pub const READ_HEADER_MAX_BYTES: usize = 512;

/// The bytes a signed read signs: `chain_id \n METHOD \n path?query \n time_ms`. `target` is
/// the request target exactly as sent (the path, and `?` and the query if there is one).
pub fn read_message(chain_id: &str, method: &str, target: &str, time_ms: u64) -> Vec<u8> {
    format!("{chain_id}\n{method}\n{target}\n{time_ms}").into_bytes()
}

/// The credentials of a signed read: who, when, and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadAuth {
    pub address: Address,
    pub time_ms: u64,
    pub signature: Signature,
}

fn bad(why: impl Into<String>) -> Error {
    Error::Invalid {
        what: "read signature header",
        why: why.into(),
    }
}

impl ReadAuth {
    /// Signs a read of `target` (path and query) with `method` at `time_ms`.
    pub fn sign(
        key: &PrivateKey,
        chain_id: &str,
        method: &str,
        target: &str,
        time_ms: u64,
    ) -> Self {
        let signature = key.sign(
            READ_NAMESPACE,
            &read_message(chain_id, method, target, time_ms),
        );
        Self {
            address: Address::of(key),
            time_ms,
            signature,
        }
    }

    /// True if the signature is `address`'s over this read.
    pub fn verify(&self, chain_id: &str, method: &str, target: &str) -> bool {
        self.address.0.verify(
            READ_NAMESPACE,
            &read_message(chain_id, method, target, self.time_ms),
            &self.signature,
        )
    }

    /// True if `time_ms` is within [READ_WINDOW_MS] of `now_ms`.
    pub fn is_fresh(&self, now_ms: u64) -> bool {
        self.time_ms.abs_diff(now_ms) <= READ_WINDOW_MS
    }

    /// The `Authorization` header value.
    pub fn header_value(&self) -> String {
        format!(
            "{READ_SCHEME} address={}, time={}, signature={}",
            self.address.to_hex(),
            self.time_ms,
            hex::encode(commonware_codec::Encode::encode(&self.signature)),
        )
    }

    /// True if `value` (an `Authorization` header value) uses the signed-read scheme, whether
    /// or not the rest is well formed.
    pub fn is_scheme(value: &str) -> bool {
        let scheme = value.trim_start().split(' ').next().unwrap_or("");
        scheme.eq_ignore_ascii_case(READ_SCHEME)
    }

    /// Parses an `Authorization` header value of the signed-read scheme: `address`, `time` and
    /// `signature` exactly once each, separated by commas (spaces around them are ignored).
    pub fn parse(value: &str) -> Result<Self, Error> {
        if value.len() > READ_HEADER_MAX_BYTES {
            return Err(bad(format!("longer than {READ_HEADER_MAX_BYTES} bytes")));
        }
        let value = value.trim();
        let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case(READ_SCHEME) {
            return Err(bad(format!("the scheme is not {READ_SCHEME}")));
        }
        let (mut address, mut time, mut signature) = (None, None, None);
        for part in params.split(',') {
            let (k, v) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| bad("expected address=, time= and signature="))?;
            let slot = match k.trim() {
                "address" => &mut address,
                "time" => &mut time,
                "signature" => &mut signature,
                _ => return Err(bad("unknown parameter (expected address, time, signature)")),
            };
            if slot.replace(v.trim()).is_some() {
                return Err(bad(format!("parameter {} given twice", k.trim())));
            }
        }
        let (Some(address), Some(time), Some(signature)) = (address, time, signature) else {
            return Err(bad("expected address=, time= and signature="));
        };
        let address = Address::from_hex(address)
            .map_err(|e| bad(format!("address: {e} (expected 64 hex characters)")))?;
        let digits =
            !time.is_empty() && time.len() <= 20 && time.bytes().all(|b| b.is_ascii_digit());
        let time_ms = digits
            .then(|| time.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| bad("time: expected ms since the Unix epoch"))?;
        let sig_bytes =
            hex::decode(signature).map_err(|_| bad("signature: expected 128 hex characters"))?;
        let signature = Signature::decode(sig_bytes.as_slice())
            .map_err(|_| bad("signature: expected 128 hex characters"))?;
        Ok(Self {
            address,
            time_ms,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::decode([seed; 32].as_slice()).unwrap()
    }

    const T: u64 = 1_750_000_000_000;

    #[test]
    fn a_signed_read_verifies_only_for_its_chain_method_target_and_time() {
        let a = ReadAuth::sign(&key(1), "devnet", "GET", "/api/v1/accounts/ab?x=1", T);
        assert_eq!(a.address, Address::of(&key(1)));
        assert!(a.verify("devnet", "GET", "/api/v1/accounts/ab?x=1"));
        assert!(!a.verify("testnet", "GET", "/api/v1/accounts/ab?x=1"));
        assert!(!a.verify("devnet", "POST", "/api/v1/accounts/ab?x=1"));
        assert!(!a.verify("devnet", "GET", "/api/v1/accounts/ab?x=2"));
        assert!(!a.verify("devnet", "GET", "/api/v1/accounts/ab"));
        let later = ReadAuth {
            time_ms: T + 1,
            ..a.clone()
        };
        assert!(!later.verify("devnet", "GET", "/api/v1/accounts/ab?x=1"));
        let other = ReadAuth {
            address: Address::of(&key(2)),
            ..a.clone()
        };
        assert!(!other.verify("devnet", "GET", "/api/v1/accounts/ab?x=1"));
    }

    #[test]
    fn a_read_signature_is_not_a_transaction_signature() {
        // The same bytes signed under the transaction namespace do not verify as a read.
        let msg = read_message("devnet", "GET", "/x", T);
        let tx_sig = key(1).sign(crate::TX_NAMESPACE, &msg);
        let forged = ReadAuth {
            address: Address::of(&key(1)),
            time_ms: T,
            signature: tx_sig,
        };
        assert!(!forged.verify("devnet", "GET", "/x"));
    }

    #[test]
    fn freshness_is_a_window_either_way() {
        let a = ReadAuth::sign(&key(1), "c", "GET", "/", T);
        assert!(a.is_fresh(T));
        assert!(a.is_fresh(T + READ_WINDOW_MS));
        assert!(a.is_fresh(T - READ_WINDOW_MS));
        assert!(!a.is_fresh(T + READ_WINDOW_MS + 1));
        assert!(!a.is_fresh(T - READ_WINDOW_MS - 1));
        assert!(ReadAuth {
            time_ms: 0,
            ..a.clone()
        }
        .is_fresh(0));
        assert!(!ReadAuth {
            time_ms: u64::MAX,
            ..a
        }
        .is_fresh(0));
    }

    #[test]
    fn the_header_round_trips() {
        let a = ReadAuth::sign(&key(3), "c", "GET", "/a?b=c", T);
        let v = a.header_value();
        assert!(v.starts_with("GridLedger-Ed25519 address="), "{v}");
        assert_eq!(ReadAuth::parse(&v).unwrap(), a);
        // Case-insensitive scheme, any order, spaces around the separators.
        let sig = hex::encode(commonware_codec::Encode::encode(&a.signature));
        let shuffled = format!(
            "gridledger-ed25519   signature={sig} ,time={T},  address={}",
            a.address
        );
        assert_eq!(ReadAuth::parse(&shuffled).unwrap(), a);
        assert!(ReadAuth::is_scheme(&shuffled));
        assert!(!ReadAuth::is_scheme("Bearer x"));
    }

    #[test]
    fn malformed_headers_are_errors_never_panics() {
        let a = ReadAuth::sign(&key(3), "c", "GET", "/", T);
        let sig = hex::encode(commonware_codec::Encode::encode(&a.signature));
        let addr = a.address.to_hex();
        let cases = [
            String::new(),
            "GridLedger-Ed25519".into(),
            "Bearer abc".into(),
            format!("GridLedger-Ed25519 address={addr}, time={T}"),
            format!("GridLedger-Ed25519 address={addr}, time={T}, signature={sig}, x=1"),
            format!("GridLedger-Ed25519 address={addr}, address={addr}, time={T}, signature={sig}"),
            format!("GridLedger-Ed25519 address=zz, time={T}, signature={sig}"),
            format!("GridLedger-Ed25519 address={addr}, time=-1, signature={sig}"),
            format!("GridLedger-Ed25519 address={addr}, time=+1, signature={sig}"),
            format!(
                "GridLedger-Ed25519 address={addr}, time=99999999999999999999, signature={sig}"
            ),
            format!(
                "GridLedger-Ed25519 address={addr}, time={T}, signature={}",
                &sig[2..]
            ),
            format!(
                "GridLedger-Ed25519 address={addr}, time={T}, signature=xx{}",
                &sig[2..]
            ),
            format!("GridLedger-Ed25519 address={addr} time={T} signature={sig}"),
            format!("GridLedger-Ed25519 {}", "a=".repeat(300)),
        ];
        for c in cases {
            assert!(ReadAuth::parse(&c).is_err(), "{c}");
        }
    }
}
