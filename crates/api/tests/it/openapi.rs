//! The OpenAPI document matches what the server does: the same routes and methods, resolvable
//! references, the error codes, and real responses that validate against the documented schemas.
use crate::fake::{alice, signed, tx_view, FakeCharging, FakeNode, OPERATOR};
use crate::submit::hex_of;
use crate::{app, app_with_charging, send};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use gridledger_api::{OPENAPI_JSON, ROUTES};
use gridledger_api_types::{ChargingFailure, ErrorCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tower::ServiceExt;

fn doc() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let ptr = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("only local refs: {reference}"));
    doc.pointer(ptr)
        .unwrap_or_else(|| panic!("unresolved $ref {reference}"))
}

/// Whether `s` matches the document's `pattern` (anchored by the pattern itself, as JSON Schema
/// validators match; Rust's `$` is the end of the text, never before a trailing newline).
fn matches_pattern(pattern: &str, s: &str) -> bool {
    regex::Regex::new(pattern)
        .unwrap_or_else(|e| panic!("pattern {pattern} does not compile: {e}"))
        .is_match(s)
}

/// A structural validator for the subset of JSON Schema (OpenAPI 3.0 dialect) the document uses.
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return validate(doc, resolve(doc, r), v, at);
    }
    if v.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
        return Ok(());
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            validate(doc, s, v, at)?;
        }
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let n = one
            .iter()
            .filter(|s| validate(doc, s, v, at).is_ok())
            .count();
        if n != 1 {
            return Err(format!("{at}: matches {n} of oneOf"));
        }
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            other => return Err(format!("{at}: unknown type {other}")),
        };
        if !ok {
            return Err(format!("{at}: expected {t}, got {v}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} not in enum"));
        }
    }
    if let (Some(p), Some(s)) = (schema.get("pattern").and_then(Value::as_str), v.as_str()) {
        if !matches_pattern(p, s) {
            return Err(format!("{at}: {s:?} does not match {p}"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_i64), v.as_i64()) {
        if n < min {
            return Err(format!("{at}: {n} < {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_i64), v.as_i64()) {
        if n > max {
            return Err(format!("{at}: {n} > {max}"));
        }
    }
    if let Some(arr) = v.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (arr.len() as u64) < min {
                return Err(format!("{at}: fewer than {min} items"));
            }
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in arr.iter().enumerate() {
                validate(doc, items, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            for r in req {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    return Err(format!("{at}: missing required property {r}"));
                }
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(props) = props {
            for (k, s) in props {
                if let Some(val) = obj.get(k) {
                    validate(doc, s, val, &format!("{at}.{k}"))?;
                }
            }
        }
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            for k in obj.keys() {
                if !props.is_some_and(|p| p.contains_key(k)) {
                    return Err(format!("{at}: undocumented property {k}"));
                }
            }
        }
    }
    Ok(())
}

/// The documented response for (path template, method, status), with `$ref`s followed.
fn documented_response<'a>(doc: &'a Value, path: &str, method: &str, status: u16) -> &'a Value {
    let op = &doc["paths"][path][method.to_lowercase()];
    assert!(op.is_object(), "{method} {path} not documented");
    let mut r = op["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {path}: status {status} not documented"));
    while let Some(reference) = r.get("$ref").and_then(Value::as_str) {
        r = resolve(doc, reference);
    }
    r
}

/// Checks a real JSON response against the document.
#[track_caller]
fn check_response(doc: &Value, path: &str, method: &str, status: StatusCode, body: &[u8]) {
    let r = documented_response(doc, path, method, status.as_u16());
    let schema = &r["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: no JSON schema documented"
    );
    let v: Value = serde_json::from_slice(body).expect("a JSON body");
    if let Err(e) = validate(doc, schema, &v, "$") {
        panic!("{method} {path} {status}: {e}\n{v:#}");
    }
}

#[test]
fn document_paths_and_methods_are_exactly_the_routes() {
    let doc = doc();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| {
                    [
                        "get", "put", "post", "delete", "options", "head", "patch", "trace",
                    ]
                    .contains(&k.as_str())
                })
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served);
}

