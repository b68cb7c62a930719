//! One line for people per step the operator agent took (what the chain shows after it).
use super::{Action, Outcome};
use gridledger_sdk::Client;
use gridledger_types::{kst_date, kst_month, kst_month_start_ms};
use serde_json::Value;

/// Whole won with thousands separators, from milli-won.
pub fn won(mwon: u64) -> String {
    let s = (mwon / 1_000).to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `2026-12` for a month's first instant, `2026-12-03 14:00 KST` for any other.
pub fn period_label(start_ms: u64) -> String {
    let (y, m, d) = kst_date(start_ms);
    if kst_month_start_ms(kst_month(start_ms)) == Some(start_ms) {
        return format!("{y}-{m:02}");
    }
    let h = (start_ms + 9 * 3_600_000) % 86_400_000 / 3_600_000;
    let min = start_ms % 3_600_000 / 60_000;
    format!("{y}-{m:02}-{d:02} {h:02}:{min:02} KST")
}

fn month_label(m: u32) -> String {
    format!("{}-{:02}", m / 100, m % 100)
}

fn contracts(p: &Value) -> &[Value] {
    p["contracts"].as_array().map_or(&[], Vec::as_slice)
}

fn sum(list: &[Value], k: &str) -> u64 {
    list.iter().filter_map(|c| c[k].as_u64()).sum()
}

/// The line for `action` with `outcome`; after a success it reads what the chain now shows.
pub async fn describe(client: &Client, action: &Action, outcome: &Outcome) -> String {
    let what = match action {
        Action::Clear { market, start_ms } | Action::Settle { market, start_ms } => {
            format!("{market} {}", period_label(*start_ms))
        }
        Action::IssueBills { month } | Action::CollectBills { month } => month_label(*month),
        Action::ExpireHolds { max } => format!("{max} expired charging holds"),
    };
    match outcome {
        Outcome::AlreadyDone { code } => return format!("{what}: already done ({code})"),
        Outcome::Failed { code, message } => return format!("{what}: failed {code}: {message}"),
        Outcome::Refused { message } => return format!("{what}: not sent ({message})"),
        Outcome::Done => {}
    }
    match action {
        Action::Clear { market, start_ms } => {
            let p = period_view(client, market.as_str(), *start_ms).await;
            format!(
                "gate closed for {what}: ClearPeriod paired {} contracts, {} kWh at {} won/kWh",
                contracts(&p).len(),
                p["matched_wh"].as_u64().unwrap_or(0) / 1_000,
                won(p["clearing_price"].as_u64().unwrap_or(0))
            )
        }
        Action::Settle { market, start_ms } => {
            let p = period_view(client, market.as_str(), *start_ms).await;
            let c = contracts(&p);
            format!(
                "{what} settled (SettlePeriod): {} contracts delivered {} kWh worth {} won",
                c.len(),
                sum(c, "delivered_wh") / 1_000,
                won(sum(c, "energy_amount"))
            )
        }
        Action::IssueBills { month } => {
            let mb = month_view(client, *month).await;
            format!(
                "bills for {what} issued (IssueBills): {} sites billed{}, {} account bills",
                mb["progress"]["sites_billed"],
                if mb["progress"]["done"] == true {
                    ""
                } else {
                    " so far"
                },
                mb["bills"]
            )
        }
        Action::CollectBills { month } => {
            let mb = month_view(client, *month).await;
            format!(
                "bills for {what} due: CollectBills auto-debited the wallets: {} of {} paid, {} \
                 overdue",
                mb["paid"], mb["bills"], mb["overdue"]
            )
        }
        Action::ExpireHolds { .. } => format!("ExpireChargingHolds refunded up to {what}"),
    }
}

async fn period_view(client: &Client, market: &str, start_ms: u64) -> Value {
    client
        .market_period(market, start_ms)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

async fn month_view(client: &Client, month: u32) -> Value {
    client
        .month_billing(month)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(won(1_234_567_000), "1,234,567");
        assert_eq!(won(999), "0");
        let dec = kst_month_start_ms(202612).unwrap();
        assert_eq!(period_label(dec), "2026-12");
        assert_eq!(period_label(dec + 14 * 3_600_000), "2026-12-01 14:00 KST");
    }
}
