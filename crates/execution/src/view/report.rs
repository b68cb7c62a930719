//! The bank's settlement report of a month (or one market period of it): per account, money
//! paid and received by kind, from the recorded payment lines. Read-only.
use crate::state::payments::{Payment, PaymentSource};
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_types::{kst_month_start_ms, Address, MarketId, PaymentKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// One account's money in the report, per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindTotals {
    pub paid: u64,
    pub received: u64,
    /// Owed by this account and not paid yet.
    pub unpaid: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountTotals {
    pub account: Address,
    pub paid: u64,
    pub received: u64,
    pub unpaid: u64,
    pub by_kind: BTreeMap<PaymentKind, KindTotals>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BankReport {
    pub month: u32,
    /// Only lines of this market period, if set.
    pub market: Option<MarketId>,
    pub period_start_ms: Option<u64>,
    /// Sum of the paid lines: equals the sum of `paid` and the sum of `received`.
    pub paid_total: u64,
    pub unpaid_total: u64,
    pub lines: u64,
    pub accounts: Vec<AccountTotals>,
}

impl BankReport {
    /// True when every column sums to the lines (the report balances).
    pub fn balances(&self) -> bool {
        let paid: u128 = self.accounts.iter().map(|a| u128::from(a.paid)).sum();
        let recv: u128 = self.accounts.iter().map(|a| u128::from(a.received)).sum();
        let unpaid: u128 = self.accounts.iter().map(|a| u128::from(a.unpaid)).sum();
        paid == u128::from(self.paid_total)
            && recv == u128::from(self.paid_total)
            && unpaid == u128::from(self.unpaid_total)
    }

    /// `account,kind,paid_mkrw,received_mkrw,unpaid_mkrw` per account and kind, then a
    /// `TOTAL` row.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("account,kind,paid_mkrw,received_mkrw,unpaid_mkrw\n");
        for a in &self.accounts {
            for (kind, t) in &a.by_kind {
                out.push_str(&format!(
                    "{},{},{},{},{}\n",
                    a.account, kind, t.paid, t.received, t.unpaid
                ));
            }
        }
        out.push_str(&format!(
            "TOTAL,,{},{},{}\n",
            self.paid_total, self.paid_total, self.unpaid_total
        ));
        out
    }
}

/// Every payment line of `month` as `(payer, line)`, in key order.
pub fn month_lines(s: &(impl StateRead + ?Sized), month: u32) -> Vec<(Address, Payment)> {
    let range = StateKey::Payment(month, [0; 32], 0)
        ..StateKey::Payment(month.saturating_add(1), [0; 32], 0);
    s.scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::Payment(_, a, _), StateValue::Payment(p)) => {
                Some((Address::from_key_bytes(&a)?, p))
            }
            _ => None,
        })
        .collect()
}

fn totals<'a>(m: &'a mut BTreeMap<Address, AccountTotals>, a: &Address) -> &'a mut AccountTotals {
    m.entry(a.clone()).or_insert_with(|| AccountTotals {
        account: a.clone(),
        paid: 0,
        received: 0,
        unpaid: 0,
        by_kind: BTreeMap::new(),
    })
}

/// The report of `month`, or of one market period of it.
pub fn bank_report(
    s: &(impl StateRead + ?Sized),
    month: u32,
    period: Option<(&MarketId, u64)>,
) -> BankReport {
    let mut accounts: BTreeMap<Address, AccountTotals> = BTreeMap::new();
    let (mut paid_total, mut unpaid_total, mut lines) = (0u64, 0u64, 0u64);
    for (payer, p) in month_lines(s, month) {
        if let Some((mk, start)) = period {
            match &p.source {
                PaymentSource::Contract(c) if &c.market == mk && c.period_start_ms == start => {}
                // A PPA's lines belong to its market's period of the line's month.
                PaymentSource::Ppa { ppa }
                    if kst_month_start_ms(month) == Some(start)
                        && crate::state::ppa::ppa(s, ppa).is_some_and(|p| &p.market == mk) => {}
                _ => continue,
            }
        }
        lines += 1;
        let amount = p.amount.0;
        if p.paid_by.is_some() {
            paid_total = paid_total.saturating_add(amount);
            let t = totals(&mut accounts, &payer);
            t.paid = t.paid.saturating_add(amount);
            let k = t.by_kind.entry(p.kind).or_default();
            k.paid = k.paid.saturating_add(amount);
            let t = totals(&mut accounts, &p.payee);
            t.received = t.received.saturating_add(amount);
            let k = t.by_kind.entry(p.kind).or_default();
            k.received = k.received.saturating_add(amount);
        } else {
            unpaid_total = unpaid_total.saturating_add(amount);
            let t = totals(&mut accounts, &payer);
            t.unpaid = t.unpaid.saturating_add(amount);
            let k = t.by_kind.entry(p.kind).or_default();
            k.unpaid = k.unpaid.saturating_add(amount);
        }
    }
    BankReport {
        month,
        market: period.map(|(m, _)| m.clone()),
        period_start_ms: period.map(|(_, t)| t),
        paid_total,
        unpaid_total,
        lines,
        accounts: accounts.into_values().collect(),
    }
}
