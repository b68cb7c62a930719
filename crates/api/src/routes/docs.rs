//! Documents: the OpenAPI document and the Prometheus metrics.
use super::*;
use crate::{AppState, OPENAPI_JSON};
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

pub async fn metrics(State(st): State<AppState>) -> Response {
    let mut text = st.metrics.render();
    text.push_str(&st.limiter.render());
    if let Some(kdf) = &st.kdf {
        text.push_str(&kdf.render());
    }
    let node = st.node.clone();
    match node_call(move || node.metrics_text()).await {
        Ok(node_text) => {
            text.push_str(&node_text);
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        Err(e) => return e.into_response(),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
