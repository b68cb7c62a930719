//! The dashboard's sign-in: the integrated operating system keeps each portal user's keystore
//! (`<dir>/<login>.json`, the SDK's argon2id format), opens a session when the password unlocks
//! it, and signs transactions with that session's key until sign-out or expiry.
//!
//! The unlocked key lives only in this process's memory, inside its session; it is never
//! written, logged or sent anywhere. Password checks cannot be guessed or exhausted (see
//! [signin]): one at a time per login, derivations bounded by the node's [KdfPool], the same
//! work for unknown logins, wrong passwords counted per login and source (the SDK's
//! [Guard](gridledger_sdk::lockout::Guard) rule, shared with the charging members) and kept in
//! `<dir>/lockouts.redb` for registered logins only. Wall-clock time is used only for session
//! expiry and lockout, never for anything on chain.
#![forbid(unsafe_code)]

mod error;
pub mod guards;
pub mod signin;

pub use error::Error;

use gridledger_api_types::{NodeApi, PortalApi, PortalError, SessionView};
use gridledger_sdk::{
    kdf_pool::KdfPool,
    keystore::constant_time_eq,
    signer::{chain_time_ms, DEFAULT_EXPIRY},
};
use gridledger_types::{
    Address, ChainId, Payload, PrivateKey, Role, SignedTransaction, Transaction,
};
use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

/// Limits of the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortalConfig {
    /// A session unused this long ends.
    pub idle_ms: u64,
    /// A session ends this long after sign-in, used or not.
    pub max_age_ms: u64,
    /// Most open sessions; signing in beyond it ends the least recently used one.
    pub max_sessions: usize,
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self {
            idle_ms: 30 * 60 * 1000,
            max_age_ms: 12 * 3600 * 1000,
            max_sessions: 1000,
        }
    }
}

struct Session {
    login: String,
    key: PrivateKey,
    address: Address,
    csrf: String,
    created_ms: u64,
    last_ms: u64,
    /// The nonce of this session's next transaction, once one was signed.
    next_nonce: Option<u64>,
}

#[derive(Default)]
struct Inner {
    sessions: BTreeMap<String, Session>,
}

/// Wall-clock milliseconds (replaceable in tests).
pub type Clock = Box<dyn Fn() -> u64 + Send + Sync>;

