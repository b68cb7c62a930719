//! The newcomer's path from the README, through the real `gridledger` binary: a key, a
//! registration by the operator, credits from the bank, a transfer, receipts and balances.
use crate::devnet::{Devnet, BIN};
use std::{path::Path, process::Command};

fn gl(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run gridledger");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (success, stdout, stderr) = gl(args);
    assert!(success, "gridledger {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// The value of a `name: value` line of a command's output.
pub(crate) fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no '{name}' in:\n{out}"))
        .trim()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomer_cli_flow() {
    let (tmp, dir, mut net) = Devnet::temp();
    net.ready().await;
    let rpc = net.rpc.clone();
    let keys = dir.join("keys");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (op, bank, devpw) = (
        s(&keys.join("operator.json")),
        s(&keys.join("bank.json")),
        s(&keys.join("password.txt")),
    );
    let pw = tmp.path().join("pw.txt");
    std::fs::write(&pw, "correct horse\n").unwrap();
    let pw = s(&pw);
    let alice_file = s(&tmp.path().join("alice.json"));
    let bob_file = s(&tmp.path().join("bob.json"));

    let alice = ok(&["key", "new", "--out", &alice_file, "--password-file", &pw]);
    let alice = alice.trim().strip_prefix("address ").unwrap().to_string();
    let bob = ok(&["key", "new", "--out", &bob_file, "--password-file", &pw]);
    let bob = bob.trim().strip_prefix("address ").unwrap().to_string();
    assert_eq!(
        ok(&["key", "show", "--key", &alice_file, "--password-file", &pw]).trim(),
        format!("address {alice}")
    );
    // A wrong password is refused and nothing is revealed.
    std::fs::write(tmp.path().join("bad.txt"), "nope\n").unwrap();
    let (success, _, err) = gl(&[
        "key",
        "show",
        "--key",
        &alice_file,
        "--password-file",
        &s(&tmp.path().join("bad.txt")),
    ]);
    assert!(!success);
    assert!(err.to_lowercase().contains("password"), "{err}");

    for (who, role) in [(&alice, "consumer"), (&bob, "prosumer")] {
        let out = ok(&[
            "tx",
            "register-participant",
            "--rpc",
            &rpc,
            "--key",
            &op,
            "--password-file",
            &devpw,
            "--account",
            who,
            "--role",
            role,
            "--name",
            "someone",
            "--wait",
        ]);
        assert_eq!(field(&out, "status"), "success");
    }
    let out = ok(&[
        "tx",
        "mint",
        "--rpc",
        &rpc,
        "--key",
        &bank,
        "--password-file",
        &devpw,
        "--to",
        &alice,
        "--amount-won",
        "50000",
        "--bank-ref",
        "DEP-0001",
        "--wait",
    ]);
    assert_eq!(field(&out, "status"), "success");
    let out = ok(&[
        "tx",
        "transfer",
        "--rpc",
        &rpc,
        "--key",
        &alice_file,
        "--password-file",
        &pw,
        "--to",
        &bob,
        "--amount-won",
        "1200",
        "--memo",
        "May surplus",
        "--wait",
    ]);
    assert_eq!(field(&out, "status"), "success");
    let hash = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("tx ")
        .unwrap()
        .to_string();

    // Each reads its own account with its key; the transfer is both parties'.
    let as_alice = ["--key", alice_file.as_str(), "--password-file", pw.as_str()];
    let as_bob = ["--key", bob_file.as_str(), "--password-file", pw.as_str()];
    let query = |what: &[&str], who: &[&str]| -> Vec<String> {
        ["query"]
            .iter()
            .chain(what)
            .chain(["--rpc", rpc.as_str()].iter())
            .chain(who)
            .map(|x| x.to_string())
            .collect()
    };
    let run = |args: Vec<String>| ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let a = run(query(&["account", &alice], &as_alice));
    assert_eq!(field(&a, "balance"), "48800000");
    assert_eq!(field(&a, "nonce"), "1");
    let b = run(query(&["account", &bob], &as_bob));
    assert_eq!(field(&b, "balance"), "1200000");
    // Nobody else reads them: not anonymously, not with another participant's key.
    let (success, _, err) = gl(&["query", "account", &alice, "--rpc", &rpc]);
    assert!(!success);
    assert!(err.contains("unauthorized"), "{err}");
    let args = query(&["account", &alice], &as_bob);
    let (success, _, err) = gl(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!success);
    assert!(err.contains("forbidden"), "{err}");
    let t = run(query(&["tx", &hash, "--json"], &as_bob));
    let t: serde_json::Value = serde_json::from_str(&t).unwrap();
    assert_eq!(t["receipt"]["status"], "success");
    assert_eq!(t["tx"]["payload"]["type"], "transfer");

    // Spending more than the balance: the receipt fails, the CLI exits non-zero, nothing moves.
    let (success, out, _) = gl(&[
        "tx",
        "transfer",
        "--rpc",
        &rpc,
        "--key",
        &alice_file,
        "--password-file",
        &pw,
        "--to",
        &bob,
        "--amount-won",
        "1000000",
        "--wait",
    ]);
    assert!(!success);
    assert!(out.contains("status: failed insufficient_balance"), "{out}");
    let a = run(query(&["account", &alice], &as_alice));
    assert_eq!(field(&a, "balance"), "48800000");
    assert_eq!(field(&a, "nonce"), "2");
    net.kill();
}

#[test]
fn bad_configs_are_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    // Not JSON.
    std::fs::write(p("bad.json"), "{ data_dir: ").unwrap();
    let (success, _, err) = gl(&["node", "--config", &p("bad.json")]);
    assert!(!success);
    assert!(err.contains("invalid node config"), "{err}");
    // Unknown field.
    std::fs::write(
        p("extra.json"),
        r#"{"data_dir":"d","genesis":"g","validator_key":"k","http_addr":"127.0.0.1:1","p2p_addr":"127.0.0.1:2","colour":"red"}"#,
    )
    .unwrap();
    let (success, _, err) = gl(&["node", "--config", &p("extra.json")]);
    assert!(!success);
    assert!(err.contains("unknown field"), "{err}");
    // A genesis file without validators.
    let key = ok(&["genesis", "validator-key", "--out", &p("v.hex")]);
    let validator = key.trim().strip_prefix("validator ").unwrap().to_string();
    let operator = ok(&["genesis", "validator-key", "--out", &p("o.hex")]);
    let operator = operator
        .trim()
        .strip_prefix("validator ")
        .unwrap()
        .to_string();
    std::fs::write(
        p("genesis.json"),
        format!(r#"{{"chain_id":"c","genesis_time_ms":1,"operator":"{operator}","operator_name":"o","bank":"{validator}","bank_name":"b","validators":[]}}"#),
    )
    .unwrap();
    std::fs::write(
        p("node.json"),
        format!(
            r#"{{"data_dir":"{}","genesis":"{}","validator_key":"{}","http_addr":"127.0.0.1:1","p2p_addr":"127.0.0.1:2"}}"#,
            p("data"),
            p("genesis.json"),
            p("v.hex")
        ),
    )
    .unwrap();
    let (success, _, err) = gl(&["node", "--config", &p("node.json")]);
    assert!(!success);
    assert!(err.contains("no validators"), "{err}");
    // `genesis new` refuses a malformed validator and a bad chain id.
    let (success, _, err) = gl(&[
        "genesis",
        "new",
        "--chain-id",
        "c",
        "--operator",
        &operator,
        "--bank",
        &validator,
        "--validator",
        "nothex@127.0.0.1:1",
        "--out",
        &p("g2.json"),
    ]);
    assert!(!success);
    assert!(err.contains("error"), "{err}");
    let (success, _, err) = gl(&[
        "genesis",
        "new",
        "--chain-id",
        "Bad Chain",
        "--operator",
        &operator,
        "--bank",
        &validator,
        "--validator",
        &format!("{validator}@127.0.0.1:1"),
        "--out",
        &p("g3.json"),
    ]);
    assert!(!success);
    assert!(err.contains("chain id"), "{err}");
    assert!(
        !tmp.path().join("data").join("ledger.redb").exists(),
        "nothing was created"
    );
}
