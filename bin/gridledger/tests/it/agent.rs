//! The meter agent through a real node: a PV meter backfills ten days of hourly synthetic
//! readings in three runs (the later ones resume, the last posts nothing), then follows the chain
//! until Ctrl-C. The site's intervals and month totals over the API equal the profile's numbers.
//! An AMI CSV that grows is posted once: each run only what the meter has not reported.
use crate::devnet::{key_from_seed, wait_all, Devnet, BIN};
use gridledger_execution::test_utils::SiteBuilder;
use gridledger_sdk::{
    keystore::{KdfParams, Keystore},
    profile::{seed_of, Profile},
    readings::last_position,
    signer::TxSigner,
    Client,
};
use gridledger_types::{
    kst_month, next_month, Address, BindMeter, DeviceKind, Payload, PrivateKey, Role, SiteId,
};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

const HOUR: u64 = 3_600_000;
const SITE: &str = "pv-roof";
const PV: Profile = Profile::Pv { peak_w: 4_000 };
const START_EXPORT_WH: u64 = 5_000;

/// Registers a prosumer with site `site` and binds `meter` to it.
async fn register_site(client: &Client, net: &Devnet, site: &str, meter: &Address) {
    let mut op = TxSigner::connect(client, net.key("operator"), None)
        .await
        .unwrap();
    let owner = Address::of(&key_from_seed(70));
    let site = SiteId::new(site).unwrap();
    let owner_tx = op.sign(
        Payload::RegisterParticipant {
            account: owner.clone(),
            role: Role::Prosumer,
            name: "PV roof".into(),
        },
        None,
    );
    wait_all(client, &[owner_tx]).await;
    let setup = [
        op.sign(
            SiteBuilder::default()
                .site(site.clone())
                .owner(owner.clone())
                .feeder(3)
                .name("PV roof".into())
                .payload(),
            None,
        ),
        op.sign(
            Payload::RegisterDevice {
                device: meter.clone(),
                kind: DeviceKind::Meter,
                owner,
                label: "PV meter".into(),
            },
            None,
        ),
    ];
    wait_all(client, &setup).await;
    let bind = op.sign(
        Payload::BindMeter(BindMeter {
            meter: meter.clone(),
            site,
        }),
        None,
    );
    wait_all(client, &[bind]).await;
}

/// The meter's key file and its password file in `dir`.
fn key_files(dir: &Path, meter: &PrivateKey) -> (PathBuf, PathBuf) {
    let pw = dir.join("pw.txt");
    std::fs::write(&pw, "meter-pass\n").unwrap();
    let key_file = dir.join("meter.json");
    Keystore::encrypt(meter, b"meter-pass", KdfParams::insecure_for_tests())
        .unwrap()
        .save(&key_file, false)
        .unwrap();
    (key_file, pw)
}

