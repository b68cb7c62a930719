//! Charging routes (`/api/v1/charging/...`): each handler checks its path, query and body
//! strictly, reads the caller from the `Authorization` header and asks the charging operator's
//! member service ([ChargingApi]); a node without one answers `503 charging_disabled`. Failures
//! of the service pass through with their status, code and message.
//!
//! Bodies carry passwords: nothing here logs a body, and no error message quotes one (body
//! errors name the field and the expected type, never the value).
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::{parse_day, path_segment, uint};
use crate::policy::{self, MemberAccess, RevenueScope};
use crate::routes::{body_bytes, node_call};
use crate::AppState;
use axum::{
    body::Bytes,
    extract::{
        rejection::{BytesRejection, PathRejection, QueryRejection},
        Path, Query, State,
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use gridledger_api_types::ChargingQuery;
use gridledger_api_types::ClientAddr;
use gridledger_api_types::ErrorCode;
use gridledger_api_types::*;
use gridledger_types::ChargerId;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

// ---------------------------------------------------------------- bodies

/// The JSON type of a body field.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    /// A string or `null`.
    OptStr,
    /// An integer in `0..=max`.
    Uint(u64),
}

/// One field of a body: name, type, required.
#[derive(Clone, Copy, Debug)]
struct Field(&'static str, Kind, bool);

const U8: Kind = Kind::Uint(u8::MAX as u64);
const U32: Kind = Kind::Uint(u32::MAX as u64);
const U64: Kind = Kind::Uint(u64::MAX);

const SIGN_UP: &[Field] = &[
    Field("password", Kind::Str, true),
    Field("card", Kind::OptStr, false),
];
const CERTIFY: &[Field] = &[
    Field("charger", Kind::Str, true),
    Field("member_no", U64, true),
    Field("password", Kind::Str, true),
];
const PREPAY: &[Field] = &[
    Field("charger", Kind::Str, true),
    Field("connector", U8, true),
    Field("member_no", U64, true),
    Field("password", Kind::Str, true),
    Field("amount_mwon", U64, true),
];
const STOP: &[Field] = &[
    Field("charger", Kind::Str, true),
    Field("session", U64, true),
    Field("energy_wh", U64, true),
    Field("idle_min", U32, false),
    Field("reason", Kind::OptStr, false),
];
const AUTO_CHARGE: &[Field] = &[
    Field("member_no", U64, true),
    Field("password", Kind::Str, true),
    Field("cap_mwon", U64, true),
    Field("valid_until_ms", U64, false),
];

/// `{"a": string, "b"?: integer}`: the expected shape, for error messages.
fn describe(fields: &[Field]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|Field(name, kind, required)| {
            let ty = match kind {
                Kind::Str => "string",
                Kind::OptStr => "string|null",
                Kind::Uint(_) => "integer",
            };
            format!("\"{name}\"{}: {ty}", if *required { "" } else { "?" })
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A name from the request, shown in an error only if it looks like a field name: lowercase
/// letters and `_`, no digits (keypad passwords are digits, so a misplaced one is never echoed).
fn shown_name(name: &str) -> String {
    let plain =
        (1..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if plain {
        format!("`{name}`")
    } else {
        "(name not shown)".to_string()
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidRequest, message)
}

/// Parses a body of `fields` into `T`: `invalid_json` if it is not JSON, `invalid_request`
/// naming the first wrong, missing or unknown field otherwise. No message quotes the input.
fn body_of<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    fields: &[Field],
) -> Result<T, ApiError> {
    let bytes = body_bytes(body)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidJson,
            format!("malformed JSON at line {} column {}", e.line(), e.column()),
        )
    })?;
    let shape = describe(fields);
    let Value::Object(obj) = value else {
        return Err(invalid(format!("expected a JSON object {shape}")));
    };
    if let Some(unknown) = obj
        .keys()
        .find(|k| !fields.iter().any(|Field(name, ..)| name == k))
    {
        return Err(invalid(format!(
            "unknown field {}; expected {shape}",
            shown_name(unknown)
        )));
    }
    for Field(name, kind, required) in fields {
        let Some(v) = obj.get(*name) else {
            if *required {
                return Err(invalid(format!("missing field `{name}`; expected {shape}")));
            }
            continue;
        };
        let ok = match kind {
            Kind::Str => v.is_string(),
            Kind::OptStr => v.is_string() || v.is_null(),
            Kind::Uint(max) => v.as_u64().is_some_and(|n| n <= *max),
        };
        if !ok {
            let expected = match kind {
                Kind::Str => "a string".to_string(),
                Kind::OptStr => "a string or null".to_string(),
                Kind::Uint(u64::MAX) => "an unsigned integer".to_string(),
                Kind::Uint(max) => format!("an integer 0..={max}"),
            };
            return Err(invalid(format!("field `{name}` must be {expected}")));
        }
    }
    serde_json::from_value(Value::Object(obj))
        .map_err(|_| invalid(format!("expected a JSON object {shape}")))
}

/// Routes without a body take none, or `{}`.
fn no_body(body: Result<Bytes, BytesRejection>) -> Result<(), ApiError> {
    let bytes = body_bytes(body)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) if m.is_empty() => Ok(()),
        Ok(_) => Err(invalid("this route takes no body (or `{}`)")),
        Err(e) => Err(ApiError::bad_request(
            ErrorCode::InvalidJson,
            format!("malformed JSON at line {} column {}", e.line(), e.column()),
        )),
    }
}

