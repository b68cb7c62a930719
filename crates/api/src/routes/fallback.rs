//! Answers for what no route serves: unknown routes, wrong methods, panics.
use crate::error::ApiError;
use axum::{
    http::{StatusCode, Uri},
    response::{IntoResponse, Response},
};
use gridledger_api_types::ErrorCode;
use std::any::Any;

pub async fn not_found(uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(200).collect();
    ApiError::not_found(format!("no route for {path}"))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}

pub fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::internal("internal error").into_response()
}
