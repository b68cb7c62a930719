//! GridLedger's HTTP server: the routes of `/api/v1` (one module per area under `routes/`),
//! who may read what (`auth`, `policy`), per-client rate limits, metrics, the OpenAPI document
//! and the embedded dashboard, served through the [NodeApi] trait so any node (validator or
//! full node) can serve it and tests can run it without a chain.
//!
//! Rules: every JSON shape, error code and service trait lives in `gridledger-api-types`; this
//! crate re-exports none of them, so clients and services depend on that crate, never on this
//! one. Entry points: [router] builds the axum [Router]; [serve] runs it on a listener until a
//! shutdown future completes (ending open event streams so the shutdown is not held up);
//! [OPENAPI_JSON] is the OpenAPI 3.0 document served at `/api/v1/openapi.json`; [ROUTES] is the
//! list of every `(method, path)` the router serves, shared by the router and its tests.
#![forbid(unsafe_code)]

mod auth;
pub mod dashboard;
mod error;
mod metrics;
pub mod params;
pub mod policy;
pub mod rate_limit;
mod routes;

pub use auth::{Reader, Via, Viewer};
pub use error::ApiError;
pub use routes::admin::ClockToken;
pub use routes::events::event_stream;
pub use routes::explore::{contract_trace, TraceStep, TraceTx, TraceView};

use axum::{
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    middleware::{self, Next},
    response::Response,
    routing::{delete, get, post, MethodRouter},
    Router,
};
use gridledger_api_types::{ChargingApi, MetricsSource, NodeApi, PortalApi};
use metrics::ApiMetrics;
use std::{future::Future, sync::Arc};
use tokio::sync::watch;

/// The OpenAPI 3.0 document describing every route in [ROUTES].
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Every route the router serves, as `(method, axum path template)`. The OpenAPI document must
/// list exactly these (checked by the tests).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/status"),
    ("POST", "/api/v1/txs"),
    ("GET", "/api/v1/txs/{hash}"),
    ("GET", "/api/v1/blocks/latest"),
    ("GET", "/api/v1/blocks/{height}"),
    ("GET", "/api/v1/accounts/{address}"),
    ("GET", "/api/v1/accounts/{address}/txs"),
    ("GET", "/api/v1/participants/{address}"),
    ("GET", "/api/v1/validators"),
    ("GET", "/api/v1/sites/{site}"),
    ("GET", "/api/v1/sites/{site}/readings"),
    ("GET", "/api/v1/sites/{site}/mandates"),
    ("GET", "/api/v1/markets/{market}/periods/{start}"),
    ("GET", "/api/v1/sites/{site}/bills/{month}"),
    ("GET", "/api/v1/accounts/{address}/bills/{month}"),
    ("GET", "/api/v1/billing/{month}"),
    ("GET", "/api/v1/sites/{site}/forecast/{month}"),
    ("GET", "/api/v1/ppas/{id}"),
    ("GET", "/api/v1/markets/{market}/ppas"),
    ("GET", "/api/v1/reports/bank/{month}"),
    ("GET", "/api/v1/directory"),
    ("GET", "/api/v1/search"),
    ("GET", "/api/v1/markets/{market}/periods/{start}/txs"),
    (
        "GET",
        "/api/v1/markets/{market}/periods/{start}/contracts/{n}/trace",
    ),
    ("POST", "/api/v1/session"),
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("POST", "/api/v1/session/txs"),
    ("DELETE", "/api/v1/session/locks/{login}"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/admin/clock/advance"),
    ("POST", "/api/v1/charging/members"),
    ("GET", "/api/v1/charging/members/{member_no}"),
    ("DELETE", "/api/v1/charging/members/{member_no}/lock"),
    ("POST", "/api/v1/charging/certify"),
    ("POST", "/api/v1/charging/prepay"),
    ("POST", "/api/v1/charging/stop"),
    ("POST", "/api/v1/charging/auto-charge"),
    ("GET", "/api/v1/charging/chargers"),
    ("GET", "/api/v1/charging/chargers/{charger}"),
    ("POST", "/api/v1/charging/chargers/{charger}/secret"),
    ("GET", "/api/v1/charging/sessions"),
    ("GET", "/api/v1/charging/sessions/{charger}/{session}"),
    (
        "POST",
        "/api/v1/charging/sessions/{charger}/{session}/soft-stop",
    ),
    ("GET", "/api/v1/charging/revenue"),
];

