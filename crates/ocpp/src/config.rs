//! Gateway settings.

/// Settings of the OCPP gateway. Units are in the names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcppConfig {
    /// Heartbeat interval given to accepted chargers, seconds.
    pub heartbeat_interval_s: u32,
    /// Retry interval given to rejected chargers, seconds.
    pub boot_rejected_interval_s: u32,
    /// RemoteStop when the running cost reaches `hold - stop_margin_mwon`.
    pub stop_margin_mwon: u64,
    /// How long we wait for the answer to one of our calls (then it is given up: a RemoteStop
    /// is retried once, anything else only logged).
    pub call_timeout_ms: u64,
    /// When a RemoteStop is queued behind another call still waiting for its answer, that call
    /// is given at most this much longer, so the stop goes out within seconds even to a charger
    /// that answers nothing.
    pub stop_wait_ms: u64,
    /// Largest WebSocket message and frame we read, bytes.
    pub max_message_bytes: usize,
    /// Send cost messages: 1.6 costmsg `RunningCost` after each priced meter reading and
    /// `FinalCost` after a priced stop. (2.0.1 carries costs in `totalCost` of its replies.)
    pub cost_messages: bool,
    /// 1.6 `MeterValueSampleInterval` set after an accepted boot, seconds, so chargers report
    /// meter values during a transaction and the hold is checked. 0: not sent (the charger's own
    /// setting stays).
    pub meter_sample_interval_s: u32,
}

impl Default for OcppConfig {
    fn default() -> Self {
        OcppConfig {
            heartbeat_interval_s: 300,
            boot_rejected_interval_s: 300,
            stop_margin_mwon: 0,
            call_timeout_ms: 10_000,
            stop_wait_ms: 2_000,
            max_message_bytes: 65_536,
            cost_messages: true,
            meter_sample_interval_s: 60,
        }
    }
}