fn base_args(rpc: &str, (key, pw): &(PathBuf, PathBuf)) -> Vec<String> {
    [
        "meter-agent",
        "--rpc",
        rpc,
        "--key",
        key.to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec()
}

fn agent_args(rpc: &str, files: &(PathBuf, PathBuf)) -> Vec<String> {
    let start_export = START_EXPORT_WH.to_string();
    let mut args = base_args(rpc, files);
    args.extend(
        [
            "--profile",
            "pv:4000",
            "--seed",
            SITE,
            "--start-export-wh",
            &start_export,
        ]
        .map(String::from),
    );
    args
}

fn run(args: &[String], extra: &[String]) -> String {
    let out: Output = Command::new(BIN).args(args).args(extra).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn successes(stdout: &str) -> usize {
    stdout.lines().filter(|l| l.ends_with(" success")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meter_agent_backfills_resumes_and_follows_a_pv_profile() {
    let (tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let meter = key_from_seed(71);
    let meter_addr = Address::of(&meter);
    register_site(&client, &net, SITE, &meter_addr).await;
    let files = key_files(tmp.path(), &meter);

    // Ten days of hours ending at least an hour before now: nine days (two batches, 191 + 25),
    // then the last day (the same --from: it resumes), then nothing new.
    let end = ((gridledger_sdk::now_ms() - 60_000) / HOUR - 1) * HOUR;
    let start = end - 240 * HOUR;
    let args = agent_args(&net.rpc, &files);
    let from = ["--from".to_string(), start.to_string()];
    let until = |t: u64| {
        [
            from[0].clone(),
            from[1].clone(),
            "--to".into(),
            t.to_string(),
        ]
    };
    assert_eq!(successes(&run(&args, &until(end - 24 * HOUR))), 2);
    assert_eq!(successes(&run(&args, &until(end))), 1);
    let again = run(&args, &until(end));
    assert!(again.contains("nothing new to post"), "{again}");
    assert_eq!(client.account(&meter_addr).await.unwrap().nonce, 3);

    // Follow: catches up to the head time (at least one more hour), then stops on Ctrl-C.
    let mut follow = Command::new(BIN)
        .args(&args)
        .args(["--follow", "--poll-secs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while client.account(&meter_addr).await.unwrap().nonce < 4 {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "follow posted nothing"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = Command::new("kill")
        .args(["-INT", &follow.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let t1 = Instant::now();
    while follow.try_wait().unwrap().is_none() {
        assert!(t1.elapsed() < Duration::from_secs(10), "no exit on Ctrl-C");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = follow.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("stopped"),
        "{stdout}"
    );

    // Every interval and month over the API is the profile's, computed here independently.
    let seed = seed_of(SITE);
    let site = SiteId::new(SITE).unwrap();
    let mut intervals = vec![];
    let mut total_export = 0;
    let mut month = kst_month(start);
    while month <= kst_month(gridledger_sdk::now_ms()) {
        let v = client.site_readings(&site, month).await.unwrap().unwrap();
        let mut export = 0;
        for i in v.intervals {
            let e = PV.interval_energy(seed, i.start_ms, HOUR as u32);
            assert_eq!((i.import_wh, i.export_wh), (e.import_wh, e.export_wh));
            export += e.export_wh;
            intervals.push(i.start_ms);
        }
        assert_eq!((v.import_wh, v.export_wh), (0, export), "{month}");
        total_export += export;
        month = next_month(month);
    }
    let want: Vec<u64> = (0..intervals.len() as u64)
        .map(|i| start + i * HOUR)
        .collect();
    assert_eq!(intervals, want);
    assert!(intervals.len() > 240, "{}", intervals.len());
    // The meter's registers count on from the given start.
    let p = last_position(&client, &meter_addr).await.unwrap().unwrap();
    assert_eq!(p.last_boundary_ms, start + intervals.len() as u64 * HOUR);
    assert_eq!(p.last.export_wh, START_EXPORT_WH + total_export);
    net.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meter_agent_posts_a_growing_csv_once() {
    let (tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let meter = key_from_seed(72);
    let meter_addr = Address::of(&meter);
    register_site(&client, &net, "csv-home", &meter_addr).await;
    let files = key_files(tmp.path(), &meter);
    let first = (gridledger_sdk::now_ms() / HOUR - 10) * HOUR;
    let row = |i: u64| format!("{},{},{}\n", first + i * HOUR, 1_000 + 150 * i, 7 * i);
    let csv = tmp.path().join("ami.csv");
    std::fs::write(&csv, (0..5).map(row).collect::<String>()).unwrap();
    let mut args = base_args(&net.rpc, &files);
    args.extend(["--csv".to_string(), csv.to_str().unwrap().to_string()]);
    assert_eq!(successes(&run(&args, &[])), 1);
    // The collector appends three hours; only those are posted, from the last reading on.
    let all: String = (0..8).map(row).collect();
    std::fs::write(&csv, all).unwrap();
    let out = run(&args, &[]);
    assert_eq!(successes(&out), 1);
    assert!(
        out.contains(" 3 intervals import 450 Wh export 21 Wh"),
        "{out}"
    );
    assert!(run(&args, &[]).contains("nothing new to post"));
    let p = last_position(&client, &meter_addr).await.unwrap().unwrap();
    assert_eq!(p.last_boundary_ms, first + 7 * HOUR);
    assert_eq!((p.last.import_wh, p.last.export_wh), (1_000 + 150 * 7, 49));
    let site = SiteId::new("csv-home").unwrap();
    let mut import = 0;
    for m in [kst_month(first), kst_month(first + 7 * HOUR)] {
        import += client
            .site_readings(&site, m)
            .await
            .unwrap()
            .unwrap()
            .import_wh;
        if kst_month(first) == kst_month(first + 7 * HOUR) {
            break;
        }
    }
    assert_eq!(import, 150 * 7);
    net.kill();
}