// ---------------------------------------------------------------- values

fn check_charger(s: &str) -> Result<String, ApiError> {
    if ChargerId::is_valid(s) {
        Ok(s.to_string())
    } else {
        Err(ApiError::bad_request(
            ErrorCode::InvalidCharger,
            "charger ids are 1-48 of A-Z a-z 0-9 . _ -",
        ))
    }
}

fn bad_member() -> ApiError {
    ApiError::bad_request(
        ErrorCode::InvalidMember,
        "member numbers are positive integers (e.g. 10000001)",
    )
}

fn member_no(s: &str) -> Result<u64, ApiError> {
    uint(s, u64::MAX).filter(|n| *n > 0).ok_or_else(bad_member)
}

fn session_no(s: &str) -> Result<u64, ApiError> {
    uint(s, u64::MAX).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidSession,
            "session numbers are unsigned integers",
        )
    })
}

/// The query's parameters by name: `invalid_request` for an unknown or repeated one.
fn query_params(
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
    allowed: &[&'static str],
) -> Result<BTreeMap<&'static str, String>, ApiError> {
    let Query(pairs) = q.map_err(|e| invalid(format!("bad query: {}", e.body_text())))?;
    let mut out = BTreeMap::new();
    for (k, v) in pairs {
        let Some(name) = allowed.iter().copied().find(|a| *a == k) else {
            return Err(invalid(format!(
                "unknown query parameter {}; expected any of {}",
                shown_name(&k),
                allowed.join(", ")
            )));
        };
        if out.insert(name, v).is_some() {
            return Err(invalid(format!("query parameter `{name}` given twice")));
        }
    }
    Ok(out)
}

const SESSIONS_QUERY: &[&str] = &["state", "charger", "member", "limit"];
const REVENUE_QUERY: &[&str] = &["charger", "from", "to"];

fn charger_session(
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, u64), ApiError> {
    let Path((charger, session)) = p.map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidCharger,
            format!("bad path parameters: {}", e.body_text()),
        )
    })?;
    Ok((check_charger(&charger)?, session_no(&session)?))
}

// ---------------------------------------------------------------- the service

/// `1..=64` of `a-z 0-9 _`, as every error code.
fn is_code(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A service failure as an API error (its status, code and message).
fn failure(f: ChargingFailure) -> ApiError {
    if !is_code(&f.code) {
        tracing::warn!(
            status = f.status,
            "the charging service failed with a malformed error code"
        );
        return ApiError::internal("the charging service failed");
    }
    let e = ApiError::with_status(f.status, f.code, f.message);
    match f.retry_after_s {
        Some(secs) => e.retry_after(secs),
        None => e,
    }
}

/// Asks the member service for its JSON answer; `client` is the caller's address (the routes
/// that check a password are rate-limited per address).
async fn answer_from(
    st: &AppState,
    headers: &HeaderMap,
    client: ClientAddr,
    req: ChargingRequest,
) -> Result<Value, ApiError> {
    let service = st.charging.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ChargingDisabled,
            "this node runs no charging service",
        )
    })?;
    service
        .handle(crate::auth::caller(st, headers).await, client, req)
        .await
        .map_err(failure)
}

