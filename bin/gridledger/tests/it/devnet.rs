//! Starting and stopping a real devnet process for a test.
use gridledger_sdk::{
    api::{ClockAdvance, MAX_CLOCK_STEP_MS},
    client::Client,
    keystore::Keystore,
    signer::TxSigner,
};
use gridledger_types::{Address, MilliWon, Payload, PrivateKey, Role};
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command},
    time::{Duration, Instant},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_gridledger");

/// Runs `gridledger ARGS` and asserts it succeeded (showing its stderr if not).
pub fn run_ok(args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "gridledger {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

pub struct Devnet {
    pub child: Child,
    pub dir: PathBuf,
    pub http: u16,
    /// The consensus p2p port (a restart reuses it).
    pub p2p: u16,
    pub rpc: String,
    /// The OCPP listener's port (every test devnet gets its own).
    pub ocpp: u16,
    /// The market operator's key, once read (see [Devnet::client]).
    operator: std::sync::OnceLock<PrivateKey>,
}

impl Devnet {
    /// A devnet in a fresh temporary directory (kept alive by the returned guard).
    pub fn temp() -> (tempfile::TempDir, PathBuf, Self) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("chain");
        std::fs::create_dir_all(&dir).unwrap();
        let net = Self::start(&dir, free_port(), free_port());
        (tmp, dir, net)
    }

    /// Starts a devnet in `dir` (created by the caller, reused across restarts).
    pub fn start(dir: &Path, http: u16, p2p: u16) -> Self {
        Self::start_with(dir, http, p2p, &[])
    }

    /// Like [Devnet::start] with extra arguments (e.g. `--demo`).
    pub fn start_with(dir: &Path, http: u16, p2p: u16, extra: &[&str]) -> Self {
        let log = std::fs::File::create(dir.with_extension(format!("{http}.log"))).unwrap();
        let out = std::fs::File::create(dir.with_extension(format!("{http}.out"))).unwrap();
        let ocpp = free_port();
        let ocpp_arg = format!("127.0.0.1:{ocpp}");
        let own_ocpp: &[&str] = if extra.contains(&"--ocpp") {
            &[]
        } else {
            &["--ocpp", &ocpp_arg]
        };
        let child = Command::new(BIN)
            .args([
                "devnet",
                "--data-dir",
                dir.to_str().unwrap(),
                "--http",
                &format!("127.0.0.1:{http}"),
                "--p2p",
                &format!("127.0.0.1:{p2p}"),
                "--block-time-ms",
                "50",
                "--empty-block-ms",
                "300",
            ])
            .args(extra)
            .args(own_ocpp)
            .env("RUST_LOG", "warn")
            .stdout(out)
            .stderr(log)
            .spawn()
            .expect("spawn gridledger devnet");
        Self {
            child,
            dir: dir.to_path_buf(),
            http,
            p2p,
            rpc: format!("http://127.0.0.1:{http}"),
            ocpp,
            operator: std::sync::OnceLock::new(),
        }
    }

    /// A client of the devnet reading as the market operator (entitled to every record) once
    /// the devnet has written its keys (anonymous before), and sending its clock token (if it
    /// has clock control) with `advance_clock`.
    pub fn client(&self) -> Client {
        let c = match self.clock_token() {
            Some(t) => self.anonymous().with_clock_token(t),
            None => self.anonymous(),
        };
        if let Some(k) = self.operator.get() {
            return c.with_signer(k.clone());
        }
        match Keystore::load(self.dir.join("keys").join("operator.json")) {
            Ok(ks) => {
                let k = self.operator.get_or_init(|| ks.decrypt(b"devnet").unwrap());
                c.with_signer(k.clone())
            }
            Err(_) => c,
        }
    }

    /// The token `POST /api/v1/admin/clock/advance` takes (written at start with clock control).
    pub fn clock_token(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("keys").join("clock-token.txt"))
            .ok()
            .map(|t| t.trim().to_string())
    }

    /// `GET path` (e.g. `/api/v1/markets/m/periods/1`) as JSON, signed by the market operator.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self
            .get_signed(path, &self.key("operator"), gridledger_sdk::now_ms())
            .await;
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// `GET path` with a signed-read header of `key` at `time_ms`.
    pub async fn get_signed(
        &self,
        path: &str,
        key: &PrivateKey,
        time_ms: u64,
    ) -> reqwest::Response {
        let auth = gridledger_types::ReadAuth::sign(key, "gridledger-devnet", "GET", path, time_ms);
        reqwest::Client::new()
            .get(format!("{}{path}", self.rpc))
            .header("authorization", auth.header_value())
            .send()
            .await
            .unwrap()
    }

    /// A client that signs nothing (public routes only).
    pub fn anonymous(&self) -> Client {
        Client::new(&self.rpc).unwrap()
    }

    /// A client reading with `key` (its own records, or what its role may read).
    pub fn client_as(&self, key: &PrivateKey) -> Client {
        self.anonymous().with_signer(key.clone())
    }

    /// Waits until the API answers and at least one block after genesis is final.
    pub async fn ready(&mut self) -> Client {
        let client = self.client();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "devnet exited early: {status}; log {}",
                    self.log_path().display()
                );
            }
            if let Ok(s) = client.status().await {
                if s.height >= 1 {
                    // The node is up: its files (the clock token) are written.
                    return self.client();
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "devnet not ready in 60 s; log {}",
                self.log_path().display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the devnet printed on stdout (the demo's lines).
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.with_extension(format!("{}.out", self.http)))
            .unwrap_or_default()
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.with_extension(format!("{}.log", self.http))
    }

    pub fn key(&self, name: &str) -> PrivateKey {
        Keystore::load(self.dir.join("keys").join(format!("{name}.json")))
            .unwrap()
            .decrypt(b"devnet")
            .unwrap()
    }

    /// SIGTERM, then waits for the node to shut down cleanly (SIGKILL after 30 s).
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    /// SIGKILL, no chance to flush anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn key_from_seed(seed: u8) -> PrivateKey {
    use gridledger_types::DecodeExt;
    PrivateKey::decode([seed; 32].as_slice()).unwrap()
}

