//! The sign-in routes over a portal double: cookie, CSRF header, error codes, and that a
//! signed transaction reaches the node (and a refusal reaches the portal).
use crate::fake::{signed, FakeNode};
use crate::{assert_error, send};
use axum::{body::Body, http::Request, http::StatusCode, Router};
use gridledger_api::{router_with, ApiConfig, Services};
use gridledger_api_types::{PortalApi, PortalError, SessionView};
use gridledger_types::{Payload, SignedTransaction};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const CSRF: &str = "c5rf";
/// A session of the market operator ([crate::fake::operator]), with CSRF token [CSRF].
pub const OPERATOR_TOKEN: &str = "operator0123456789abcdef0123456789abcdef0123456789abcdef01234567";

/// Knows one login (`apt1-101` / `right horse`) and tokens [TOKEN] and [OPERATOR_TOKEN].
#[derive(Default)]
pub struct FakePortal {
    pub signed: Mutex<Vec<Payload>>,
    pub refused: Mutex<u32>,
    pub signed_out: Mutex<Vec<String>>,
    /// Sign with the nonce the node double refuses.
    pub sign_refused: bool,
    /// The source of each sign-in.
    pub sources: Mutex<Vec<String>>,
    /// The logins unlocked.
    pub unlocked: Mutex<Vec<String>>,
}

fn view() -> SessionView {
    SessionView {
        signed_in: true,
        login: Some("apt1-101".into()),
        address: Some(crate::fake::alice()),
        name: Some("Haneul".into()),
        role: Some("prosumer".into()),
        operator: false,
        csrf: Some(CSRF.into()),
        expires_ms: Some(1),
    }
}

#[async_trait::async_trait]
impl PortalApi for FakePortal {
    async fn sign_in(
        &self,
        login: &str,
        password: &str,
        source: &str,
    ) -> Result<(String, SessionView), PortalError> {
        self.sources.lock().unwrap().push(source.to_string());
        match (login, password) {
            ("apt1-101", "right horse") => Ok((TOKEN.into(), view())),
            ("locked", _) => Err(PortalError::LockedOut { until_ms: 5 }),
            ("busy", _) => Err(PortalError::Busy { retry_after_s: 2 }),
            _ => Err(PortalError::BadCredentials),
        }
    }
    async fn unlock(&self, login: &str) -> Result<(), PortalError> {
        if login != "apt1-101" {
            return Err(PortalError::UnknownLogin);
        }
        self.unlocked.lock().unwrap().push(login.to_string());
        Ok(())
    }
    fn session(&self, token: &str) -> Option<SessionView> {
        (token == TOKEN).then(view)
    }
    fn sign_out(&self, token: &str) {
        self.signed_out.lock().unwrap().push(token.into());
    }
    fn sign(
        &self,
        token: &str,
        csrf: &str,
        payload: Payload,
    ) -> Result<SignedTransaction, PortalError> {
        if token != TOKEN {
            return Err(PortalError::NotSignedIn);
        }
        if csrf != CSRF {
            return Err(PortalError::BadCsrf);
        }
        self.signed.lock().unwrap().push(payload);
        Ok(signed(if self.sign_refused {
            crate::fake::REJECTED_NONCE
        } else {
            5
        }))
    }
    fn caller(&self, token: &str, csrf: &str) -> Option<gridledger_types::Address> {
        match (token, csrf == CSRF) {
            (TOKEN, true) => Some(crate::fake::alice()),
            (OPERATOR_TOKEN, true) => Some(crate::fake::operator()),
            _ => None,
        }
    }
    fn refused(&self, _: &str) {
        *self.refused.lock().unwrap() += 1;
    }
}

pub fn app(node: &Arc<FakeNode>, portal: &Arc<FakePortal>) -> Router {
    router_with(
        node.clone(),
        ApiConfig::default(),
        Services {
            portal: Some(portal.clone()),
            ..Services::default()
        },
    )
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value, Option<String>) {
    let resp = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap()
    };
    (status, v, cookie)
}