/// Settings of the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    /// Largest accepted request body in bytes (larger: `413 body_too_large`).
    pub max_body_bytes: usize,
    /// Most transactions in one `POST /api/v1/txs` batch (more: `400 batch_too_large`).
    pub max_batch: usize,
    /// The chain this node serves. Submitted transactions signed for another chain are refused
    /// by the API with `wrong_chain` before reaching the node. Empty disables the check.
    pub chain_id: String,
    /// Per-client-address limits on the routes that check a password.
    pub rate_limit: rate_limit::RateLimitConfig,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from anyone else it is
    /// ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The token `POST /api/v1/admin/clock/advance` accepts besides the operator's session
    /// (a devnet with clock control sets one); `None`: the session only.
    pub clock_token: Option<ClockToken>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_batch: 1000,
            chain_id: "gridledger-devnet".to_string(),
            rate_limit: rate_limit::RateLimitConfig::default(),
            trusted_proxies: Vec::new(),
            clock_token: None,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    pub node: Arc<dyn NodeApi>,
    pub cfg: Arc<ApiConfig>,
    pub metrics: Arc<ApiMetrics>,
    /// Flips to `true` (or closes) when [serve] shuts down; `None` for a bare [router].
    pub shutdown: Option<watch::Receiver<bool>>,
    /// The charging operator's member service, if this node runs one.
    pub charging: Option<Arc<dyn ChargingApi>>,
    /// The dashboard's sign-in, if this node runs one.
    pub portal: Option<Arc<dyn PortalApi>>,
    /// The node's key-derivation pool (its counters are in `/metrics`), if a service uses one.
    pub kdf: Option<Arc<dyn MetricsSource>>,
    /// The per-client limits (their counters are in `/metrics`).
    pub limiter: Arc<rate_limit::Limiter>,
}

/// The handler of one entry of [ROUTES].
fn method_router(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", "/api/v1/status") => get(routes::chain::status),
        ("POST", "/api/v1/txs") => post(routes::submit::submit),
        ("GET", "/api/v1/txs/{hash}") => get(routes::chain::tx),
        ("GET", "/api/v1/blocks/latest") => get(routes::chain::latest_block),
        ("GET", "/api/v1/blocks/{height}") => get(routes::chain::block),
        ("GET", "/api/v1/accounts/{address}") => get(routes::accounts::account),
        ("GET", "/api/v1/accounts/{address}/txs") => get(routes::accounts::history),
        ("GET", "/api/v1/participants/{address}") => get(routes::accounts::participant),
        ("GET", "/api/v1/validators") => get(routes::chain::validators),
        ("GET", "/api/v1/sites/{site}") => get(routes::sites::site),
        ("GET", "/api/v1/sites/{site}/readings") => get(routes::sites::site_readings),
        ("GET", "/api/v1/sites/{site}/mandates") => get(routes::mandates::site_mandates),
        ("GET", "/api/v1/markets/{market}/periods/{start}") => get(routes::market::market_period),
        ("GET", "/api/v1/sites/{site}/bills/{month}") => get(routes::billing::site_bill),
        ("GET", "/api/v1/accounts/{address}/bills/{month}") => get(routes::billing::account_bill),
        ("GET", "/api/v1/billing/{month}") => get(routes::billing::month),
        ("GET", "/api/v1/sites/{site}/forecast/{month}") => get(routes::billing::forecast),
        ("GET", "/api/v1/ppas/{id}") => get(routes::billing::ppa),
        ("GET", "/api/v1/markets/{market}/ppas") => get(routes::billing::market_ppas),
        ("GET", "/api/v1/reports/bank/{month}") => get(routes::billing::bank_report),
        ("GET", "/api/v1/directory") => get(routes::explore::directory),
        ("GET", "/api/v1/search") => get(routes::explore::search),
        ("GET", "/api/v1/markets/{market}/periods/{start}/txs") => get(routes::explore::period_txs),
        ("GET", "/api/v1/markets/{market}/periods/{start}/contracts/{n}/trace") => {
            get(routes::explore::trace)
        }
        ("POST", "/api/v1/session") => post(routes::session::sign_in),
        ("GET", "/api/v1/session") => get(routes::session::session),
        ("DELETE", "/api/v1/session") => delete(routes::session::sign_out),
        ("POST", "/api/v1/session/txs") => post(routes::session::submit),
        ("DELETE", "/api/v1/session/locks/{login}") => delete(routes::session::unlock),
        ("GET", "/api/v1/events") => get(routes::events::events),
        ("GET", "/api/v1/openapi.json") => get(routes::docs::openapi),
        ("GET", "/metrics") => get(routes::docs::metrics),
        ("POST", "/api/v1/admin/clock/advance") => post(routes::admin::advance_clock),
        ("POST", "/api/v1/charging/members") => post(routes::charging::signup),
        ("GET", "/api/v1/charging/members/{member_no}") => get(routes::charging::member),
        ("DELETE", "/api/v1/charging/members/{member_no}/lock") => delete(routes::charging::unlock),
        ("POST", "/api/v1/charging/certify") => post(routes::charging::certify),
        ("POST", "/api/v1/charging/prepay") => post(routes::charging::prepay),
        ("POST", "/api/v1/charging/stop") => post(routes::charging::stop),
        ("POST", "/api/v1/charging/auto-charge") => post(routes::charging::auto_charge),
        ("GET", "/api/v1/charging/chargers") => get(routes::charging::chargers),
        ("GET", "/api/v1/charging/chargers/{charger}") => get(routes::charging::charger),
        ("POST", "/api/v1/charging/chargers/{charger}/secret") => {
            post(routes::charging::charger_secret)
        }
        ("GET", "/api/v1/charging/sessions") => get(routes::charging::sessions),
        ("GET", "/api/v1/charging/sessions/{charger}/{session}") => get(routes::charging::session),
        ("POST", "/api/v1/charging/sessions/{charger}/{session}/soft-stop") => {
            post(routes::charging::soft_stop)
        }
        ("GET", "/api/v1/charging/revenue") => get(routes::charging::revenue),
        _ => return None,
    })
}

