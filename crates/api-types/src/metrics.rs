//! What a service behind the API adds to `GET /metrics`.

/// A source of Prometheus text exposition (for example the node's key-derivation pool).
pub trait MetricsSource: Send + Sync + 'static {
    /// The source's metrics, each with its `# HELP` and `# TYPE` lines.
    fn render(&self) -> String;
}
