//! `GET /api/v1/sites/{site}/mandates`: the sales companies a site's owner has mandated (live
//! and ended records), for the owner, the companies and the roles that check them
//! ([policy::site_mandates]: a company sees its own record only).
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::{parse_site, path_segment};
use crate::routes::node_call;
use crate::{policy, AppState};
use axum::{
    extract::{rejection::PathRejection, Path, State},
    Json,
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::SiteMandatesView;

pub async fn site_mandates(
    State(st): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SiteMandatesView>, ApiError> {
    let id = parse_site(&path_segment(id, ErrorCode::InvalidSite)?)?;
    let node = st.node.clone();
    let i = id.clone();
    let view = node_call(move || node.site_mandates(&i))
        .await??
        .ok_or_else(|| ApiError::not_found(format!("no site {id}")))?;
    policy::site_mandates(&viewer, view).map(Json)
}
