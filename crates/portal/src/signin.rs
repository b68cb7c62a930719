//! Checking a password so that it cannot be guessed or exhausted:
//! - one check at a time per login: a check holds the login's turn from reading its lockout
//!   through the key derivation to writing the outcome, so parallel guesses are counted one by
//!   one (the SDK's [Turns]; more than it lets wait are refused as locked for a second);
//! - every derivation runs in the node's [KdfPool] (a few threads, a short queue; full:
//!   `busy`);
//! - an unknown login costs what a registered one costs: a derivation with the keystores'
//!   parameters on a dummy keystore and a durable commit of the lockout store, and stores
//!   nothing;
//! - wrong passwords count per login and source under the SDK's [Guard] rule, persisted in
//!   [Guards] for registered logins only.
use crate::guards::Guards;
use gridledger_api_types::PortalError;
use gridledger_sdk::kdf_pool::KdfPool;
use gridledger_sdk::{
    keystore::{generate_key, KdfParams, Keystore},
    turns::Turns,
};
use gridledger_types::PrivateKey;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};
use zeroize::Zeroizing;

/// The parameters unknown logins are derived with: the dearest among the keystores in `dir`
/// (argon2id's defaults if there are none). Keystores with other parameters are logged: their
/// logins take a different time than unknown ones.
pub(crate) fn dummy_params(dir: &Path) -> KdfParams {
    let mut seen: Vec<(KdfParams, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            if let Ok(ks) = Keystore::load(&path) {
                seen.push((ks.kdf_params(), path.display().to_string()));
            }
        }
    }
    let dearest = seen
        .iter()
        .map(|(p, _)| *p)
        .max_by_key(|p| (p.m_cost_kib, p.t_cost, p.p_cost))
        .unwrap_or_default();
    for (p, file) in &seen {
        if *p != dearest {
            tracing::warn!(
                file,
                "portal keystore with cheaper KDF parameters than the others: its login answers faster than an unknown one"
            );
        }
    }
    dearest
}

/// A keystore nobody can open, derived on for unknown logins.
pub(crate) fn dummy_keystore(params: KdfParams) -> Result<Keystore, crate::Error> {
    let key = generate_key().map_err(|e| crate::Error::Keystore(e.to_string()))?;
    let mut pw = [0u8; 32];
    getrandom::fill(&mut pw).map_err(|e| crate::Error::Keystore(e.to_string()))?;
    Keystore::encrypt(&key, &pw, params).map_err(|e| crate::Error::Keystore(e.to_string()))
}

/// The parts a check needs.
pub(crate) struct Checker {
    pub dir: PathBuf,
    pub guards: Arc<Guards>,
    pub kdf: Arc<KdfPool>,
    pub dummy: Keystore,
    pub turns: Turns<String>,
}

fn busy() -> PortalError {
    PortalError::Busy {
        retry_after_s: gridledger_sdk::kdf_pool::BUSY_RETRY_AFTER_S,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::Error> + Send + 'static,
) -> Result<T, PortalError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PortalError::Unavailable(e.to_string()))?
        .map_err(PortalError::from)
}

impl Checker {
    /// The key of `login` if `password` opens it, tried from `source` at `now()`.
    pub(crate) async fn check(
        &self,
        login: &str,
        password: &str,
        source: &str,
        now: impl Fn() -> u64,
    ) -> Result<PrivateKey, PortalError> {
        let Some(_turn) = self.turns.take(login.to_string()).await else {
            return Err(PortalError::LockedOut {
                until_ms: now().saturating_add(1_000),
            });
        };
        let password = Zeroizing::new(password.as_bytes().to_vec());
        let path = self.dir.join(format!("{login}.json"));
        let (guards, name) = (self.guards.clone(), login.to_string());
        let found = blocking(move || match Keystore::load(&path) {
            Ok(ks) => Ok(Some((ks, guards.get(&name)?))),
            Err(_) => Ok(None),
        })
        .await?;
        let Some((ks, mut guard)) = found else {
            // Unknown: the same derivation and the same durable commit, nothing stored.
            let dummy = self.dummy.clone();
            let _ = self
                .kdf
                .run(move || dummy.decrypt(&password).is_ok())
                .await
                .map_err(|_| busy())?;
            let guards = self.guards.clone();
            blocking(move || guards.touch()).await?;
            return Err(PortalError::BadCredentials);
        };
        if let Some(until_ms) = guard.locked_until(source, now()) {
            return Err(PortalError::LockedOut { until_ms });
        }
        let opened = self
            .kdf
            .run(move || ks.decrypt(&password).ok())
            .await
            .map_err(|_| busy())?;
        let at = now();
        let outcome = match opened {
            Some(key) => {
                guard.succeed(source, at);
                Ok(key)
            }
            None => Err(match guard.fail(source, at) {
                Some(until_ms) => {
                    tracing::warn!(
                        login,
                        source,
                        until_ms,
                        "sign-in locked after wrong passwords"
                    );
                    PortalError::LockedOut { until_ms }
                }
                None => PortalError::BadCredentials,
            }),
        };
        let (guards, name) = (self.guards.clone(), login.to_string());
        blocking(move || guards.put(&name, &guard)).await?;
        outcome
    }

    /// The operator's unlock of a registered login.
    pub(crate) async fn unlock(&self, login: &str) -> Result<(), PortalError> {
        let _turn = self.turns.take(login.to_string()).await;
        if !self.dir.join(format!("{login}.json")).is_file() {
            return Err(PortalError::UnknownLogin);
        }
        let (guards, name) = (self.guards.clone(), login.to_string());
        blocking(move || {
            let mut g = guards.get(&name)?;
            g.unlock();
            guards.put(&name, &g)
        })
        .await
    }
}
