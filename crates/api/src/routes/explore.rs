//! Routes for the dashboard's screens that compose what the node already knows: the directory,
//! a period's transactions, one search box for everything, and the trace of a contract from
//! intention to payment (steps 1-7 of the pilot).
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::{parse_site, parse_u64, uint};
use crate::routes::{chain::shown_tx, node_call};
use crate::{policy, AppState};
use axum::{
    extract::{rejection::PathRejection, Path, Query, State},
    Json,
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::*;
use gridledger_types::{Address, ChargerId, Hash32, SiteId, Topic};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// Most transactions a period's list or a trace reads from the index.
pub const PERIOD_TXS_MAX: usize = 1000;

pub async fn directory(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let node = st.node.clone();
    Ok(Json(node_call(move || node.directory()).await??))
}

fn period_params(
    params: Result<Path<Vec<(String, String)>>, PathRejection>,
) -> Result<(SiteId, u64, Option<u32>), ApiError> {
    let Path(params) =
        params.map_err(|e| ApiError::bad_request(ErrorCode::InvalidRequest, e.body_text()))?;
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let market = parse_site(get("market").unwrap_or(""))?;
    let start = parse_u64(
        get("start").unwrap_or(""),
        ErrorCode::InvalidHeight,
        "period start (Unix ms)",
    )?;
    let number = match get("n") {
        None => None,
        Some(n) => Some(uint(n, u32::MAX.into()).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidRequest,
                "contract number must be an integer from 0 to 4294967295",
            )
        })? as u32),
    };
    Ok((market, start, number))
}

/// `GET /api/v1/markets/{market}/periods/{start}/txs`: newest first, at most [PERIOD_TXS_MAX]
/// read; of those, the ones the viewer may read ([policy::tx]).
pub async fn period_txs(
    State(st): State<AppState>,
    viewer: Viewer,
    params: Result<Path<Vec<(String, String)>>, PathRejection>,
) -> Result<Json<Vec<TxView>>, ApiError> {
    let (market, start, _) = period_params(params)?;
    policy::known(&viewer, "a period's transactions")?;
    let node = st.node.clone();
    let key = Topic::Period(market, start).key();
    Ok(Json(
        node_call(move || {
            readable(
                &*node,
                &viewer,
                node.topic_history(&key, None, PERIOD_TXS_MAX)?,
            )
        })
        .await??,
    ))
}

/// The transactions of `txs` that `v` may read, as it may see them.
fn readable(node: &dyn NodeApi, v: &Viewer, txs: Vec<TxView>) -> Result<Vec<TxView>, NodeError> {
    let mut out = Vec::new();
    for t in txs {
        if policy::entitled(v) || policy::tx(v, &policy::tx_parties(node, &t)?) {
            out.push(shown_tx(node, v, t)?);
        }
    }
    Ok(out)
}

/// `GET /api/v1/markets/{market}/periods/{start}/contracts/{n}/trace`.
pub async fn trace(
    State(st): State<AppState>,
    viewer: Viewer,
    params: Result<Path<Vec<(String, String)>>, PathRejection>,
) -> Result<Json<TraceView>, ApiError> {
    let (market, start, number) = period_params(params)?;
    let number = number.unwrap_or(0);
    policy::known(&viewer, "a contract")?;
    let node = st.node.clone();
    let v = viewer.clone();
    let (t, readable) = node_call(move || -> Result<_, NodeError> {
        let Some(t) = contract_trace(&*node, &market, start, number)? else {
            return Ok(None);
        };
        let readable = policy::contract(&*node, &v, &t.contract)?;
        Ok(Some((t, readable)))
    })
    .await??
    .ok_or_else(|| ApiError::not_found("no such contract"))?;
    if !readable {
        return Err(policy::refuse(&viewer, "this contract"));
    }
    Ok(Json(t))
}

/// One transaction of a trace step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceTx {
    pub hash: Hash32,
    pub height: u64,
    pub timestamp_ms: u64,
    /// The payload's type, e.g. `submit_intention`.
    pub kind: String,
    pub success: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// 1-7.
    pub step: u8,
    /// `sell_intention`, `buy_intention`, `pairing`, `approval`, `supply`, `confirmation`,
    /// `payment`.
    pub name: String,
    pub done: bool,
    pub txs: Vec<TraceTx>,
}

/// A contract and its seven steps, from the sell intention to the payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceView {
    pub market: SiteId,
    pub period_start_ms: u64,
    pub period_end_ms: u64,
    pub contract: ContractView,
    pub steps: Vec<TraceStep>,
}

fn trace_tx(v: &TxView) -> TraceTx {
    TraceTx {
        hash: v.hash,
        height: v.height,
        timestamp_ms: v.timestamp_ms,
        kind: v.tx["payload"]["type"].as_str().unwrap_or("").to_string(),
        success: v.receipt.is_success(),
    }
}

