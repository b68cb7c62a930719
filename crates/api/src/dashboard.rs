//! The dashboard's static files, embedded in the binary and served beside the API: `/` and
//! `/ui/...`. Plain HTML, CSS and ES-module JavaScript, no build step; the pages read the JSON
//! API and the event stream. Strings live in dictionaries per language and screen (`/ui/i18n/...`).
use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

/// (path, content type, body) of every file the dashboard serves. Screens live in
/// `screens/<id>.js`, each with its own dictionary per language (`i18n/<lang>/<id>.json`) beside
/// the common one (`i18n/<lang>.json`).
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../dashboard/index.html"),
    ),
    (
        "/ui/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/app.js"),
    ),
    (
        "/ui/lib.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/lib.js"),
    ),
    (
        "/ui/style.css",
        "text/css; charset=utf-8",
        include_str!("../dashboard/style.css"),
    ),
    (
        "/ui/screens/home.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/home.js"),
    ),
    (
        "/ui/screens/signin.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/signin.js"),
    ),
    (
        "/ui/screens/trade.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/trade.js"),
    ),
    (
        "/ui/screens/market.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/market.js"),
    ),
    (
        "/ui/screens/metering.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/metering.js"),
    ),
    (
        "/ui/screens/settlement.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/settlement.js"),
    ),
    (
        "/ui/screens/charging.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/charging.js"),
    ),
    (
        "/ui/screens/explorer.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/explorer.js"),
    ),
    (
        "/ui/screens/admin.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/screens/admin.js"),
    ),
    (
        "/ui/i18n/en.json",
        "application/json",
        include_str!("../dashboard/i18n/en.json"),
    ),
    (
        "/ui/i18n/en/home.json",
        "application/json",
        include_str!("../dashboard/i18n/en/home.json"),
    ),
    (
        "/ui/i18n/en/signin.json",
        "application/json",
        include_str!("../dashboard/i18n/en/signin.json"),
    ),
    (
        "/ui/i18n/en/trade.json",
        "application/json",
        include_str!("../dashboard/i18n/en/trade.json"),
    ),
    (
        "/ui/i18n/en/market.json",
        "application/json",
        include_str!("../dashboard/i18n/en/market.json"),
    ),
    (
        "/ui/i18n/en/metering.json",
        "application/json",
        include_str!("../dashboard/i18n/en/metering.json"),
    ),
    (
        "/ui/i18n/en/settlement.json",
        "application/json",
        include_str!("../dashboard/i18n/en/settlement.json"),
    ),
    (
        "/ui/i18n/en/charging.json",
        "application/json",
        include_str!("../dashboard/i18n/en/charging.json"),
    ),
    (
        "/ui/i18n/en/explorer.json",
        "application/json",
        include_str!("../dashboard/i18n/en/explorer.json"),
    ),
    (
        "/ui/i18n/en/admin.json",
        "application/json",
        include_str!("../dashboard/i18n/en/admin.json"),
    ),
    (
        "/ui/i18n/ko.json",
        "application/json",
        include_str!("../dashboard/i18n/ko.json"),
    ),
    (
        "/ui/i18n/ko/home.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/home.json"),
    ),
    (
        "/ui/i18n/ko/signin.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/signin.json"),
    ),
    (
        "/ui/i18n/ko/trade.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/trade.json"),
    ),
    (
        "/ui/i18n/ko/market.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/market.json"),
    ),
    (
        "/ui/i18n/ko/metering.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/metering.json"),
    ),
    (
        "/ui/i18n/ko/settlement.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/settlement.json"),
    ),
    (
        "/ui/i18n/ko/charging.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/charging.json"),
    ),
    (
        "/ui/i18n/ko/explorer.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/explorer.json"),
    ),
    (
        "/ui/i18n/ko/admin.json",
        "application/json",
        include_str!("../dashboard/i18n/ko/admin.json"),
    ),
];

/// The screens (one module and one dictionary per language each).
pub const SCREENS: &[&str] = &[
    "home",
    "signin",
    "trade",
    "market",
    "metering",
    "settlement",
    "charging",
    "explorer",
    "admin",
];

/// The languages the dashboard speaks (one dictionary each).
pub const LANGUAGES: &[&str] = &["en", "ko"];

fn asset(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
                ),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// Environment variable naming a directory to serve the dashboard's files from instead of the
/// embedded copies (for working on the dashboard without rebuilding; the same paths only).
pub const DEV_DIR_ENV: &str = "GRIDLEDGER_DASHBOARD_DIR";

/// Routes of every dashboard file.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let dev_dir = std::env::var_os(DEV_DIR_ENV).map(std::path::PathBuf::from);
    ASSETS.iter().fold(
        Router::new(),
        |r, (path, content_type, body)| match &dev_dir {
            None => r.route(path, get(move || async move { asset(content_type, *body) })),
            Some(dir) => {
                let file = dir.join(match *path {
                    "/" => "index.html",
                    p => p.trim_start_matches("/ui/"),
                });
                r.route(
                    path,
                    get(move || async move {
                        match tokio::fs::read_to_string(&file).await {
                            Ok(text) => asset(content_type, text),
                            Err(_) => asset(content_type, *body),
                        }
                    }),
                )
            }
        },
    )
}
