//! `gridledger testnet init | run`: a local multi-validator network on loopback, for trying
//! the consortium out (kill and restart nodes and watch the others keep finalizing).
//!
//! `init` writes the pilot's "static configuration file": one genesis with every validator's
//! key and address, the operator's and bank's keystores, and one `node --config` file per node.
//! `run` starts every node as a child process, prints each node's height and state root every
//! two seconds, and stops them all on Ctrl-C.
use crate::node_cmd::{NodeFile, DEVNET_PASSWORD};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use gridledger_execution::Genesis;
use gridledger_node::{
    genesis::{GenesisFile, ValidatorInfo},
    node::save_validator_key,
};
use gridledger_sdk::keystore::{generate_key, KdfParams, Keystore};
use gridledger_types::{Address, ChainId, DEFAULT_EPOCH_LENGTH};
use serde::{Deserialize, Serialize};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

#[derive(Subcommand, Debug, Clone)]
pub enum TestnetCmd {
    /// Write a genesis, keys and one config file per node (loopback addresses).
    Init(InitArgs),
    /// Start every node of DIR as a child process; Ctrl-C stops them all.
    Run(RunArgs),
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// Validators (n = 3f + 1 tolerates f crashed or cut off).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub validators: u16,
    /// Non-validating full nodes: they follow, check and serve the chain and forward
    /// transactions to the validators.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=64))]
    pub full_nodes: u16,
    #[arg(long)]
    pub dir: PathBuf,
    /// Node i (validators first, then full nodes) serves HTTP on P + i and p2p on P + 100 + i.
    #[arg(long, default_value_t = 27_000, value_parser = clap::value_parser!(u16).range(1024..=65_000))]
    pub base_port: u16,
    #[arg(long, default_value = "gridledger-testnet")]
    pub chain_id: String,
    /// Blocks per epoch: the validator set can change only from one epoch to the next.
    #[arg(long, default_value_t = DEFAULT_EPOCH_LENGTH,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub epoch_length: u64,
    /// Every node's `block_time_ms` (least time between blocks).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..2_000))]
    pub block_time_ms: u64,
    /// Every node's `empty_block_ms` (wait for transactions before an empty block).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..2_000))]
    pub empty_block_ms: u64,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[arg(long)]
    pub dir: PathBuf,
}

/// `DIR/testnet.json`: what `run` starts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestnetFile {
    pub nodes: Vec<TestnetNode>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestnetNode {
    pub name: String,
    pub config: PathBuf,
    pub http: SocketAddr,
}

fn node_ports(base: u16, i: u16) -> Result<(SocketAddr, SocketAddr)> {
    let http = base.checked_add(i).context("port out of range")?;
    let p2p = base.checked_add(100 + i).context("port out of range")?;
    Ok((
        SocketAddr::from(([127, 0, 0, 1], http)),
        SocketAddr::from(([127, 0, 0, 1], p2p)),
    ))
}

pub fn init(a: InitArgs) -> Result<()> {
    if a.dir.join("genesis.json").exists() {
        bail!(
            "{} already holds a testnet (genesis.json exists)",
            a.dir.display()
        );
    }
    std::fs::create_dir_all(&a.dir)
        .with_context(|| format!("cannot create {}", a.dir.display()))?;
    // Absolute paths in the configs: nodes may be started from anywhere.
    let a = InitArgs {
        dir: std::fs::canonicalize(&a.dir)?,
        ..a
    };
    let keys = a.dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("cannot create {}", keys.display()))?;
    let operator = generate_key()?;
    let bank = generate_key()?;
    let params = KdfParams::default();
    Keystore::encrypt(&operator, DEVNET_PASSWORD.as_bytes(), params)?
        .save(keys.join("operator.json"), false)?;
    Keystore::encrypt(&bank, DEVNET_PASSWORD.as_bytes(), params)?
        .save(keys.join("bank.json"), false)?;
    std::fs::write(keys.join("password.txt"), format!("{DEVNET_PASSWORD}\n"))?;
    // Keys and addresses first: every config lists the full nodes (the static network file).
    let mut validators = Vec::new();
    let mut full_nodes = Vec::new();
    let mut planned = Vec::new();
    for i in 0..a.validators + a.full_nodes {
        let name = if i < a.validators {
            format!("node{i}")
        } else {
            format!("full{}", i - a.validators)
        };
        let key = generate_key()?;
        let key_file = keys.join(format!("{name}.hex"));
        save_validator_key(&key_file, &key)?;
        let (http, p2p) = node_ports(a.base_port, i)?;
        let info = ValidatorInfo {
            public_key: Address::of(&key),
            p2p_addr: p2p,
        };
        if i < a.validators {
            validators.push(info);
        } else {
            full_nodes.push(info);
        }
        planned.push((name, key_file, http, p2p));
    }
    let mut nodes = Vec::new();
    for (name, key_file, http, p2p) in planned {
        let file = NodeFile {
            data_dir: a.dir.join(&name),
            genesis: a.dir.join("genesis.json"),
            validator_key: key_file,
            http_addr: http,
            p2p_addr: p2p,
            block_time_ms: a.block_time_ms,
            empty_block_ms: a.empty_block_ms,
            charging: None,
            full_nodes: full_nodes.clone(),
            portal_dir: None,
            rate_limit: None,
            trusted_proxies: Vec::new(),
            operator_agent: None,
        };
        let config = a.dir.join(format!("{name}.json"));
        std::fs::write(&config, serde_json::to_string_pretty(&file)?)?;
        nodes.push(TestnetNode { name, config, http });
    }
    let genesis = GenesisFile {
        chain: Genesis {
            chain_id: ChainId::new(a.chain_id.clone())?,
            genesis_time_ms: crate::node_cmd::now_ms(),
            operator: Address::of(&operator),
            operator_name: "Market operator (testnet)".into(),
            bank: Address::of(&bank),
            bank_name: "Settlement bank (testnet)".into(),
            epoch_length: a.epoch_length,
        },
        validators,
    };
    genesis.validate()?;
    genesis.save(&a.dir.join("genesis.json"))?;
    std::fs::write(
        a.dir.join("testnet.json"),
        serde_json::to_string_pretty(&TestnetFile {
            nodes: nodes.clone(),
        })?,
    )?;
    println!(
        "testnet {} in {}: {} validators (tolerates {} down), {} full nodes",
        a.chain_id,
        a.dir.display(),
        a.validators,
        (a.validators.saturating_sub(1)) / 3,
        a.full_nodes
    );
    for n in &nodes {
        println!(
            "  {}  http://{}  config {}",
            n.name,
            n.http,
            n.config.display()
        );
    }
    println!(
        "  operator {}  bank {}  keys in {} (password {DEVNET_PASSWORD})",
        Address::of(&operator),
        Address::of(&bank),
        keys.display()
    );
    println!(
        "Start them all: gridledger testnet run --dir {}",
        a.dir.display()
    );
    Ok(())
}

