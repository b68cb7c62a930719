//! Metering through a real node: the operator registers a site and binds a meter, the meter's
//! AMI export is imported with the CLI, and the site's month is read back over the API.
use crate::devnet::{key_from_seed, wait_all, Devnet, BIN};
use gridledger_execution::test_utils::SiteBuilder;
use gridledger_sdk::{
    keystore::{KdfParams, Keystore},
    signer::TxSigner,
};
use gridledger_types::{kst_month, Address, BindMeter, DeviceKind, Payload, Role, SiteId};
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_imported_from_csv_show_up_per_interval_and_month() {
    let (tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let mut op = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();
    let owner = key_from_seed(60);
    let meter = key_from_seed(61);
    let site = SiteId::new("apt-101").unwrap();
    let regs = vec![op.sign(
        Payload::RegisterParticipant {
            account: Address::of(&owner),
            role: Role::Prosumer,
            name: "Apt 101".into(),
        },
        None,
    )];
    wait_all(&client, &regs).await;
    let setup = vec![
        op.sign(
            SiteBuilder::default()
                .site(site.clone())
                .owner(Address::of(&owner))
                .feeder(2)
                .name("Apt 101".into())
                .payload(),
            None,
        ),
        op.sign(
            Payload::RegisterDevice {
                device: Address::of(&meter),
                kind: DeviceKind::Meter,
                owner: Address::of(&owner),
                label: "AMI 1".into(),
            },
            None,
        ),
    ];
    wait_all(&client, &setup).await;
    wait_all(
        &client,
        &[op.sign(
            Payload::BindMeter(BindMeter {
                meter: Address::of(&meter),
                site: site.clone(),
            }),
            None,
        )],
    )
    .await;

    // The meter's key file and a CSV of five hourly boundary readings ending two hours ago.
    let pw = tmp.path().join("pw.txt");
    std::fs::write(&pw, "meter-pass\n").unwrap();
    let key_file = tmp.path().join("meter.json");
    Keystore::encrypt(&meter, b"meter-pass", KdfParams::insecure_for_tests())
        .unwrap()
        .save(&key_file, false)
        .unwrap();
    let hour = 3_600_000u64;
    let now = gridledger_sdk::now_ms();
    let first = (now / hour - 6) * hour;
    let mut csv = String::from("timestamp,import_wh,export_wh\n");
    for (i, (imp, exp)) in [
        (10_000, 500),
        (10_400, 500),
        (10_900, 650),
        (11_000, 900),
        (11_600, 900),
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&format!("{},{imp},{exp}\n", first + i as u64 * hour));
    }
    let csv_file = tmp.path().join("ami.csv");
    std::fs::write(&csv_file, csv).unwrap();
    let out = Command::new(BIN)
        .args([
            "readings",
            "import",
            "--csv",
            csv_file.to_str().unwrap(),
            "--interval-min",
            "60",
            "--rpc",
            &net.rpc,
            "--key",
            key_file.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Per month and per interval over the API (the intervals may straddle a KST month end).
    let mut total_import = 0;
    let mut intervals = 0;
    let mut months = vec![kst_month(first)];
    if kst_month(first + 4 * hour) != months[0] {
        months.push(kst_month(first + 4 * hour));
    }
    for m in months {
        let v = net
            .get_json(&format!("/api/v1/sites/apt-101/readings?month={m}"))
            .await;
        total_import += v["import_wh"].as_u64().unwrap();
        intervals += v["intervals"].as_array().unwrap().len();
    }
    assert_eq!(total_import, 1_600);
    assert_eq!(intervals, 4);
    let s: serde_json::Value = reqwest::get(format!("{}/api/v1/sites/apt-101", net.rpc))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["owner"], Address::of(&owner).to_hex());

    // Importing the same file again is refused (duplicate intervals) and changes nothing.
    let out = Command::new(BIN)
        .args([
            "readings",
            "import",
            "--csv",
            csv_file.to_str().unwrap(),
            "--rpc",
            &net.rpc,
            "--key",
            key_file.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("duplicate_interval"));
    net.kill();
}