/// [answer_from] where the client's address does not matter.
async fn answer(
    st: &AppState,
    headers: &HeaderMap,
    req: ChargingRequest,
) -> Result<Value, ApiError> {
    answer_from(st, headers, ClientAddr(None), req).await
}

/// Asks the member service; `ok` is the success status.
async fn ask(
    st: &AppState,
    headers: &HeaderMap,
    req: ChargingRequest,
    ok: StatusCode,
) -> Result<Response, ApiError> {
    ask_from(st, headers, ClientAddr(None), req, ok).await
}

/// [ask] for a request whose client address matters (the routes that check a password).
async fn ask_from(
    st: &AppState,
    headers: &HeaderMap,
    client: ClientAddr,
    req: ChargingRequest,
    ok: StatusCode,
) -> Result<Response, ApiError> {
    Ok((ok, Json(answer_from(st, headers, client, req).await?)).into_response())
}

fn address_at(v: &Value, field: &str) -> Option<gridledger_types::Address> {
    v[field]
        .as_str()
        .and_then(|h| gridledger_types::Address::from_hex(h).ok())
}

/// The member number of `viewer`'s account, if it is a charging member.
async fn member_no_of(st: &AppState, viewer: &Viewer) -> Result<Option<u64>, ApiError> {
    let Some(r) = viewer.reader() else {
        return Ok(None);
    };
    let node = st.node.clone();
    let account = r.owner.clone();
    let m = node_call(move || node.charging(&ChargingQuery::MemberByAccount { account })).await??;
    Ok(m.and_then(|m| m["member_no"].as_u64()))
}

// ---------------------------------------------------------------- handlers

/// `POST /api/v1/charging/members` (operator token).
pub async fn signup(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b: SignUpBody = body_of(body, SIGN_UP)?;
    ask(&st, &headers, ChargingRequest::SignUp(b), StatusCode::OK).await
}

/// `GET /api/v1/charging/members/{member_no}` ([policy::member]: the card only to the member
/// and its charging operator).
pub async fn member(
    State(st): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let member_no = member_no(&path_segment(p, ErrorCode::InvalidMember)?)?;
    policy::known(&viewer, "a member")?;
    let req = ChargingRequest::Member { member_no };
    let mut v = answer(&st, &headers, req).await?;
    let (Some(account), Some(operator)) = (address_at(&v, "address"), address_at(&v, "operator"))
    else {
        return Err(ApiError::internal(
            "the charging service answered a member without parties",
        ));
    };
    if policy::member(&viewer, &account, &operator)? == MemberAccess::WithoutCard {
        v["card"] = Value::Null;
    }
    Ok(Json(v))
}

/// `DELETE /api/v1/charging/members/{member_no}/lock` (operator token).
pub async fn unlock(
    State(st): State<AppState>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let member_no = member_no(&path_segment(p, ErrorCode::InvalidMember)?)?;
    let req = ChargingRequest::Unlock { member_no };
    ask(&st, &headers, req, StatusCode::OK).await
}

fn client_of(c: Option<Extension<ClientAddr>>) -> ClientAddr {
    c.map_or(ClientAddr(None), |Extension(c)| c)
}

/// `POST /api/v1/charging/certify` (charger Basic; rate-limited per client address).
pub async fn certify(
    State(st): State<AppState>,
    headers: HeaderMap,
    client: Option<Extension<ClientAddr>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b: CertifyBody = body_of(body, CERTIFY)?;
    check_charger(&b.charger)?;
    if b.member_no == 0 {
        return Err(bad_member());
    }
    let req = ChargingRequest::Certify(b);
    ask_from(&st, &headers, client_of(client), req, StatusCode::OK).await
}

