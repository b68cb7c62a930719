//! Billing routes: site bills (with and without P2P), account bills with their payment lines,
//! a month's billing progress, and the bank's settlement report (JSON or CSV).
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::{parse_address, parse_hash, parse_month, parse_site, parse_u64, path_segment};
use crate::routes::{node_call, sites::site_for};
use crate::{policy, AppState};
use axum::{
    extract::{rejection::PathRejection, Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
    Json,
};
use gridledger_api_types::BillingQuery;
use gridledger_api_types::ErrorCode;
use gridledger_types::SiteId;
use serde::Deserialize;

async fn ask(st: &AppState, q: BillingQuery, what: String) -> Result<serde_json::Value, ApiError> {
    let node = st.node.clone();
    node_call(move || node.billing(&q))
        .await??
        .ok_or_else(|| ApiError::not_found(what))
}

/// `{site}/.../{month}` path parameters.
fn site_month(p: Result<Path<(String, String)>, PathRejection>) -> Result<(SiteId, u32), ApiError> {
    let Path((site, month)) =
        p.map_err(|e| ApiError::bad_request(ErrorCode::InvalidSite, e.body_text()))?;
    Ok((parse_site(&site)?, parse_month(&month)?))
}

pub async fn site_bill(
    State(st): State<AppState>,
    viewer: Viewer,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (site, month) = site_month(p)?;
    site_for(&st, &viewer, &site).await?;
    let what = format!("no bill of {month} for site {site}");
    Ok(Json(
        ask(&st, BillingQuery::SiteBill { site, month }, what).await?,
    ))
}

pub async fn forecast(
    State(st): State<AppState>,
    viewer: Viewer,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (site, month) = site_month(p)?;
    site_for(&st, &viewer, &site).await?;
    let what = format!("no site {site}");
    Ok(Json(
        ask(&st, BillingQuery::Forecast { site, month }, what).await?,
    ))
}

pub async fn ppa(
    State(st): State<AppState>,
    viewer: Viewer,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_hash(&path_segment(p, ErrorCode::InvalidHash)?)?;
    policy::known(&viewer, "a PPA")?;
    let v = ask(&st, BillingQuery::Ppa { id }, format!("no PPA {id}")).await?;
    if !policy::ppa(&viewer, &v) {
        return Err(policy::refuse(&viewer, "this PPA"));
    }
    Ok(Json(v))
}

/// The market's live PPAs that the viewer may read (its own; all for the entitled roles).
pub async fn market_ppas(
    State(st): State<AppState>,
    viewer: Viewer,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let market = parse_site(&path_segment(p, ErrorCode::InvalidSite)?)?;
    policy::known(&viewer, "a market's PPAs")?;
    let what = format!("no market {market}");
    let v = ask(&st, BillingQuery::MarketPpas { market }, what).await?;
    Ok(Json(match v {
        serde_json::Value::Array(list) => serde_json::Value::Array(
            list.into_iter()
                .filter(|p| policy::ppa(&viewer, p))
                .collect(),
        ),
        other => other,
    }))
}

pub async fn account_bill(
    State(st): State<AppState>,
    viewer: Viewer,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Path((account, month)) =
        p.map_err(|e| ApiError::bad_request(ErrorCode::InvalidAddress, e.body_text()))?;
    let (account, month) = (parse_address(&account)?, parse_month(&month)?);
    policy::account(&viewer, &account)?;
    let what = format!("no bill of {month} for {account}");
    Ok(Json(
        ask(&st, BillingQuery::AccountBill { account, month }, what).await?,
    ))
}

pub async fn month(
    State(st): State<AppState>,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let month = parse_month(&path_segment(p, ErrorCode::InvalidMonth)?)?;
    Ok(Json(
        ask(
            &st,
            BillingQuery::Month { month },
            "billing is not configured".into(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    market: Option<String>,
    period_start_ms: Option<String>,
    format: Option<String>,
}

pub async fn bank_report(
    State(st): State<AppState>,
    viewer: Viewer,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let month = parse_month(&path_segment(p, ErrorCode::InvalidMonth)?)?;
    policy::bank_report(&viewer)?;
    let Query(q) =
        q.map_err(|e| ApiError::bad_request(ErrorCode::InvalidRequest, e.body_text()))?;
    let period = match (q.market.as_deref(), q.period_start_ms.as_deref()) {
        (None, None) => None,
        (Some(m), Some(t)) => Some((
            parse_site(m)?,
            parse_u64(t, ErrorCode::InvalidRequest, "period_start_ms (Unix ms)")?,
        )),
        _ => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidRequest,
                "give both market and period_start_ms, or neither",
            ))
        }
    };
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidRequest,
                format!("format is json or csv, not {other}"),
            ))
        }
    };
    let v = ask(
        &st,
        BillingQuery::BankReport { month, period, csv },
        format!("no report for {month}"),
    )
    .await?;
    Ok(match (csv, v) {
        (true, serde_json::Value::String(text)) => {
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response()
        }
        (_, v) => Json(v).into_response(),
    })
}
