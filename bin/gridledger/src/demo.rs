//! `devnet --demo` for the foundation: seed a few households and keep transfers flowing so a
//! newcomer sees blocks, receipts and balances move. (The full market / EV demo builds on this.)
use crate::node_cmd::DEVNET_PASSWORD;
use anyhow::{Context, Result};
use gridledger_sdk::{
    client::Client,
    keystore::{generate_key, KdfParams, Keystore},
    signer::TxSigner,
};
use gridledger_types::{Address, MilliWon, Payload, Role};
use std::{path::PathBuf, time::Duration};

/// Runs the demo on its own thread and runtime (the node owns the main thread).
pub fn spawn(rpc: String, keys_dir: PathBuf) {
    let _ = std::thread::Builder::new()
        .name("demo".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return eprintln!("demo: cannot start runtime: {e}"),
            };
            if let Err(e) = rt.block_on(run(rpc, keys_dir)) {
                eprintln!("demo stopped: {e:#}");
            }
        });
}

async fn run(rpc: String, keys_dir: PathBuf) -> Result<()> {
    let client = Client::new(&rpc)?;
    let mut tries = 0;
    while client.status().await.is_err() {
        tries += 1;
        if tries > 600 {
            anyhow::bail!("node API did not come up");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let password = DEVNET_PASSWORD.as_bytes();
    let operator = Keystore::load(keys_dir.join("operator.json"))?.decrypt(password)?;
    let bank = Keystore::load(keys_dir.join("bank.json"))?.decrypt(password)?;
    let mut op = TxSigner::connect(&client, operator, None).await?;
    let mut bk = TxSigner::connect(&client, bank, None).await?;
    let names = [
        "Haneul household",
        "Minji household",
        "Seoyeon household",
        "Building A",
    ];
    let mut households = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let path = keys_dir.join(format!("demo-{i}.json"));
        if path.exists() {
            // Restart: the household exists; continue with its saved key.
            let key = Keystore::load(&path)?.decrypt(password)?;
            households.push(TxSigner::connect(&client, key, None).await?);
            continue;
        }
        let key = generate_key()?;
        let addr = Address::of(&key);
        let role = if i % 2 == 0 {
            Role::Prosumer
        } else {
            Role::Consumer
        };
        let reg = op.sign(
            Payload::RegisterParticipant {
                account: addr.clone(),
                role,
                name: name.to_string(),
            },
            None,
        );
        confirm(&client, &reg).await.context("register")?;
        let mint = bk.sign(
            Payload::Mint {
                to: addr.clone(),
                amount: MilliWon::from_won(100_000).unwrap_or_default(),
                bank_ref: format!("DEMO-DEP-{i}"),
            },
            None,
        );
        confirm(&client, &mint).await.context("mint")?;
        Keystore::encrypt(&key, password, KdfParams::default())?.save(&path, false)?;
        println!("demo: {name} {addr} registered with 100,000 won");
        households.push(
            TxSigner::new(key, op.chain_id().clone(), 0).with_clock_offset_ms(op.clock_offset_ms()),
        );
    }
    let addrs: Vec<Address> = households.iter().map(|h| h.address().clone()).collect();
    let mut round: usize = 0;
    loop {
        let from = round % households.len();
        let to = (round + 1) % households.len();
        let tx = households[from].sign(
            Payload::Transfer {
                to: addrs[to].clone(),
                amount: MilliWon::from_won(100 + (round as u64 % 7) * 10).unwrap_or_default(),
                memo: format!("demo energy payment {round}"),
            },
            None,
        );
        if let Err(e) = client.submit(&tx).await {
            eprintln!("demo: transfer refused: {e}");
            // A gap in nonces, or `expired` after the devnet's clock was moved ahead.
            households[from].resync(&client).await?;
            households[from].resync_clock(&client).await?;
        }
        round += 1;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Submits `tx` and waits for a successful receipt.
async fn confirm(client: &Client, tx: &gridledger_types::SignedTransaction) -> Result<()> {
    let hash = client.submit(tx).await?;
    let view = client.wait_for_tx(&hash, Duration::from_secs(30)).await?;
    if !view.receipt.is_success() {
        anyhow::bail!("{hash} failed: {:?}", view.receipt.status);
    }
    Ok(())
}
