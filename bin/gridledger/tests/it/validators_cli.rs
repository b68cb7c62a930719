//! The validator set through the real binary: `query validators` on a devnet, the operator's
//! `tx change-validators` scheduling the next epoch's set, and refusals.
use crate::cli_flow::field;
use crate::devnet::{Devnet, BIN};
use gridledger_types::{Address, ValidatorEntry};
use std::{path::Path, process::Command};

fn gl(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run gridledger");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lines<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .filter_map(|l| l.strip_prefix(&format!("{name}: ")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_schedules_validator_changes_with_the_cli() {
    let (_tmp, dir, mut net) = Devnet::temp();
    net.ready().await;
    let rpc = net.rpc.clone();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let keys = dir.join("keys");
    let (op, bank, pw) = (
        s(&keys.join("operator.json")),
        s(&keys.join("bank.json")),
        s(&keys.join("password.txt")),
    );
    let genesis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("genesis.json")).unwrap()).unwrap();
    let me: ValidatorEntry = serde_json::from_value(genesis["validators"][0].clone()).unwrap();

    let (code, out, err) = gl(&["query", "validators", "--rpc", &rpc]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(field(&out, "epoch_length"), "1000");
    assert_eq!(field(&out, "current_epoch"), "0");
    assert_eq!(lines(&out, "validator"), vec![me.to_string()]);
    assert_eq!(field(&out, "scheduled_epoch"), "-");

    let new = ValidatorEntry {
        public_key: Address::of(&crate::devnet::key_from_seed(77)),
        p2p_addr: "127.0.0.1:7171".parse().unwrap(),
    };
    let tx = |key: &str, extra: &[&str]| {
        let mut args = vec![
            "tx",
            "change-validators",
            "--rpc",
            &rpc,
            "--key",
            key,
            "--password-file",
            &pw,
            "--wait",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = gl(&args);
        (code, format!("{out}{err}"))
    };
    let add = new.to_string();
    let (code, out) = tx(&op, &["--add", &add]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(field(&out, "status"), "success");
    assert!(out.contains("validators_scheduled"), "{out}");

    let (_, out, _) = gl(&["query", "validators", "--rpc", &rpc]);
    assert_eq!(lines(&out, "validator"), vec![me.to_string()]);
    assert_eq!(field(&out, "scheduled_epoch"), "1");
    assert_eq!(field(&out, "scheduled_from_height"), "1000");
    let mut both = [me.clone(), new.clone()];
    both.sort_by(|a, b| a.public_key.cmp(&b.public_key));
    let both: Vec<String> = both.iter().map(ToString::to_string).collect();
    assert_eq!(lines(&out, "scheduled"), both);
    let (_, json, _) = gl(&["query", "validators", "--rpc", &rpc, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["scheduled"]["validators"].as_array().unwrap().len(), 2);

    // Refused on chain (exit status 3): the key is already scheduled; the bank is not the
    // operator. Refused locally: a bad address, nothing to change.
    let (code, out) = tx(&op, &["--add", &add]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("failed validator_exists"), "{out}");
    let (code, out) = tx(&bank, &["--remove", &new.public_key.to_hex()]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("failed not_operator"), "{out}");
    let bad = format!("{}@0.0.0.0:7171", new.public_key);
    let (code, out) = tx(&op, &["--add", &bad]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("unspecified"), "{out}");
    let (code, out) = tx(&op, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("at least one"), "{out}");

    // A second change in the same epoch builds on the first.
    let (code, out) = tx(&op, &["--remove", &new.public_key.to_hex()]);
    assert_eq!(code, Some(0), "{out}");
    let (_, out, _) = gl(&["query", "validators", "--rpc", &rpc]);
    assert_eq!(field(&out, "scheduled_epoch"), "1");
    assert_eq!(lines(&out, "scheduled"), vec![me.to_string()]);
}
