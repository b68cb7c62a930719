//! Read-only views of bills for the API and the CLI, built from the state (no writes).
use crate::state::billing::{config, month_billing, site_bill, tariffs, MonthBilling, SiteBill};
use crate::state::metering::site;
use crate::state::payments::{
    account_bill, account_bills, due_ms, lines, AccountBill, Payment, DAY_MS,
};
use crate::state::ppa::Ppa;
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_tariff::{bill_with, Bill, TariffClass};
use gridledger_types::{Address, ConfigureBilling, EnergyWh, Hash32, SiteId};
use serde::Serialize;

/// One side of a site bill: with P2P or without.
#[derive(Clone, Debug, Serialize)]
pub struct BillSide {
    /// The KEPCO bill of the grid-supplied energy, every component.
    pub kepco: Option<Bill>,
    pub grid_charge: u64,
    pub p2p_purchases: u64,
    pub p2p_sales: u64,
    /// The part of `p2p_sales` paid to sales companies under the owner's mandates.
    pub p2p_sales_share: u64,
    pub feed_in: u64,
    /// grid + purchases - sales + sales share - feed-in (negative: the owner earns).
    pub net: i128,
}

/// `GET /api/v1/sites/{site}/bills/{month}`
#[derive(Clone, Debug, Serialize)]
pub struct SiteBillView {
    pub site: SiteId,
    pub month: u32,
    pub bill: SiteBill,
    pub with_p2p: BillSide,
    pub without_p2p: BillSide,
    /// without - with.
    pub savings: i128,
}

/// `unpaid`, `paid`, `paid_late` or `overdue`.
pub fn bill_status(b: &AccountBill, due_at: Option<u64>, now_ms: u64) -> &'static str {
    match (b.paid_by.is_some() || b.due.is_zero(), b.late) {
        (true, true) => "paid_late",
        (true, false) => "paid",
        _ if b.overdue || due_at.is_some_and(|d| now_ms >= d.saturating_add(DAY_MS)) => "overdue",
        _ => "unpaid",
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LineView {
    pub number: u32,
    #[serde(flatten)]
    pub line: Payment,
}

/// `GET /api/v1/accounts/{address}/bills/{month}`
#[derive(Clone, Debug, Serialize)]
pub struct AccountBillView {
    pub account: Address,
    pub month: u32,
    pub due_ms: Option<u64>,
    pub status: &'static str,
    pub bill: AccountBill,
    pub lines: Vec<LineView>,
}

/// `GET /api/v1/ppas/{id}`: a PPA, its terms and status, and every month it settled.
#[derive(Clone, Debug, Serialize)]
pub struct PpaView {
    pub id: Hash32,
    pub ppa: Ppa,
    pub settlements: Vec<PpaMonth>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PpaMonth {
    pub month: u32,
    #[serde(flatten)]
    pub line: crate::SettlementLine,
}

pub fn ppa_view(s: &(impl StateRead + ?Sized), id: &Hash32) -> Option<PpaView> {
    let ppa = crate::state::ppa::ppa(s, id)?;
    let range = StateKey::PpaSettlement(*id, 0)..StateKey::PpaSettlement(*id, u32::MAX);
    let settlements = s
        .scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::PpaSettlement(_, month), StateValue::PpaSettlement(line)) => {
                Some(PpaMonth { month, line })
            }
            _ => None,
        })
        .collect();
    Some(PpaView {
        id: *id,
        ppa,
        settlements,
    })
}

/// `GET /api/v1/markets/{market}/ppas`: the market's live PPAs (proposed, or accepted with
/// months to settle), in id order.
pub fn market_ppas(s: &(impl StateRead + ?Sized), mk: &gridledger_types::MarketId) -> Vec<PpaView> {
    crate::state::ppa::live(s, mk)
        .into_iter()
        .filter_map(|(id, _)| ppa_view(s, &id))
        .collect()
}

/// `GET /api/v1/billing/{month}`
#[derive(Clone, Debug, Serialize)]
pub struct MonthView {
    pub month: u32,
    pub config: ConfigureBilling,
    pub progress: MonthBilling,
    pub due_ms: Option<u64>,
    pub bills: usize,
    pub paid: usize,
    pub overdue: usize,
}

fn kepco_of(
    s: &(impl StateRead + ?Sized),
    sb: &SiteBill,
    id: &SiteId,
    month: u32,
    wh: u64,
) -> Option<Bill> {
    let st = site(s, id)?;
    let class: TariffClass = st.tariff_class.parse().ok()?;
    let v = tariffs(s).into_iter().find(|v| v.id == sb.tariff_version)?;
    let kw = class.needs_contract_kw().then_some(st.contract_kw);
    bill_with(
        &v,
        class,
        (month / 100) as u16,
        (month % 100) as u8,
        EnergyWh(wh),
        kw,
    )
    .ok()
}

pub fn site_bill_view(
    s: &(impl StateRead + ?Sized),
    id: &SiteId,
    month: u32,
) -> Option<SiteBillView> {
    let b = site_bill(s, id, month)?;
    let with_p2p = BillSide {
        kepco: kepco_of(s, &b, id, month, b.grid_wh),
        grid_charge: b.grid_charge.0,
        p2p_purchases: b.p2p.purchases.0,
        p2p_sales: b.p2p.sales.0,
        p2p_sales_share: b.p2p.sales_share.0,
        feed_in: b.feed_in.0,
        net: b.net_with_p2p(),
    };
    let without_p2p = BillSide {
        kepco: kepco_of(s, &b, id, month, b.import_wh),
        grid_charge: b.grid_charge_without_p2p.0,
        p2p_purchases: 0,
        p2p_sales: 0,
        p2p_sales_share: 0,
        feed_in: b.feed_in_without_p2p.0,
        net: b.net_without_p2p(),
    };
    Some(SiteBillView {
        site: id.clone(),
        month,
        savings: b.savings(),
        bill: b,
        with_p2p,
        without_p2p,
    })
}

fn month_due(s: &(impl StateRead + ?Sized), month: u32) -> Option<u64> {
    config(s).ok().and_then(|c| due_ms(month, c.due_day))
}

pub fn account_bill_view(
    s: &(impl StateRead + ?Sized),
    account: &Address,
    month: u32,
    now_ms: u64,
) -> Option<AccountBillView> {
    let ls = lines(s, month, account);
    if ls.is_empty() {
        return None;
    }
    let bill = account_bill(s, month, account);
    let due = month_due(s, month);
    Some(AccountBillView {
        account: account.clone(),
        month,
        due_ms: due,
        status: bill_status(&bill, due, now_ms),
        bill,
        lines: ls
            .into_iter()
            .map(|(number, line)| LineView { number, line })
            .collect(),
    })
}

pub fn month_view(s: &(impl StateRead + ?Sized), month: u32, now_ms: u64) -> Option<MonthView> {
    let cfg = config(s).ok()?;
    let due = due_ms(month, cfg.due_day);
    let bills = account_bills(s, month);
    let status: Vec<&str> = bills
        .iter()
        .map(|(_, b)| bill_status(b, due, now_ms))
        .collect();
    Some(MonthView {
        month,
        config: cfg,
        progress: month_billing(s, month),
        due_ms: due,
        bills: bills.len(),
        paid: status.iter().filter(|s| s.starts_with("paid")).count(),
        overdue: status.iter().filter(|s| **s == "overdue").count(),
    })
}
