//! Site reads: a site and its measured month.
use super::*;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::*;
use crate::{policy, AppState};
use axum::{
    extract::{rejection::PathRejection, Path, Query, State},
    Json,
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::*;
use gridledger_types::{Address, SiteId};
use serde::Deserialize;

pub async fn site(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SiteView>, ApiError> {
    let id = parse_site(&path_segment(id, ErrorCode::InvalidSite)?)?;
    let node = st.node.clone();
    let i = id.clone();
    node_call(move || node.site(&i))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no site {id}")))
}

#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

/// The owner of `site` if the site exists and `viewer` may read its records ([policy::site]);
/// `404` for an unknown site.
pub(crate) async fn site_for(
    st: &AppState,
    viewer: &Viewer,
    site: &SiteId,
) -> Result<Address, ApiError> {
    let node = st.node.clone();
    let (s, v) = (site.clone(), viewer.clone());
    let (owner, reads) = node_call(move || -> Result<_, NodeError> {
        let Some(owner) = node.site(&s)?.map(|x| x.owner) else {
            return Ok(None);
        };
        let reads = policy::reads_for_site(&*node, &v, &s, &owner)?;
        Ok(Some((owner, reads)))
    })
    .await??
    .ok_or_else(|| ApiError::not_found(format!("no site {site}")))?;
    policy::site(viewer, reads)?;
    Ok(owner)
}

pub async fn site_readings(
    State(st): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<MonthQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SiteReadingsView>, ApiError> {
    let id = parse_site(&path_segment(id, ErrorCode::InvalidSite)?)?;
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(ErrorCode::InvalidRequest, e.body_text()))?;
    let month = parse_month(q.month.as_deref().unwrap_or(""))?;
    site_for(&st, &viewer, &id).await?;
    let node = st.node.clone();
    let i = id.clone();
    node_call(move || node.site_readings(&i, month))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no site {id}")))
}