#[test]
fn every_reference_resolves_and_error_codes_are_documented() {
    let doc = doc();
    fn walk(doc: &Value, v: &Value) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    resolve(doc, r);
                }
                m.values().for_each(|x| walk(doc, x));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(doc, x)),
            _ => {}
        }
    }
    walk(&doc, &doc);

    let documented: BTreeSet<&str> = doc["x-error-codes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let produced: BTreeSet<&str> = ErrorCode::API.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, produced);
}

/// A concrete request for each route, with inputs the fakes know.
fn sample_request(method: &str, path: &str) -> Request<Body> {
    if let Some(s) = crate::charging::sample(method, path) {
        return s.request;
    }
    let concrete = path
        .replace("{hash}", &signed(0).hash().to_hex())
        .replace("{id}", &signed(0).hash().to_hex())
        .replace("{height}", "1")
        .replace("{address}", &alice().to_hex())
        .replace("{site}", "bldg-a")
        .replace("{market}", "monthly")
        .replace("{start}", "1754006400000")
        .replace("{month}", "202508")
        .replace("/readings", "/readings?month=202507");
    let method: Method = method.parse().unwrap();
    let session = format!("gl_session={}", crate::portal::TOKEN);
    match (method.as_str(), path) {
        ("POST", "/api/v1/session") => {
            return Request::post(path)
                .body(Body::from(
                    json!({ "login": "apt1-101", "password": "right horse" }).to_string(),
                ))
                .unwrap()
        }
        ("POST", "/api/v1/session/txs") => {
            let payload = json!({ "type": "pay_bill", "month": 202607 });
            return Request::post(path)
                .header("cookie", session)
                .header("x-csrf-token", crate::portal::CSRF)
                .body(Body::from(json!({ "payload": payload }).to_string()))
                .unwrap();
        }
        ("GET" | "DELETE", "/api/v1/session") => {
            return Request::builder()
                .method(method)
                .uri(path)
                .header("cookie", session)
                .body(Body::empty())
                .unwrap()
        }
        ("GET", "/api/v1/search") => return crate::signed_get(&format!("{path}?q=1"), OPERATOR),
        ("DELETE", "/api/v1/session/locks/{login}") => {
            return Request::delete("/api/v1/session/locks/apt1-101")
                .header(
                    "cookie",
                    format!("gl_session={}", crate::portal::OPERATOR_TOKEN),
                )
                .header("x-csrf-token", crate::portal::CSRF)
                .body(Body::empty())
                .unwrap()
        }
        ("POST", "/api/v1/admin/clock/advance") => {
            return Request::post(path)
                .header(
                    "cookie",
                    format!("gl_session={}", crate::portal::OPERATOR_TOKEN),
                )
                .header("x-csrf-token", crate::portal::CSRF)
                .header("content-type", "application/json")
                .body(Body::from(json!({ "ms": 1_000 }).to_string()))
                .unwrap()
        }
        _ => {}
    }
    let concrete = concrete.replace("{n}", "0");
    let body = if method == Method::POST {
        Body::from(json!({ "tx": hex_of(&signed(1)) }).to_string())
    } else {
        Body::empty()
    };
    if method == Method::GET {
        // Signed by the market operator, who may read every record.
        return crate::signed_get(&concrete, OPERATOR);
    }
    Request::builder()
        .method(method)
        .uri(concrete)
        .body(body)
        .unwrap()
}

/// The router with every service over `node`, which gets site `bldg-a` (alice's) and the
/// monthly market's contract 0, so every sample request finds its record.
fn served_app(node: &std::sync::Arc<FakeNode>) -> axum::Router {
    let site = crate::fake::site_view("bldg-a", alice());
    node.sites.lock().unwrap().insert(site.site.clone(), site);
    node.contracts
        .lock()
        .unwrap()
        .push(crate::explore::contract(0));
    let portal = std::sync::Arc::new(crate::portal::FakePortal::default());
    crate::app_with_services(node, &FakeCharging::new(), &portal)
}

