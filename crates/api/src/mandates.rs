//! `GET /api/v1/sites/{site}/mandates`: the sales companies a site's owner has mandated (live
//! and ended records), for the owner, the companies and the roles that check them.
use crate::error::{codes, ApiError};
use crate::handlers::node_call;
use crate::params::{parse_site, path_segment};
use crate::views::SiteMandatesView;
use crate::AppState;
use axum::{
    extract::{rejection::PathRejection, Path, State},
    Json,
};

pub async fn site_mandates(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SiteMandatesView>, ApiError> {
    let id = parse_site(&path_segment(id, codes::INVALID_SITE)?)?;
    let node = st.node.clone();
    let i = id.clone();
    node_call(move || node.site_mandates(&i))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no site {id}")))
}