/// `POST /api/v1/charging/prepay` (charger Basic; rate-limited per client address).
pub async fn prepay(
    State(st): State<AppState>,
    headers: HeaderMap,
    client: Option<Extension<ClientAddr>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b: PrepayBody = body_of(body, PREPAY)?;
    check_charger(&b.charger)?;
    if b.member_no == 0 {
        return Err(bad_member());
    }
    let req = ChargingRequest::Prepay(b);
    ask_from(&st, &headers, client_of(client), req, StatusCode::OK).await
}

/// `POST /api/v1/charging/stop` (charger Basic): 202, settled later by the outbox.
pub async fn stop(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b: StopBody = body_of(body, STOP)?;
    check_charger(&b.charger)?;
    if let Some(r) = &b.reason {
        if !STOP_REASONS.contains(&r.as_str()) {
            return Err(invalid(format!(
                "field `reason` must be one of {}",
                STOP_REASONS.join(", ")
            )));
        }
    }
    ask(
        &st,
        &headers,
        ChargingRequest::Stop(b),
        StatusCode::ACCEPTED,
    )
    .await
}

/// `POST /api/v1/charging/auto-charge` (the member's password in the body; rate-limited per
/// client address).
pub async fn auto_charge(
    State(st): State<AppState>,
    headers: HeaderMap,
    client: Option<Extension<ClientAddr>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b: AutoChargeBody = body_of(body, AUTO_CHARGE)?;
    if b.member_no == 0 {
        return Err(bad_member());
    }
    let req = ChargingRequest::AutoCharge(b);
    ask_from(&st, &headers, client_of(client), req, StatusCode::OK).await
}

/// `GET /api/v1/charging/chargers`
pub async fn chargers(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ask(&st, &headers, ChargingRequest::Chargers, StatusCode::OK).await
}

/// `GET /api/v1/charging/chargers/{charger}`
pub async fn charger(
    State(st): State<AppState>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let charger = check_charger(&path_segment(p, ErrorCode::InvalidCharger)?)?;
    ask(
        &st,
        &headers,
        ChargingRequest::Charger { charger },
        StatusCode::OK,
    )
    .await
}

/// `POST /api/v1/charging/chargers/{charger}/secret` (operator token).
pub async fn charger_secret(
    State(st): State<AppState>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let charger = check_charger(&path_segment(p, ErrorCode::InvalidCharger)?)?;
    no_body(body)?;
    let req = ChargingRequest::ChargerSecret { charger };
    ask(&st, &headers, req, StatusCode::OK).await
}

/// `GET /api/v1/charging/sessions?state=&charger=&member=&limit=`: the sessions the viewer
/// may read ([policy::charging_session]). A member asks for its own, a charger for its own; a
/// charging operator's list is read up to [SESSIONS_MAX_LIMIT] and then cut to its own
/// chargers' and to the limit.
pub async fn sessions(
    State(st): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let mut q = query_params(q, SESSIONS_QUERY)?;
    let state = match q.remove("state") {
        Some(s) if SESSION_STATES.contains(&s.as_str()) => Some(s),
        Some(_) => {
            return Err(invalid(format!(
                "state must be one of {}",
                SESSION_STATES.join(", ")
            )))
        }
        None => None,
    };
    let charger = q.remove("charger").map(|c| check_charger(&c)).transpose()?;
    let member = q.remove("member").map(|m| member_no(&m)).transpose()?;
    let limit = match q.remove("limit") {
        None => None,
        Some(l) => Some(
            uint(&l, SESSIONS_MAX_LIMIT as u64)
                .map(|n| n as usize)
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        ErrorCode::InvalidLimit,
                        format!("limit must be 1..={SESSIONS_MAX_LIMIT}"),
                    )
                })?,
        ),
    };
    let mut filter = SessionFilter {
        state,
        charger,
        member,
        limit,
    };
    policy::known(&viewer, "charging sessions")?;
    let mut cut = None;
    if !viewer.has_role(policy::CHARGING_ENTITLED) {
        let refused = || policy::refuse(&viewer, "these sessions");
        match &viewer {
            Viewer::Charger(c) => {
                if filter.charger.as_ref().is_some_and(|x| x != c) {
                    return Err(refused());
                }
                filter.charger = Some(c.clone());
            }
            _ => match member_no_of(&st, &viewer).await? {
                Some(no) => {
                    if filter.member.is_some_and(|m| m != no) {
                        return Err(refused());
                    }
                    filter.member = Some(no);
                }
                None if viewer.has_role(&[gridledger_types::Role::ChargingOperator]) => {
                    cut = Some(filter.limit.unwrap_or(SESSIONS_DEFAULT_LIMIT));
                    filter.limit = Some(SESSIONS_MAX_LIMIT);
                }
                None => return Err(refused()),
            },
        }
    }
    let mut v = answer(&st, &headers, ChargingRequest::Sessions(filter)).await?;
    if let Some(list) = v["sessions"].as_array_mut() {
        list.retain(|s| crate::routes::explore::session_readable(&viewer, s));
        if let Some(n) = cut {
            list.truncate(n);
        }
    }
    Ok(Json(v))
}

