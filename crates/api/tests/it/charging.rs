//! Charging routes: each parses into its [ChargingRequest] with the caller's credentials;
//! malformed input is a 400 that never reaches the service and never quotes a password; a node
//! without a service answers `503 charging_disabled`; service failures pass through.
use crate::fake::{FakeCharging, FakeNode};
use crate::{app, app_with_charging, assert_error, send};
use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use gridledger_api::*;
use gridledger_api_types::*;
use serde_json::{json, Value};

/// A member password (keypad digits) that must never appear in a response.
pub const PASSWORD: &str = "493817";
/// A charger's Basic secret.
pub const SECRET: &str = "s3cret-CP1";
/// The operator's token.
pub const TOKEN: &str = "op-token-1";

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

fn charger_caller() -> Caller {
    Caller::Basic {
        user: "CP-1".into(),
        password: SECRET.into(),
    }
}

fn operator() -> Caller {
    Caller::Bearer(TOKEN.into())
}

/// What one sample request must become.
pub struct Sample {
    pub request: Request<Body>,
    pub caller: Caller,
    pub parsed: ChargingRequest,
    pub status: StatusCode,
}

fn request(method: &str, uri: &str, caller: &Caller, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    match caller {
        Caller::Anonymous => {}
        Caller::Basic { user, password } => b = b.header("authorization", basic(user, password)),
        Caller::Bearer(t) => b = b.header("authorization", format!("Bearer {t}")),
        Caller::Session(_) => {
            b = b
                .header("cookie", format!("gl_session={}", crate::portal::TOKEN))
                .header("x-csrf-token", crate::portal::CSRF)
        }
    }
    let body = body.map_or_else(Body::empty, |v| Body::from(v.to_string()));
    b.header("content-type", "application/json")
        .body(body)
        .unwrap()
}

