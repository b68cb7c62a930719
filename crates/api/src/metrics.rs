//! The API's own Prometheus counters, hand-written text exposition (no dependency).
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Distinct rejection codes tracked before new ones are folded into `other` (node codes are a
/// small fixed set; this only bounds cardinality if a node misbehaves).
const MAX_REJECT_CODES: usize = 64;

#[derive(Default)]
pub struct ApiMetrics {
    /// (route template, method, status) -> count
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    submitted: AtomicU64,
    accepted: AtomicU64,
    /// rejection code -> count
    rejected: Mutex<BTreeMap<String, u64>>,
    sse_clients: AtomicU64,
    sse_lagged: AtomicU64,
}

/// A request method as a bounded label value.
pub fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned counter map is still a valid counter map.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Escapes a label value per the text exposition format.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl ApiMetrics {
    pub fn record_request(&self, route: &str, method: &'static str, status: u16) {
        *lock(&self.requests)
            .entry((route.to_string(), method, status))
            .or_default() += 1;
    }

    pub fn record_submitted(&self, n: u64) {
        self.submitted.fetch_add(n, Ordering::Relaxed);
    }

    pub fn record_accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_rejected(&self, code: &str) {
        let mut map = lock(&self.rejected);
        let key = if map.contains_key(code) || map.len() < MAX_REJECT_CODES {
            code.to_string()
        } else {
            "other".to_string()
        };
        *map.entry(key).or_default() += 1;
    }

    pub fn sse_connected(&self) {
        self.sse_clients.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sse_disconnected(&self) {
        self.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn sse_lagged(&self, n: u64) {
        self.sse_lagged.fetch_add(n, Ordering::Relaxed);
    }

    /// Text exposition of the API's own metrics.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP gridledger_api_requests_total HTTP requests by route template, method and status."
        );
        let _ = writeln!(s, "# TYPE gridledger_api_requests_total counter");
        for ((route, method, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                s,
                "gridledger_api_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}",
                escape(route),
                method,
                status,
                n
            );
        }
        let _ = writeln!(
            s,
            "# HELP gridledger_api_txs_submitted_total Transactions received in POST /api/v1/txs."
        );
        let _ = writeln!(s, "# TYPE gridledger_api_txs_submitted_total counter");
        let _ = writeln!(
            s,
            "gridledger_api_txs_submitted_total {}",
            self.submitted.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP gridledger_api_txs_accepted_total Submitted transactions admitted by the node."
        );
        let _ = writeln!(s, "# TYPE gridledger_api_txs_accepted_total counter");
        let _ = writeln!(
            s,
            "gridledger_api_txs_accepted_total {}",
            self.accepted.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP gridledger_api_txs_rejected_total Submitted transactions refused, by error code."
        );
        let _ = writeln!(s, "# TYPE gridledger_api_txs_rejected_total counter");
        for (code, n) in lock(&self.rejected).iter() {
            let _ = writeln!(
                s,
                "gridledger_api_txs_rejected_total{{code=\"{}\"}} {}",
                escape(code),
                n
            );
        }
        let _ = writeln!(
            s,
            "# HELP gridledger_api_sse_clients Open /api/v1/events streams."
        );
        let _ = writeln!(s, "# TYPE gridledger_api_sse_clients gauge");
        let _ = writeln!(
            s,
            "gridledger_api_sse_clients {}",
            self.sse_clients.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP gridledger_api_sse_lagged_events_total Block events skipped because a stream lagged."
        );
        let _ = writeln!(s, "# TYPE gridledger_api_sse_lagged_events_total counter");
        let _ = writeln!(
            s,
            "gridledger_api_sse_lagged_events_total {}",
            self.sse_lagged.load(Ordering::Relaxed)
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_codes_bounded() {
        let m = ApiMetrics::default();
        m.record_rejected("a\"b\\c\nd");
        for i in 0..100 {
            m.record_rejected(&format!("code_{i}"));
        }
        let text = m.render();
        assert!(text.contains(r#"code="a\"b\\c\nd""#));
        assert!(text.contains(r#"code="other""#));
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("gridledger_api_txs_rejected_total{"))
                .count(),
            MAX_REJECT_CODES + 1
        );
    }
}