/// `GET /api/v1/charging/sessions/{charger}/{session}` ([policy::charging_session]).
pub async fn session(
    State(st): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let (charger, session) = charger_session(p)?;
    policy::known(&viewer, "a charging session")?;
    let req = ChargingRequest::Session { charger, session };
    let v = answer(&st, &headers, req).await?;
    if !crate::routes::explore::session_readable(&viewer, &v) {
        return Err(policy::refuse(&viewer, "this session"));
    }
    Ok(Json(v))
}

/// `POST /api/v1/charging/sessions/{charger}/{session}/soft-stop` (operator token).
pub async fn soft_stop(
    State(st): State<AppState>,
    headers: HeaderMap,
    p: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (charger, session) = charger_session(p)?;
    no_body(body)?;
    let req = ChargingRequest::SoftStop { charger, session };
    ask(&st, &headers, req, StatusCode::OK).await
}

/// `GET /api/v1/charging/revenue?charger=&from=&to=` ([policy::revenue]: a charging operator
/// sees its own chargers' days and their total).
pub async fn revenue(
    State(st): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let mut q = query_params(q, REVENUE_QUERY)?;
    let charger = q.remove("charger").map(|c| check_charger(&c)).transpose()?;
    // `from` after `to` is an empty range, not an error.
    let from = q.remove("from").map(|d| parse_day(&d)).transpose()?;
    let to = q.remove("to").map(|d| parse_day(&d)).transpose()?;
    let scope = policy::revenue(&viewer)?;
    let own: Option<Vec<String>> = match &scope {
        RevenueScope::All => None,
        RevenueScope::ChargersOf(owner) => {
            let list = answer(&st, &headers, ChargingRequest::Chargers).await?;
            let own = list["chargers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| address_at(c, "owner").as_ref() == Some(owner))
                .filter_map(|c| c["charger"].as_str().map(str::to_string))
                .collect::<Vec<_>>();
            if charger.as_ref().is_some_and(|c| !own.contains(c)) {
                return Err(policy::refuse(&viewer, "this charger's revenue"));
            }
            Some(own)
        }
    };
    let filter = RevenueFilter { charger, from, to };
    let mut v = answer(&st, &headers, ChargingRequest::Revenue(filter)).await?;
    if let (Some(own), Some(days)) = (own, v["days"].as_array_mut()) {
        days.retain(|d| {
            d["charger"]
                .as_str()
                .is_some_and(|c| own.iter().any(|o| o == c))
        });
        let total: u64 = days
            .iter()
            .filter_map(|d| d["revenue_mwon"].as_u64())
            .fold(0, u64::saturating_add);
        v["total_mwon"] = Value::from(total);
    }
    Ok(Json(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: DeserializeOwned>(s: &str, fields: &[Field]) -> Result<T, ApiError> {
        body_of(Ok(Bytes::from(s.to_string())), fields)
    }

    /// Every field list names exactly the fields of its body type.
    #[test]
    fn field_lists_match_the_body_types() {
        fn keys<T: serde::Serialize>(t: T) -> Vec<String> {
            let mut k: Vec<String> = serde_json::to_value(t)
                .unwrap()
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        }
        fn names(fields: &[Field]) -> Vec<String> {
            let mut n: Vec<String> = fields.iter().map(|f| f.0.to_string()).collect();
            n.sort();
            n
        }
        let signup = SignUpBody {
            password: "p".into(),
            card: None,
        };
        assert_eq!(keys(signup), names(SIGN_UP));
        let certify = CertifyBody {
            charger: "c".into(),
            member_no: 1,
            password: "p".into(),
        };
        assert_eq!(keys(certify), names(CERTIFY));
        let prepay = PrepayBody {
            charger: "c".into(),
            connector: 1,
            member_no: 1,
            password: "p".into(),
            amount_mwon: 1,
        };
        assert_eq!(keys(prepay), names(PREPAY));
        let stop = StopBody {
            charger: "c".into(),
            session: 1,
            energy_wh: 1,
            idle_min: 0,
            reason: None,
        };
        assert_eq!(keys(stop), names(STOP));
        let auto = AutoChargeBody {
            member_no: 1,
            password: "p".into(),
            cap_mwon: 1,
            valid_until_ms: 0,
        };
        assert_eq!(keys(auto), names(AUTO_CHARGE));
    }

    #[test]
    fn bodies_are_checked_field_by_field_without_quoting_values() {
        let ok: StopBody = parse(
            r#"{"charger":"CP-1","session":7,"energy_wh":1200,"reason":null}"#,
            STOP,
        )
        .unwrap();
        assert_eq!((ok.idle_min, ok.reason), (0, None));
        let cases: &[(&str, &str, &str)] = &[
            ("{", "invalid_json", "line 1"),
            ("", "invalid_json", "malformed JSON"),
            ("[]", "invalid_request", "expected a JSON object"),
            (
                r#"{"password":1234567}"#,
                "invalid_request",
                "`password` must be a string",
            ),
            (
                r#"{"password":"x","pin":"1234567"}"#,
                "invalid_request",
                "unknown field `pin`",
            ),
            (
                r#"{"password":"x","1234567":1}"#,
                "invalid_request",
                "(name not shown)",
            ),
            (
                r#"{"card":"1234567"}"#,
                "invalid_request",
                "missing field `password`",
            ),
            (
                r#"{"password":"x","card":1234567}"#,
                "invalid_request",
                "`card` must be a string or null",
            ),
        ];
        for (body, code, says) in cases {
            let e = parse::<SignUpBody>(body, SIGN_UP).unwrap_err();
            assert_eq!(e.code, *code, "{body}");
            assert!(e.message.contains(says), "{body}: {}", e.message);
            assert!(!e.message.contains("1234567"), "{body}: {}", e.message);
        }
        let e = parse::<PrepayBody>(
            r#"{"charger":"c","connector":256,"member_no":1,"password":"p","amount_mwon":1}"#,
            PREPAY,
        )
        .unwrap_err();
        assert_eq!(e.message, "field `connector` must be an integer 0..=255");
        let e = parse::<PrepayBody>(
            r#"{"charger":"c","connector":1,"member_no":-1,"password":"p","amount_mwon":1}"#,
            PREPAY,
        )
        .unwrap_err();
        assert_eq!(e.message, "field `member_no` must be an unsigned integer");
    }

    #[test]
    fn numbers_are_strict() {
        assert_eq!(member_no("10000001").unwrap(), 10000001);
        for bad in ["0", "", "+1", " 1", "1a", "-1", "18446744073709551616"] {
            assert!(member_no(bad).is_err(), "{bad}");
        }
        assert_eq!(session_no("0").unwrap(), 0);
        assert!(session_no("x").is_err());
    }

    #[test]
    fn service_failures_keep_their_status_and_code_unless_malformed() {
        let e = failure(ChargingFailure::new(
            409,
            "concurrent_session",
            "busy member",
        ));
        assert_eq!(
            (e.status, e.code.as_ref(), e.message.as_str()),
            (StatusCode::CONFLICT, "concurrent_session", "busy member")
        );
        assert_eq!(
            failure(ChargingFailure::new(200, "odd", "m")).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let e = failure(ChargingFailure::new(400, "Not A Code", "m"));
        assert_eq!(e.code, ErrorCode::InternalError);
    }
}