fn load(dir: &Path) -> Result<TestnetFile> {
    let path = dir.join("testnet.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {} (run `testnet init` first)", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("invalid {}", path.display()))
}

fn spawn(dir: &Path, n: &TestnetNode) -> Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{}.log", n.name)))?;
    Command::new(std::env::current_exe()?)
        .args(["node", "--config"])
        .arg(&n.config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", n.name))
}

fn terminate(children: &mut [(TestnetNode, Child)]) {
    for (_, c) in children.iter() {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for (_, c) in children.iter_mut() {
        let _ = c.wait();
    }
}

pub async fn run(a: RunArgs) -> Result<()> {
    let file = load(&a.dir)?;
    let mut children = Vec::new();
    for n in &file.nodes {
        children.push((n.clone(), spawn(&a.dir, n)?));
    }
    println!(
        "started {} nodes (logs {}/<node>.log); Ctrl-C stops them all",
        children.len(),
        a.dir.display()
    );
    let clients: Vec<_> = file
        .nodes
        .iter()
        .map(|n| gridledger_sdk::Client::new(&format!("http://{}", n.http)))
        .collect::<Result<_, _>>()?;
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => {
                let mut line = Vec::new();
                for ((n, child), client) in children.iter_mut().zip(&clients) {
                    if let Ok(Some(status)) = child.try_wait() {
                        line.push(format!("{} exited ({status})", n.name));
                        continue;
                    }
                    match client.status().await {
                        Ok(s) => line.push(format!(
                            "{} h={} root={}",
                            n.name,
                            s.height,
                            &s.state_root.to_hex()[..8]
                        )),
                        Err(_) => line.push(format!("{} -", n.name)),
                    }
                }
                println!("{}", line.join(" | "));
            }
        }
    }
    println!("stopping");
    terminate(&mut children);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(dir: &Path, validators: u16, full_nodes: u16) -> InitArgs {
        InitArgs {
            validators,
            full_nodes,
            dir: dir.to_path_buf(),
            base_port: 31_000,
            chain_id: "t".into(),
            epoch_length: 50,
            block_time_ms: 100,
            empty_block_ms: 1_000,
        }
    }

    #[test]
    fn init_writes_one_config_per_node_and_a_genesis_naming_the_validators() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("tn");
        init(args(&dir, 4, 2)).unwrap();
        let g = GenesisFile::load(&dir.join("genesis.json")).unwrap();
        assert_eq!(g.validators.len(), 4);
        assert_eq!(g.chain.epoch_length, 50);
        let file = load(&dir).unwrap();
        assert_eq!(file.nodes.len(), 6);
        let mut full_keys = Vec::new();
        for (i, n) in file.nodes.iter().enumerate() {
            let cfg: NodeFile =
                serde_json::from_str(&std::fs::read_to_string(&n.config).unwrap()).unwrap();
            assert_eq!(cfg.http_addr.port(), 31_000 + i as u16);
            assert_eq!(cfg.p2p_addr.port(), 31_100 + i as u16);
            assert!(cfg.data_dir.is_absolute());
            assert_eq!(cfg.full_nodes.len(), 2, "{}", n.name);
            let key = crate::node_cmd::load_key_file(&cfg.validator_key);
            if i < 4 {
                assert_eq!(n.name, format!("node{i}"));
                assert_eq!(cfg.p2p_addr, g.validators[i].p2p_addr);
                assert_eq!(key, g.validators[i].public_key);
            } else {
                assert_eq!(n.name, format!("full{}", i - 4));
                assert!(g.validators.iter().all(|v| v.public_key != key));
                assert_eq!(cfg.full_nodes[i - 4].public_key, key);
                assert_eq!(cfg.full_nodes[i - 4].p2p_addr, cfg.p2p_addr);
                full_keys.push(key);
            }
        }
        assert_eq!(full_keys.len(), 2);
        // Never over an existing testnet.
        assert!(init(args(&dir, 4, 0)).is_err());
    }
}