fn sign_in(body: Value) -> Request<Body> {
    Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn sign_tx(cookie: Option<&str>, csrf: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::post("/api/v1/session/txs").header("content-type", "application/json");
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    if let Some(c) = csrf {
        r = r.header("x-csrf-token", c);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn transfer_json() -> String {
    json!({ "payload": {
        "type": "transfer", "to": crate::fake::bob().to_hex(), "amount": 1000, "memo": "x"
    }})
    .to_string()
}

#[tokio::test]
async fn signing_in_sets_an_http_only_cookie_and_the_session_reads_back() {
    let node = FakeNode::new();
    let portal = Arc::new(FakePortal::default());
    let app = app(&node, &portal);
    // Signed out: 200 with signed_in false (no error logged by a browser).
    let (s, v, _) = call(
        &app,
        Request::get("/api/v1/session").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({ "signed_in": false, "operator": false }));
    let (s, v, cookie) = call(
        &app,
        sign_in(json!({ "login": "apt1-101", "password": "right horse" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["name"], "Haneul");
    assert_eq!(v["csrf"], CSRF);
    let cookie = cookie.expect("a cookie");
    assert!(
        cookie.starts_with(&format!("gl_session={TOKEN};")),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let (s, v, _) = call(
        &app,
        Request::get("/api/v1/session")
            .header("cookie", format!("theme=dark; gl_session={TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["login"], "apt1-101");
    // Sign-out ends the portal's session and clears the cookie.
    let (s, _, cookie) = call(
        &app,
        Request::delete("/api/v1/session")
            .header("cookie", format!("gl_session={TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(*portal.signed_out.lock().unwrap(), vec![TOKEN.to_string()]);
}

#[tokio::test]
async fn bad_sign_ins_get_their_codes_and_no_cookie() {
    let node = FakeNode::new();
    let portal = Arc::new(FakePortal::default());
    let app = app(&node, &portal);
    let long = "x".repeat(33);
    for (body, status, code) in [
        (
            json!({ "login": "apt1-101", "password": "wrong" }),
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
        ),
        (
            json!({ "login": "locked", "password": "x" }),
            StatusCode::TOO_MANY_REQUESTS,
            "locked_out",
        ),
        (
            json!({ "login": "busy", "password": "x" }),
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
        ),
        (
            json!({ "login": "", "password": "x" }),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json!({ "login": long, "password": "x" }),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json!({ "login": "a" }),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json!({ "login": "a", "password": "b", "admin": true }),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let (s, v, cookie) = call(&app, sign_in(body.clone())).await;
        assert_eq!(s, status, "{body}");
        assert_error(&v, code);
        assert!(cookie.is_none(), "{body}");
    }
    let (s, _, _) = call(
        &app,
        Request::post("/api/v1/session")
            .body(Body::from("{not json"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn signing_needs_cookie_and_csrf_and_submits_to_the_node() {
    let node = FakeNode::new();
    let portal = Arc::new(FakePortal::default());
    let app = app(&node, &portal);
    let cookie = format!("gl_session={TOKEN}");
    let (s, v, _) = call(&app, sign_tx(None, Some(CSRF), &transfer_json())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_error(&v, "not_signed_in");
    let (s, v, _) = call(&app, sign_tx(Some(&cookie), None, &transfer_json())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&v, "bad_csrf");
    // The caller is checked before the body: an unknown cookie or a missing CSRF token is
    // refused as such even with a payload that would not parse (what schemathesis sends).
    let incomplete = r#"{"payload": {"type": "burn"}}"#;
    let (s, v, _) = call(
        &app,
        sign_tx(Some("gl_session=guess"), Some("x"), incomplete),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_error(&v, "not_signed_in");
    let (s, v, _) = call(&app, sign_tx(Some(&cookie), Some("x"), incomplete)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_error(&v, "bad_csrf");
    for bad in [
        r#"{"payload": {"type": "fly_to_the_moon"}}"#,
        r#"{"payload": {"type": "transfer", "to": "zz", "amount": 1, "memo": ""}}"#,
        r#"{"payload": 5}"#,
    ] {
        let (s, v, _) = call(&app, sign_tx(Some(&cookie), Some(CSRF), bad)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "invalid_payload");
    }
    assert!(node.submitted.lock().unwrap().is_empty());
    assert!(portal.signed.lock().unwrap().is_empty());
    let (s, v, _) = call(&app, sign_tx(Some(&cookie), Some(CSRF), &transfer_json())).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["hash"], signed(5).hash().to_hex());
    assert_eq!(*node.submitted.lock().unwrap(), vec![signed(5)]);
    assert!(matches!(
        portal.signed.lock().unwrap()[0],
        Payload::Transfer { .. }
    ));
    assert_eq!(*portal.refused.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_refused_transaction_is_422_with_the_node_code_and_tells_the_portal() {
    let node = FakeNode::new();
    let portal = Arc::new(FakePortal {
        sign_refused: true,
        ..FakePortal::default()
    });
    let app = app(&node, &portal);
    let (s, v, _) = call(
        &app,
        sign_tx(
            Some(&format!("gl_session={TOKEN}")),
            Some(CSRF),
            &transfer_json(),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "bad_signature");
    assert_eq!(*portal.refused.lock().unwrap(), 1);
}

#[tokio::test]
async fn without_a_portal_sign_in_is_404_but_the_session_reads_signed_out() {
    let node = FakeNode::new();
    let app = crate::app(&node);
    let (s, v, _) = call(&app, sign_in(json!({ "login": "a", "password": "b" }))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "portal_disabled");
    let req = Request::get("/api/v1/session").body(Body::empty()).unwrap();
    let (s, _, body) = send(&app, req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["signed_in"],
        false
    );
}

#[tokio::test]
async fn a_signed_in_session_with_its_csrf_token_reaches_the_charging_service_as_its_account() {
    use gridledger_api_types::Caller;
    let node = FakeNode::new();
    let charging = crate::fake::FakeCharging::new();
    let portal = Arc::new(FakePortal::default());
    let app = crate::app_with_services(&node, &charging, &portal);
    let stop = |cookie: Option<&str>, csrf: Option<&str>| {
        let mut r = Request::post("/api/v1/charging/sessions/CP-1/3/soft-stop");
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.body(Body::empty()).unwrap()
    };
    let cookie = format!("gl_session={TOKEN}");
    call(&app, stop(Some(&cookie), Some(CSRF))).await;
    call(&app, stop(Some(&cookie), Some("forged"))).await;
    call(&app, stop(Some(&cookie), None)).await;
    call(&app, stop(Some("gl_session=other"), Some(CSRF))).await;
    let callers: Vec<Caller> = charging.calls().into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        callers,
        vec![
            Caller::Session(crate::fake::alice()),
            Caller::Anonymous,
            Caller::Anonymous,
            Caller::Anonymous
        ]
    );
}

async fn call_full(app: &Router, req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let resp = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, v, headers)
}

#[tokio::test]
async fn lockouts_and_busy_answers_say_when_to_retry_and_the_source_reaches_the_portal() {
    use axum::extract::connect_info::MockConnectInfo;
    let node = FakeNode::new();
    let portal = Arc::new(FakePortal::default());
    let app = app(&node, &portal).layer(MockConnectInfo(std::net::SocketAddr::from((
        [203, 0, 113, 9],
        4711,
    ))));
    let (s, v, h) = call_full(&app, sign_in(json!({ "login": "busy", "password": "x" }))).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_error(&v, "busy");
    assert_eq!(h["retry-after"], "2");
    let (s, _, h) = call_full(&app, sign_in(json!({ "login": "locked", "password": "x" }))).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(
        *portal.sources.lock().unwrap(),
        vec!["203.0.113.9".to_string(), "203.0.113.9".to_string()]
    );
    // Without recorded peers (a bare router), the source is `unknown`.
    let bare = super::portal::app(&node, &portal);
    call_full(&bare, sign_in(json!({ "login": "x", "password": "y" }))).await;
    assert_eq!(portal.sources.lock().unwrap()[2], "unknown");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client_address() {
    use axum::extract::connect_info::MockConnectInfo;
    let node = FakeNode::new();
    let portal = Arc::new(FakePortal::default());
    let cfg = ApiConfig {
        rate_limit: gridledger_api::rate_limit::RateLimitConfig {
            per_min: 1,
            burst: 3,
            max_clients: 100,
        },
        ..ApiConfig::default()
    };
    let services = || Services {
        portal: Some(portal.clone()),
        ..Services::default()
    };
    // One router, as a server has: two clients behind it.
    let shared = router_with(node.clone(), cfg.clone(), services());
    let a = shared
        .clone()
        .layer(MockConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 1],
            1,
        ))));
    let b = shared.layer(MockConnectInfo(std::net::SocketAddr::from((
        [192, 0, 2, 2],
        1,
    ))));
    for _ in 0..3 {
        let (s, _, _) = call_full(&a, sign_in(json!({ "login": "x", "password": "y" }))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, v, h) = call_full(
        &a,
        sign_in(json!({ "login": "apt1-101", "password": "right horse" })),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_error(&v, "rate_limited");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 59);
    // Refused before the portal saw it; another address is not held up.
    assert_eq!(portal.sources.lock().unwrap().len(), 3);
    let (s, _, _) = call_full(
        &b,
        sign_in(json!({ "login": "apt1-101", "password": "right horse" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // Reads and other routes are not limited.
    for _ in 0..5 {
        let (s, _, _) = call_full(
            &a,
            Request::get("/api/v1/session").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
    }
}

#[tokio::test]
async fn only_the_operator_s_session_unlocks_a_login() {
    let node = FakeNode::new();
    let portal = Arc::new(FakePortal::default());
    let app = app(&node, &portal);
    let unlock = |login: &str, cookie: Option<&str>, csrf: Option<&str>| {
        let mut r = Request::delete(format!("/api/v1/session/locks/{login}"));
        if let Some(c) = cookie {
            r = r.header("cookie", format!("gl_session={c}"));
        }
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.body(Body::empty()).unwrap()
    };
    for (req, status, code) in [
        (
            unlock("apt1-101", None, None),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            unlock("apt1-101", Some(OPERATOR_TOKEN), None),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            unlock("apt1-101", Some(OPERATOR_TOKEN), Some("forged")),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        // A participant's own session is not the operator's.
        (
            unlock("apt1-101", Some(TOKEN), Some(CSRF)),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            unlock("nobody", Some(OPERATOR_TOKEN), Some(CSRF)),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        // 33 characters is not a login; 20 Hangul syllables (60 bytes) are, as the document
        // counts them.
        (
            unlock(&"x".repeat(33), Some(OPERATOR_TOKEN), Some(CSRF)),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            unlock(&"%ED%95%9C".repeat(20), Some(OPERATOR_TOKEN), Some(CSRF)),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let (s, v, _) = call(&app, req).await;
        assert_eq!(s, status, "{v}");
        assert_error(&v, code);
    }
    assert!(portal.unlocked.lock().unwrap().is_empty());
    let (s, _, _) = call(&app, unlock("apt1-101", Some(OPERATOR_TOKEN), Some(CSRF))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        *portal.unlocked.lock().unwrap(),
        vec!["apt1-101".to_string()]
    );
}
