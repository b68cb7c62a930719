//! Who may read what: one function per kind of personal record, deciding from the [Viewer] and
//! the record's parties. The table of routes in docs/SECURITY.md names the function each route
//! asks.
//!
//! Personal records go to their owner (a device reads as its owner), to the roles whose work
//! needs them ([ENTITLED]; charging records: [CHARGING_ENTITLED]) and, for charging, to the
//! member's charging operator. Everyone else is refused: `401 unauthorized` (with the
//! signed-read challenge) if anonymous, `403 forbidden` if known. Views that mix aggregates with
//! identities (a period's order book, the event stream) are redacted instead of refused.
use crate::auth::{Reader, Viewer};
use crate::error::ApiError;
use axum::http::StatusCode;
use gridledger_api_types::ErrorCode;
use gridledger_api_types::{
    ContractView, FinalizedEvent, NodeApi, NodeError, PeriodView, SiteMandatesView, TxView,
};
use gridledger_types::{Address, Role, SiteId};
use serde_json::Value;

/// Roles whose work needs every participant's market, metering, billing and money records:
/// the market operator (runs the market, resolves disputes), the bank (moves the money), the
/// grid company (bills the sites) and the auditor (reads everything, signs nothing).
pub const ENTITLED: &[Role] = &[Role::Operator, Role::Bank, Role::GridCompany, Role::Auditor];

/// Roles that see every charging member and session (without members' cards): the market
/// operator, the bank and the auditor. (The grid company bills sites, not charging.)
pub const CHARGING_ENTITLED: &[Role] = &[Role::Operator, Role::Bank, Role::Auditor];

/// `401 unauthorized` for an anonymous caller, `403 forbidden` for anyone else.
pub fn refuse(v: &Viewer, what: &str) -> ApiError {
    match v {
        Viewer::Anonymous => ApiError::unauthorized(
            ErrorCode::Unauthorized,
            format!("personal data ({what}): sign the read (GridLedger-Ed25519) or sign in"),
        ),
        _ => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("not yours to read: {what}"),
        ),
    }
}

fn allow(v: &Viewer, ok: bool, what: &str) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(refuse(v, what))
    }
}

/// Refuses an anonymous caller (routes that then show each caller only its own entries).
pub fn known(v: &Viewer, what: &str) -> Result<(), ApiError> {
    allow(v, !matches!(v, Viewer::Anonymous), what)
}

/// True for the [ENTITLED] roles.
pub fn entitled(v: &Viewer) -> bool {
    v.has_role(ENTITLED)
}

/// The sales company `v` reads as, if any: a participant reading with its own key (not a
/// device's) whose role is `sales_company`.
fn sales_company(v: &Viewer) -> Option<&Reader> {
    v.reader()
        .filter(|r| !r.device && r.role == Some(Role::SalesCompany))
}

/// True if `v` is a sales company whose mandate for `site` is in force at the head's block
/// time (granted, started, not ended, not revoked): it reads the site's records as the owner's
/// agent. Asks the node only for a sales company.
pub fn mandated(node: &dyn NodeApi, v: &Viewer, site: &SiteId) -> Result<bool, NodeError> {
    let Some(r) = sales_company(v) else {
        return Ok(false);
    };
    Ok(node
        .site_mandates(site)?
        .is_some_and(|m| m.mandates.iter().any(|x| x.active && x.company == r.key)))
}

/// True if `v` reads `site`'s records as its owner (or a device of the owner) or under a
/// mandate in force ([mandated]).
pub fn reads_for_site(
    node: &dyn NodeApi,
    v: &Viewer,
    site: &SiteId,
    owner: &Address,
) -> Result<bool, NodeError> {
    Ok(v.is(owner) || mandated(node, v, site)?)
}

/// A site's mandates: every record to the site's owner (or its devices) and the [ENTITLED]
/// roles; to a company a record names (or its devices), its own record only, live or ended;
/// nobody else.
pub fn site_mandates(v: &Viewer, mut view: SiteMandatesView) -> Result<SiteMandatesView, ApiError> {
    if v.is(&view.owner) || entitled(v) {
        return Ok(view);
    }
    view.mandates.retain(|m| v.is(&m.company));
    allow(v, !view.mandates.is_empty(), "this site's mandates")?;
    Ok(view)
}

/// An account's balance, holds, history and bills: the account itself (or its devices) and
/// the [ENTITLED] roles.
pub fn account(v: &Viewer, a: &Address) -> Result<(), ApiError> {
    allow(v, v.is(a) || entitled(v), "this account")
}

/// A site's readings, bills and forecast: its owner (or the owner's devices, e.g. its meter),
/// a sales company under the owner's mandate in force ([reads_for_site] answers both) and the
/// [ENTITLED] roles.
pub fn site(v: &Viewer, reads_for_site: bool) -> Result<(), ApiError> {
    allow(v, reads_for_site || entitled(v), "this site's records")
}

