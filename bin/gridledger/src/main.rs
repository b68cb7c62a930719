//! The `gridledger` binary: keys, transactions, queries and load tests against a node.
#![forbid(unsafe_code)]

mod cli;

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
    /// Create and inspect encrypted key files.
    #[command(subcommand)]
    Key(cli::key::KeyCmd),
    /// Sign and submit a transaction.
    Tx(cli::tx::TxArgs),
    /// Read-only queries against a node.
    Query(cli::query::QueryCmd),
    /// Load test: register accounts, fund them, submit paced transfers and measure finality.
    Bench(cli::bench::BenchArgs),
}

async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Key(c) => cli::key::run(c).await,
        Command::Tx(c) => cli::tx::run(c).await,
        Command::Query(c) => cli::query::run(c).await,
        Command::Bench(c) => cli::bench::run(c).await,
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    match run(args.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => cli::report_error(&e),
    }
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
        assert!(Cli::try_parse_from(["gridledger", "nope"]).is_err());
    }
}
