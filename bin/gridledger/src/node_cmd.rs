//! `gridledger devnet`, `gridledger node` and `gridledger genesis`: set up and run nodes.
//! These run commonware's own runtime and must be called outside any tokio runtime.
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use commonware_cryptography::ed25519;
use gridledger_api::{rate_limit::RateLimitConfig, ApiConfig, ClockToken};
use gridledger_execution::Genesis;
use gridledger_node::{
    application::Pacing,
    clock::ClockConfig,
    engine::Timeouts,
    genesis::{GenesisFile, ValidatorInfo},
    mempool::MempoolConfig,
    node::{self, load_validator_key, save_validator_key, NodeConfig},
};
use gridledger_sdk::kdf_pool::KdfPool;
use gridledger_sdk::keystore::{generate_key, KdfParams, Keystore};
use gridledger_types::{Address, ChainId, DEFAULT_EPOCH_LENGTH};
use serde::{Deserialize, Serialize};
use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

/// Password of the devnet's operator and bank keystores (a devnet is for trying things out).
pub const DEVNET_PASSWORD: &str = "devnet";

#[derive(Args, Debug, Clone)]
pub struct DevnetArgs {
    /// Where the chain's data and the devnet keys live (reused on restart).
    #[arg(long, default_value = "devnet-data")]
    pub data_dir: PathBuf,
    /// HTTP API address.
    #[arg(long = "http", default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// Consensus p2p address (loopback).
    #[arg(long = "p2p", default_value = "127.0.0.1:7070")]
    pub p2p: SocketAddr,
    /// Minimum time between blocks in milliseconds (batches transactions under load).
    #[arg(long, default_value_t = 100)]
    pub block_time_ms: u64,
    /// With an empty mempool, propose an empty block after this many milliseconds.
    #[arg(long, default_value_t = 1_000)]
    pub empty_block_ms: u64,
    /// Run the demo: seed the pilot's participants, run their agents and a market clock (turns
    /// on --clock-control; a fresh chain starts 5 days before the current month).
    #[arg(long)]
    pub demo: bool,
    /// Wall seconds per chain month in the demo.
    #[arg(long, default_value_t = 240, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub demo_speed: u64,
    /// Start the chain's clock (block time) here instead of at wall time: ms since the Unix
    /// epoch or RFC 3339, e.g. 2026-06-01T00:00:00+09:00. On first start it is also the
    /// genesis time. The chain never resumes before its last block.
    #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse_time_ms)]
    pub clock_start: Option<u64>,
    /// Serve POST /api/v1/admin/clock/advance, which moves block time forward (to let a month
    /// pass in a test or demo). Devnet only; a real network must never do this.
    #[arg(long)]
    pub clock_control: bool,
    /// Run the operator agent (`gridledger agent operator`) inside the node with the devnet's
    /// operator key: pairing, settlement, bills, collection and hold expiry by block time.
    #[arg(long)]
    pub operator_agent: bool,
    /// OCPP central system address (`ws://ADDR/ocpp/{chargerId}`), or `off`.
    #[arg(long, default_value = "127.0.0.1:9000", value_parser = crate::charging_cmd::parse_ocpp)]
    pub ocpp: crate::charging_cmd::OcppListen,
    /// Let chargers with no secret issued connect without credentials (OCPP security profile
    /// 0). For tests and benchmarks only: anyone could then speak for such a charger.
    #[arg(long)]
    pub ocpp_insecure: bool,
    /// Password attempts (sign-in; keypad and auto-charge, counted apart) a client address gets
    /// back per minute; 0 turns the limit off (benchmarks only).
    #[arg(long, default_value_t = RateLimitConfig::default().per_min)]
    pub rate_limit_per_min: u32,
    /// Password attempts a client address may make at once.
    #[arg(long, default_value_t = RateLimitConfig::default().burst,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: u32,
}

#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    /// Node configuration file (JSON; see docs/OPERATIONS.md).
    #[arg(long)]
    pub config: PathBuf,
}