/// Services a node may run behind the API besides the chain itself.
#[derive(Clone, Default)]
pub struct Services {
    /// The charging operator's member service (the `/charging` routes).
    pub charging: Option<Arc<dyn ChargingApi>>,
    /// The dashboard's sign-in and signing (the `/session` routes).
    pub portal: Option<Arc<dyn PortalApi>>,
    /// The key-derivation pool the services share (reported in `/metrics`).
    pub kdf: Option<Arc<dyn MetricsSource>>,
}

fn build(
    node: Arc<dyn NodeApi>,
    cfg: ApiConfig,
    shutdown: Option<watch::Receiver<bool>>,
    services: Services,
) -> Router {
    let metrics = Arc::new(ApiMetrics::default());
    let body_limit = cfg.max_body_bytes;
    let limiter = Arc::new(rate_limit::Limiter::new(
        cfg.rate_limit,
        cfg.trusted_proxies.clone(),
    ));
    let state = AppState {
        node,
        cfg: Arc::new(cfg),
        metrics: metrics.clone(),
        shutdown,
        charging: services.charging,
        portal: services.portal,
        kdf: services.kdf,
        limiter: limiter.clone(),
    };
    let mut router = Router::new();
    for (method, path) in ROUTES {
        match method_router(method, path) {
            Some(mr) => router = router.route(path, mr),
            None => tracing::error!(method, path, "route listed in ROUTES has no handler"),
        }
    }
    router
        .merge(dashboard::routes())
        .fallback(routes::fallback::not_found)
        .method_not_allowed_fallback(routes::fallback::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            routes::fallback::panicked,
        ))
        .layer(middleware::from_fn_with_state(limiter, rate_limit::limit))
        .layer(middleware::from_fn_with_state(metrics, track))
        .with_state(state)
}

/// Counts every response by route template, method and status.
async fn track(State(m): State<Arc<ApiMetrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = metrics::method_label(req.method());
    let resp = next.run(req).await;
    m.record_request(&route, method, resp.status().as_u16());
    resp
}

/// The API's router (every route in [ROUTES], JSON 404/405 fallbacks, body limit, metrics).
/// Its event streams end only when the node's broadcast channel closes; use [serve] to have
/// them end on shutdown.
pub fn router(node: Arc<dyn NodeApi>, cfg: ApiConfig) -> Router {
    build(node, cfg, None, Services::default())
}

/// [router] with the charging routes served by `charging`.
pub fn router_with_charging(
    node: Arc<dyn NodeApi>,
    cfg: ApiConfig,
    charging: Arc<dyn ChargingApi>,
) -> Router {
    build(
        node,
        cfg,
        None,
        Services {
            charging: Some(charging),
            ..Services::default()
        },
    )
}

/// [router] with the given services.
pub fn router_with(node: Arc<dyn NodeApi>, cfg: ApiConfig, services: Services) -> Router {
    build(node, cfg, None, services)
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting connections,
/// ends open event streams and waits for in-flight requests. Each request's TCP peer is
/// recorded (the client address of the rate limits and lockouts).
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: Arc<dyn NodeApi>,
    cfg: ApiConfig,
    services: Services,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let app = build(node, cfg, Some(rx), services);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(true);
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_route_has_a_handler() {
        for (m, p) in ROUTES {
            assert!(method_router(m, p).is_some(), "{m} {p}");
        }
    }

    #[test]
    fn openapi_document_is_json() {
        let v: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3.0"));
    }
}
