//! The dashboard's sign-in from a program: `POST /api/v1/session` opens a session (cookie
//! `gl_session` and its CSRF token), used by the operator's CLI (unlocking a login) and by the
//! sign-in load generator.
use super::{api_error, json_or_error, Client, Secret};
use crate::{Error, Result};
use gridledger_api_types::{SessionView, CSRF_HEADER, SESSION_COOKIE};

/// An open dashboard session. `Debug` hides the token.
#[derive(Clone, Debug)]
pub struct DashboardSession {
    token: Secret,
    /// The session as the node described it (login, account, role, CSRF token).
    pub view: SessionView,
}

impl DashboardSession {
    fn cookie(&self) -> String {
        format!("{SESSION_COOKIE}={}", self.token.0)
    }

    fn csrf(&self) -> &str {
        self.view.csrf.as_deref().unwrap_or("")
    }
}

/// The session token of a `Set-Cookie: gl_session=...` header.
fn session_token(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == SESSION_COOKIE && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

impl Client {
    /// `POST /api/v1/session`: signs in as `login`. Refusals are [Error::Api] with the node's
    /// status and code (`bad_credentials`, `locked_out`, `rate_limited`, `busy`).
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<DashboardSession> {
        let req = self
            .http
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({ "login": login, "password": password }));
        let resp = self.send(req).await?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        let token = session_token(&resp)
            .ok_or_else(|| Error::Decode("sign-in answered without a session cookie".into()))?;
        let view: SessionView = json_or_error(resp).await?;
        Ok(DashboardSession {
            token: Secret(token),
            view,
        })
    }

    /// `DELETE /api/v1/session`.
    pub async fn sign_out(&self, s: &DashboardSession) -> Result<()> {
        let req = self
            .http
            .delete(self.url("/api/v1/session"))
            .header(reqwest::header::COOKIE, s.cookie());
        let resp = self.send(req).await?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        Ok(())
    }

    /// `DELETE /api/v1/session/locks/{login}` with the market operator's session: clears the
    /// login's wrong-password counts and locks.
    pub async fn unlock_login(&self, operator: &DashboardSession, login: &str) -> Result<()> {
        if login.is_empty() || login.len() > 32 || login.contains('/') {
            return Err(Error::Invalid(format!("login {login:?}")));
        }
        let req = self
            .http
            .delete(self.url(&format!("/api/v1/session/locks/{login}")))
            .header(reqwest::header::COOKIE, operator.cookie())
            .header(CSRF_HEADER, operator.csrf());
        let resp = self.send(req).await?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        Ok(())
    }
}