fn kind_of(v: &TxView) -> &str {
    v.tx["payload"]["type"].as_str().unwrap_or("")
}

/// The newest readings a site's meters posted, and whether they reach `until_ms`.
fn meter_step(
    node: &dyn NodeApi,
    dir: &Value,
    site: &SiteId,
    until_ms: u64,
) -> Result<(bool, Vec<TraceTx>), NodeError> {
    let meters: Vec<Address> = dir["sites"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["site"].as_str() == Some(site.as_str()))
        .flat_map(|s| s["meters"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m.as_str().and_then(|h| Address::from_hex(h).ok()))
        .collect();
    let mut reached = false;
    let mut txs = Vec::new();
    for meter in meters {
        if let Some(v) = node
            .history(&meter, None, 20)?
            .into_iter()
            .find(|v| kind_of(v) == "submit_readings" && v.receipt.is_success())
        {
            let p = &v.tx["payload"];
            let first = p["first_interval_start_ms"].as_u64().unwrap_or(0);
            let step = p["interval_ms"].as_u64().unwrap_or(0);
            let n = p["registers"].as_array().map_or(0, |r| r.len() as u64);
            let last_boundary = first.saturating_add(step.saturating_mul(n.saturating_sub(1)));
            reached |= last_boundary >= until_ms;
            txs.push(trace_tx(&v));
        }
    }
    Ok((reached, txs))
}

/// Steps 1-7 of contract `number` of a period; `None` if there is no such contract.
pub fn contract_trace(
    node: &dyn NodeApi,
    market: &SiteId,
    start: u64,
    number: u32,
) -> Result<Option<TraceView>, NodeError> {
    let Some(period) = node.market_period(market, start)? else {
        return Ok(None);
    };
    let Some(contract) = period
        .contracts
        .iter()
        .find(|c| c.number == number)
        .cloned()
    else {
        return Ok(None);
    };
    let about = node.topic_history(
        &Topic::Period(market.clone(), start).key(),
        None,
        PERIOD_TXS_MAX,
    )?;
    let of_kind = |k: &str, pred: &dyn Fn(&TxView) -> bool| -> Vec<TraceTx> {
        about
            .iter()
            .rev()
            .filter(|v| kind_of(v) == k && v.receipt.is_success() && pred(v))
            .map(trace_tx)
            .collect()
    };
    let intention = |h: &Hash32| -> Result<Vec<TraceTx>, NodeError> {
        Ok(node.tx(h)?.iter().map(trace_tx).collect())
    };
    let sell = intention(&contract.sell)?;
    let buy = intention(&contract.buy)?;
    let pairing = of_kind("clear_period", &|_| true);
    let approvals = of_kind("approve_contract", &|v| {
        v.tx["payload"]["number"].as_u64() == Some(u64::from(number))
    });
    let settle = of_kind("settle_period", &|_| true);
    let dir = node.directory().unwrap_or(Value::Null);
    let (supplied, supply_txs) =
        meter_step(node, &dir, &contract.seller_site, period.period_end_ms)?;
    let (metered, mut confirm_txs) =
        meter_step(node, &dir, &contract.buyer_site, period.period_end_ms)?;
    confirm_txs.extend(settle.iter().cloned());
    // Payment: real-time markets pay from escrow at settlement; the monthly market's buyer
    // pays the month's bill (PayBill, or the auto-debit CollectBills).
    let (paid, pay_txs) = if period.period_kind == "monthly" {
        let month = gridledger_types::kst_month(start);
        let bill = node.billing(&BillingQuery::AccountBill {
            account: contract.buyer.clone(),
            month,
        })?;
        let paid_by = bill
            .as_ref()
            .and_then(|b| b["bill"]["paid_by"].as_str())
            .and_then(|h| Hash32::from_hex(h).ok());
        let txs = match paid_by {
            Some(h) => node.tx(&h)?.iter().map(trace_tx).collect(),
            None => Vec::new(),
        };
        (paid_by.is_some(), txs)
    } else {
        (
            period.settled && contract.delivered_wh.is_some(),
            settle.clone(),
        )
    };
    let step = |n: u8, name: &str, done: bool, txs: Vec<TraceTx>| TraceStep {
        step: n,
        name: name.to_string(),
        done,
        txs,
    };
    let steps = vec![
        step(1, "sell_intention", !sell.is_empty(), sell),
        step(2, "buy_intention", !buy.is_empty(), buy),
        step(3, "pairing", period.cleared, pairing),
        step(4, "approval", contract.approved, approvals),
        step(5, "supply", supplied, supply_txs),
        step(6, "confirmation", metered && period.settled, confirm_txs),
        step(7, "payment", paid, pay_txs),
    ];
    Ok(Some(TraceView {
        market: market.clone(),
        period_start_ms: start,
        period_end_ms: period.period_end_ms,
        contract,
        steps,
    }))
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// `GET /api/v1/search?q=`: `{kind, path, value}`; `kind` is null when nothing matches. A
/// match the viewer may not read has `value: null` and `restricted: true` (an account found
/// by its public registration shows only that).
pub async fn search(
    State(st): State<AppState>,
    viewer: Viewer,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(ErrorCode::InvalidRequest, e.body_text()))?;
    let q = q.q.unwrap_or_default().trim().to_string();
    if q.is_empty() || q.len() > 100 {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidRequest,
            "q must be 1-100 characters",
        ));
    }
    let node = st.node.clone();
    Ok(Json(node_call(move || find(node, &viewer, &q)).await??))
}