/// A valid request for each charging route of [ROUTES], with what it must parse into.
pub fn sample(method: &str, path: &str) -> Option<Sample> {
    const C: &str = "/api/v1/charging";
    let route = path.strip_prefix(C)?;
    // Reads of personal records are signed by the market operator (entitled to every member
    // and session; the service then sees no credentials of its own).
    let signer = matches!(
        (method, route),
        (
            "GET",
            "/members/{member_no}" | "/sessions" | "/sessions/{charger}/{session}" | "/revenue"
        )
    )
    .then_some(crate::fake::OPERATOR);
    let (uri, caller, body, parsed, status): (String, Caller, Option<Value>, ChargingRequest, _) =
        match (method, route) {
            ("POST", "/members") => (
                "/members".into(),
                operator(),
                Some(json!({"password": PASSWORD, "card": "04A2B9C1"})),
                ChargingRequest::SignUp(SignUpBody {
                    password: PASSWORD.into(),
                    card: Some("04A2B9C1".into()),
                }),
                StatusCode::OK,
            ),
            ("GET", "/members/{member_no}") => (
                "/members/10000001".into(),
                Caller::Anonymous,
                None,
                ChargingRequest::Member {
                    member_no: 10_000_001,
                },
                StatusCode::OK,
            ),
            ("DELETE", "/members/{member_no}/lock") => (
                "/members/10000001/lock".into(),
                operator(),
                None,
                ChargingRequest::Unlock {
                    member_no: 10_000_001,
                },
                StatusCode::OK,
            ),
            ("POST", "/certify") => (
                "/certify".into(),
                charger_caller(),
                Some(json!({"charger": "CP-1", "member_no": 10_000_001, "password": PASSWORD})),
                ChargingRequest::Certify(CertifyBody {
                    charger: "CP-1".into(),
                    member_no: 10_000_001,
                    password: PASSWORD.into(),
                }),
                StatusCode::OK,
            ),
            ("POST", "/prepay") => (
                "/prepay".into(),
                charger_caller(),
                Some(json!({
                    "charger": "CP-1", "connector": 2, "member_no": 10_000_001,
                    "password": PASSWORD, "amount_mwon": 20_000_000,
                })),
                ChargingRequest::Prepay(PrepayBody {
                    charger: "CP-1".into(),
                    connector: 2,
                    member_no: 10_000_001,
                    password: PASSWORD.into(),
                    amount_mwon: 20_000_000,
                }),
                StatusCode::OK,
            ),
            ("POST", "/stop") => (
                "/stop".into(),
                charger_caller(),
                Some(json!({
                    "charger": "CP-1", "session": 7, "energy_wh": 12_500, "idle_min": 3,
                    "reason": "ev_disconnected",
                })),
                ChargingRequest::Stop(StopBody {
                    charger: "CP-1".into(),
                    session: 7,
                    energy_wh: 12_500,
                    idle_min: 3,
                    reason: Some("ev_disconnected".into()),
                }),
                StatusCode::ACCEPTED,
            ),
            ("POST", "/auto-charge") => (
                "/auto-charge".into(),
                Caller::Anonymous,
                Some(json!({
                    "member_no": 10_000_001, "password": PASSWORD, "cap_mwon": 30_000_000,
                    "valid_until_ms": 1_800_000_000_000u64,
                })),
                ChargingRequest::AutoCharge(AutoChargeBody {
                    member_no: 10_000_001,
                    password: PASSWORD.into(),
                    cap_mwon: 30_000_000,
                    valid_until_ms: 1_800_000_000_000,
                }),
                StatusCode::OK,
            ),
            ("GET", "/chargers") => (
                "/chargers".into(),
                operator(),
                None,
                ChargingRequest::Chargers,
                StatusCode::OK,
            ),
            ("GET", "/chargers/{charger}") => (
                "/chargers/CP.2_b".into(),
                Caller::Anonymous,
                None,
                ChargingRequest::Charger {
                    charger: "CP.2_b".into(),
                },
                StatusCode::OK,
            ),
            ("POST", "/chargers/{charger}/secret") => (
                "/chargers/CP-1/secret".into(),
                operator(),
                None,
                ChargingRequest::ChargerSecret {
                    charger: "CP-1".into(),
                },
                StatusCode::OK,
            ),
            ("GET", "/sessions") => (
                "/sessions?state=finished&charger=CP-1&member=10000001&limit=50".into(),
                Caller::Anonymous,
                None,
                ChargingRequest::Sessions(SessionFilter {
                    state: Some("finished".into()),
                    charger: Some("CP-1".into()),
                    member: Some(10_000_001),
                    limit: Some(50),
                }),
                StatusCode::OK,
            ),
            ("GET", "/sessions/{charger}/{session}") => (
                "/sessions/CP-1/7".into(),
                Caller::Anonymous,
                None,
                ChargingRequest::Session {
                    charger: "CP-1".into(),
                    session: 7,
                },
                StatusCode::OK,
            ),
            ("POST", "/sessions/{charger}/{session}/soft-stop") => (
                "/sessions/CP-1/7/soft-stop".into(),
                operator(),
                Some(json!({})),
                ChargingRequest::SoftStop {
                    charger: "CP-1".into(),
                    session: 7,
                },
                StatusCode::OK,
            ),
            ("GET", "/revenue") => (
                "/revenue?charger=CP-1&from=20250801&to=20250831".into(),
                Caller::Anonymous,
                None,
                ChargingRequest::Revenue(RevenueFilter {
                    charger: Some("CP-1".into()),
                    from: Some(20_250_801),
                    to: Some(20_250_831),
                }),
                StatusCode::OK,
            ),
            _ => return None,
        };
    let uri = format!("{C}{uri}");
    let request = match signer {
        Some(seed) => crate::signed_get(&uri, seed),
        None => request(method, &uri, &caller, body),
    };
    Some(Sample {
        request,
        caller,
        parsed,
        status,
    })
}

pub fn charging_routes() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    ROUTES
        .iter()
        .filter(|(_, p)| p.starts_with("/api/v1/charging/"))
}

