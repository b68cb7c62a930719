//! The dashboard's static files, embedded in the binary and served beside the API: `/` and
//! `/ui/...`. Plain HTML, CSS and ES-module JavaScript, no build step; the pages read the JSON
//! API and the event stream. Strings live in one dictionary per language (`/ui/i18n/*.json`).
use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

/// (path, content type, body) of every file the dashboard serves.
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
        "/ui/style.css",
        "text/css; charset=utf-8",
        include_str!("../dashboard/style.css"),
    ),
    (
        "/ui/i18n/en.json",
        "application/json",
        include_str!("../dashboard/i18n/en.json"),
    ),
    (
        "/ui/i18n/ko.json",
        "application/json",
        include_str!("../dashboard/i18n/ko.json"),
    ),
];

/// The languages the dashboard speaks (one dictionary each).
pub const LANGUAGES: &[&str] = &["en", "ko"];

fn asset(content_type: &'static str, body: &'static str) -> Response {
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
        body,
    )
        .into_response()
}

/// Routes of every dashboard file.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS
        .iter()
        .fold(Router::new(), |r, (path, content_type, body)| {
            r.route(path, get(move || async move { asset(content_type, body) }))
        })
}