/// The bank's settlement report: the bank, the operator, the grid company and the auditor.
pub fn bank_report(v: &Viewer) -> Result<(), ApiError> {
    allow(v, entitled(v), "the bank report")
}

/// A PPA (`{id, ppa: {proposer, seller, buyer, ...}, settlements}`): its proposer, seller and
/// buyer, and the [ENTITLED] roles.
pub fn ppa(v: &Viewer, view: &Value) -> bool {
    let p = &view["ppa"];
    entitled(v)
        || ["proposer", "seller", "buyer"]
            .iter()
            .filter_map(|k| p[*k].as_str().and_then(|h| Address::from_hex(h).ok()))
            .any(|a| v.is(&a))
}

/// A contract (and its trace): its seller and buyer (the sites' owners), a sales company with
/// a mandate in force for either site ([mandated]), and the [ENTITLED] roles.
pub fn contract(node: &dyn NodeApi, v: &Viewer, c: &ContractView) -> Result<bool, NodeError> {
    Ok(v.is(&c.seller)
        || v.is(&c.buyer)
        || entitled(v)
        || mandated(node, v, &c.seller_site)?
        || mandated(node, v, &c.buyer_site)?)
}

/// Every account a transaction names: its signer, the owner of a signing device, every
/// address in its payload and receipt events, and the owner of the site or charger its payload
/// is about.
pub fn tx_parties(node: &dyn NodeApi, tx: &TxView) -> Result<Vec<Address>, NodeError> {
    let mut out = Vec::new();
    let payload = &tx.tx["payload"];
    collect_addresses(payload, &mut out);
    if let Some(site) = payload["site"].as_str().and_then(|s| SiteId::new(s).ok()) {
        if let Some(v) = node.site(&site)? {
            out.push(v.owner);
        }
    }
    if let Some(charger) = payload["charger"]
        .as_str()
        .and_then(|c| gridledger_types::ChargerId::new(c).ok())
    {
        let owner = node
            .charging(&gridledger_api_types::ChargingQuery::Charger { charger })?
            .and_then(|c| c["owner"].as_str().and_then(|h| Address::from_hex(h).ok()));
        out.extend(owner);
    }
    if let Ok(events) = serde_json::to_value(&tx.receipt.events) {
        collect_addresses(&events, &mut out);
    }
    if let Some(signer) = tx.tx["signer"]
        .as_str()
        .and_then(|h| Address::from_hex(h).ok())
    {
        if let Some(d) = node.device(&signer)? {
            out.push(d.owner);
        }
        out.push(signer);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every string in `v` that is an address (64 hex characters of a valid key).
fn collect_addresses(v: &Value, out: &mut Vec<Address>) {
    match v {
        Value::String(s) if s.len() == 64 => {
            if let Ok(a) = Address::from_hex(s) {
                out.push(a);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| collect_addresses(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_addresses(x, out)),
        _ => {}
    }
}

/// A finalized transaction (it carries readings, amounts and names): the accounts it names
/// ([tx_parties]) and the [ENTITLED] roles.
pub fn tx(v: &Viewer, parties: &[Address]) -> bool {
    entitled(v) || parties.iter().any(|a| v.is(a))
}

/// Hides the member card in an `enroll_member` or `set_member` payload unless `v` is the
/// signer (the member's charging operator) or the member (`member`: its account, if known).
pub fn redact_card(v: &Viewer, tx: &mut TxView, member: Option<&Address>) {
    let kind = tx.tx["payload"]["type"].as_str().unwrap_or("");
    if kind != "enroll_member" && kind != "set_member" {
        return;
    }
    let signer = tx.tx["signer"]
        .as_str()
        .and_then(|h| Address::from_hex(h).ok());
    let shown = signer.is_some_and(|s| v.is(&s)) || member.is_some_and(|m| v.is(m));
    if !shown {
        tx.tx["payload"]["card"] = Value::Null;
    }
}

/// The account an `enroll_member` payload names, or the member number a `set_member` names.
pub fn card_member(tx: &TxView) -> (Option<Address>, Option<u64>) {
    let p = &tx.tx["payload"];
    match p["type"].as_str() {
        Some("enroll_member") => (
            p["account"]
                .as_str()
                .and_then(|h| Address::from_hex(h).ok()),
            None,
        ),
        Some("set_member") => (None, p["member_no"].as_u64()),
        _ => (None, None),
    }
}

/// The fields of an intention in a period view that say whose it is.
pub const INTENTION_IDENTITIES: &[&str] = &["id", "owner", "site"];

/// The fields of a contract in a period view that say whose it is.
pub const CONTRACT_IDENTITIES: &[&str] = &[
    "sell",
    "buy",
    "seller",
    "buyer",
    "seller_site",
    "buyer_site",
];

/// A period's order book and contracts: the aggregates (energies, prices, fills, approvals,
/// the clearing price) for everyone; the identities of an intention (id, owner, site) only to
/// its owner, whoever reads for its site (`own_site` answers [reads_for_site]: the site's
/// owner, a sales company under its mandate) and the [ENTITLED] roles; a contract's identities
/// (its intentions, parties and sites) only to its parties, whoever reads for either site and
/// the [ENTITLED] roles. Others see those fields as `null`.
pub fn redact_period(v: &Viewer, period: &PeriodView, own_site: impl Fn(&SiteId) -> bool) -> Value {
    let mut out = serde_json::to_value(period).unwrap_or(Value::Null);
    if entitled(v) {
        return out;
    }
    for (side, list) in [("sells", &period.sells), ("buys", &period.buys)] {
        for (i, x) in list.iter().enumerate() {
            if !(v.is(&x.owner) || own_site(&x.site)) {
                for field in INTENTION_IDENTITIES {
                    out[side][i][*field] = Value::Null;
                }
            }
        }
    }
    for (i, c) in period.contracts.iter().enumerate() {
        let party = v.is(&c.seller)
            || v.is(&c.buyer)
            || own_site(&c.seller_site)
            || own_site(&c.buyer_site);
        if !party {
            for field in CONTRACT_IDENTITIES {
                out["contracts"][i][*field] = Value::Null;
            }
        }
    }
    out
}

/// What a member record shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberAccess {
    Full,
    /// Everything but the card.
    WithoutCard,
}

/// A charging member: in full to the member itself and its charging operator; without its
/// card to the [CHARGING_ENTITLED] roles; nobody else.
pub fn member(v: &Viewer, account: &Address, operator: &Address) -> Result<MemberAccess, ApiError> {
    if v.is(account) || v.is(operator) {
        Ok(MemberAccess::Full)
    } else if v.has_role(CHARGING_ENTITLED) {
        Ok(MemberAccess::WithoutCard)
    } else {
        Err(refuse(v, "this member"))
    }
}

/// A charging session: its payer (the member), its payee (the charger's owner, the charging
/// operator), the charger it ran at (by the charger's own credentials) and the
/// [CHARGING_ENTITLED] roles.
pub fn charging_session(v: &Viewer, payer: &Address, payee: &Address, charger: &str) -> bool {
    match v {
        Viewer::Charger(c) => c == charger,
        _ => v.is(payer) || v.is(payee) || v.has_role(CHARGING_ENTITLED),
    }
}

/// Whose charging revenue a viewer may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevenueScope {
    All,
    /// The chargers this account owns.
    ChargersOf(Address),
}

/// Charging revenue: all of it to the [CHARGING_ENTITLED] roles, a charging operator's own
/// chargers to it; nobody else.
pub fn revenue(v: &Viewer) -> Result<RevenueScope, ApiError> {
    if v.has_role(CHARGING_ENTITLED) {
        return Ok(RevenueScope::All);
    }
    match v.reader() {
        Some(r) if !r.device && r.role == Some(Role::ChargingOperator) => {
            Ok(RevenueScope::ChargersOf(r.owner.clone()))
        }
        _ => Err(refuse(v, "charging revenue")),
    }
}

/// Which receipts an event stream carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventScope {
    /// Block headers only (anonymous callers).
    Headers,
    /// Receipts with an event that names one of these accounts.
    Naming(Vec<Address>),
    /// Every receipt ([ENTITLED] roles).
    All,
}

/// The event stream: block headers for everyone; every receipt for the [ENTITLED] roles; to
/// another reader, the receipts whose events name it (or, for a device, its owner).
pub fn events(v: &Viewer) -> EventScope {
    if entitled(v) {
        return EventScope::All;
    }
    match v.reader() {
        Some(r) => {
            let mut names = vec![r.key.clone(), r.owner.clone()];
            names.dedup();
            EventScope::Naming(names)
        }
        None => EventScope::Headers,
    }
}

/// `ev` as `scope` may see it (the same block header; fewer receipts).
pub fn filter_event(scope: &EventScope, ev: &FinalizedEvent) -> FinalizedEvent {
    let receipts = match scope {
        EventScope::All => ev.receipts.clone(),
        EventScope::Headers => Vec::new(),
        EventScope::Naming(names) => ev
            .receipts
            .iter()
            .filter(|r| {
                let mut named = Vec::new();
                if let Ok(events) = serde_json::to_value(&r.events) {
                    collect_addresses(&events, &mut named);
                }
                named.iter().any(|a| names.contains(a))
            })
            .cloned()
            .collect(),
    };
    FinalizedEvent {
        block: ev.block.clone(),
        receipts,
    }
}