#[tokio::test]
async fn every_route_is_served_and_its_success_response_validates() {
    let doc = doc();
    let node = FakeNode::new();
    *node.clock.lock().unwrap() = Some(gridledger_api_types::ClockView {
        now_ms: 1_700_000_000_000,
        offset_ms: 0,
    });
    node.history.lock().unwrap().insert(
        alice(),
        vec![tx_view(&signed(2), 2, 1), tx_view(&signed(0), 2, 0)],
    );
    let app = served_app(&node);
    for (method, path) in ROUTES {
        let req = sample_request(method, path);
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        assert!(status.is_success(), "{method} {path}: {status}");
        if status == StatusCode::NO_CONTENT {
            assert!(documented_response(&doc, path, method, 204)["content"].is_null());
            continue;
        }
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        let r = documented_response(&doc, path, method, status.as_u16());
        let content = r["content"].as_object().unwrap();
        let documented_type = content.keys().next().unwrap();
        assert!(
            ctype.starts_with(documented_type.as_str()),
            "{method} {path}: served {ctype}, documented {documented_type}"
        );
        if *path == "/api/v1/events" {
            continue; // an endless stream; covered by the events tests
        }
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        if documented_type == "application/json" {
            check_response(&doc, path, method, status, &body);
        }
    }
    // The served document is this one.
    let (_, _, body) = send(
        &app,
        Request::get("/api/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), doc);
}

#[tokio::test]
async fn error_and_edge_responses_validate_against_the_document() {
    let doc = doc();
    let node = FakeNode::new();
    let app = crate::app_with(
        &node,
        gridledger_api::ApiConfig {
            clock_token: Some(gridledger_api::ClockToken::new("t0ken")),
            ..gridledger_api::ApiConfig::default()
        },
    );
    let nobody = gridledger_types::Address::of(&crate::fake::key(crate::fake::NOBODY));
    let zero_account = format!("/api/v1/accounts/{nobody}");
    let cases: Vec<(Request<Body>, &str, &str)> = vec![
        (
            crate::signed_get(&zero_account, OPERATOR),
            "GET",
            "/api/v1/accounts/{address}",
        ),
        (
            Request::get(&zero_account).body(Body::empty()).unwrap(),
            "GET",
            "/api/v1/accounts/{address}",
        ),
        (
            crate::signed_get(&zero_account, crate::fake::CAROL),
            "GET",
            "/api/v1/accounts/{address}",
        ),
        (
            Request::get(&zero_account)
                .header("authorization", "GridLedger-Ed25519 address=1")
                .body(Body::empty())
                .unwrap(),
            "GET",
            "/api/v1/accounts/{address}",
        ),
        (
            Request::get("/api/v1/txs/zz").body(Body::empty()).unwrap(),
            "GET",
            "/api/v1/txs/{hash}",
        ),
        (
            Request::get(format!("/api/v1/txs/{}", crate::fake::h("none")))
                .body(Body::empty())
                .unwrap(),
            "GET",
            "/api/v1/txs/{hash}",
        ),
        (
            Request::get("/api/v1/blocks/x")
                .body(Body::empty())
                .unwrap(),
            "GET",
            "/api/v1/blocks/{height}",
        ),
        (
            Request::get("/api/v1/blocks/77")
                .body(Body::empty())
                .unwrap(),
            "GET",
            "/api/v1/blocks/{height}",
        ),
        (
            crate::signed_get(
                &format!("/api/v1/accounts/{}/txs?limit=500", alice()),
                OPERATOR,
            ),
            "GET",
            "/api/v1/accounts/{address}/txs",
        ),
        (
            Request::get(format!("/api/v1/participants/{nobody}"))
                .body(Body::empty())
                .unwrap(),
            "GET",
            "/api/v1/participants/{address}",
        ),
        (
            Request::post("/api/v1/txs").body(Body::from("{")).unwrap(),
            "POST",
            "/api/v1/txs",
        ),
        (
            Request::post("/api/v1/txs")
                .body(Body::from(
                    json!({ "txs": [hex_of(&signed(crate::fake::REJECTED_NONCE)), "zz"] })
                        .to_string(),
                ))
                .unwrap(),
            "POST",
            "/api/v1/txs",
        ),
        (
            Request::post("/api/v1/txs")
                .body(Body::from(vec![b' '; 2 * 1024 * 1024]))
                .unwrap(),
            "POST",
            "/api/v1/txs",
        ),
    ];
    let clock = "/api/v1/admin/clock/advance";
    let clock_req = |auth: &str, ctype: &str, body: &'static str| {
        Request::post(clock)
            .header("authorization", auth)
            .header("content-type", ctype)
            .body(Body::from(body))
            .unwrap()
    };
    let json_type = "application/json";
    let cases = cases.into_iter().chain([
        // Clock control is off on this fake: 403.
        (
            clock_req("Bearer t0ken", json_type, r#"{"ms": 5}"#),
            "POST",
            clock,
        ),
        (
            clock_req("Bearer t0ken", json_type, r#"{"ms": 5, "to_ms": 6}"#),
            "POST",
            clock,
        ),
        (
            clock_req("Bearer nope", json_type, r#"{"ms": 5}"#),
            "POST",
            clock,
        ),
        (
            clock_req("Bearer t0ken", "application/x-www-form-urlencoded", "ms=5"),
            "POST",
            clock,
        ),
        (
            clock_req("Bearer t0ken", json_type, r#"{"ms": 86400000000}"#),
            "POST",
            clock,
        ),
    ]);
    let mut statuses = Vec::new();
    for (req, method, path) in cases {
        let (status, _, body) = send(&app, req).await;
        statuses.push(status.as_u16());
        check_response(&doc, path, method, status, &body);
    }
    assert_eq!(
        statuses,
        [
            200, 401, 403, 401, 400, 404, 400, 404, 400, 404, 400, 422, 413, 403, 400, 401, 415,
            400
        ]
    );

    node.broken.store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, _, body) = send(
        &app,
        Request::get("/api/v1/blocks/1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    check_response(&doc, "/api/v1/blocks/{height}", "GET", status, &body);
}

/// The route template of a concrete path (`{...}` matches one segment).
fn template_of(uri: &str) -> &'static str {
    let path = uri.split('?').next().unwrap();
    let segs: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .map(|(_, t)| *t)
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
        })
        .unwrap_or_else(|| panic!("no route for {uri}"))
}

#[tokio::test]
async fn charging_error_responses_validate_against_the_document() {
    let doc = doc();
    let node = FakeNode::new();
    let charging = FakeCharging::new();
    let app = app_with_charging(&node, &charging);
    // Malformed input: 400s.
    for (method, uri, body, _) in crate::charging::malformed() {
        let req = Request::builder()
            .method(method)
            .uri(&uri)
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap();
        let (status, _, body) = send(&app, req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {uri}");
        check_response(&doc, template_of(&uri), method, status, &body);
    }
    // Every failure status a route documents passes through and validates.
    for (method, path) in crate::charging::charging_routes() {
        let op = &doc["paths"][path][method.to_lowercase()];
        for required in ["400", "500", "503"] {
            if required == "400" && [*method, *path] == ["GET", "/api/v1/charging/chargers"] {
                continue; // nothing to parse
            }
            assert!(
                op["responses"].get(required).is_some(),
                "{method} {path}: {required} not documented"
            );
        }
        let statuses: Vec<u16> = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.parse().unwrap())
            .filter(|s| ![200, 202, 400, 413, 500].contains(s))
            .collect();
        for status in statuses {
            *charging.fail.lock().unwrap() =
                Some(ChargingFailure::new(status, "some_code", "refused"));
            let req = sample_request(method, path);
            let (got, _, body) = send(&app, req).await;
            assert_eq!(got.as_u16(), status, "{method} {path}");
            check_response(&doc, path, method, got, &body);
        }
    }
    // Without a service: 503 everywhere.
    let disabled = crate::app(&node);
    for (method, path) in crate::charging::charging_routes() {
        let (status, _, body) = send(&disabled, sample_request(method, path)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        check_response(&doc, path, method, status, &body);
    }
}

#[test]
fn every_charging_service_code_is_named_by_some_charging_route() {
    let doc = doc();
    let codes = doc["x-charging-codes"].as_object().unwrap();
    assert!(codes.len() >= 10);
    let mut text = String::new();
    for (method, path) in crate::charging::charging_routes() {
        let op = &doc["paths"][path][method.to_lowercase()];
        for r in op["responses"].as_object().unwrap().values() {
            if let Some(d) = r["description"].as_str() {
                text.push_str(d);
            }
        }
        assert!(op["security"].is_array(), "{method} {path}: no security");
    }
    for (code, what) in codes {
        assert!(
            ErrorCode::parse(code).is_some(),
            "{code} is not in ErrorCode"
        );
        let status: u16 = what.as_str().unwrap()[..3].parse().unwrap();
        assert!((400..600).contains(&status), "{code}: {what}");
        assert!(
            text.contains(&format!("`{code}`")),
            "{code} named by no route"
        );
    }
}

#[test]
fn the_pattern_matcher_is_strict() {
    assert!(matches_pattern("^[0-9a-f]{4}$", "0a9f"));
    assert!(!matches_pattern("^[0-9a-f]{4}$", "0A9f"));
    assert!(!matches_pattern("^[0-9a-f]{4}$", "0a9"));
    assert!(matches_pattern("^[a-z0-9_]+$", "not_found"));
    assert!(!matches_pattern("^[a-z0-9_]+$", ""));
    assert!(!matches_pattern("^[a-z0-9_]+$", "Not-found"));
    assert!(!matches_pattern("^[a-z0-9_]+$", "not_found\n"));
}

/// The `pattern` of component schema `name`.
fn component_pattern(doc: &Value, name: &str) -> String {
    doc["components"]["schemas"][name]["pattern"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} has no pattern"))
        .to_string()
}

/// The schema of parameter `name` of `GET path`, with a `$ref` followed.
fn parameter_schema<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
    let p = params
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{path} has no parameter {name}"));
    match p["schema"]["$ref"].as_str() {
        Some(r) => resolve(doc, r),
        None => &p["schema"],
    }
}

#[test]
fn month_and_day_patterns_accept_exactly_what_the_server_parses() {
    use gridledger_api::params::{parse_day, parse_month};
    let doc = doc();
    let month = component_pattern(&doc, "Month");
    let month_re = regex::Regex::new(&month).unwrap();
    // Every six-digit string from 190000 up, and some that are not six digits.
    let mut served = 0;
    for n in 190_000..=999_999u32 {
        let s = n.to_string();
        let ok = parse_month(&s).is_ok();
        assert_eq!(month_re.is_match(&s), ok, "month {s}");
        served += usize::from(ok);
    }
    assert_eq!(served, (9999 - 1970 + 1) * 12 - 1);
    for s in [
        "",
        "20266",
        "2026061",
        "+20266",
        " 202606",
        "202606\n",
        "２０２６０６",
    ] {
        assert!(!month_re.is_match(s) && parse_month(s).is_err(), "{s:?}");
    }
    let day = component_pattern(&doc, "Day");
    let day_re = regex::Regex::new(&day).unwrap();
    // Every month-and-day of years around the epoch, the leap-year rules and the far end.
    for year in (1960..=2030).chain([2096, 2100, 2400, 2500, 9996, 9999]) {
        for md in 0..=1399u32 {
            let s = format!("{year}{md:04}");
            assert_eq!(day_re.is_match(&s), parse_day(&s).is_ok(), "day {s}");
        }
    }
    for s in ["", "2025081", "202508011", "+2025081", "20250801\n"] {
        assert!(!day_re.is_match(s) && parse_day(s).is_err(), "{s:?}");
    }
    for (path, name) in [
        ("/api/v1/sites/{site}/readings", "month"),
        ("/api/v1/billing/{month}", "month"),
        ("/api/v1/charging/revenue", "from"),
        ("/api/v1/charging/revenue", "to"),
    ] {
        let p = parameter_schema(&doc, path, name)["pattern"]
            .as_str()
            .unwrap();
        assert!(p == month || p == day, "{path} {name}: {p}");
    }
}

#[test]
fn id_and_cursor_patterns_accept_exactly_what_the_server_parses() {
    use gridledger_api::params::decode_cursor;
    use gridledger_types::{ChargerId, SiteId};
    let doc = doc();
    // Every string of up to 3 characters over an alphabet with every kind of character the
    // patterns treat specially, and the length limits.
    let alphabet = ['a', 'Z', '0', '9', '.', '_', '-', ' ', 'é', '/'];
    let mut samples = vec![String::new()];
    for len in 1..=3 {
        let mut next = Vec::new();
        for s in samples.iter().filter(|s| s.chars().count() == len - 1) {
            for c in alphabet {
                next.push(format!("{s}{c}"));
            }
        }
        samples.extend(next);
    }
    for n in [32, 33, 47, 48, 49] {
        samples.push("a".repeat(n));
        samples.push(format!(".{}", "a".repeat(n - 1)));
    }
    let charger = component_pattern(&doc, "ChargerId");
    let site = component_pattern(&doc, "SiteId");
    for s in &samples {
        assert_eq!(
            matches_pattern(&charger, s),
            ChargerId::is_valid(s),
            "charger {s:?}"
        );
        assert_eq!(
            matches_pattern(&site, s),
            SiteId::new(s.as_str()).is_ok(),
            "site {s:?}"
        );
    }
    // Hashes and addresses in paths: a 400 exactly when the pattern fails (an address that is
    // not a key is a 404, not a 400).
    use gridledger_api::params::{parse_address, parse_hash};
    let hex_param = component_pattern(&doc, "AddressParam");
    assert_eq!(hex_param, component_pattern(&doc, "Hash32Param"));
    let key = crate::fake::alice().to_hex();
    let mut hexes = vec![
        key.clone(),
        key.to_uppercase(),
        format!("0x{key}"),
        format!("0X{key}"),
        format!("0x0x{key}"),
        format!("{key}0"),
        key[1..].to_string(),
        format!("{}g", &key[1..]),
        format!(" {}", &key[1..]),
        "835b806931d9b81514c6fcc485b460c5b0bd02c769e83b0481441a4c07ffb0d9".into(),
    ];
    hexes.extend(samples.iter().cloned());
    for s in &hexes {
        let served = |code: Option<u16>| code != Some(400);
        let address = parse_address(s).err().map(|e| e.status.as_u16());
        let hash = parse_hash(s).err().map(|e| e.status.as_u16());
        assert_eq!(
            matches_pattern(&hex_param, s),
            served(address),
            "address {s:?}"
        );
        assert_eq!(matches_pattern(&hex_param, s), served(hash), "hash {s:?}");
    }
    let cursor = parameter_schema(&doc, "/api/v1/accounts/{address}/txs", "cursor")["pattern"]
        .as_str()
        .unwrap()
        .to_string();
    let digits = ["", "0", "17", "99999999999999999999999"];
    for h in digits {
        for i in digits {
            for sep in ["-", "_", "--", ""] {
                let s = format!("{h}{sep}{i}");
                assert_eq!(
                    matches_pattern(&cursor, &s),
                    decode_cursor(&s).is_ok(),
                    "cursor {s:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn validators_with_and_without_a_scheduled_set_validate() {
    let doc = doc();
    let node = FakeNode::new();
    let app = app(&node);
    let get = |app: axum::Router| async move {
        let req = Request::get("/api/v1/validators")
            .body(Body::empty())
            .unwrap();
        send(&app, req).await
    };
    let (status, _, body) = get(app.clone()).await;
    assert_eq!(status, StatusCode::OK);
    check_response(&doc, "/api/v1/validators", "GET", status, &body);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["epoch_length"], 1_000);
    assert_eq!(v["current_epoch"], 0);
    assert_eq!(
        v["validators"][0],
        json!({"public_key": crate::fake::validator(1).public_key, "p2p_addr": "10.0.0.1:7070"})
    );
    assert_eq!(v["scheduled"]["epoch"], 1);
    assert_eq!(v["scheduled"]["validators"].as_array().unwrap().len(), 3);

    node.validators.lock().unwrap().scheduled = None;
    let (status, _, body) = get(app.clone()).await;
    assert_eq!(status, StatusCode::OK);
    check_response(&doc, "/api/v1/validators", "GET", status, &body);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["scheduled"].is_null());

    // A node error is a documented 500.
    node.broken.store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, _, body) = get(app).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    check_response(&doc, "/api/v1/validators", "GET", status, &body);
}

/// The document says who may call each read: a route that refuses an anonymous caller (401)
/// documents its 401 and the credentials it takes (a signed read or the session cookie); a
/// route that refuses a known stranger (an unregistered key: 403) documents its 403; a route
/// that serves anonymous callers declares no credentials, or makes them optional (`{}`).
#[tokio::test]
async fn every_read_documents_its_credentials_and_refusals() {
    let doc = doc();
    let node = FakeNode::new();
    let app = served_app(&node);
    let schemes = |op: &Value| -> Vec<String> {
        op["security"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                r.as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .collect()
    };
    let mut personal = Vec::new();
    for (method, path) in ROUTES.iter().filter(|(m, _)| *m == "GET") {
        let op = &doc["paths"][path]["get"];
        if *path == "/api/v1/events" {
            // An endless stream (covered by the events tests): headers to anyone.
            assert!(schemes(op).iter().any(String::is_empty));
            continue;
        }
        let signed = sample_request(method, path);
        let target = signed.uri().to_string();
        let (status, _, body) =
            send(&app, Request::get(&target).body(Body::empty()).unwrap()).await;
        let declared = schemes(op);
        if status == StatusCode::UNAUTHORIZED {
            personal.push(*path);
            check_response(&doc, path, method, status, &body);
            for scheme in ["readSignature", "sessionCookie"] {
                assert!(declared.iter().any(|s| s == scheme), "{path}: {declared:?}");
            }
            assert!(
                !declared.iter().any(String::is_empty),
                "{path}: {declared:?}"
            );
        } else {
            assert!(
                declared.is_empty() || declared.iter().any(String::is_empty),
                "GET {path} serves anonymous callers ({status}) but requires {declared:?}"
            );
        }
        if declared.iter().any(|s| s == "readSignature") {
            let stranger = crate::signed_get(&target, crate::fake::NOBODY);
            let (status, _, body) = send(&app, stranger).await;
            if status == StatusCode::FORBIDDEN {
                check_response(&doc, path, method, status, &body);
            }
        }
    }
    // The personal reads of docs/SECURITY.md's table.
    personal.sort();
    let mut want = vec![
        "/api/v1/txs/{hash}",
        "/api/v1/accounts/{address}",
        "/api/v1/accounts/{address}/txs",
        "/api/v1/sites/{site}/readings",
        "/api/v1/sites/{site}/mandates",
        "/api/v1/sites/{site}/bills/{month}",
        "/api/v1/accounts/{address}/bills/{month}",
        "/api/v1/reports/bank/{month}",
        "/api/v1/sites/{site}/forecast/{month}",
        "/api/v1/ppas/{id}",
        "/api/v1/markets/{market}/ppas",
        "/api/v1/charging/members/{member_no}",
        "/api/v1/charging/sessions",
        "/api/v1/charging/sessions/{charger}/{session}",
        "/api/v1/charging/revenue",
        "/api/v1/markets/{market}/periods/{start}/txs",
        "/api/v1/markets/{market}/periods/{start}/contracts/{n}/trace",
    ];
    want.sort();
    assert_eq!(personal, want);
}
