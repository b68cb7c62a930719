//! Every error code the API answers with, each documented once, and the body that carries one.
//!
//! An error response is `{"code": ..., "message": ...}` ([ErrorBody]) with the HTTP status
//! named first in the code's documentation. The node's admission codes (`bad_signature`,
//! `stale_nonce`, `nonce_taken`, `expired`, `mempool_full`, ...) come from the node inside
//! per-transaction submit results and are not listed here.
use serde::{Deserialize, Serialize};

/// Every error response: a stable machine code and a human message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// Declares [ErrorCode] from two lists (the API's own codes, then the member service's), so
/// each code's string is written once.
macro_rules! error_codes {
    (
        api { $( $(#[doc = $adoc:literal])* $avariant:ident = $acode:literal, )* }
        member_service { $( $(#[doc = $mdoc:literal])* $mvariant:ident = $mcode:literal, )* }
    ) => {
        /// A stable snake_case error code (`as_str` gives the wire form).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ErrorCode {
            $( $(#[doc = $adoc])* $avariant, )*
            $( $(#[doc = $mdoc])* $mvariant, )*
        }

        impl ErrorCode {
            /// The codes the API itself produces (the OpenAPI document's `x-error-codes`).
            pub const API: &'static [ErrorCode] = &[$(Self::$avariant,)*];
            /// The codes the charging operator's member service adds (passed through by the
            /// `/api/v1/charging` routes, besides `unauthorized`, `forbidden`, `not_found`,
            /// `invalid_request`, `busy` and `internal_error`; the execution crate's refusals
            /// of a member's transaction are passed through too).
            pub const MEMBER_SERVICE: &'static [ErrorCode] = &[$(Self::$mvariant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$avariant => $acode, )*
                    $( Self::$mvariant => $mcode, )*
                }
            }

            /// The code named `s`, if it is one of these.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $( $acode => Some(Self::$avariant), )*
                    $( $mcode => Some(Self::$mvariant), )*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    api {
        /// 400: the body is not JSON.
        InvalidJson = "invalid_json",
        /// 400: the body or query has the wrong shape.
        InvalidRequest = "invalid_request",
        /// Per transaction (422): not hex.
        InvalidHex = "invalid_hex",
        /// Per transaction (422): not a canonical `SignedTransaction` encoding.
        InvalidEncoding = "invalid_encoding",
        /// Per transaction (422): longer than `TX_MAX_BYTES` bytes.
        TxTooLarge = "tx_too_large",
        /// Per transaction (422): signed for another chain.
        WrongChain = "wrong_chain",
        /// 400: more transactions than `max_batch`.
        BatchTooLarge = "batch_too_large",
        /// 413: the body exceeds `max_body_bytes`.
        BodyTooLarge = "body_too_large",
        /// 400: not 64 hex characters.
        InvalidHash = "invalid_hash",
        /// 400: not an unsigned integer.
        InvalidHeight = "invalid_height",
        /// 400: not an ed25519 public key in hex.
        InvalidAddress = "invalid_address",
        /// 400: limit out of range.
        InvalidLimit = "invalid_limit",
        /// 400: not a cursor returned by a previous page.
        InvalidCursor = "invalid_cursor",
        /// 400: not a site id (1-32 of `a-z 0-9 - _`).
        InvalidSite = "invalid_site",
        /// 400: month missing or not `YYYYMM`.
        InvalidMonth = "invalid_month",
        /// 400: a clock step of zero, over the limit, or backwards.
        InvalidClockAdvance = "invalid_clock_advance",
        /// 403: the node does not allow moving its clock.
        ClockControlDisabled = "clock_control_disabled",
        /// 400: not a charger id (1-48 of `A-Z a-z 0-9 . _ -`).
        InvalidCharger = "invalid_charger",
        /// 400: not a member number (a positive integer).
        InvalidMember = "invalid_member",
        /// 400: not a session number (an unsigned integer).
        InvalidSession = "invalid_session",
        /// 400: not a KST day `YYYYMMDD`.
        InvalidDay = "invalid_day",
        /// 503: this node runs no charging service.
        ChargingDisabled = "charging_disabled",
        /// 401: wrong login or password (the same for an unknown login).
        BadCredentials = "bad_credentials",
        /// 429: too many wrong passwords for this login; wait.
        LockedOut = "locked_out",
        /// 401: no session, or it expired.
        NotSignedIn = "not_signed_in",
        /// 403: the session's CSRF token is missing or wrong.
        BadCsrf = "bad_csrf",
        /// 400: not a transaction payload (the decoder's message says why).
        InvalidPayload = "invalid_payload",
        /// 404: this node runs no sign-in.
        PortalDisabled = "portal_disabled",
        /// 429: too many password attempts from this client address; see `Retry-After`.
        RateLimited = "rate_limited",
        /// 503: every key-derivation slot and queue place is taken (or the member service
        /// cannot reach the node); see `Retry-After`.
        Busy = "busy",
        /// 415: the body must be `application/json`.
        UnsupportedMediaType = "unsupported_media_type",
        /// 401: the route needs credentials that were not given (or not valid): a personal
        /// record (sign the read, `GridLedger-Ed25519`, or sign in), the clock route, the
        /// charging service's charger or operator credentials.
        Unauthorized = "unauthorized",
        /// 403: the caller is known but may not do this (or see this record).
        Forbidden = "forbidden",
        /// 401: a `GridLedger-Ed25519` header that is malformed or does not verify.
        BadReadSignature = "bad_read_signature",
        /// 401: a signed read whose time is more than 60 s from the node's clock.
        StaleRead = "stale_read",
        /// 404: no such resource or route.
        NotFound = "not_found",
        /// 405: the route exists but not with this method.
        MethodNotAllowed = "method_not_allowed",
        /// 500: the node failed to answer.
        InternalError = "internal_error",
    }
    member_service {
        /// 403: wrong member password.
        InvalidPassword = "invalid_password",
        /// 429: too many wrong passwords from this charger or address (or from others
        /// together); try again later (see `locked_until_ms`).
        MemberLocked = "member_locked",
        /// 403: the member is blocked.
        MemberBlocked = "member_blocked",
        /// 403: the membership has expired.
        MemberExpired = "member_expired",
        /// 404: no such member number.
        UnknownMember = "unknown_member",
        /// 404: no such charger.
        UnknownCharger = "unknown_charger",
        /// 404: no such session (the member service's own lookups).
        UnknownSession = "unknown_session",
        /// 409: the member's balance is below the amount.
        InsufficientBalance = "insufficient_balance",
        /// 409: the member already has an open session.
        ConcurrentSession = "concurrent_session",
        /// 409: this charger already has this session number.
        SessionExists = "session_exists",
        /// 409: the session is not open (already stopped, settled or refunded).
        SessionNotOpen = "session_not_open",
        /// 409: the hold expired and was refunded.
        SessionRefunded = "session_refunded",
        /// 409: the charger is not active.
        ChargerInactive = "charger_inactive",
        /// 409: the RFID card belongs to another member.
        CardInUse = "card_in_use",
        /// 422: a new password is not 6-64 characters.
        WeakPassword = "weak_password",
        /// 422: no such connector on this charger.
        BadConnector = "bad_connector",
        /// 422: zero, or above the operator's max prepay.
        BadAmount = "bad_amount",
        /// 422: an auto-charge cap above the operator's limit.
        CapTooHigh = "cap_too_high",
        /// 422: not a valid RFID card id.
        BadCard = "bad_card",
        /// 504: the transaction was submitted but not finalized in time (it may still be).
        Timeout = "timeout",
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for std::borrow::Cow<'static, str> {
    fn from(c: ErrorCode) -> Self {
        Self::Borrowed(c.as_str())
    }
}

impl From<ErrorCode> for String {
    fn from(c: ErrorCode) -> Self {
        c.as_str().to_string()
    }
}

impl PartialEq<ErrorCode> for str {
    fn eq(&self, c: &ErrorCode) -> bool {
        self == c.as_str()
    }
}

impl PartialEq<ErrorCode> for std::borrow::Cow<'_, str> {
    fn eq(&self, c: &ErrorCode) -> bool {
        self == c.as_str()
    }
}

impl PartialEq<ErrorCode> for String {
    fn eq(&self, c: &ErrorCode) -> bool {
        self == c.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_code_is_distinct_snake_case_and_parses_back() {
        let all: Vec<ErrorCode> = ErrorCode::API
            .iter()
            .chain(ErrorCode::MEMBER_SERVICE)
            .copied()
            .collect();
        let strings: BTreeSet<&str> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(strings.len(), all.len());
        for c in all {
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{c}"
            );
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }
}
