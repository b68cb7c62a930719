//! Mandates through the real binary: a generator grants a sales company a mandate with
//! `tx grant-mandate`, `query mandates` (the node's `GET /api/v1/sites/{site}/mandates`) shows
//! it, a stranger sales company's intention for the site is refused with `no_mandate` while the
//! mandated company's succeeds, and after `tx revoke-mandate` the company is refused too. The
//! mandates are personal: read signed by the owner (every record) or a company (its own);
//! anonymous and stranger reads are refused.
use crate::cli_flow::field;
use crate::devnet::{wait_all, Devnet, BIN};
use gridledger_execution::test_utils::{MarketBuilder, SiteBuilder};
use gridledger_sdk::signer::TxSigner;
use gridledger_types::{kst_month, next_month, Address, MarketId, Payload, Role, SiteId, SiteKind};
use std::{path::Path, process::Command};

fn gl(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run gridledger");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_owner_mandates_and_revokes_a_sales_company_with_the_cli_slow_() {
    let (tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let rpc = net.rpc.clone();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let pw = tmp.path().join("pw.txt");
    std::fs::write(&pw, "correct horse\n").unwrap();
    let pw = s(&pw);
    // Keys for the generator, the company and a stranger company, made with the CLI.
    let mut files = Vec::new();
    let mut addrs = Vec::new();
    for name in ["generator", "company", "stranger"] {
        let file = s(&tmp.path().join(format!("{name}.json")));
        let (code, out) = gl(&["key", "new", "--out", &file, "--password-file", &pw]);
        assert_eq!(code, Some(0), "{out}");
        // `address <64 hex>` on stdout (the file it wrote is named on stderr).
        let hex = out.strip_prefix("address ").and_then(|x| x.get(..64));
        let a: Address = hex.unwrap_or_else(|| panic!("{out}")).parse().unwrap();
        files.push(file);
        addrs.push(a);
    }
    let (generator, company, stranger) = (&addrs[0], &addrs[1], &addrs[2]);

    // The operator registers them, the generator's site and a monthly market.
    let mut op = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();
    let regs: Vec<_> = [
        (generator, Role::Generator),
        (company, Role::SalesCompany),
        (stranger, Role::SalesCompany),
    ]
    .into_iter()
    .map(|(a, role)| {
        op.sign(
            Payload::RegisterParticipant {
                account: a.clone(),
                role,
                name: role.to_string(),
            },
            None,
        )
    })
    .collect();
    wait_all(&client, &regs).await;
    let setup = vec![
        op.sign(
            SiteBuilder::default()
                .site(SiteId::new("farm").unwrap())
                .owner(generator.clone())
                .kind(SiteKind::CommercialBuilding)
                .tariff_class("general-low".into())
                .contract_kw(100)
                .name("solar farm".into())
                .payload(),
            None,
        ),
        op.sign(
            MarketBuilder::default()
                .market(MarketId::new("monthly").unwrap())
                .payload(),
            None,
        ),
    ];
    wait_all(&client, &setup).await;

    let tx = |key: &str, cmd: &[&str]| {
        let mut args = vec!["tx"];
        args.extend_from_slice(cmd);
        args.extend_from_slice(&[
            "--rpc",
            &rpc,
            "--key",
            key,
            "--password-file",
            &pw,
            "--wait",
        ]);
        gl(&args)
    };
    let (gen_key, co_key, st_key) = (&files[0], &files[1], &files[2]);
    let (co_hex, st_hex) = (company.to_hex(), stranger.to_hex());
    let (code, out) = tx(
        gen_key,
        &[
            "grant-mandate",
            "--site",
            "farm",
            "--company",
            &co_hex,
            "--sides",
            "sell",
            "--market",
            "monthly",
            "--share-bp",
            "500",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(field(&out, "status"), "success");
    assert!(out.contains("\"type\":\"mandate_granted\""), "{out}");
    // The company cannot grant anything for the site.
    let (code, out) = tx(
        co_key,
        &[
            "grant-mandate",
            "--site",
            "farm",
            "--company",
            &st_hex,
            "--sides",
            "sell",
        ],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        field(&out, "status").starts_with("failed not_site_owner"),
        "{out}"
    );

    // `gridledger query WHAT`, its read signed with `key` (anonymous without one).
    let query = |key: Option<&str>, what: &[&str]| {
        let mut args = vec!["query"];
        args.extend_from_slice(what);
        args.extend_from_slice(&["--rpc", &rpc]);
        if let Some(k) = key {
            args.extend_from_slice(&["--key", k, "--password-file", &pw]);
        }
        gl(&args)
    };
    let mandates = |key| query(key, &["mandates", "farm"]);
    // Anonymous and a company the site never mandated are refused.
    let (code, out) = mandates(None);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("unauthorized"), "{out}");
    let (code, out) = mandates(Some(st_key));
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("forbidden"), "{out}");
    let (code, out) = mandates(Some(gen_key));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(field(&out, "owner"), generator.to_hex());
    let m = field(&out, "mandate");
    assert!(
        m.starts_with(&format!(
            "{co_hex} sides=sell markets=monthly share_bp=500 "
        )),
        "{m}"
    );
    assert!(m.ends_with("until_ms=- revoked_at_ms=- active=true"), "{m}");

    // Next month's period: the stranger is refused, the mandated company sells.
    let now = client.status().await.unwrap().now_ms;
    let month = next_month(kst_month(now));
    let period = format!("{}-{:02}", month / 100, month % 100);
    let intend = [
        "intend",
        "--market",
        "monthly",
        "--period",
        &period,
        "--side",
        "sell",
        "--site",
        "farm",
        "--kwh",
        "10",
        "--price-won",
        "150",
    ];
    let (code, out) = tx(st_key, &intend);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        field(&out, "status").starts_with("failed no_mandate"),
        "{out}"
    );
    let (code, out) = tx(co_key, &intend);
    assert_eq!(code, Some(0), "{out}");
    // Under the mandate the company reads the site's readings; the stranger may not.
    let readings = |key| query(Some(key), &["readings", "farm", &period]);
    let (code, out) = readings(co_key);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = readings(st_key);
    assert!(code != Some(0) && out.contains("forbidden"), "{out}");

    // Revoked: the company is refused, and the record says when.
    let (code, out) = tx(
        gen_key,
        &["revoke-mandate", "--site", "farm", "--company", &co_hex],
    );
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = tx(co_key, &intend);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        field(&out, "status").starts_with("failed mandate_revoked"),
        "{out}"
    );
    // Revoked, the company no longer reads the site's records, only its own (ended) record.
    let (code, out) = readings(co_key);
    assert!(code != Some(0) && out.contains("forbidden"), "{out}");
    let (_, out) = query(Some(co_key), &["mandates", "farm", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mandates"][0]["company"], co_hex);
    assert_eq!(v["mandates"][0]["active"], false);
    assert!(v["mandates"][0]["revoked_at_ms"].as_u64().unwrap() >= now);
    let (code, out) = gl(&["query", "mandates", "nowhere", "--rpc", &rpc]);
    assert_ne!(code, Some(0));
    assert!(out.contains("not_found"), "{out}");
}
