//! The node's own Prometheus metrics (text exposition), kept with atomics.
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc, Mutex,
    },
};

#[derive(Clone, Default)]
pub struct NodeMetrics(Arc<Inner>);

#[derive(Default)]
struct Inner {
    height: AtomicU64,
    finalized_blocks: AtomicU64,
    finalized_txs: AtomicU64,
    proposed_blocks: AtomicU64,
    proposed_txs: AtomicU64,
    mempool_txs: AtomicU64,
    mempool_bytes: AtomicU64,
    submitted: AtomicU64,
    gossip_dropped: AtomicU64,
    rejected: Mutex<BTreeMap<String, u64>>,
}

impl NodeMetrics {
    pub fn set_height(&self, h: u64) {
        self.0.height.store(h, Relaxed);
    }
    pub fn count_finalized(&self, txs: u64) {
        self.0.finalized_blocks.fetch_add(1, Relaxed);
        self.0.finalized_txs.fetch_add(txs, Relaxed);
    }
    pub fn count_proposed(&self, txs: usize) {
        self.0.proposed_blocks.fetch_add(1, Relaxed);
        self.0.proposed_txs.fetch_add(txs as u64, Relaxed);
    }
    pub fn set_mempool(&self, txs: usize, bytes: usize) {
        self.0.mempool_txs.store(txs as u64, Relaxed);
        self.0.mempool_bytes.store(bytes as u64, Relaxed);
    }
    pub fn count_gossip_dropped(&self) {
        self.0.gossip_dropped.fetch_add(1, Relaxed);
    }
    pub fn count_submit(&self, rejected_code: Option<&str>) {
        self.0.submitted.fetch_add(1, Relaxed);
        if let Some(code) = rejected_code {
            if let Ok(mut m) = self.0.rejected.lock() {
                *m.entry(code.to_string()).or_default() += 1;
            }
        }
    }

    /// Prometheus text for the node's metrics, plus process memory from /proc.
    pub fn render(&self) -> String {
        let i = &self.0;
        let mut s = String::new();
        let mut gauge = |name: &str, help: &str, kind: &str, v: u64| {
            s.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
            ));
        };
        gauge(
            "gridledger_finalized_height",
            "Last finalized height.",
            "gauge",
            i.height.load(Relaxed),
        );
        gauge(
            "gridledger_finalized_blocks_total",
            "Blocks finalized by this process.",
            "counter",
            i.finalized_blocks.load(Relaxed),
        );
        gauge(
            "gridledger_finalized_txs_total",
            "Transactions finalized by this process.",
            "counter",
            i.finalized_txs.load(Relaxed),
        );
        gauge(
            "gridledger_proposed_blocks_total",
            "Blocks proposed by this node.",
            "counter",
            i.proposed_blocks.load(Relaxed),
        );
        gauge(
            "gridledger_proposed_txs_total",
            "Transactions in blocks proposed by this node.",
            "counter",
            i.proposed_txs.load(Relaxed),
        );
        gauge(
            "gridledger_mempool_txs",
            "Transactions waiting in the mempool.",
            "gauge",
            i.mempool_txs.load(Relaxed),
        );
        gauge(
            "gridledger_mempool_bytes",
            "Bytes waiting in the mempool.",
            "gauge",
            i.mempool_bytes.load(Relaxed),
        );
        gauge(
            "gridledger_submitted_txs_total",
            "Transactions offered to the mempool.",
            "counter",
            i.submitted.load(Relaxed),
        );
        gauge(
            "gridledger_gossip_dropped_txs_total",
            "Admitted transactions not forwarded to peers because the gossip queue was full.",
            "counter",
            i.gossip_dropped.load(Relaxed),
        );
        let (rss, peak) = process_memory();
        gauge(
            "gridledger_process_rss_bytes",
            "Resident set size.",
            "gauge",
            rss,
        );
        gauge(
            "gridledger_process_peak_rss_bytes",
            "Peak resident set size.",
            "gauge",
            peak,
        );
        s.push_str("# HELP gridledger_rejected_txs_total Transactions refused at admission, by code.\n# TYPE gridledger_rejected_txs_total counter\n");
        if let Ok(m) = i.rejected.lock() {
            for (code, n) in m.iter() {
                s.push_str(&format!(
                    "gridledger_rejected_txs_total{{code=\"{code}\"}} {n}\n"
                ));
            }
        }
        s
    }
}

/// (VmRSS, VmHWM) in bytes from /proc/self/status; zeros where unavailable.
pub fn process_memory() -> (u64, u64) {
    let Ok(text) = std::fs::read_to_string("/proc/self/status") else {
        return (0, 0);
    };
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
