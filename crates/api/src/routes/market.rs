//! Market reads: a period's order book and contracts, redacted for the reader.
use super::*;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::*;
use crate::{policy, AppState};
use axum::{
    extract::{rejection::PathRejection, Path, State},
    Json,
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::*;
use gridledger_types::SiteId;

pub async fn market_period(
    State(st): State<AppState>,
    viewer: Viewer,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Path((market, start)) =
        params.map_err(|e| ApiError::bad_request(ErrorCode::InvalidSite, e.body_text()))?;
    let market = parse_site(&market)?;
    let start = parse_u64(&start, ErrorCode::InvalidHeight, "period start (Unix ms)")?;
    let node = st.node.clone();
    let m = market.clone();
    node_call(move || -> Result<_, NodeError> {
        let Some(period) = node.market_period(&m, start)? else {
            return Ok(None);
        };
        // Sites are looked up only for a reader who is not entitled to see everything.
        let own = if viewer.reader().is_some() && !policy::entitled(&viewer) {
            sites_read_for(&*node, &viewer, &period)?
        } else {
            Default::default()
        };
        Ok(Some(policy::redact_period(&viewer, &period, |s| {
            own.contains(s)
        })))
    })
    .await??
    .map(Json)
    .ok_or_else(|| ApiError::not_found(format!("no market {market}")))
}

/// The sites a period's intentions and contracts name that `viewer` reads for
/// ([policy::reads_for_site]).
fn sites_read_for(
    node: &dyn NodeApi,
    viewer: &Viewer,
    period: &PeriodView,
) -> Result<std::collections::BTreeSet<SiteId>, NodeError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = std::collections::BTreeSet::new();
    let sites = period
        .sells
        .iter()
        .chain(&period.buys)
        .map(|i| &i.site)
        .chain(
            period
                .contracts
                .iter()
                .flat_map(|c| [&c.seller_site, &c.buyer_site]),
        );
    for site in sites {
        if seen.insert(site.clone()) {
            if let Some(v) = node.site(site)? {
                if policy::reads_for_site(node, viewer, site, &v.owner)? {
                    out.insert(site.clone());
                }
            }
        }
    }
    Ok(out)
}
