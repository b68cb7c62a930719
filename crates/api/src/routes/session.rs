//! Sign-in for the dashboard and signing through a session (the integrated operating system's
//! custodial keystores). The API owns the HTTP side (cookie, CSRF header, JSON); a [PortalApi]
//! (the `gridledger-portal` crate) owns the keystores, the sessions and the keys.
use crate::error::ApiError;
use crate::params::{is_login, path_segment};
use crate::routes::node_call;
use crate::AppState;
use axum::{
    body::Bytes,
    extract::{
        rejection::{BytesRejection, PathRejection},
        Path, State,
    },
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use gridledger_api_types::ClientAddr;
use gridledger_api_types::ErrorCode;
use gridledger_api_types::{
    PortalApi, PortalError, Rejected, SessionView, CSRF_HEADER, SESSION_COOKIE,
};
use gridledger_types::{Address, Hash32, Payload, Role};
use serde::{Deserialize, Serialize};

impl From<PortalError> for ApiError {
    fn from(e: PortalError) -> Self {
        match e {
            PortalError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::BadCredentials,
                "wrong login or password",
            ),
            PortalError::LockedOut { until_ms } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::LockedOut,
                format!("too many wrong passwords; locked until {until_ms} (ms since the epoch)"),
            )
            .retry_after(crate::rate_limit::retry_after_s(
                until_ms.saturating_sub(wall_ms()),
            )),
            PortalError::Busy { retry_after_s } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Busy,
                "too many password checks at once; try again shortly",
            )
            .retry_after(retry_after_s),
            PortalError::UnknownLogin => ApiError::not_found("no keystore has this login"),
            PortalError::NotSignedIn => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::NotSignedIn,
                "not signed in, or the session has expired",
            ),
            PortalError::BadCsrf => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::BadCsrf,
                format!("missing or wrong {CSRF_HEADER} header"),
            ),
            PortalError::Unavailable(m) => ApiError::internal(m),
        }
    }
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

fn portal(st: &AppState) -> Result<std::sync::Arc<dyn PortalApi>, ApiError> {
    st.portal.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::PortalDisabled,
            "this node runs no sign-in (no portal directory)",
        )
    })
}

fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|e| ApiError::bad_request(ErrorCode::InvalidRequest, e.body_text()))?;
    serde_json::from_slice(&body).map_err(|e| {
        let code = if e.is_syntax() || e.is_eof() {
            ErrorCode::InvalidJson
        } else {
            ErrorCode::InvalidRequest
        };
        ApiError::bad_request(code, e.to_string())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    login: String,
    password: String,
}

/// `POST /api/v1/session` (rate-limited per client address before it gets here).
pub(crate) async fn sign_in(
    State(st): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let p = portal(&st)?;
    let SignIn { login, password } = json_body(body)?;
    // Lengths in characters, as the document's minLength/maxLength count them.
    if !is_login(&login) || !(1..=256).contains(&password.chars().count()) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidRequest,
            "login must be 1-32 characters and password 1-256",
        ));
    }
    let source = client.map_or(ClientAddr(None), |Extension(c)| c).source();
    let (token, view) = p.sign_in(&login, &password, &source).await?;
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    let mut resp = Json(view).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `GET /api/v1/session`: the session, or `{"signed_in": false}` (also without a portal).
pub(crate) async fn session(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let view = match (st.portal.clone(), cookie_token(&headers)) {
        (Some(p), Some(token)) => node_call(move || p.session(&token))
            .await
            .ok()
            .flatten()
            .unwrap_or_else(SessionView::signed_out),
        _ => SessionView::signed_out(),
    };
    let mut resp = Json(view).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The account of the dashboard session named by the request's cookie, if its CSRF header
/// matches too (for services behind the API that accept a signed-in user, e.g. the charging
/// operator's soft stop).
pub(crate) async fn session_of(st: &AppState, headers: &HeaderMap) -> Option<Address> {
    let p = st.portal.clone()?;
    let token = cookie_token(headers)?;
    let csrf = headers.get(CSRF_HEADER)?.to_str().ok()?.to_string();
    node_call(move || p.caller(&token, &csrf)).await.ok()?
}

/// The market operator's dashboard session named by the request (cookie and CSRF header), or
/// `401 unauthorized` (no such session) / `403 forbidden` (signed in, but not the operator).
pub(crate) async fn operator_session(
    st: &AppState,
    headers: &HeaderMap,
    needs: &str,
) -> Result<Address, ApiError> {
    let Some(address) = session_of(st, headers).await else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            format!("{needs} (cookie {SESSION_COOKIE} and header {CSRF_HEADER})"),
        ));
    };
    let node = st.node.clone();
    let a = address.clone();
    let role = node_call(move || node.participant(&a))
        .await??
        .map(|p| p.role);
    if role != Some(Role::Operator) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only the market operator may do this",
        ));
    }
    Ok(address)
}

/// `DELETE /api/v1/session/locks/{login}`: the operator clears a login's wrong-password counts
/// and locks (every source's, and the shared budget's).
pub(crate) async fn unlock(
    State(st): State<AppState>,
    headers: HeaderMap,
    login: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = portal(&st)?;
    let login = path_segment(login, ErrorCode::InvalidRequest)?;
    if !is_login(&login) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidRequest,
            "login must be 1-32 characters",
        ));
    }
    let by = operator_session(
        &st,
        &headers,
        "unlocking a login needs the operator's session",
    )
    .await?;
    p.unlock(&login).await?;
    tracing::warn!(%login, operator = %by, "sign-in locks cleared");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/session`.
pub(crate) async fn sign_out(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let (Some(p), Some(token)) = (st.portal.clone(), cookie_token(&headers)) {
        let _ = node_call(move || p.sign_out(&token)).await;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("gl_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    resp
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    payload: serde_json::Value,
}

#[derive(Serialize)]
struct Signed {
    hash: Hash32,
}

/// `POST /api/v1/session/txs`: sign `payload` with the session's key and submit it.
pub(crate) async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let p = portal(&st)?;
    let token = cookie_token(&headers).ok_or(PortalError::NotSignedIn)?;
    let csrf = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // Who asks before what is asked: a body without a live session and its CSRF token is
    // never read (401 not_signed_in / 403 bad_csrf, whatever the body).
    let (p1, t1, c1) = (p.clone(), token.clone(), csrf.clone());
    if node_call(move || p1.caller(&t1, &c1)).await?.is_none() {
        let (p1, t1) = (p.clone(), token.clone());
        let live = node_call(move || p1.session(&t1)).await?.is_some();
        return Err(if live {
            PortalError::BadCsrf
        } else {
            PortalError::NotSignedIn
        }
        .into());
    }
    let SignRequest { payload } = json_body(body)?;
    let payload: Payload = serde_json::from_value(payload)
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidPayload, e.to_string()))?;
    let (p2, t2) = (p.clone(), token.clone());
    let tx = node_call(move || p2.sign(&t2, &csrf, payload)).await??;
    let node = st.node.clone();
    let result = node_call(move || node.submit(vec![tx])).await?;
    match result.into_iter().next() {
        Some(Ok(hash)) => {
            st.metrics.record_accepted();
            Ok((StatusCode::ACCEPTED, Json(Signed { hash })).into_response())
        }
        Some(Err(Rejected { code, message })) => {
            st.metrics.record_rejected(&code);
            let _ = node_call(move || p.refused(&token)).await;
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                message,
            ))
        }
        None => Err(ApiError::internal("node gave no result")),
    }
}
