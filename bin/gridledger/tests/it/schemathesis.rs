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
//! with sites, meters and June's readings, June's contract between them settled, a proposed
//! PPA, bills issued, a charger of the devnet's charging operator and an EV member with a
//! settled and an open session), restarted without clock control before the run so no request
//! can move chain time, and without the per-address rate limit on the password routes (one
//! address sends every case).
//!
//! Personal records are read with the market operator's dashboard session (docs/SECURITY.md,
//! "Who may read"): the config gives schemathesis its cookie for the document's
//! `sessionCookie` scheme, so it goes only with the operations that declare it (the personal
//! reads; never the sign-in routes, so the run cannot sign itself out, and never with a CSRF
//! token, so nothing is signed for the operator). `--checks all` then also replays those
//! reads without the cookie and expects the documented 401. After the run the node's own
//! request counters must show a 2xx for every personal read: the run read records, not only
//! refusals.
use crate::browser::fixture::{World, HOUR, MARKET, MONTH};
use crate::devnet::{wait_all, Devnet};
use gridledger_sdk::signer::TxSigner;
use gridledger_types::{
    kst_month_start_ms, Hash32, MarketId, Payload, PriceMilliWonPerKwh, ProposePpa, Side, SiteId,
    SubmitIntention,
};
use serde_json::{json, Value};
use std::{path::PathBuf, process::Command, time::Instant};

/// The dashboard login whose session cookie the personal reads carry (the devnet's own logins
/// use the password `devnet`): the market operator reads every record.
const SESSION: (&str, &str) = ("operator", "devnet");

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

/// Signs in as `login` and returns its session cookie's value.
async fn session_cookie(base: &str, login: &str, password: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap();
    resp.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.strip_prefix("gl_session="))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("signing in as {login} set no gl_session cookie"))
}

/// Before June's gate: the seller sells and the buyer buys 100 kWh of June (a contract once the
/// operator clears the period at June's start), and the seller proposes a PPA for July to
/// December. Returns the hashes of the sell intention and of the PPA (its id).
async fn seed_trades(w: &mut World) -> [Hash32; 2] {
    let market = MarketId::new(MARKET).unwrap();
    let mut seller = TxSigner::connect(&w.client, w.seller.key.clone(), None)
        .await
        .unwrap();
    let mut buyer = TxSigner::connect(&w.client, w.buyer.key.clone(), None)
        .await
        .unwrap();
    let intention = |side, site: &str, limit_won: u64| {
        Payload::SubmitIntention(SubmitIntention {
            market: market.clone(),
            period_start_ms: w.june,
            side,
            site: SiteId::new(site).unwrap(),
            energy_wh: 100_000,
            limit: PriceMilliWonPerKwh(limit_won * 1_000),
        })
    };
    let sell = seller.sign(intention(Side::Sell, w.seller.site, 120), None);
    let buy = buyer.sign(intention(Side::Buy, w.buyer.site, 200), None);
    let ppa = seller.sign(
        Payload::ProposePpa(ProposePpa {
            market: market.clone(),
            seller_site: SiteId::new(w.seller.site).unwrap(),
            buyer_site: SiteId::new(w.buyer.site).unwrap(),
            price: PriceMilliWonPerKwh(140_000),
            start_month: MONTH + 1,
            end_month: MONTH + 6,
            monthly_wh: vec![50_000; 12],
            notice_months: 1,
        }),
        None,
    );
    wait_all(&w.client, &[sell.clone(), buy, ppa.clone()]).await;
    let june = w.june;
    w.clock_to(june + 60_000).await;
    w.operator_tx(Payload::ClearPeriod {
        market,
        period_start_ms: june,
    })
    .await;
    [sell.hash(), ppa.hash()]
}

/// `config` with the dictionary `hashes` for the `{hash}` of `/txs/{hash}` and the `{id}` of
/// `/ppas/{id}` (TOML sub-tables of `[dictionaries]` and `[parameters]`, appended).
fn with_hashes(config: &str, hashes: &[Hash32]) -> String {
    let values: Vec<String> = hashes
        .iter()
        .map(|h| format!("\"{}\"", h.to_hex()))
        .collect();
    let mut out = config.to_string();
    out.push_str(&format!(
        "\n[dictionaries.hashes]\nvalues = [{}]\n",
        values.join(", ")
    ));
    for p in ["path.hash", "path.id"] {
        out.push_str(&format!(
            "\n[parameters.\"{p}\"]\ndictionary = \"hashes\"\nprobability = 0.5\n"
        ));
    }
    out
}