/// `gridledger node --config FILE`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    pub data_dir: PathBuf,
    pub genesis: PathBuf,
    /// File with the validator's ed25519 seed in hex.
    pub validator_key: PathBuf,
    pub http_addr: SocketAddr,
    pub p2p_addr: SocketAddr,
    #[serde(default = "default_block_time")]
    pub block_time_ms: u64,
    #[serde(default = "default_empty_block")]
    pub empty_block_ms: u64,
    /// Run the charging operator's member service and OCPP gateway on this node.
    #[serde(default)]
    pub charging: Option<ChargingFile>,
    /// The network's non-voting full nodes (`public_key`, `p2p_addr`). A node whose key is not
    /// a genesis validator must be listed here and then runs as a full node.
    #[serde(default)]
    pub full_nodes: Vec<ValidatorInfo>,
    /// Serve the dashboard's sign-in from the keystores in this directory
    /// (`<login>.json`); absent = no sign-in on this node.
    #[serde(default)]
    pub portal_dir: Option<PathBuf>,
    /// Limits per client address on the password routes (default 30 a minute, 10 at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitFile>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (default none: the header is
    /// ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxies: Vec<IpAddr>,
    /// Run the operator agent (`gridledger agent operator`) inside this node; absent = not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_agent: Option<OperatorAgentFile>,
}

/// The `operator_agent` section of a node config.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorAgentFile {
    /// The market operator's keystore and the file holding its password.
    pub key: PathBuf,
    pub password_file: PathBuf,
    /// Seconds between rounds (default 5).
    #[serde(default = "default_operator_poll")]
    pub poll_secs: u64,
}

fn default_operator_poll() -> u64 {
    5
}

/// The `rate_limit` section of a node config.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitFile {
    /// Attempts a client gets back per minute; 0 = no limit.
    pub per_min: u32,
    /// Attempts a client may make at once (at least 1).
    pub burst: u32,
}

/// The `charging` section of a node config.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingFile {
    /// The charging operator's keystore and the file holding its password.
    pub operator_key: PathBuf,
    pub password_file: PathBuf,
    /// File with the bearer token of the operator's own requests (created if missing).
    pub token_file: PathBuf,
    /// OCPP listen address; absent = no OCPP listener.
    #[serde(default)]
    pub ocpp_addr: Option<SocketAddr>,
}

fn default_block_time() -> u64 {
    100
}
fn default_empty_block() -> u64 {
    1_000
}

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug, Clone)]
pub enum GenesisCmd {
    /// Write a genesis file.
    New {
        #[arg(long)]
        chain_id: String,
        /// Operator account (hex public key).
        #[arg(long)]
        operator: Address,
        #[arg(long, default_value = "Market operator")]
        operator_name: String,
        /// Settlement bank account (hex public key).
        #[arg(long)]
        bank: Address,
        #[arg(long, default_value = "Settlement bank")]
        bank_name: String,
        /// A validator as HEXKEY@IP:PORT; repeat for each.
        #[arg(long = "validator", required = true)]
        validators: Vec<String>,
        /// Genesis time in ms since the epoch (default: now).
        #[arg(long)]
        time_ms: Option<u64>,
        /// Blocks per epoch: the validator set can change only from one epoch to the next.
        #[arg(long, default_value_t = DEFAULT_EPOCH_LENGTH,
              value_parser = clap::value_parser!(u64).range(1..))]
        epoch_length: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate a validator key file (hex seed, mode 0600) and print its public key.
    ValidatorKey {
        #[arg(long)]
        out: PathBuf,
    },
}

