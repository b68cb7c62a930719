//! `gridledger agent operator`: the market operator's calendar ([gridledger_agents::operator]),
//! as a process of its own or on a thread of a node (`devnet --operator-agent`, the node
//! config's `operator_agent`).
use crate::cli::{client, load_key};
use anyhow::Context;
use clap::Args;
use gridledger_agents::operator::{OperatorAgent, Report};
use gridledger_sdk::Client;
use gridledger_types::PrivateKey;
use std::{path::PathBuf, time::Duration};

#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// Node API base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// The market operator's key file.
    #[arg(long)]
    pub key: PathBuf,
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Seconds between rounds (each round reads the chain and sends what is due).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub poll_secs: u64,
}

fn print(prefix: &str, r: Result<&Report, &gridledger_agents::Error>) {
    match r {
        Ok(s) => println!("{prefix}{}", s.line),
        Err(e) => eprintln!("{prefix}warning: {e}; retrying"),
    }
}

pub async fn run(a: OperatorArgs) -> anyhow::Result<()> {
    let client = client(a.rpc.as_deref())?;
    let key = load_key(&a.key, a.password_file.as_ref())?;
    let agent = OperatorAgent::connect(client, key)
        .await
        .context("connecting the operator agent")?;
    println!(
        "operator agent {}: a round every {} s",
        agent.address(),
        a.poll_secs
    );
    tokio::select! {
        () = agent.run(Duration::from_secs(a.poll_secs), |r| print("", r)) => Ok(()),
        r = tokio::signal::ctrl_c() => {
            r.context("listening for Ctrl-C")?;
            println!("stopped");
            Ok(())
        }
    }
}

/// Runs the operator agent on its own thread and runtime inside a node whose API is at `rpc`
/// (it waits for the API to come up). Lines go to stdout prefixed `operator: `.
pub fn spawn_in_node(rpc: String, key: PrivateKey, poll: Duration) {
    let _ = std::thread::Builder::new()
        .name("operator-agent".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return eprintln!("operator agent: cannot start runtime: {e}"),
            };
            rt.block_on(async move {
                let client = match Client::new(&rpc) {
                    Ok(c) => c,
                    Err(e) => return eprintln!("operator agent: {e}"),
                };
                let agent = loop {
                    match OperatorAgent::connect(client.clone(), key.clone()).await {
                        Ok(a) => break a,
                        Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                    }
                };
                agent.run(poll, |r| print("operator: ", r)).await
            })
        });
}