fn found(kind: &str, path: String, value: Value) -> Value {
    json!({ "kind": kind, "path": path, "value": value })
}

/// A match whose value the viewer may not read.
fn restricted(kind: &str, path: String) -> Value {
    json!({ "kind": kind, "path": path, "value": null, "restricted": true })
}

fn find(node: Arc<dyn NodeApi>, v: &Viewer, q: &str) -> Result<Value, NodeError> {
    let none = json!({ "kind": null, "path": null, "value": null });
    if !q.is_empty() && q.len() <= 19 && q.bytes().all(|b| b.is_ascii_digit()) {
        let Ok(h) = q.parse::<u64>() else {
            return Ok(none);
        };
        return Ok(match node.block(h)? {
            Some(b) => found("block", format!("/blocks/{h}"), to_json(&b)),
            None => none,
        });
    }
    let lower = q.trim_start_matches("0x").to_ascii_lowercase();
    if lower.len() == 64 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(h) = Hash32::from_hex(&lower) {
            if let Some(tx) = node.tx(&h)? {
                let path = format!("/txs/{lower}");
                if !(policy::entitled(v) || policy::tx(v, &policy::tx_parties(&*node, &tx)?)) {
                    return Ok(restricted("tx", path));
                }
                return Ok(found("tx", path, to_json(&shown_tx(&*node, v, tx)?)));
            }
        }
        if let Ok(a) = Address::from_hex(&lower) {
            let participant = node.participant(&a)?;
            let path = format!("/accounts/{lower}");
            if policy::account(v, &a).is_err() {
                // Only what the registry shows anyone: that the participant exists.
                return Ok(match participant {
                    Some(p) => json!({ "kind": "account", "path": path,
                        "value": { "participant": to_json(&p) }, "restricted": true }),
                    None => none,
                });
            }
            let history = readable(&*node, v, node.history(&a, None, 20)?)?;
            if participant.is_some() || !history.is_empty() {
                let account = node.account(&a)?;
                return Ok(found(
                    "account",
                    path,
                    json!({ "account": to_json(&account), "participant": to_json(&participant), "history": to_json(&history) }),
                ));
            }
        }
        return Ok(none);
    }
    let parts: Vec<&str> = q.split('/').collect();
    match parts.as_slice() {
        [m, start, n] => {
            let (Ok(market), Ok(start), Ok(n)) =
                (SiteId::new(*m), start.parse::<u64>(), n.parse::<u32>())
            else {
                return Ok(none);
            };
            let path = format!("/markets/{market}/periods/{start}/contracts/{n}/trace");
            Ok(match contract_trace(&*node, &market, start, n)? {
                Some(t) if policy::contract(&*node, v, &t.contract)? => {
                    found("contract", path, to_json(&t))
                }
                Some(_) => restricted("contract", path),
                None => none,
            })
        }
        [c, s] => {
            let (Ok(charger), Ok(session)) = (ChargerId::new(*c), s.parse::<u64>()) else {
                return Ok(none);
            };
            let q = ChargingQuery::Session {
                charger: charger.clone(),
                session,
            };
            let path = format!("/charging/sessions/{charger}/{session}");
            Ok(match node.charging(&q)? {
                Some(s) if session_readable(v, &s) => found("session", path, s),
                Some(_) => restricted("session", path),
                None => none,
            })
        }
        [one] => {
            let Ok(site) = SiteId::new(*one) else {
                return Ok(none);
            };
            Ok(match node.site(&site)? {
                Some(s) => found("site", format!("/sites/{site}"), to_json(&s)),
                None => none,
            })
        }
        _ => Ok(none),
    }
}

/// [policy::charging_session] of a session record (`payer`, `payee`, `charger`).
pub(crate) fn session_readable(v: &Viewer, s: &Value) -> bool {
    let addr = |k: &str| s[k].as_str().and_then(|h| Address::from_hex(h).ok());
    match (addr("payer"), addr("payee")) {
        (Some(payer), Some(payee)) => {
            policy::charging_session(v, &payer, &payee, s["charger"].as_str().unwrap_or(""))
        }
        _ => v.has_role(policy::CHARGING_ENTITLED),
    }
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
