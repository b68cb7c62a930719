//! Wiring of the charging operator's member service and OCPP gateway into a node: keys, the
//! operator token, the devnet bootstrap (register and configure the charging operator), and the
//! node extension that starts the service, its worker and the OCPP listener.
use anyhow::{Context, Result};
use gridledger_member_service::{
    api::ChargingRoutes, backend::OcppBackend, Service, ServiceConfig,
};
use gridledger_node::node::{Extension, ExtensionParts};
use gridledger_sdk::kdf_pool::KdfPool;
use gridledger_sdk::keystore::KdfParams;
use gridledger_types::{
    Address, ChainId, ConfigureCharging, MilliWon, Payload, PrivateKey, Role, TxStatus,
};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

/// `--ocpp`: where the OCPP central system listens, if anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OcppListen(pub Option<SocketAddr>);

/// `--ocpp`: an address, or `off`.
pub fn parse_ocpp(s: &str) -> Result<OcppListen, String> {
    if s == "off" {
        return Ok(OcppListen(None));
    }
    s.parse()
        .map(|a| OcppListen(Some(a)))
        .map_err(|_| format!("'{s}' is not IP:PORT or off"))
}

/// What the extension needs.
pub struct ChargingSetup {
    pub dir: PathBuf,
    pub operator_key: PrivateKey,
    pub operator_token: String,
    pub chain_id: ChainId,
    pub ocpp: Option<SocketAddr>,
    /// Devnet: the market operator's key, to register the charging operator on first start.
    pub bootstrap_with: Option<PrivateKey>,
    /// Chargers without a secret may connect without credentials (tests, benchmarks).
    pub allow_unsecured_chargers: bool,
    /// The node's key-derivation pool (shared with the dashboard's sign-in).
    pub kdf_pool: Arc<KdfPool>,
}

/// Hold rules a devnet's charging operator starts with.
pub fn devnet_config() -> ConfigureCharging {
    ConfigureCharging {
        hold_expiry_ms: 24 * 3_600_000,
        max_prepay: MilliWon(200_000_000),
        auto_charge_max: MilliWon(50_000_000),
    }
}

async fn bootstrap(svc: Arc<Service>, market_operator: PrivateKey) -> Result<()> {
    let chain = svc.chain();
    let me = svc.operator().clone();
    if chain.node.participant(&me).ok().flatten().is_none() {
        let nonce = chain.account(&Address::of(&market_operator))?.1;
        let tx = chain.sign(
            &market_operator,
            nonce,
            vec![Payload::RegisterParticipant {
                account: me.clone(),
                role: Role::ChargingOperator,
                name: "Charging operator (devnet)".into(),
            }],
        );
        let r = chain.submit_wait(tx).await?;
        anyhow::ensure!(
            r[0].is_success(),
            "registering the charging operator: {:?}",
            r[0].status
        );
    }
    if chain.config(&me)?.is_none() {
        let r = svc
            .operator_submit(vec![Payload::ConfigureCharging(devnet_config())])
            .await?;
        if let TxStatus::Failed { code, message } = &r[0].status {
            anyhow::bail!("configuring charging: {code}: {message}");
        }
    }
    tracing::info!(operator = %me, "charging operator ready");
    Ok(())
}

/// The node extension: member service, worker, OCPP listener (and the devnet bootstrap).
pub fn extension(setup: ChargingSetup) -> Extension {
    Box::new(move |node| {
        Box::pin(async move {
            let cfg = ServiceConfig {
                dir: setup.dir,
                operator_key: setup.operator_key,
                operator_token: setup.operator_token,
                chain_id: setup.chain_id,
                kdf: KdfParams::default(),
                kdf_pool: setup.kdf_pool.clone(),
                finality_timeout: Duration::from_secs(30),
                sweep_every: Duration::from_secs(60),
                never_started_ms: 5 * 60_000,
                allow_unsecured_chargers: setup.allow_unsecured_chargers,
            };
            let svc = Service::new(cfg, node).map_err(|e| e.to_string())?;
            let mut parts = ExtensionParts {
                charging: Some(Arc::new(ChargingRoutes(svc.clone()))),
                portal: None,
                kdf: Some(setup.kdf_pool),
                tasks: vec![Box::pin(gridledger_member_service::worker::run(
                    svc.clone(),
                ))],
            };
            if let Some(k) = setup.bootstrap_with {
                let s = svc.clone();
                parts.tasks.push(Box::pin(async move {
                    for attempt in 0..20 {
                        match bootstrap(s.clone(), k.clone()).await {
                            Ok(()) => return,
                            Err(e) => {
                                tracing::warn!(attempt, error = %e, "charging bootstrap failed; retrying");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                    }
                }));
            }
            if let Some(addr) = setup.ocpp {
                let backend = Arc::new(OcppBackend(svc.clone()));
                let (router, gateway) =
                    gridledger_ocpp::router(gridledger_ocpp::OcppConfig::default(), backend);
                OcppBackend::attach(&svc, gateway.clone());
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| format!("cannot listen for OCPP on {addr}: {e}"))?;
                tracing::info!(ocpp = %addr, "OCPP central system listening (ws://{addr}/ocpp/{{chargerId}})");
                parts.tasks.push(Box::pin(async move {
                    let never = std::future::pending::<()>();
                    if let Err(e) = gridledger_ocpp::serve(listener, router, never).await {
                        tracing::error!(error = %e, "OCPP listener stopped");
                    }
                    gateway.close_all();
                }));
            }
            Ok(parts)
        })
    })
}

/// Reads a token file (first line) or creates one (mode 0600) with 32 random hex bytes.
pub fn load_or_create_token(path: &std::path::Path) -> Result<String> {
    if let Ok(t) = std::fs::read_to_string(path) {
        let t = t.trim().to_string();
        anyhow::ensure!(!t.is_empty(), "{} is empty", path.display());
        return Ok(t);
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    let t = hex::encode(raw);
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(format!("{t}\n").as_bytes()))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(t)
}
