//! What the charging routes need from the charging operator's member service: one async call
//! per request. The service lives in `crates/member-service`; a node without it answers every
//! charging route with `503 charging_disabled`.
use gridledger_types::{Address, Hash32};
use serde::{Deserialize, Serialize};

/// Credentials sent with a request: the `Authorization` header, parsed. Its `Debug` hides the
/// password and the token.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Caller {
    /// No `Authorization` header.
    #[default]
    Anonymous,
    /// `Basic` (a charger: user = charger id, password = its secret).
    Basic { user: String, password: String },
    /// `Bearer` (the charging operator's token).
    Bearer(String),
    /// No `Authorization` header, but a dashboard session (cookie and CSRF header both
    /// checked by the API) signed in as this account.
    Session(gridledger_types::Address),
}

impl Caller {
    /// Parses an `Authorization` header value (the scheme is case-insensitive, RFC 9110):
    /// `Basic` and `Bearer`; anything else, including a signed read, is `Anonymous`.
    pub fn from_header(value: Option<&str>) -> Self {
        match crate::authorization::parse_authorization(value) {
            crate::authorization::Authorization::Basic { user, password } => {
                Self::Basic { user, password }
            }
            crate::authorization::Authorization::Bearer(t) => Self::Bearer(t),
            _ => Self::Anonymous,
        }
    }
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { user, .. } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", &"***")
                .finish(),
            Self::Bearer(_) => f.debug_tuple("Bearer").field(&"***").finish(),
            Self::Session(a) => f.debug_tuple("Session").field(a).finish(),
        }
    }
}

/// A charging request, parsed and checked for shape by the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargingRequest {
    /// `POST /api/v1/charging/members` (operator token): a new member with a password.
    SignUp(SignUpBody),
    /// `GET /api/v1/charging/members/{member_no}`
    Member { member_no: u64 },
    /// `DELETE /api/v1/charging/members/{member_no}/lock` (operator token): clears the
    /// member's wrong-password counts and locks.
    Unlock { member_no: u64 },
    /// `POST /api/v1/charging/certify` (charger Basic): member number + password.
    Certify(CertifyBody),
    /// `POST /api/v1/charging/prepay` (charger Basic): hold an amount for a session.
    Prepay(PrepayBody),
    /// `POST /api/v1/charging/stop` (charger Basic): the session ended; settles via the outbox.
    Stop(StopBody),
    /// `POST /api/v1/charging/auto-charge`: a member's standing authorisation (password).
    AutoCharge(AutoChargeBody),
    /// `GET /api/v1/charging/chargers`
    Chargers,
    /// `GET /api/v1/charging/chargers/{charger}`
    Charger { charger: String },
    /// `POST /api/v1/charging/chargers/{charger}/secret` (operator token): a new secret for
    /// OCPP security profile 1, shown once.
    ChargerSecret { charger: String },
    /// `GET /api/v1/charging/sessions?state=&charger=&member=&limit=`
    Sessions(SessionFilter),
    /// `GET /api/v1/charging/sessions/{charger}/{session}`
    Session { charger: String, session: u64 },
    /// `POST /api/v1/charging/sessions/{charger}/{session}/soft-stop` (operator token).
    SoftStop { charger: String, session: u64 },
    /// `GET /api/v1/charging/revenue?charger=&from=&to=`
    Revenue(RevenueFilter),
}

/// Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUpBody {
    pub password: String,
    #[serde(default)]
    pub card: Option<String>,
}

/// Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifyBody {
    pub charger: String,
    pub member_no: u64,
    pub password: String,
}

/// Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepayBody {
    pub charger: String,
    pub connector: u8,
    pub member_no: u64,
    pub password: String,
    pub amount_mwon: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopBody {
    pub charger: String,
    pub session: u64,
    pub energy_wh: u64,
    #[serde(default)]
    pub idle_min: u32,
    /// `local`, `remote`, `limit_reached`, `ev_disconnected`, `never_started`, `soft_stop`,
    /// `other` (default `local`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoChargeBody {
    pub member_no: u64,
    pub password: String,
    /// 0 revokes.
    pub cap_mwon: u64,
    #[serde(default)]
    pub valid_until_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFilter {
    /// `open` (prepaid), `finished` (cancelled or settled) or `refunded`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub charger: Option<String>,
    #[serde(default)]
    pub member: Option<u64>,
    /// At most this many, newest first (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueFilter {
    #[serde(default)]
    pub charger: Option<String>,
    /// KST days `YYYYMMDD`, inclusive.
    #[serde(default)]
    pub from: Option<u32>,
    #[serde(default)]
    pub to: Option<u32>,
}

/// `Debug` for the bodies carrying a password: every field but the password.
macro_rules! debug_hiding_password {
    ($name:ident { $($field:ident),* }) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &self.$field))*
                    .field("password", &"***")
                    .finish()
            }
        }
    };
}
debug_hiding_password!(SignUpBody { card });
debug_hiding_password!(CertifyBody { charger, member_no });
debug_hiding_password!(PrepayBody {
    charger,
    connector,
    member_no,
    amount_mwon
});
debug_hiding_password!(AutoChargeBody {
    member_no,
    cap_mwon,
    valid_until_ms
});

/// The values of [StopBody::reason].
pub const STOP_REASONS: &[&str] = &[
    "local",
    "remote",
    "limit_reached",
    "ev_disconnected",
    "never_started",
    "soft_stop",
    "other",
];

/// The values of [SessionFilter::state].
pub const SESSION_STATES: &[&str] = &["open", "finished", "refunded"];

/// The largest [SessionFilter::limit].
pub const SESSIONS_MAX_LIMIT: usize = 1000;

/// [SessionFilter::limit] when none is given.
pub const SESSIONS_DEFAULT_LIMIT: usize = 100;

// ---------------------------------------------------------------- answers
//
// The small answers as types, for the service to produce and clients to read (the larger ones,
// members, chargers, sessions and revenue, are documented in openapi.json). Unknown fields are
// accepted so that clients survive additions.

/// `POST /api/v1/charging/members`: the new member and its finalized `EnrollMember`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpResult {
    pub member_no: u64,
    pub address: Address,
    pub tx: Hash32,
}

/// [CertifyResult::result].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertifyOutcome {
    Accepted,
    /// Unknown member or wrong password (not told apart).
    Invalid,
    /// Blocked, or locked after wrong passwords.
    Blocked,
    Expired,
}

/// `POST /api/v1/charging/certify`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifyResult {
    pub result: CertifyOutcome,
    /// The balance, when accepted.
    pub balance_mwon: Option<u64>,
    pub member_no: u64,
}

/// `POST /api/v1/charging/prepay`: the session and its finalized hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepayResult {
    pub charger: String,
    pub session: u64,
    pub prepay_tx: Hash32,
    pub hold_mwon: u64,
    pub expires_at_ms: u64,
    pub balance_mwon: u64,
}

/// `POST /api/v1/charging/stop` (202).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopResult {
    pub charger: String,
    pub session: u64,
    /// False if a stop of this session was already recorded (the first one wins).
    pub queued: bool,
    /// The session's state as known now.
    pub state: String,
}

/// `POST /api/v1/charging/auto-charge`: the finalized `SetAutoCharge`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoChargeResult {
    pub member_no: u64,
    pub cap_mwon: u64,
    pub tx: Hash32,
}

/// `POST /api/v1/charging/chargers/{charger}/secret`: shown once. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargerSecretResult {
    pub charger: String,
    pub secret: String,
}

impl std::fmt::Debug for ChargerSecretResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChargerSecretResult")
            .field("charger", &self.charger)
            .field("secret", &"***")
            .finish()
    }
}

