//! The `gridledger` binary: a node (`devnet`, `testnet`, `node`), the client CLI (`key`, `tx`,
//! `query`, `charging`, `portal`, ...), the agents (`agent ...`), load generators (`bench*`) and
//! the demo's seed data.
//!
//! Rules: wiring only (arguments, files, printing, exit codes); every rule lives in a library
//! crate; `anyhow` is used here and nowhere else.
#![forbid(unsafe_code)]

mod charging_cmd;
mod cli;
mod demo;
mod node_cmd;
mod portal_cmd;
mod testnet;
mod time_arg;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gridledger",
    version,
    about = "GridLedger: P2P electricity trading ledger"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Top-level commands. Each variant's module has `async fn run(args) -> anyhow::Result<()>`.
// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run a single-validator chain for trying things out (keys and genesis generated).
    Devnet(node_cmd::DevnetArgs),
    /// Run a node from a configuration file.
    Node(node_cmd::NodeArgs),
    /// Write a genesis file or a validator key.
    #[command(subcommand)]
    Genesis(node_cmd::GenesisCmd),
    /// A local multi-validator network on loopback: `init` writes it, `run` starts it.
    #[command(subcommand)]
    Testnet(testnet::TestnetCmd),
    /// Create and inspect encrypted key files.
    #[command(subcommand)]
    Key(cli::key::KeyCmd),
    /// Sign and submit a transaction.
    Tx(cli::tx::TxArgs),
    /// Read-only queries against a node.
    Query(cli::query::QueryCmd),
    /// Meter readings: import exported AMI data.
    #[command(subcommand)]
    Readings(cli::readings::ReadingsCmd),
    /// A meter posting its own readings (CSV or synthetic profile), backfill or --follow
    /// (the same as `agent meter`).
    MeterAgent(cli::agent::AgentArgs),
    /// Device agents: a site's energy management system, a charger simulator, a meter.
    #[command(subcommand)]
    Agent(cli::agent::AgentCmd),
    /// Load test: register accounts, fund them, submit paced transfers and measure finality.
    Bench(cli::bench::BenchArgs),
    /// Many simulated OCPP chargers against one node: connections, memory, sessions per second.
    BenchOcpp(cli::bench_ocpp::BenchOcppArgs),
    /// Read latency: `GET /api/v1/accounts/{address}` signed (--key) or unsigned.
    BenchReads(cli::bench_reads::BenchReadsArgs),
    /// Many clients signing in to the dashboard at once: sign-ins per second, refusals,
    /// latency and the node's memory.
    BenchSignin(cli::bench_signin::BenchSigninArgs),
    /// The dashboard's sign-in: the operator's tools (unlock a login).
    #[command(subcommand)]
    Portal(cli::portal::PortalCmd),
    /// KEPCO tariff: compute a month's bill, show the version in force.
    #[command(subcommand)]
    Tariff(cli::tariff::TariffCmd),
    /// EV charging through the node's charging API: members, chargers, sessions, revenue, and
    /// a charger's keypad flow (certify, prepay, stop).
    Charging(cli::charging::ChargingCmd),
}

async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Devnet(_) | Command::Node(_) | Command::Genesis(_) => {
            unreachable!("node commands run outside the tokio runtime")
        }
        Command::Testnet(testnet::TestnetCmd::Init(a)) => testnet::init(a),
        Command::Testnet(testnet::TestnetCmd::Run(a)) => testnet::run(a).await,
        Command::Key(c) => cli::key::run(c).await,
        Command::Tx(c) => cli::tx::run(c).await,
        Command::Query(c) => cli::query::run(c).await,
        Command::Readings(c) => cli::readings::run(c).await,
        Command::MeterAgent(c) => cli::agent::run(c).await,
        Command::Agent(c) => cli::agent::run_cmd(c).await,
        Command::Bench(c) => cli::bench::run(c).await,
        Command::BenchOcpp(c) => cli::bench_ocpp::run(c).await,
        Command::BenchReads(c) => cli::bench_reads::run(c).await,
        Command::BenchSignin(c) => cli::bench_signin::run(c).await,
        Command::Portal(c) => cli::portal::run(c).await,
        Command::Tariff(c) => cli::tariff::run(c).await,
        Command::Charging(c) => cli::charging::run(c).await,
    }
}

fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    // Node commands start commonware's own runtime, which must not be nested in another.
    let result = match args.command {
        Command::Devnet(a) => init_logs().and_then(|_| node_cmd::devnet(a)),
        Command::Node(a) => init_logs().and_then(|_| node_cmd::node(a)),
        Command::Genesis(c) => node_cmd::genesis(c),
        other => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(run(other))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => cli::report_error(&e),
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info).
fn init_logs() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn top_level_commands_parse() {
        let c = Cli::try_parse_from(["gridledger", "key", "new", "--out", "k.json"]).unwrap();
        assert!(matches!(c.command, Command::Key(_)));
        let c =
            Cli::try_parse_from(["gridledger", "query", "status", "--rpc", "http://x:1"]).unwrap();
        assert!(matches!(c.command, Command::Query(_)));
        let c = Cli::try_parse_from(["gridledger", "charging", "chargers", "--rpc", "http://x:1"])
            .unwrap();
        assert!(matches!(c.command, Command::Charging(_)));
        assert!(Cli::try_parse_from(["gridledger", "nope"]).is_err());
    }

    #[test]
    fn the_operator_agent_switches_parse() {
        let Command::Devnet(a) = Cli::try_parse_from(["gridledger", "devnet"])
            .unwrap()
            .command
        else {
            panic!("not devnet")
        };
        assert!(!a.operator_agent);
        let c = Cli::try_parse_from(["gridledger", "devnet", "--operator-agent"]).unwrap();
        let Command::Devnet(a) = c.command else {
            panic!("not devnet")
        };
        assert!(a.operator_agent);
        let node = |agent: &str| {
            serde_json::from_str::<node_cmd::NodeFile>(&format!(
                r#"{{"data_dir": "d", "genesis": "g.json", "validator_key": "v.hex",
                    "http_addr": "127.0.0.1:8080", "p2p_addr": "127.0.0.1:7070"{agent}}}"#
            ))
        };
        assert!(node("").unwrap().operator_agent.is_none());
        let f = node(r#", "operator_agent": {"key": "op.json", "password_file": "pw"}"#).unwrap();
        let op = f.operator_agent.unwrap();
        assert_eq!((op.key.to_str(), op.poll_secs), (Some("op.json"), 5));
        assert!(node(r#", "operator_agent": {"key": "op.json"}"#).is_err());
        assert!(node(r#", "operator_agent": {"key": "k", "password_file": "p", "x": 1}"#).is_err());
    }

    #[test]
    fn devnet_clock_flags_parse() {
        let c = Cli::try_parse_from(["gridledger", "devnet"]).unwrap();
        let Command::Devnet(a) = c.command else {
            panic!("not devnet")
        };
        assert_eq!((a.clock_start, a.clock_control), (None, false));
        let c = Cli::try_parse_from([
            "gridledger",
            "devnet",
            "--clock-start",
            "2026-06-01T00:00:00+09:00",
            "--clock-control",
        ])
        .unwrap();
        let Command::Devnet(a) = c.command else {
            panic!("not devnet")
        };
        assert_eq!(a.clock_start, Some(1_780_239_600_000));
        assert!(a.clock_control);
        assert!(Cli::try_parse_from(["gridledger", "devnet", "--clock-start", "june"]).is_err());
        let Command::Devnet(a) = Cli::try_parse_from(["gridledger", "devnet"])
            .unwrap()
            .command
        else {
            panic!("not devnet");
        };
        assert_eq!(a.ocpp.0, Some("127.0.0.1:9000".parse().unwrap()));
        let Command::Devnet(a) = Cli::try_parse_from(["gridledger", "devnet", "--ocpp", "off"])
            .unwrap()
            .command
        else {
            panic!("not devnet");
        };
        assert_eq!(a.ocpp.0, None);
        assert!(Cli::try_parse_from(["gridledger", "devnet", "--ocpp", "nine"]).is_err());
    }
}