#[tokio::test]
async fn every_route_parses_into_its_request_with_its_caller() {
    let node = FakeNode::new();
    let service = FakeCharging::new();
    let app = app_with_charging(&node, &service);
    assert_eq!(charging_routes().count(), 14);
    for (method, path) in charging_routes() {
        let s = sample(method, path).unwrap_or_else(|| panic!("no sample for {method} {path}"));
        let (status, _, body) = send(&app, s.request).await;
        assert_eq!(
            status,
            s.status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&body)
        );
        let calls = std::mem::take(&mut *service.calls.lock().unwrap());
        assert_eq!(calls, vec![(s.caller, s.parsed)], "{method} {path}");
    }
}

#[tokio::test]
async fn optional_fields_and_parameters_default_and_credentials_are_parsed() {
    let node = FakeNode::new();
    let service = FakeCharging::new();
    let app = app_with_charging(&node, &service);
    let cases: Vec<(Request<Body>, Caller, ChargingRequest)> = vec![
        (
            request(
                "POST",
                "/api/v1/charging/members",
                &operator(),
                Some(json!({"password": PASSWORD})),
            ),
            operator(),
            ChargingRequest::SignUp(SignUpBody {
                password: PASSWORD.into(),
                card: None,
            }),
        ),
        (
            request(
                "POST",
                "/api/v1/charging/stop",
                &Caller::Anonymous,
                Some(json!({"charger": "CP-1", "session": 0, "energy_wh": 0, "reason": null})),
            ),
            Caller::Anonymous,
            ChargingRequest::Stop(StopBody {
                charger: "CP-1".into(),
                session: 0,
                energy_wh: 0,
                idle_min: 0,
                reason: None,
            }),
        ),
        (
            crate::signed_get("/api/v1/charging/sessions", crate::fake::AUDITOR),
            Caller::Anonymous,
            ChargingRequest::Sessions(SessionFilter::default()),
        ),
        (
            crate::signed_get("/api/v1/charging/revenue", crate::fake::BANK),
            Caller::Anonymous,
            ChargingRequest::Revenue(RevenueFilter::default()),
        ),
        (
            Request::post("/api/v1/charging/chargers/CP-1/secret")
                .header("authorization", "Digest abc")
                .body(Body::from(" \n"))
                .unwrap(),
            Caller::Anonymous,
            ChargingRequest::ChargerSecret {
                charger: "CP-1".into(),
            },
        ),
        (
            // A password may contain ':' (only the first one separates the user).
            Request::post("/api/v1/charging/certify")
                .header("authorization", basic("CP-1", "a:b"))
                .body(Body::from(
                    json!({"charger": "CP-1", "member_no": 10_000_001, "password": PASSWORD})
                        .to_string(),
                ))
                .unwrap(),
            Caller::Basic {
                user: "CP-1".into(),
                password: "a:b".into(),
            },
            ChargingRequest::Certify(CertifyBody {
                charger: "CP-1".into(),
                member_no: 10_000_001,
                password: PASSWORD.into(),
            }),
        ),
    ];
    for (req, caller, parsed) in cases {
        let uri = req.uri().to_string();
        let (status, _, body) = send(&app, req).await;
        assert!(
            status.is_success(),
            "{uri}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        let calls = std::mem::take(&mut *service.calls.lock().unwrap());
        assert_eq!(calls, vec![(caller, parsed)], "{uri}");
    }
    assert_eq!(basic("CP-1", "s3cret"), "Basic Q1AtMTpzM2NyZXQ=");
}

/// (method, uri, body, code): every one a 400.
pub fn malformed() -> Vec<(&'static str, String, Option<String>, &'static str)> {
    let p = PASSWORD;
    let c = "/api/v1/charging";
    let post = |route: &str, body: String| ("POST", format!("{c}{route}"), Some(body), "");
    let mut cases = vec![
        post("/members", "{".into()),
        post("/members", format!(r#"{{"password": "{p}""#)),
        post("/members", "".into()),
        post("/members", format!(r#"["{p}"]"#)),
        post("/members", format!(r#"{{"password": {p}}}"#)),
        post("/members", format!(r#"{{"password": "x", "{p}": 1}}"#)),
        post("/members", format!(r#"{{"password": "x", "pin": "{p}"}}"#)),
        post("/members", format!(r#"{{"card": "{p}"}}"#)),
        post("/members", format!(r#"{{"password": "{p}", "card": {p}}}"#)),
        post(
            "/certify",
            format!(r#"{{"charger": "CP-1", "member_no": "{p}", "password": "{p}"}}"#),
        ),
        post(
            "/certify",
            format!(r#"{{"charger": "CP 1", "member_no": 10000001, "password": "{p}"}}"#),
        ),
        post(
            "/certify",
            format!(r#"{{"charger": "CP-1", "member_no": 0, "password": "{p}"}}"#),
        ),
        post(
            "/certify",
            format!(r#"{{"charger": "CP-1", "member_no": 1.5, "password": "{p}"}}"#),
        ),
        post(
            "/certify",
            format!(r#"{{"charger": "CP-1", "member_no": 1, "password": ["{p}"]}}"#),
        ),
        post(
            "/prepay",
            format!(
                r#"{{"charger": "CP-1", "connector": 256, "member_no": 1, "password": "{p}", "amount_mwon": 1}}"#
            ),
        ),
        post(
            "/prepay",
            format!(
                r#"{{"charger": "CP-1", "connector": 1, "member_no": 1, "password": "{p}", "amount_mwon": -1}}"#
            ),
        ),
        post(
            "/prepay",
            format!(r#"{{"charger": "CP-1", "connector": 1, "member_no": 1, "password": "{p}"}}"#),
        ),
        post(
            "/prepay",
            format!(
                r#"{{"charger": "{}", "connector": 1, "member_no": 1, "password": "{p}", "amount_mwon": 1}}"#,
                "x".repeat(49)
            ),
        ),
        post(
            "/stop",
            r#"{"charger": "CP-1", "session": 7, "energy_wh": 1, "reason": "bored"}"#.into(),
        ),
        post(
            "/stop",
            r#"{"charger": "CP-1", "session": 7, "energy_wh": 1, "idle_min": 4294967296}"#.into(),
        ),
        post(
            "/stop",
            r#"{"charger": "CP-1", "session": "7", "energy_wh": 1}"#.into(),
        ),
        post(
            "/auto-charge",
            format!(r#"{{"member_no": 1, "password": "{p}", "cap_mwon": "{p}"}}"#),
        ),
        post(
            "/auto-charge",
            format!(
                r#"{{"member_no": 1, "password": "{p}", "cap_mwon": 1, "valid_until_ms": null}}"#
            ),
        ),
        post("/chargers/CP-1/secret", format!(r#"{{"secret": "{p}"}}"#)),
        post("/chargers/CP-1/secret", format!("{p}x")),
        post("/sessions/CP-1/7/soft-stop", format!(r#"["{p}"]"#)),
        post("/chargers/CP%201/secret", String::new()),
        post("/sessions/CP-1/x/soft-stop", String::new()),
    ];
    let get = |uri: &str| ("GET", format!("{c}{uri}"), None, "");
    cases.extend([
        get("/members/abc"),
        get("/members/0"),
        get("/members/+10000001"),
        get("/members/18446744073709551616"),
        get("/chargers/CP%201"),
        get(&format!("/chargers/{}", "x".repeat(49))),
        get("/chargers/CP%FF"),
        get("/sessions/CP-1/-1"),
        get("/sessions/CP!1/7"),
        get("/sessions?state=closed"),
        get("/sessions?state="),
        get("/sessions?limit=0"),
        get("/sessions?limit=1001"),
        get("/sessions?member=0"),
        get("/sessions?charger=a%20b"),
        get(&format!("/sessions?password={p}")),
        get(&format!("/sessions?{p}=1")),
        get("/sessions?limit=5&limit=6"),
        get("/revenue?from=20250230"),
        get("/revenue?to=2025083"),
        get("/revenue?charger="),
        get("/revenue?state=open"),
    ]);
    let codes = [
        "invalid_json",
        "invalid_json",
        "invalid_json",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_charger",
        "invalid_member",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_charger",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_json",
        "invalid_request",
        "invalid_charger",
        "invalid_session",
        // GET
        "invalid_member",
        "invalid_member",
        "invalid_member",
        "invalid_member",
        "invalid_charger",
        "invalid_charger",
        "invalid_charger",
        "invalid_session",
        "invalid_charger",
        "invalid_request",
        "invalid_request",
        "invalid_limit",
        "invalid_limit",
        "invalid_member",
        "invalid_charger",
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "invalid_day",
        "invalid_day",
        "invalid_charger",
        "invalid_request",
    ];
    assert_eq!(cases.len(), codes.len());
    cases
        .into_iter()
        .zip(codes)
        .map(|((m, u, b, _), code)| (m, u, b, code))
        .collect()
}

#[tokio::test]
async fn malformed_input_is_a_400_that_never_reaches_the_service_nor_quotes_the_password() {
    let node = FakeNode::new();
    let service = FakeCharging::new();
    let app = app_with_charging(&node, &service);
    for (method, uri, body, code) in malformed() {
        let req = Request::builder()
            .method(method)
            .uri(&uri)
            .header("authorization", basic("CP-1", SECRET))
            .body(body.clone().map_or_else(Body::empty, Body::from))
            .unwrap();
        let (status, ctype, bytes) = send(&app, req).await;
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{method} {uri} {body:?}: {text}"
        );
        assert!(ctype.starts_with("application/json"));
        let e = assert_error(&serde_json::from_slice(&bytes).unwrap(), code);
        assert!(
            !text.contains(PASSWORD) && !text.contains(SECRET),
            "{method} {uri} {body:?}: {text}"
        );
        assert!(!e.message.contains('\n'));
        assert!(
            service.calls().is_empty(),
            "{method} {uri} reached the service"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_413_without_reaching_the_service() {
    let node = FakeNode::new();
    let service = FakeCharging::new();
    let cfg = ApiConfig {
        max_body_bytes: 256,
        ..ApiConfig::default()
    };
    let app = router_with_charging(node.clone(), cfg, service.clone());
    let big = json!({"password": PASSWORD.repeat(100)}).to_string();
    let (status, _, body) = send(
        &app,
        Request::post("/api/v1/charging/members")
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&serde_json::from_slice(&body).unwrap(), "body_too_large");
    assert!(!String::from_utf8_lossy(&body).contains(PASSWORD));
    assert!(service.calls().is_empty());
}

#[tokio::test]
async fn without_a_service_every_charging_route_is_503_charging_disabled() {
    let node = FakeNode::new();
    let app = app(&node);
    for (method, path) in charging_routes() {
        let s = sample(method, path).unwrap();
        let (status, _, body) = send(&app, s.request).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{method} {path}");
        let e = assert_error(&serde_json::from_slice(&body).unwrap(), "charging_disabled");
        assert_eq!(e.message, "this node runs no charging service");
    }
}

#[tokio::test]
async fn service_failures_pass_through_with_their_status_code_and_message() {
    let node = FakeNode::new();
    let service = FakeCharging::new();
    let app = app_with_charging(&node, &service);
    let cases: &[(u16, &str, u16, &str)] = &[
        (401, "unauthorized", 401, "unauthorized"),
        (403, "invalid_password", 403, "invalid_password"),
        (404, "unknown_member", 404, "unknown_member"),
        (409, "concurrent_session", 409, "concurrent_session"),
        (409, "insufficient_balance", 409, "insufficient_balance"),
        (503, "busy", 503, "busy"),
        (504, "timeout", 504, "timeout"),
        // Not an error status, or not a code: 500.
        (200, "odd", 500, "odd"),
        (999, "odd", 500, "odd"),
        (409, "Not-A-Code", 500, "internal_error"),
        (409, "", 500, "internal_error"),
    ];
    for (i, (status, code, want_status, want_code)) in cases.iter().enumerate() {
        let message = format!("failure {i}");
        *service.fail.lock().unwrap() = Some(ChargingFailure::new(*status, *code, &message));
        for (method, path) in charging_routes() {
            let s = sample(method, path).unwrap();
            let (got, _, body) = send(&app, s.request).await;
            assert_eq!(got.as_u16(), *want_status, "{method} {path} {code}");
            let e = assert_error(&serde_json::from_slice(&body).unwrap(), want_code);
            if *want_code == "internal_error" {
                assert_eq!(e.message, "the charging service failed");
            } else {
                assert_eq!(e.message, message);
            }
        }
    }
    assert_eq!(
        service.calls().len(),
        cases.len() * charging_routes().count()
    );
}

#[tokio::test]
async fn charging_routes_are_counted_by_template_in_metrics() {
    let node = FakeNode::new();
    let service = FakeCharging::new();
    let app = app_with_charging(&node, &service);
    let s = sample("GET", "/api/v1/charging/sessions/{charger}/{session}").unwrap();
    send(&app, s.request).await;
    let (_, _, body) = send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    let text = String::from_utf8(body).unwrap();
    let line = r#"gridledger_api_requests_total{route="/api/v1/charging/sessions/{charger}/{session}",method="GET",status="200"} 1"#;
    assert!(text.lines().any(|l| l == line), "{text}");
}

#[tokio::test]
async fn password_routes_pass_the_client_address_and_are_rate_limited_per_address() {
    use axum::extract::connect_info::MockConnectInfo;
    let node = FakeNode::new();
    let service = FakeCharging::new();
    let cfg = gridledger_api::ApiConfig {
        rate_limit: gridledger_api::rate_limit::RateLimitConfig {
            per_min: 1,
            burst: 3,
            max_clients: 100,
        },
        ..gridledger_api::ApiConfig::default()
    };
    let app = gridledger_api::router_with_charging(node.clone(), cfg, service.clone()).layer(
        MockConnectInfo(std::net::SocketAddr::from(([198, 51, 100, 4], 9))),
    );
    for (method, path) in [
        ("POST", "/api/v1/charging/certify"),
        ("POST", "/api/v1/charging/prepay"),
        ("POST", "/api/v1/charging/auto-charge"),
    ] {
        let s = sample(method, path).unwrap();
        let (status, _, body) = send(&app, s.request).await;
        assert_eq!(
            status,
            s.status,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // The keypad routes and auto-charge share one bucket per address: the burst is spent.
    let s = sample("POST", "/api/v1/charging/certify").unwrap();
    let (status, _, body) = send(&app, s.request).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_error(&serde_json::from_slice(&body).unwrap(), "rate_limited");
    let clients = service.clients.lock().unwrap().clone();
    assert_eq!(
        clients.len(),
        3,
        "the limited request never reached the service"
    );
    assert!(
        clients.iter().all(|c| c.source() == "198.51.100.4"),
        "{clients:?}"
    );
    // Reads are not limited.
    for _ in 0..5 {
        let s = sample("GET", "/api/v1/charging/members/{member_no}").unwrap();
        let (status, _, _) = send(&app, s.request).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_busy_service_answer_carries_retry_after() {
    let node = FakeNode::new();
    let service = FakeCharging::new();
    *service.fail.lock().unwrap() =
        Some(ChargingFailure::new(503, "busy", "too many password checks").retry_after(1));
    let app = app_with_charging(&node, &service);
    let s = sample("POST", "/api/v1/charging/certify").unwrap();
    let resp = tower::ServiceExt::oneshot(app, s.request).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()["retry-after"], "1");
}
