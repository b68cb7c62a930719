//! Who is asking: the one place that reads a request's credentials.
//!
//! The `Authorization` header is parsed here only ([authorization]): a signed read
//! (`GridLedger-Ed25519`, see [gridledger_types::ReadAuth]), HTTP `Basic` (a charger), `Bearer`
//! (the charging operator's token), or nothing we know. Routes that serve personal data take a
//! [Viewer]: the account of a verified signed read, of the dashboard session cookie, or of the
//! charging service's credentials, resolved against the finalized state (its role; a device
//! reads as its owner); else anonymous. Charging routes also pass the raw credentials on to the
//! member service as a [Caller] ([caller]).
use crate::error::ApiError;
use crate::routes::node_call;
use crate::AppState;
use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap, Method, Uri},
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::{
    authorization::{parse_authorization, Authorization},
    Caller, ChargingIdentity,
};
use gridledger_types::{Address, Role};
use std::time::{SystemTime, UNIX_EPOCH};

/// The request's `Authorization` header, parsed (a value that is not visible ASCII is
/// [Authorization::Unknown]).
pub(crate) fn authorization(headers: &HeaderMap) -> Authorization {
    match headers.get(header::AUTHORIZATION) {
        None => Authorization::None,
        Some(v) => match v.to_str() {
            Ok(s) => parse_authorization(Some(s)),
            Err(_) => Authorization::Unknown,
        },
    }
}

/// The credentials of a charging request for the member service: the `Authorization` header
/// if there is one (`Basic` or `Bearer`; a signed read is nothing to the service), else a
/// dashboard session whose cookie and CSRF header both check out, else anonymous.
pub(crate) async fn caller(st: &AppState, headers: &HeaderMap) -> Caller {
    match authorization(headers) {
        Authorization::Basic { user, password } => Caller::Basic { user, password },
        Authorization::Bearer(t) => Caller::Bearer(t),
        Authorization::Signed(_) | Authorization::Unknown => Caller::Anonymous,
        Authorization::None => match crate::routes::session::session_of(st, headers).await {
            Some(address) => Caller::Session(address),
            None => Caller::Anonymous,
        },
    }
}

// ---------------------------------------------------------------- viewers

/// How a reader proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A signed read (`Authorization: GridLedger-Ed25519 ...`).
    Signature,
    /// The dashboard's session cookie.
    Session,
    /// The charging operator's bearer token (checked by the member service).
    Token,
}

/// An authenticated account reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    /// The key that authenticated (a signed read's key, the session's account, the charging
    /// operator's account).
    pub key: Address,
    /// Whose records it reads as: `key`, or the owner of the device `key`.
    pub owner: Address,
    /// True if `key` is a registered device.
    pub device: bool,
    /// `owner`'s role if `key` is a participant that is not suspended; a device never carries
    /// its owner's role (it reads what its owner owns, not what its owner's role may see).
    pub role: Option<Role>,
    pub via: Via,
}

/// Who is reading: resolved once per request by the routes that serve personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    Account(Box<Reader>),
    /// A charger by its Basic credentials (checked by the member service): it reads the
    /// sessions at itself.
    Charger(String),
}

impl Viewer {
    pub fn reader(&self) -> Option<&Reader> {
        match self {
            Self::Account(r) => Some(r.as_ref()),
            _ => None,
        }
    }

    /// True if the reader is `a` or reads as `a` (a device of `a`).
    pub fn is(&self, a: &Address) -> bool {
        self.reader().is_some_and(|r| r.key == *a || r.owner == *a)
    }

    /// True if the reader's own role is one of `roles`.
    pub fn has_role(&self, roles: &[Role]) -> bool {
        self.reader()
            .and_then(|r| r.role)
            .is_some_and(|role| roles.contains(&role))
    }
}

/// Milliseconds since the Unix epoch by this machine's wall clock.
fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The reader of `key`: a device reads as its owner, a participant with its role.
async fn resolve(st: &AppState, key: Address, via: Via) -> Result<Viewer, ApiError> {
    let node = st.node.clone();
    node_call(move || -> Result<Viewer, gridledger_api_types::NodeError> {
        if let Some(d) = node.device(&key)? {
            return Ok(Viewer::Account(Box::new(Reader {
                key,
                owner: d.owner,
                device: true,
                role: None,
                via,
            })));
        }
        let role = node
            .participant(&key)?
            .filter(|p| !p.suspended)
            .map(|p| p.role);
        Ok(Viewer::Account(Box::new(Reader {
            owner: key.clone(),
            key,
            device: false,
            role,
            via,
        })))
    })
    .await?
    .map_err(ApiError::from)
}

/// The chain id reads are signed for: the configured one, else the node's.
fn chain_id(st: &AppState) -> String {
    if st.cfg.chain_id.is_empty() {
        st.node.status().chain_id
    } else {
        st.cfg.chain_id.clone()
    }
}

/// Who sent a request (see the module documentation). A signed-read header that is malformed,
/// stale or does not verify is `401`, never anonymous.
pub(crate) async fn viewer(
    st: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Viewer, ApiError> {
    let charging = |caller: Caller| {
        let service = st.charging.clone();
        async move {
            match service {
                Some(s) => s.identify(&caller).await,
                None => None,
            }
        }
    };
    match authorization(headers) {
        Authorization::Signed(Err(why)) => Err(ApiError::unauthorized(
            ErrorCode::BadReadSignature,
            format!("malformed signed-read header: {why}"),
        )),
        Authorization::Signed(Ok(auth)) => {
            let now = wall_ms();
            if !auth.is_fresh(now) {
                return Err(ApiError::unauthorized(
                    ErrorCode::StaleRead,
                    format!(
                        "the signed read's time {} is more than {} s from the node's clock {now}",
                        auth.time_ms,
                        gridledger_types::READ_WINDOW_MS / 1000
                    ),
                ));
            }
            let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
            if !auth.verify(&chain_id(st), method.as_str(), target) {
                return Err(ApiError::unauthorized(
                    ErrorCode::BadReadSignature,
                    "the signature does not verify for this chain, method, path and time",
                ));
            }
            resolve(st, auth.address, Via::Signature).await
        }
        Authorization::Bearer(t) => match charging(Caller::Bearer(t)).await {
            Some(ChargingIdentity::Operator(a)) => resolve(st, a, Via::Token).await,
            _ => Ok(Viewer::Anonymous),
        },
        Authorization::Basic { user, password } => {
            match charging(Caller::Basic { user, password }).await {
                Some(ChargingIdentity::Charger(c)) => Ok(Viewer::Charger(c)),
                _ => Ok(Viewer::Anonymous),
            }
        }
        Authorization::Unknown => Ok(Viewer::Anonymous),
        Authorization::None => match session_address(st, headers).await {
            Some(a) => resolve(st, a, Via::Session).await,
            None => Ok(Viewer::Anonymous),
        },
    }
}

/// The account of the live dashboard session the request's cookie names (reads need no CSRF
/// header: the cookie is `SameSite=Strict`, and a read changes nothing).
async fn session_address(st: &AppState, headers: &HeaderMap) -> Option<Address> {
    let p = st.portal.clone()?;
    let token = crate::routes::session::cookie_token(headers)?;
    node_call(move || p.session(&token))
        .await
        .ok()
        .flatten()?
        .address
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        viewer(st, &parts.method, &parts.uri, &parts.headers).await
    }
}