/// The GET routes the document says need credentials (no anonymous `{}` alternative).
fn personal_reads(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(security) = ops["get"]["security"].as_array() else {
            continue;
        };
        if !security
            .iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        {
            out.push(path.clone());
        }
    }
    out
}

/// `(route, method, status) -> count` from the node's `gridledger_api_requests_total`.
fn request_counts(metrics: &str) -> Vec<(String, String, u16, u64)> {
    let label = |l: &str, name: &str| {
        let start = l.find(&format!("{name}=\""))? + name.len() + 2;
        let end = start + l[start..].find('"')?;
        Some(l[start..end].to_string())
    };
    metrics
        .lines()
        .filter(|l| l.starts_with("gridledger_api_requests_total{"))
        .filter_map(|l| {
            let count = l.rsplit(' ').next()?.parse().ok()?;
            let status = label(l, "status")?.parse().ok()?;
            Some((label(l, "route")?, label(l, "method")?, status, count))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_against_a_seeded_devnet_slow_() {
    let st = schemathesis();
    let config_path = repo_file(".ci/schemathesis/schemathesis.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();

    // Seed: the browser world with its EV sessions, June's contract, a PPA, readings and bills.
    let mut w = World::start(true).await;
    let hashes = seed_trades(&mut w).await;
    w.clock_to(w.july + 10 * 60_000).await;
    w.post_june_readings().await;
    w.clock_to(w.july + 2 * HOUR).await;
    let june_ms = w.june;
    w.operator_tx(Payload::SettlePeriod {
        market: MarketId::new(MARKET).unwrap(),
        period_start_ms: june_ms,
    })
    .await;
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
    let cookie = session_cookie(&base, SESSION.0, SESSION.1).await;

    let out = out_dir();
    // The run's config: the fixed one, plus the seeded hashes (a transaction's and the PPA's
    // id), which differ every run (transactions carry the chain clock's expiry).
    let run_config = out.join("schemathesis.toml");
    std::fs::write(&run_config, with_hashes(&config, &hashes)).unwrap();
    let started = Instant::now();
    let mut cmd = Command::new(&st);
    cmd.arg("--config-file")
        .arg(&run_config)
        .arg("--no-color")
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--checks", "all"])
        .arg("--report-dir")
        .arg(&out)
        .env("GL_CHARGING_TOKEN", &token)
        .env("GL_CHARGER", ev.charger)
        .env("GL_CHARGER_SECRET", &secret)
        .env("GL_SESSION", &cookie)
        // A fixed hash seed too: nothing of the run may depend on the process.
        .env("PYTHONHASHSEED", "0")
        .current_dir(&out);
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
    let metrics = if alive {
        reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    } else {
        String::new()
    };
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
    // Every personal read was served (2xx) and refused without the cookie (401) at least once.
    let doc: Value = reqwest::get(format!("{base}/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    std::fs::write(out.join("metrics.txt"), &metrics).unwrap();
    let counts = request_counts(&metrics);
    let personal = personal_reads(&doc);
    assert!(personal.len() >= 15, "{personal:?}");
    for route in &personal {
        let seen = |ok: fn(u16) -> bool| {
            counts
                .iter()
                .filter(|(r, m, s, _)| r == route && m == "GET" && ok(*s))
                .map(|c| c.3)
                .sum::<u64>()
        };
        let (served, refused) = (seen(|s| (200..300).contains(&s)), seen(|s| s == 401));
        eprintln!("{route}: {served} served, {refused} refused (401)");
        assert!(served > 0, "GET {route} was never served a record");
        assert!(
            refused > 0,
            "GET {route} was never refused without the cookie"
        );
    }
}

/// The last `n` bytes of `s` (on a character boundary).
fn tail(s: &str, n: usize) -> &str {
    let mut i = s.len().saturating_sub(n);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}
