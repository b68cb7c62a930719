//! `GET /api/v1/directory`: everything registered on chain (the operator agent reads the
//! markets' configurations from it).
use super::Client;
use crate::Result;

impl Client {
    /// `GET /api/v1/directory`: participants, devices, sites, markets (each market's
    /// configuration), tariff versions and billing settings, each list in key order. Public.
    pub async fn directory(&self) -> Result<serde_json::Value> {
        self.get_json("/api/v1/directory").await
    }
}