pub struct Portal {
    node: Arc<dyn NodeApi>,
    chain_id: ChainId,
    cfg: PortalConfig,
    now: Clock,
    inner: Mutex<Inner>,
    checker: signin::Checker,
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn random_hex(bytes: usize) -> Result<String, PortalError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| PortalError::Unavailable(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// Logins are file names: 1-32 of `a-z 0-9 _ -`.
pub fn valid_login(login: &str) -> bool {
    (1..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Portal {
    /// A portal over the keystores in `dir`, signing for `chain_id` with nonces and chain time
    /// read from `node`, deriving keys in `kdf`. Opens (or creates) `<dir>/lockouts.redb`.
    pub fn new(
        dir: PathBuf,
        node: Arc<dyn NodeApi>,
        chain_id: ChainId,
        cfg: PortalConfig,
        kdf: Arc<KdfPool>,
    ) -> Result<Self, Error> {
        Self::with_clock(dir, node, chain_id, cfg, kdf, Box::new(wall_ms))
    }

    pub fn with_clock(
        dir: PathBuf,
        node: Arc<dyn NodeApi>,
        chain_id: ChainId,
        cfg: PortalConfig,
        kdf: Arc<KdfPool>,
        now: Clock,
    ) -> Result<Self, Error> {
        let guards = Arc::new(guards::Guards::open(&dir.join("lockouts.redb"))?);
        let dummy = signin::dummy_keystore(signin::dummy_params(&dir))?;
        Ok(Self {
            node,
            chain_id,
            cfg,
            now,
            inner: Mutex::new(Inner::default()),
            checker: signin::Checker {
                dir,
                guards,
                kdf,
                dummy,
                turns: gridledger_sdk::turns::Turns::default(),
            },
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn expired(&self, s: &Session, now: u64) -> bool {
        now.saturating_sub(s.last_ms) >= self.cfg.idle_ms
            || now.saturating_sub(s.created_ms) >= self.cfg.max_age_ms
    }

    fn view(&self, s: &Session) -> SessionView {
        let participant = self.node.participant(&s.address).ok().flatten();
        let (name, role) = match &participant {
            Some(p) => (p.name.clone(), Some(p.role)),
            None => (s.login.clone(), None),
        };
        SessionView {
            signed_in: true,
            login: Some(s.login.clone()),
            address: Some(s.address.clone()),
            name: Some(name),
            role: Some(role.map_or("none", Role::as_str).to_string()),
            operator: role == Some(Role::Operator),
            csrf: Some(s.csrf.clone()),
            expires_ms: Some(
                s.last_ms
                    .saturating_add(self.cfg.idle_ms)
                    .min(s.created_ms.saturating_add(self.cfg.max_age_ms)),
            ),
        }
    }

    /// The live session of `token` (expired ones are removed), touched at `now`.
    fn live<'a>(&self, inner: &'a mut Inner, token: &str, now: u64) -> Option<&'a mut Session> {
        let expired = inner.sessions.get(token).map(|s| self.expired(s, now))?;
        if expired {
            inner.sessions.remove(token);
            return None;
        }
        let s = inner.sessions.get_mut(token)?;
        s.last_ms = now;
        Some(s)
    }
}

#[async_trait::async_trait]
impl PortalApi for Portal {
    async fn sign_in(
        &self,
        login: &str,
        password: &str,
        source: &str,
    ) -> Result<(String, SessionView), PortalError> {
        if !valid_login(login) {
            // Cannot be a keystore's name: nothing to find out by timing it.
            return Err(PortalError::BadCredentials);
        }
        let key = self
            .checker
            .check(login, password, source, || (self.now)())
            .await?;
        let now = (self.now)();
        let token = random_hex(32)?;
        let session = Session {
            login: login.to_string(),
            address: Address::of(&key),
            key,
            csrf: random_hex(16)?,
            created_ms: now,
            last_ms: now,
            next_nonce: None,
        };
        let view = self.view(&session);
        let mut inner = self.lock();
        inner.sessions.retain(|_, s| !self.expired(s, now));
        while inner.sessions.len() >= self.cfg.max_sessions.max(1) {
            let oldest = inner
                .sessions
                .iter()
                .min_by_key(|(_, s)| s.last_ms)
                .map(|(t, _)| t.clone());
            match oldest {
                Some(t) => inner.sessions.remove(&t),
                None => break,
            };
        }
        inner.sessions.insert(token.clone(), session);
        Ok((token, view))
    }

    fn session(&self, token: &str) -> Option<SessionView> {
        let now = (self.now)();
        let mut inner = self.lock();
        let s = self.live(&mut inner, token, now)?;
        Some(self.view(s))
    }

    fn sign_out(&self, token: &str) {
        self.lock().sessions.remove(token);
    }

    fn sign(
        &self,
        token: &str,
        csrf: &str,
        payload: Payload,
    ) -> Result<SignedTransaction, PortalError> {
        let now = (self.now)();
        let address = {
            let mut inner = self.lock();
            let s = self
                .live(&mut inner, token, now)
                .ok_or(PortalError::NotSignedIn)?;
            if !constant_time_eq(s.csrf.as_bytes(), csrf.as_bytes()) {
                return Err(PortalError::BadCsrf);
            }
            s.address.clone()
        };
        // Node reads happen without the lock.
        let chain_nonce = self
            .node
            .account(&address)
            .map_err(|e| PortalError::Unavailable(e.0))?
            .nonce;
        let expires_at_ms =
            chain_time_ms(&self.node.status()).saturating_add(DEFAULT_EXPIRY.as_millis() as u64);
        let mut inner = self.lock();
        let s = inner
            .sessions
            .get_mut(token)
            .ok_or(PortalError::NotSignedIn)?;
        let nonce = s.next_nonce.unwrap_or(0).max(chain_nonce);
        s.next_nonce = Some(nonce.saturating_add(1));
        let tx = Transaction {
            chain_id: self.chain_id.clone(),
            signer: s.address.clone(),
            nonce,
            expires_at_ms,
            payload,
        };
        Ok(tx.sign(&s.key))
    }

    fn caller(&self, token: &str, csrf: &str) -> Option<Address> {
        let now = (self.now)();
        let mut inner = self.lock();
        let s = self.live(&mut inner, token, now)?;
        constant_time_eq(s.csrf.as_bytes(), csrf.as_bytes()).then(|| s.address.clone())
    }

    fn refused(&self, token: &str) {
        if let Some(s) = self.lock().sessions.get_mut(token) {
            s.next_nonce = None;
        }
    }

    async fn unlock(&self, login: &str) -> Result<(), PortalError> {
        if !valid_login(login) {
            return Err(PortalError::UnknownLogin);
        }
        self.checker.unlock(login).await?;
        tracing::warn!(login, "sign-in locks cleared by the operator");
        Ok(())
    }
}

#[cfg(test)]
mod tests;
