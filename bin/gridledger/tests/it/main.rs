//! End-to-end tests of the `gridledger` binary: real devnet processes on 127.0.0.1, driven
//! through the HTTP API with the SDK and through the CLI.
mod agent;
mod agents;
mod browser;
mod charging_cli;
mod cli_flow;
mod clock;
mod demo;
mod devnet;
mod ledger_api;
mod ledger_recovery;
mod mandates_cli;
mod market_flow;
mod metering_flow;
mod month_flow;
mod ocpp_e2e;
mod ocpp_strict;
mod operator_agent;
mod portal;
mod readers;
mod restart;
mod schemathesis;
mod testnet;
mod validators_cli;
