//! The OpenAPI document is exact (issue 13): schemathesis runs against a real devnet with
//! `--checks all`, a fixed seed and a fixed example budget, and must find nothing.
//!
//! schemathesis and every package it needs are pinned in `.ci/schemathesis/requirements.txt`;
//! `.ci/run` installs them in `.ci/.venv-schemathesis` and exports `GRIDLEDGER_SCHEMATHESIS`
//! (the `schemathesis` executable). The run's settings (seed, budget, credentials, the seeded
//! ids it draws from, the one per-route expectation) are in `.ci/schemathesis/schemathesis.toml`.
//! docs/TESTING.md says how to run it alone.
//!
//! The devnet is the browser tests' world (a monthly market and billing, a seller and a buyer
//! with sites, meters and June's readings, bills issued, a charger of the devnet's charging
//! operator and an EV member with a settled and an open session), restarted without clock
//! control before the run so no request can move chain time, and without the per-address rate
//! limit on the password routes (one address sends every case).
use crate::browser::fixture::{World, HOUR, MONTH};
use crate::devnet::Devnet;
use gridledger_types::{kst_month_start_ms, Payload};
use serde_json::{json, Value};
use std::{path::PathBuf, process::Command, time::Instant};

/// The dashboard login whose session (cookie and `x-csrf-token`) every request carries, or
/// `None` to fuzz anonymously. Once personal-data reads need a session, set it to
/// `Some(("operator", "devnet"))` (the devnet's own logins use the password `devnet`).
const SESSION: Option<(&str, &str)> = None;

/// The repository file `rel` (relative to the workspace root).
fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// `<target>/schemathesis`: where the run's output and reports go.
fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .join("schemathesis");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn schemathesis() -> PathBuf {
    let path = std::env::var_os("GRIDLEDGER_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_file(".ci/.venv-schemathesis/bin/schemathesis"));
    assert!(
        path.is_file(),
        "no schemathesis at {} (set GRIDLEDGER_SCHEMATHESIS, or create the venv as .ci/run \
         does: python3 -m venv .ci/.venv-schemathesis && .ci/.venv-schemathesis/bin/pip install \
         --no-deps -r .ci/schemathesis/requirements.txt)",
        path.display()
    );
    path
}

/// Signs in as `login` and returns the request headers of its session.
async fn session_headers(base: &str, login: &str, password: &str) -> Vec<String> {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("signing in as {login} set no cookie"));
    let me: Value = resp.json().await.unwrap();
    let csrf = me["csrf"].as_str().expect("a CSRF token");
    vec![format!("Cookie: {cookie}"), format!("x-csrf-token: {csrf}")]
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_against_a_seeded_devnet_slow_() {
    let st = schemathesis();
    let config_path = repo_file(".ci/schemathesis/schemathesis.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();

    // Seed: the browser world with its EV sessions, June's readings and bills.
    let mut w = World::start(true).await;
    w.clock_to(w.july + 10 * 60_000).await;
    w.post_june_readings().await;
    w.clock_to(w.july + 2 * HOUR).await;
    w.operator_tx(Payload::IssueBills { month: MONTH }).await;
    let ev = w.ev.as_ref().expect("an EV session");
    let token = std::fs::read_to_string(w.net.dir.join("keys/charging-token.txt"))
        .unwrap()
        .trim()
        .to_string();
    let secret = w
        .client
        .charging_charger_secret(Some(&token), ev.charger)
        .await
        .unwrap()
        .secret;
    // The ids the run draws from are the seeded ones (the config names them literally).
    let member = ev.view["member_no"]
        .as_u64()
        .expect("member_no")
        .to_string();
    let june = kst_month_start_ms(MONTH).unwrap().to_string();
    for (what, id) in [
        ("seller", w.seller.address().to_hex()),
        ("buyer", w.buyer.address().to_hex()),
        ("seller's site", w.seller.site.to_string()),
        ("buyer's site", w.buyer.site.to_string()),
        ("charger", ev.charger.to_string()),
        ("member", member),
        ("June's start", june),
        ("month", MONTH.to_string()),
    ] {
        assert!(
            config.contains(&id),
            "{} does not name the {what} {id}",
            config_path.display()
        );
    }

    // The fuzzed node: the same chain, without clock control, and without the per-address
    // limit on the password routes: every case comes from this one address, so with the limit
    // nearly every case of those routes would be a 429 before their logic (and their 401 for
    // missing credentials) is reached. The limit and its 429 are checked against the document
    // in crates/api (tests/it/openapi.rs, portal.rs, charging.rs).
    let (dir, http, p2p) = (w.net.dir.clone(), w.net.http, w.net.p2p);
    w.net.stop();
    w.net = Devnet::start_with(&dir, http, p2p, &["--rate-limit-per-min", "0"]);
    w.net.ready().await;
    let base = w.net.rpc.clone();
    let headers = match SESSION {
        Some((login, password)) => session_headers(&base, login, password).await,
        None => Vec::new(),
    };

    let out = out_dir();
    let started = Instant::now();
    let mut cmd = Command::new(&st);
    cmd.arg("--config-file")
        .arg(&config_path)
        .arg("--no-color")
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--checks", "all"])
        .arg("--report-dir")
        .arg(&out)
        .env("GL_CHARGING_TOKEN", &token)
        .env("GL_CHARGER", ev.charger)
        .env("GL_CHARGER_SECRET", &secret)
        // A fixed hash seed too: nothing of the run may depend on the process.
        .env("PYTHONHASHSEED", "0")
        .current_dir(&out);
    for h in &headers {
        cmd.args(["--header", h]);
    }
    let result = cmd.output().expect("run schemathesis");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::write(out.join("output.txt"), &text).unwrap();
    // The node's log outlives its temporary directory.
    let _ = std::fs::copy(w.net.log_path(), out.join("devnet.log"));
    let alive = w.net.child.try_wait().unwrap().is_none();
    let summary: String = text
        .lines()
        .filter(|l| l.contains("generated") || l.contains(" in ") && l.contains("=="))
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!(
        "schemathesis: {summary}\n(wall {:.0} s; output {})",
        started.elapsed().as_secs_f64(),
        out.join("output.txt").display()
    );
    assert!(
        alive,
        "the devnet exited during the run; its log is {}",
        out.join("devnet.log").display()
    );
    assert!(
        result.status.success(),
        "schemathesis found failures ({}); its output is in {}:\n{}",
        result.status,
        out.join("output.txt").display(),
        tail(&text, 12_000)
    );
}

/// The last `n` bytes of `s` (on a character boundary).
fn tail(s: &str, n: usize) -> &str {
    let mut i = s.len().saturating_sub(n);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}