/// The public key (as an address) of a validator key file; for tests.
#[cfg(test)]
pub(crate) fn load_key_file(path: &Path) -> Address {
    Address::of(&load_validator_key(path).unwrap())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl NodeFile {
    /// The node's full configuration, with defaults for everything the file does not set.
    fn config(self, genesis: GenesisFile, validator_key: ed25519::PrivateKey) -> NodeConfig {
        let mut rate_limit = RateLimitConfig::default();
        if let Some(r) = self.rate_limit {
            rate_limit.per_min = r.per_min;
            rate_limit.burst = r.burst.max(1);
        }
        NodeConfig {
            data_dir: self.data_dir,
            genesis,
            validator_key,
            full_nodes: self.full_nodes,
            http_addr: self.http_addr,
            p2p_addr: self.p2p_addr,
            pacing: Pacing {
                min_block_interval_ms: self.block_time_ms,
                max_empty_wait_ms: self.empty_block_ms,
                ..Pacing::default()
            },
            clock: ClockConfig::default(),
            timeouts: Timeouts::default(),
            mempool: MempoolConfig::default(),
            api: ApiConfig {
                rate_limit,
                trusted_proxies: self.trusted_proxies,
                ..ApiConfig::default()
            },
            worker_threads: 2,
            extension: None,
        }
    }

    /// The charging extension of this config, if it has a `charging` section.
    fn charging_setup(
        &self,
        chain_id: ChainId,
        kdf_pool: Arc<KdfPool>,
    ) -> Result<Option<crate::charging_cmd::ChargingSetup>> {
        let Some(c) = &self.charging else {
            return Ok(None);
        };
        let password = std::fs::read_to_string(&c.password_file)
            .with_context(|| format!("cannot read {}", c.password_file.display()))?;
        let key =
            Keystore::load(&c.operator_key)?.decrypt(password.trim_end_matches('\n').as_bytes())?;
        Ok(Some(crate::charging_cmd::ChargingSetup {
            dir: self.data_dir.join("charging"),
            operator_key: key,
            operator_token: crate::charging_cmd::load_or_create_token(&c.token_file)?,
            chain_id,
            ocpp: c.ocpp_addr,
            bootstrap_with: None,
            allow_unsecured_chargers: false,
            kdf_pool,
        }))
    }
}

pub fn genesis(cmd: GenesisCmd) -> Result<()> {
    match cmd {
        GenesisCmd::New {
            chain_id,
            operator,
            operator_name,
            bank,
            bank_name,
            validators,
            time_ms,
            epoch_length,
            out,
        } => {
            let validators = validators
                .iter()
                .map(|v| parse_validator(v))
                .collect::<Result<Vec<_>>>()?;
            let g = GenesisFile {
                chain: Genesis {
                    chain_id: ChainId::new(chain_id)?,
                    genesis_time_ms: time_ms.unwrap_or_else(now_ms),
                    operator,
                    operator_name,
                    bank,
                    bank_name,
                    epoch_length,
                },
                validators,
            };
            g.validate()?;
            g.save(&out)?;
            println!("genesis {}", out.display());
            Ok(())
        }
        GenesisCmd::ValidatorKey { out } => {
            let key = generate_key()?;
            save_validator_key(&out, &key)?;
            println!("validator {}", Address::of(&key));
            Ok(())
        }
    }
}

fn parse_validator(s: &str) -> Result<ValidatorInfo> {
    Ok(ValidatorInfo::parse(s)?)
}

pub fn node(args: NodeArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read {}", args.config.display()))?;
    let f: NodeFile = serde_json::from_str(&text)
        .with_context(|| format!("invalid node config {}", args.config.display()))?;
    let genesis = GenesisFile::load(&f.genesis)?;
    let key = load_validator_key(&f.validator_key)?;
    // One bound on password key derivations for every service of the node.
    let kdf = KdfPool::for_this_machine();
    let charging = f.charging_setup(genesis.chain.chain_id.clone(), kdf.clone())?;
    let chain_id = genesis.chain.chain_id.clone();
    let portal_dir = f.portal_dir.clone();
    if let Some(op) = &f.operator_agent {
        let password = crate::cli::password_from_file(&op.password_file)?;
        let key = Keystore::load(&op.key)?.decrypt(password.as_bytes())?;
        crate::cli::agent::operator::spawn_in_node(
            format!("http://{}", f.http_addr),
            key,
            std::time::Duration::from_secs(op.poll_secs.clamp(1, 3_600)),
        );
    }
    let mut config = f.config(genesis, key);
    config.extension = charging.map(crate::charging_cmd::extension);
    if let Some(dir) = portal_dir {
        config.extension = Some(crate::portal_cmd::with_portal(
            config.extension.take(),
            dir,
            chain_id,
            kdf,
        ));
    }
    node::run(config)?;
    Ok(())
}

/// Paths of a devnet's generated files.
pub struct DevnetFiles {
    pub genesis: PathBuf,
    pub validator_key: PathBuf,
    pub operator_key: PathBuf,
    pub bank_key: PathBuf,
    pub password: PathBuf,
    pub charging_key: PathBuf,
    pub charging_token: PathBuf,
    /// The bearer token of `POST /api/v1/admin/clock/advance` (a devnet with clock control).
    pub clock_token: PathBuf,
}

impl DevnetFiles {
    pub fn in_dir(dir: &Path) -> Self {
        let keys = dir.join("keys");
        Self {
            genesis: dir.join("genesis.json"),
            validator_key: keys.join("validator.hex"),
            operator_key: keys.join("operator.json"),
            bank_key: keys.join("bank.json"),
            password: keys.join("password.txt"),
            charging_key: keys.join("charging.json"),
            charging_token: keys.join("charging-token.txt"),
            clock_token: keys.join("clock-token.txt"),
        }
    }
}

/// Creates genesis and keys on first start; reuses them afterwards.
fn prepare_devnet(args: &DevnetArgs) -> Result<DevnetFiles> {
    let files = DevnetFiles::in_dir(&args.data_dir);
    if files.genesis.exists() {
        return Ok(files);
    }
    // No genesis means the chain never started here; keys left by an interrupted first start
    // are regenerated.
    let keys_dir = args.data_dir.join("keys");
    if keys_dir.exists() {
        std::fs::remove_dir_all(&keys_dir)
            .with_context(|| format!("cannot remove stale {}", keys_dir.display()))?;
    }
    std::fs::create_dir_all(&keys_dir)
        .with_context(|| format!("cannot create {}", keys_dir.display()))?;
    let validator = generate_key()?;
    let operator = generate_key()?;
    let bank = generate_key()?;
    save_validator_key(&files.validator_key, &validator)?;
    let params = KdfParams::default();
    Keystore::encrypt(&operator, DEVNET_PASSWORD.as_bytes(), params)?
        .save(&files.operator_key, false)?;
    Keystore::encrypt(&bank, DEVNET_PASSWORD.as_bytes(), params)?.save(&files.bank_key, false)?;
    std::fs::write(&files.password, format!("{DEVNET_PASSWORD}\n"))?;
    let genesis = GenesisFile {
        chain: Genesis {
            chain_id: ChainId::new("gridledger-devnet")?,
            // The first block is stamped by the chain clock, never before genesis.
            genesis_time_ms: args.clock_start.unwrap_or_else(now_ms),
            operator: Address::of(&operator),
            operator_name: "Market operator (devnet)".into(),
            bank: Address::of(&bank),
            bank_name: "Settlement bank (devnet)".into(),
            epoch_length: DEFAULT_EPOCH_LENGTH,
        },
        validators: vec![ValidatorInfo {
            public_key: Address::of(&validator),
            p2p_addr: args.p2p,
        }],
    };
    genesis.save(&files.genesis)?;
    Ok(files)
}

pub fn devnet(mut args: DevnetArgs) -> Result<()> {
    if args.demo {
        args.clock_control = true;
        if !args.data_dir.join("genesis.json").exists() {
            args.clock_start = args
                .clock_start
                .or_else(|| Some(crate::demo::clock_start(now_ms())));
        }
    }
    let files = prepare_devnet(&args)?;
    let genesis = GenesisFile::load(&files.genesis)?;
    if genesis.validators.len() != 1 {
        bail!(
            "{} is not a single-validator devnet",
            files.genesis.display()
        );
    }
    let key = load_validator_key(&files.validator_key)?;
    let rpc = format!("http://{}", args.http);
    println!("GridLedger devnet — chain {}", genesis.chain.chain_id);
    println!("  data dir      {}", args.data_dir.display());
    println!("  API           {rpc}/api/v1/status");
    println!(
        "  operator      {}  key {}",
        genesis.chain.operator,
        files.operator_key.display()
    );
    println!(
        "  bank          {}  key {}",
        genesis.chain.bank,
        files.bank_key.display()
    );
    println!(
        "  key password  {}  (file {})",
        DEVNET_PASSWORD,
        files.password.display()
    );
    if let Some(start) = args.clock_start {
        println!("  chain clock   starts at {start} ms (never before the chain's last block)");
    }
    let clock_token = if args.clock_control {
        let token = crate::charging_cmd::load_or_create_token(&files.clock_token)?;
        println!("  clock control POST {rpc}/api/v1/admin/clock/advance {{\"ms\": N}} or {{\"to_ms\": T}} (devnet only; at most 40 days a call)");
        println!(
            "                with Authorization: Bearer {token}  (file {}) or the operator's session",
            files.clock_token.display()
        );
        Some(token)
    } else {
        None
    };
    println!("Try: gridledger key new --out alice.json");
    println!("     gridledger tx register-participant --rpc {rpc} --key {} --password-file {} --account <ADDR> --role consumer --name Alice --wait", files.operator_key.display(), files.password.display());
    println!("     gridledger tx mint --rpc {rpc} --key {} --password-file {} --to <ADDR> --amount-won 10000 --bank-ref DEP-1 --wait", files.bank_key.display(), files.password.display());
    if args.demo {
        crate::demo::spawn(crate::demo::Config {
            rpc: rpc.clone(),
            data_dir: args.data_dir.clone(),
            ocpp: args.ocpp.0,
            secs_per_month: args.demo_speed,
            clock_token: clock_token.clone().unwrap_or_default(),
        });
    }
    let file = NodeFile {
        data_dir: args.data_dir.clone(),
        genesis: files.genesis.clone(),
        validator_key: files.validator_key.clone(),
        http_addr: args.http,
        p2p_addr: args.p2p,
        block_time_ms: args.block_time_ms,
        empty_block_ms: args.empty_block_ms,
        charging: None,
        full_nodes: Vec::new(),
        portal_dir: None,
        rate_limit: Some(RateLimitFile {
            per_min: args.rate_limit_per_min,
            burst: args.rate_limit_burst,
        }),
        trusted_proxies: Vec::new(),
        operator_agent: None,
    };
    let chain_id = genesis.chain.chain_id.clone();
    let market_operator_chain_id = chain_id.clone();
    let kdf = KdfPool::for_this_machine();
    let market_operator =
        Keystore::load(&files.operator_key)?.decrypt(DEVNET_PASSWORD.as_bytes())?;
    if args.operator_agent {
        println!("  operator agent runs in this node (pairing, settlement, bills, collection)");
        crate::cli::agent::operator::spawn_in_node(
            rpc.clone(),
            market_operator.clone(),
            std::time::Duration::from_secs(2),
        );
    }
    if !files.charging_key.exists() {
        Keystore::encrypt(
            &generate_key()?,
            DEVNET_PASSWORD.as_bytes(),
            KdfParams::default(),
        )?
        .save(&files.charging_key, false)?;
    }
    let charging_key = Keystore::load(&files.charging_key)?.decrypt(DEVNET_PASSWORD.as_bytes())?;
    println!(
        "  charging      {}  key {}  token {}",
        Address::of(&charging_key),
        files.charging_key.display(),
        files.charging_token.display()
    );
    match args.ocpp.0 {
        Some(a) => println!(
            "  OCPP          ws://{a}/ocpp/{{chargerId}}  (subprotocols ocpp1.6, ocpp2.0.1)"
        ),
        None => println!("  OCPP          off"),
    }
    let setup = crate::charging_cmd::ChargingSetup {
        dir: args.data_dir.join("charging"),
        operator_key: charging_key,
        operator_token: crate::charging_cmd::load_or_create_token(&files.charging_token)?,
        chain_id,
        ocpp: args.ocpp.0,
        bootstrap_with: Some(market_operator),
        allow_unsecured_chargers: args.ocpp_insecure,
        kdf_pool: kdf.clone(),
    };
    let portal_dir = args.data_dir.join("portal");
    seed_portal(&portal_dir, &files)?;
    println!(
        "  dashboard     http://{}/  (sign in: operator, bank, charging{}; password {DEVNET_PASSWORD})",
        args.http,
        if args.demo {
            ", and every demo participant: see portal/README.txt"
        } else {
            ""
        }
    );
    let mut config = file.config(genesis, key);
    config.api.clock_token = clock_token.as_deref().map(ClockToken::new);
    config.extension = Some(crate::portal_cmd::with_portal(
        Some(crate::charging_cmd::extension(setup)),
        portal_dir,
        market_operator_chain_id,
        kdf,
    ));
    // One validator: every verifier shares this clock, so it may start elsewhere and move.
    config.clock = ClockConfig {
        start_ms: args.clock_start,
        follow_chain: true,
        control: args.clock_control,
    };
    node::run(config)?;
    Ok(())
}

/// The devnet's portal directory: the operator's, the bank's and the charging operator's
/// keystores under the logins `operator`, `bank` and `charging` (copied once; a file already
/// there is kept).
fn seed_portal(dir: &Path, files: &DevnetFiles) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (login, from) in [
        ("operator", &files.operator_key),
        ("bank", &files.bank_key),
        ("charging", &files.charging_key),
    ] {
        let to = dir.join(format!("{login}.json"));
        if !to.exists() && from.exists() {
            std::fs::copy(from, &to)
                .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}