/// [SoftStopResult::action].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftStopAction {
    /// The charger is online and was asked to stop (settled at its last meter if it has not
    /// stopped within 60 s).
    RemoteStop,
    /// The charger is offline: settled now at its last known meter.
    SettleAtLastMeter,
}

/// `POST /api/v1/charging/sessions/{charger}/{session}/soft-stop`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftStopResult {
    pub charger: String,
    pub session: u64,
    pub action: SoftStopAction,
}

/// Why a charging request failed: HTTP status, stable code, message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargingFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds for a `Retry-After` header (`503 busy`).
    pub retry_after_s: Option<u64>,
}

impl ChargingFailure {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            retry_after_s: None,
        }
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_s = Some(secs);
        self
    }
}

/// Whom credentials that only the member service can check belong to (for the read policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargingIdentity {
    /// The charging operator's bearer token: reads as the operator's account.
    Operator(Address),
    /// A charger's Basic credentials: reads the sessions at that charger.
    Charger(String),
}

/// The member service behind the charging routes.
#[async_trait::async_trait]
pub trait ChargingApi: Send + Sync + 'static {
    /// Answers one request from `client` (its address, for the members' lockouts) as JSON
    /// (status 200, or 202 for `Stop`), or fails.
    async fn handle(
        &self,
        caller: Caller,
        client: crate::ClientAddr,
        req: ChargingRequest,
    ) -> Result<serde_json::Value, ChargingFailure>;

    /// Whom `caller`'s `Bearer` token or `Basic` credentials belong to, if they check out;
    /// `None` for anything else. Services that identify nobody keep this default.
    async fn identify(&self, caller: &Caller) -> Option<ChargingIdentity> {
        let _ = caller;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_decode_and_anything_else_is_anonymous() {
        // "CP-1:s3cret"
        assert_eq!(
            Caller::from_header(Some("Basic Q1AtMTpzM2NyZXQ=")),
            Caller::Basic {
                user: "CP-1".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(
            Caller::from_header(Some("Bearer abc")),
            Caller::Bearer("abc".into())
        );
        assert_eq!(Caller::from_header(Some("Basic !!!")), Caller::Anonymous);
        assert_eq!(Caller::from_header(Some("Digest x")), Caller::Anonymous);
        assert_eq!(Caller::from_header(None), Caller::Anonymous);
        assert_eq!(
            Caller::from_header(Some("bearer  abc ")),
            Caller::Bearer("abc".into())
        );
        assert_eq!(
            Caller::from_header(Some("BASIC Q1AtMTpzM2NyZXQ=")),
            Caller::Basic {
                user: "CP-1".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(Caller::from_header(Some("Bearer ")), Caller::Anonymous);
        assert_eq!(Caller::from_header(Some("Bearer")), Caller::Anonymous);
    }

    #[test]
    fn debug_never_shows_passwords_or_tokens() {
        let shown = format!(
            "{:?} {:?} {:?} {:?} {:?} {:?}",
            Caller::from_header(Some("Basic Q1AtMTpzM2NyZXQ=")),
            Caller::Bearer("tok3n".into()),
            ChargingRequest::SignUp(SignUpBody {
                password: "s3cret".into(),
                card: Some("card-1".into()),
            }),
            CertifyBody {
                charger: "CP-1".into(),
                member_no: 10000001,
                password: "s3cret".into(),
            },
            PrepayBody {
                charger: "CP-1".into(),
                connector: 1,
                member_no: 10000001,
                password: "s3cret".into(),
                amount_mwon: 5,
            },
            AutoChargeBody {
                member_no: 10000001,
                password: "s3cret".into(),
                cap_mwon: 5,
                valid_until_ms: 0,
            },
        );
        assert!(
            !shown.contains("s3cret") && !shown.contains("tok3n"),
            "{shown}"
        );
        assert!(shown.contains("CP-1") && shown.contains("10000001") && shown.contains("card-1"));
    }
}
