//! What the dashboard's sign-in needs from the portal ([PortalApi]: keystores, sessions,
//! signing through a session) and the session's wire shapes. The API owns the HTTP side
//! (cookie, CSRF header, JSON); `gridledger-portal` implements the trait.
use gridledger_types::{Address, Payload, SignedTransaction};
use serde::{Deserialize, Serialize};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "gl_session";
/// Header that must carry the session's CSRF token on `POST /api/v1/session/txs`.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// `GET /api/v1/session` (and the answer to a sign-in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub signed_in: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub address: Option<Address>,
    /// The participant's name on chain (the login if it is not a participant).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// The participant's role on chain (`none` if it is not a participant).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<String>,
    /// True for the market operator, who sees everything.
    #[serde(default)]
    pub operator: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub csrf: Option<String>,
    /// When the session ends if unused (ms since the epoch, wall clock).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires_ms: Option<u64>,
}

impl SessionView {
    pub fn signed_out() -> Self {
        Self {
            signed_in: false,
            login: None,
            address: None,
            name: None,
            role: None,
            operator: false,
            csrf: None,
            expires_ms: None,
        }
    }
}

/// Why the portal refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortalError {
    /// Wrong password or unknown login (the same answer for both).
    BadCredentials,
    /// Too many wrong passwords from this source (or too many checks of this login waiting);
    /// try again after `until_ms`.
    LockedOut { until_ms: u64 },
    /// Every key-derivation slot is taken; try again after `retry_after_s`.
    Busy { retry_after_s: u64 },
    /// No keystore has this login (the operator's unlock only; a sign-in never tells).
    UnknownLogin,
    /// No session, or it expired.
    NotSignedIn,
    /// The CSRF token is missing or not the session's.
    BadCsrf,
    /// The portal could not do it (keystore unreadable, node unavailable).
    Unavailable(String),
}

/// Keystores, sessions and signing for the dashboard. The sync calls may block (a file read).
#[async_trait::async_trait]
pub trait PortalApi: Send + Sync + 'static {
    /// Unlocks `login`'s keystore with `password`, tried from `source` (the client address,
    /// [ClientAddr::source](crate::ClientAddr::source)), and opens a session: its
    /// token and view.
    async fn sign_in(
        &self,
        login: &str,
        password: &str,
        source: &str,
    ) -> Result<(String, SessionView), PortalError>;
    /// The session of `token`, refreshing its idle expiry; `None` if there is none.
    fn session(&self, token: &str) -> Option<SessionView>;
    /// Ends the session (and drops its key).
    fn sign_out(&self, token: &str);
    /// Signs `payload` with the session's key, after checking `csrf`.
    fn sign(
        &self,
        token: &str,
        csrf: &str,
        payload: Payload,
    ) -> Result<SignedTransaction, PortalError>;
    /// The account of the live session of `token` if `csrf` is its CSRF token (for services
    /// behind the API that accept a signed-in user).
    fn caller(&self, token: &str, csrf: &str) -> Option<Address>;
    /// The node refused a transaction this session signed: read the nonce again next time.
    fn refused(&self, token: &str);
    /// The operator's unlock: clears `login`'s wrong-password counts and locks.
    async fn unlock(&self, login: &str) -> Result<(), PortalError>;
}
