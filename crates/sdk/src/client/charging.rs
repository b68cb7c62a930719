//! The charging operator's routes (`/api/v1/charging/...`): members, the keypad calls of a
//! charger (HTTP Basic), the operator's calls (its bearer token or a dashboard session), and
//! the charging reads.
use super::{json_or_error, optional, BasicAuth, Client};
use crate::{Error, Result};
use gridledger_api_types::{
    AutoChargeBody, AutoChargeResult, CertifyBody, CertifyResult, ChargerSecretResult, PrepayBody,
    PrepayResult, RevenueFilter, SessionFilter, SignUpBody, SignUpResult, SoftStopResult, StopBody,
    StopResult,
};
use gridledger_types::ChargerId;
use reqwest::RequestBuilder;
use serde::de::DeserializeOwned;

/// A charger id to put in a URL path: well formed, and not `.` or `..` (which URL parsing
/// would resolve away).
pub(super) fn charger_segment(id: &str) -> Result<&str> {
    if !ChargerId::is_valid(id) || id == "." || id == ".." {
        return Err(Error::Invalid(format!(
            "charger id {id:?}: 1-48 of A-Z a-z 0-9 . _ - (and not . or ..)"
        )));
    }
    Ok(id)
}

impl Client {
    /// `Authorization: Bearer` with `token`, else the client's charging token, else nothing.
    fn bearer(&self, req: RequestBuilder, token: Option<&str>) -> RequestBuilder {
        match token.or(self.charging_token.as_ref().map(|t| t.0.as_str())) {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    fn basic(req: RequestBuilder, basic: Option<&BasicAuth>) -> RequestBuilder {
        match basic {
            Some(b) => req.basic_auth(&b.user, Some(&b.password)),
            None => req,
        }
    }

    async fn charging_get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let req = self
            .bearer(self.http.get(self.url(path)), None)
            .query(query);
        json_or_error(self.send(req).await?).await
    }

    async fn charging_post<T: DeserializeOwned>(
        &self,
        path: &str,
        auth: impl FnOnce(RequestBuilder) -> RequestBuilder,
        body: Option<&(impl serde::Serialize + ?Sized)>,
    ) -> Result<T> {
        let mut req = auth(self.http.post(self.url(path)));
        if let Some(body) = body {
            req = req.json(body);
        }
        json_or_error(self.send(req).await?).await
    }

    /// `POST /api/v1/charging/members` (operator token): signs up a member with `password`
    /// (6-64 characters) and an optional RFID card; answers after the finalized `EnrollMember`.
    pub async fn charging_signup(
        &self,
        token: Option<&str>,
        password: &str,
        card: Option<&str>,
    ) -> Result<SignUpResult> {
        let body = SignUpBody {
            password: password.to_string(),
            card: card.map(str::to_string),
        };
        self.charging_post(
            "/api/v1/charging/members",
            |r| self.bearer(r, token),
            Some(&body),
        )
        .await
    }

    /// `GET /api/v1/charging/members/{no}`, `None` for an unknown member (`unknown_member`).
    pub async fn charging_member(&self, member_no: u64) -> Result<Option<serde_json::Value>> {
        let path = format!("/api/v1/charging/members/{member_no}");
        optional(self.charging_get(&path, &[]).await)
    }

    /// `DELETE /api/v1/charging/members/{member_no}/lock` (operator token): clears the
    /// member's wrong-password counts and locks; answers `{"member_no", "locked_until_ms"}`.
    pub async fn charging_unlock(
        &self,
        token: Option<&str>,
        member_no: u64,
    ) -> Result<serde_json::Value> {
        let path = format!("/api/v1/charging/members/{member_no}/lock");
        let req = self.bearer(self.http.delete(self.url(&path)), token);
        json_or_error(self.send(req).await?).await
    }

    /// `POST /api/v1/charging/certify` as a charger: member number + password.
    pub async fn charging_certify(
        &self,
        basic: Option<&BasicAuth>,
        body: &CertifyBody,
    ) -> Result<CertifyResult> {
        self.charging_post(
            "/api/v1/charging/certify",
            |r| Self::basic(r, basic),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/charging/prepay` as a charger: holds `amount_mwon` for a new session;
    /// answers after the finalized prepay (`insufficient_balance`, `concurrent_session`, `busy`
    /// ... are [Error::Api]).
    pub async fn charging_prepay(
        &self,
        basic: Option<&BasicAuth>,
        body: &PrepayBody,
    ) -> Result<PrepayResult> {
        self.charging_post(
            "/api/v1/charging/prepay",
            |r| Self::basic(r, basic),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/charging/stop` as a charger (202): the stop is recorded and settled later.
    pub async fn charging_stop(
        &self,
        basic: Option<&BasicAuth>,
        body: &StopBody,
    ) -> Result<StopResult> {
        self.charging_post(
            "/api/v1/charging/stop",
            |r| Self::basic(r, basic),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/charging/auto-charge`: the member (by its password) sets its standing
    /// authorisation for RFID-only chargers; `cap_mwon` 0 revokes.
    pub async fn charging_auto_charge(&self, body: &AutoChargeBody) -> Result<AutoChargeResult> {
        self.charging_post("/api/v1/charging/auto-charge", |r| r, Some(body))
            .await
    }

    /// `GET /api/v1/charging/chargers`: `{"chargers": [...]}`.
    pub async fn charging_chargers(&self) -> Result<serde_json::Value> {
        self.charging_get("/api/v1/charging/chargers", &[]).await
    }

    /// `GET /api/v1/charging/chargers/{id}`, `None` for an unknown charger.
    pub async fn charging_charger(&self, id: &str) -> Result<Option<serde_json::Value>> {
        let path = format!("/api/v1/charging/chargers/{}", charger_segment(id)?);
        optional(self.charging_get(&path, &[]).await)
    }

    /// `POST /api/v1/charging/chargers/{id}/secret` (operator token): a new Basic secret for
    /// the charger, shown once.
    pub async fn charging_charger_secret(
        &self,
        token: Option<&str>,
        id: &str,
    ) -> Result<ChargerSecretResult> {
        let path = format!("/api/v1/charging/chargers/{}/secret", charger_segment(id)?);
        self.charging_post(&path, |r| self.bearer(r, token), None::<&()>)
            .await
    }

    /// `GET /api/v1/charging/sessions?state=&charger=&member=&limit=`: `{"sessions": [...]}`,
    /// newest first.
    pub async fn charging_sessions(&self, filter: &SessionFilter) -> Result<serde_json::Value> {
        let mut q = Vec::new();
        if let Some(s) = &filter.state {
            q.push(("state", s.clone()));
        }
        if let Some(c) = &filter.charger {
            q.push(("charger", c.clone()));
        }
        if let Some(m) = filter.member {
            q.push(("member", m.to_string()));
        }
        if let Some(l) = filter.limit {
            q.push(("limit", l.to_string()));
        }
        self.charging_get("/api/v1/charging/sessions", &q).await
    }

    /// `GET /api/v1/charging/sessions/{charger}/{session}`, `None` if there is no such session.
    pub async fn charging_session(
        &self,
        charger: &str,
        session: u64,
    ) -> Result<Option<serde_json::Value>> {
        self.charging_session_as(None, charger, session).await
    }

    /// [Client::charging_session] with a charger's Basic credentials when given (a charger
    /// reads the sessions at itself).
    pub async fn charging_session_as(
        &self,
        basic: Option<&BasicAuth>,
        charger: &str,
        session: u64,
    ) -> Result<Option<serde_json::Value>> {
        let path = format!(
            "/api/v1/charging/sessions/{}/{session}",
            charger_segment(charger)?
        );
        let req = match basic {
            Some(b) => Self::basic(self.http.get(self.url(&path)), Some(b)),
            None => self.bearer(self.http.get(self.url(&path)), None),
        };
        optional(json_or_error(self.send(req).await?).await)
    }

    /// `POST /api/v1/charging/sessions/{charger}/{session}/soft-stop` (operator token).
    pub async fn charging_soft_stop(
        &self,
        token: Option<&str>,
        charger: &str,
        session: u64,
    ) -> Result<SoftStopResult> {
        let path = format!(
            "/api/v1/charging/sessions/{}/{session}/soft-stop",
            charger_segment(charger)?
        );
        self.charging_post(&path, |r| self.bearer(r, token), None::<&()>)
            .await
    }

    /// `GET /api/v1/charging/revenue?charger=&from=&to=`: `{"days": [...], "total_mwon"}`.
    pub async fn charging_revenue(&self, filter: &RevenueFilter) -> Result<serde_json::Value> {
        let mut q = Vec::new();
        if let Some(c) = &filter.charger {
            q.push(("charger", c.clone()));
        }
        if let Some(f) = filter.from {
            q.push(("from", f.to_string()));
        }
        if let Some(t) = filter.to {
            q.push(("to", t.to_string()));
        }
        self.charging_get("/api/v1/charging/revenue", &q).await
    }
}