/// New accounts from key seeds `seeds`, registered by the devnet's operator and funded by its
/// bank with `won` each (see [fund]); their keys and addresses.
pub async fn funded_accounts(
    net: &Devnet,
    client: &Client,
    seeds: std::ops::Range<u8>,
    won: u64,
) -> (Vec<PrivateKey>, Vec<Address>) {
    let mut operator = TxSigner::connect(client, net.key("operator"), None)
        .await
        .unwrap();
    let mut bank = TxSigner::connect(client, net.key("bank"), None)
        .await
        .unwrap();
    let keys: Vec<_> = seeds.map(key_from_seed).collect();
    let addrs: Vec<Address> = keys.iter().map(Address::of).collect();
    fund(client, &mut operator, &mut bank, &addrs, won).await;
    (keys, addrs)
}

/// Registers `accounts` (as consumers), waits for that, then mints `won` to each and waits
/// again (transactions of different signers in one block have no guaranteed order).
pub async fn fund(
    client: &Client,
    operator: &mut TxSigner,
    bank: &mut TxSigner,
    accounts: &[Address],
    won: u64,
) {
    let regs: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            operator.sign(
                Payload::RegisterParticipant {
                    account: a.clone(),
                    role: Role::Consumer,
                    name: format!("account {i}"),
                },
                None,
            )
        })
        .collect();
    wait_all(client, &regs).await;
    let mints: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            bank.sign(
                Payload::Mint {
                    to: a.clone(),
                    amount: MilliWon::from_won(won).unwrap(),
                    bank_ref: format!("DEP-{i}"),
                },
                None,
            )
        })
        .collect();
    wait_all(client, &mints).await;
}

/// Submits `txs` as one batch and waits until each is final with a successful receipt.
pub async fn wait_all(client: &Client, txs: &[gridledger_types::SignedTransaction]) {
    let resp = client.submit_batch(txs).await.unwrap();
    assert!(resp.results.iter().all(|r| r.accepted), "{resp:?}");
    for t in txs {
        let v = client
            .wait_for_tx(&t.hash(), Duration::from_secs(30))
            .await
            .unwrap();
        assert!(v.receipt.is_success(), "{:?}", v.receipt);
    }
}

/// Moves the devnet's clock to `to_ms` (in steps of at most the 40 days one request may move
/// it) and waits until a block carries that time.
pub async fn clock_to(client: &Client, to_ms: u64, signers: &mut [&mut TxSigner]) {
    let mut now = client.status().await.unwrap().now_ms;
    while to_ms.saturating_sub(now) > MAX_CLOCK_STEP_MS {
        now = client
            .advance_clock(ClockAdvance::To(now + MAX_CLOCK_STEP_MS))
            .await
            .unwrap()
            .now_ms;
    }
    client.advance_clock(ClockAdvance::To(to_ms)).await.unwrap();
    for _ in 0..200 {
        if client.status().await.unwrap().timestamp_ms >= to_ms {
            for s in signers.iter_mut() {
                s.resync_clock(client).await.unwrap();
            }
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no block at {to_ms} after moving the clock");
}

/// Signs in to the dashboard over HTTP as `login`: the session's cookie (`gl_session=...`) and
/// CSRF token.
pub async fn dashboard_session(rpc: &str, login: &str, password: &str) -> (String, String) {
    let resp = reqwest::Client::new()
        .post(format!("{rpc}/api/v1/session"))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "sign-in as {login}");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let v: serde_json::Value = resp.json().await.unwrap();
    (cookie, v["csrf"].as_str().unwrap().to_string())
}
