use super::*;

fn h(tag: u8, n: u64) -> [u8; 32] {
    let mut out = [tag; 32];
    out[24..].copy_from_slice(&n.to_be_bytes());
    out
}

fn head(height: u64) -> Head {
    Head {
        height,
        block_hash: h(0xB0, height),
        state_root: h(0x50, height),
        timestamp_ms: height.wrapping_mul(1_000),
    }
}

fn rec(height: u64, index: u32, accounts: &[[u8; 32]]) -> TxRecord {
    let hash = h(
        0x70,
        height.wrapping_mul(1_000).wrapping_add(u64::from(index)),
    );
    TxRecord {
        hash,
        index,
        tx: format!("tx {height}/{index}").into_bytes(),
        receipt: format!("receipt {height}/{index}").into_bytes(),
        accounts: accounts.to_vec(),
    }
}

fn simple(height: u64, block: &[u8]) -> BlockCommit<'_> {
    BlockCommit {
        head: head(height),
        block,
        writes: vec![],
        txs: vec![],
    }
}

#[test]
fn empty_store_has_nothing() {
    let s = Store::open_in_memory().unwrap();
    assert_eq!(s.head().unwrap(), None);
    assert!(s.state_entries().unwrap().is_empty());
    assert_eq!(s.block(0).unwrap(), None);
    assert_eq!(s.block_hash(0).unwrap(), None);
    assert_eq!(s.tx(&[1; 32]).unwrap(), None);
    assert!(s.account_history(&[1; 32], None, 10).unwrap().is_empty());
}

#[test]
fn commit_then_read_everything_back() {
    let s = Store::open_in_memory().unwrap();
    let (alice, bob) = ([0xA1; 32], [0xB2; 32]);
    let t0 = rec(0, 0, &[alice, bob]);
    let t1 = rec(0, 1, &[bob]);
    s.commit_block(&BlockCommit {
        head: head(0),
        block: b"genesis block",
        writes: vec![
            (b"k1".to_vec(), Some(b"v1".to_vec())),
            (b"k0".to_vec(), Some(b"v0".to_vec())),
        ],
        txs: vec![t0.clone(), t1.clone()],
    })
    .unwrap();

    assert_eq!(s.head().unwrap(), Some(head(0)));
    assert_eq!(s.block(0).unwrap().as_deref(), Some(&b"genesis block"[..]));
    assert_eq!(s.block(1).unwrap(), None);
    assert_eq!(s.block_hash(0).unwrap(), Some(head(0).block_hash));
    assert_eq!(s.height_of_block(&head(0).block_hash).unwrap(), Some(0));
    assert_eq!(s.height_of_block(&[0; 32]).unwrap(), None);
    assert_eq!(
        s.state_entries().unwrap(),
        vec![
            (b"k0".to_vec(), b"v0".to_vec()),
            (b"k1".to_vec(), b"v1".to_vec())
        ]
    );
    assert_eq!(s.state_get(b"k1").unwrap(), Some(b"v1".to_vec()));
    assert_eq!(s.state_get(b"nope").unwrap(), None);
    assert_eq!(
        s.tx(&t1.hash).unwrap(),
        Some(StoredTx {
            height: 0,
            index: 1,
            tx: t1.tx.clone(),
            receipt: t1.receipt.clone()
        })
    );
    assert_eq!(
        s.account_history(&alice, None, 10).unwrap(),
        vec![TxLocation {
            height: 0,
            index: 0,
            hash: t0.hash
        }]
    );
    let bob_hist: Vec<_> = s
        .account_history(&bob, None, 10)
        .unwrap()
        .into_iter()
        .map(|l| l.hash)
        .collect();
    assert_eq!(bob_hist, vec![t1.hash, t0.hash]);
}

#[test]
fn head_advances_and_writes_overwrite_and_delete() {
    let s = Store::open_in_memory().unwrap();
    s.commit_block(&BlockCommit {
        writes: vec![
            (b"a".to_vec(), Some(b"1".to_vec())),
            (b"b".to_vec(), Some(b"1".to_vec())),
        ],
        ..simple(0, b"b0")
    })
    .unwrap();
    s.commit_block(&BlockCommit {
        writes: vec![
            (b"a".to_vec(), Some(b"2".to_vec())),
            (b"b".to_vec(), None),
            (b"c".to_vec(), Some(b"x".to_vec())),
            (b"c".to_vec(), None), // later write wins
            (b"missing".to_vec(), None),
        ],
        ..simple(1, b"b1")
    })
    .unwrap();
    assert_eq!(s.head().unwrap(), Some(head(1)));
    assert_eq!(
        s.state_entries().unwrap(),
        vec![(b"a".to_vec(), b"2".to_vec())]
    );
    assert_eq!(s.block(0).unwrap(), Some(b"b0".to_vec()));
    assert_eq!(s.block(1).unwrap(), Some(b"b1".to_vec()));
    assert_eq!(s.block_hash(1).unwrap(), Some(head(1).block_hash));
}

/// Snapshot of everything observable, to check that a refused commit changed nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    head: Option<Head>,
    state: Vec<(Vec<u8>, Vec<u8>)>,
    blocks: Vec<Option<Vec<u8>>>,
}

fn snapshot(s: &Store) -> Snapshot {
    Snapshot {
        head: s.head().unwrap(),
        state: s.state_entries().unwrap(),
        blocks: (0..4).map(|i| s.block(i).unwrap()).collect(),
    }
}

#[test]
fn refused_commits_change_nothing() {
    let s = Store::open_in_memory().unwrap();
    // Genesis must be height 0.
    let err = s.commit_block(&simple(1, b"x")).unwrap_err();
    assert!(matches!(err, Error::HeightMismatch { head: None, got: 1 }));
    assert_eq!(s.head().unwrap(), None);

    let t = rec(0, 0, &[[1; 32]]);
    s.commit_block(&BlockCommit {
        writes: vec![(b"k".to_vec(), Some(b"0".to_vec()))],
        txs: vec![t.clone()],
        ..simple(0, b"b0")
    })
    .unwrap();
    let before = snapshot(&s);

    let bad = |height: u64| BlockCommit {
        writes: vec![
            (b"k".to_vec(), Some(b"bad".to_vec())),
            (b"new".to_vec(), Some(b"bad".to_vec())),
        ],
        txs: vec![rec(height, 0, &[[2; 32]])],
        ..simple(height, b"bad")
    };
    for height in [0, 2, 7, u64::MAX] {
        let err = s.commit_block(&bad(height)).unwrap_err();
        assert!(
            matches!(err, Error::HeightMismatch { head: Some(0), got } if got == height),
            "{err}"
        );
    }
    assert_eq!(snapshot(&s), before);

    // Duplicate tx hash: refused after the state writes were staged; all of it is rolled back.
    let mut dup = bad(1);
    dup.txs = vec![t.clone()];
    assert!(matches!(
        s.commit_block(&dup).unwrap_err(),
        Error::DuplicateTx { hash } if hash == t.hash
    ));
    // Duplicate block hash.
    let mut dup = bad(1);
    dup.head.block_hash = head(0).block_hash;
    assert!(matches!(
        s.commit_block(&dup).unwrap_err(),
        Error::DuplicateBlockHash { height: 0 }
    ));
    // Tx indices out of order.
    let mut dup = bad(1);
    dup.txs = vec![rec(1, 3, &[]), rec(1, 3, &[])];
    assert!(matches!(
        s.commit_block(&dup).unwrap_err(),
        Error::TxIndexOrder {
            previous: 3,
            index: 3
        }
    ));
    assert_eq!(snapshot(&s), before);
    assert!(s.account_history(&[2; 32], None, 10).unwrap().is_empty());

    // And the store still accepts the right block.
    s.commit_block(&bad(1)).unwrap();
    assert_eq!(s.head().unwrap().map(|h| h.height), Some(1));
    assert_eq!(s.state_get(b"new").unwrap(), Some(b"bad".to_vec()));
}

#[test]
fn account_history_pages_newest_first() {
    let s = Store::open_in_memory().unwrap();
    let (alice, bob, carol) = ([0xA1; 32], [0xB2; 32], [0xC3; 32]);
    // Heights 0..5; each block has 3 txs: alice->bob, bob alone, alice->carol (alice listed twice).
    let mut expected_alice = vec![];
    let mut expected_bob = vec![];
    for height in 0..5u64 {
        let txs = vec![
            rec(height, 0, &[alice, bob]),
            rec(height, 1, &[bob]),
            rec(height, 5, &[alice, carol, alice]),
        ];
        expected_alice.push((height, 0, txs[0].hash));
        expected_alice.push((height, 5, txs[2].hash));
        expected_bob.push((height, 0, txs[0].hash));
        expected_bob.push((height, 1, txs[1].hash));
        s.commit_block(&BlockCommit {
            txs,
            ..simple(height, b"block")
        })
        .unwrap();
    }
    expected_alice.reverse();
    expected_bob.reverse();

    let page = |acct: &[u8; 32], before, limit| -> Vec<(u64, u32, [u8; 32])> {
        s.account_history(acct, before, limit)
            .unwrap()
            .into_iter()
            .map(|l| (l.height, l.index, l.hash))
            .collect()
    };

    // Whole history at once, newest first, no duplicates from the repeated account.
    assert_eq!(page(&alice, None, 100), expected_alice);
    assert_eq!(page(&bob, None, 100), expected_bob);
    assert_eq!(page(&carol, None, 100).len(), 5);
    assert!(page(&[0xD4; 32], None, 100).is_empty());
    assert!(page(&alice, None, 0).is_empty());

    // Paging with the cursor walks the same sequence in pages of 3.
    let mut walked = vec![];
    let mut cursor = None;
    loop {
        let p = page(&alice, cursor, 3);
        assert!(p.len() <= 3);
        let Some(&(height, index, _)) = p.last() else {
            break;
        };
        walked.extend(p);
        cursor = Some((height, index));
    }
    assert_eq!(walked, expected_alice);

    // `before` is strict and works for positions that are not themselves entries.
    assert_eq!(page(&alice, Some((3, 5)), 1), vec![expected_alice[3]]);
    assert_eq!(page(&alice, Some((3, 3)), 2), expected_alice[3..5].to_vec());
    assert_eq!(page(&alice, Some((0, 0)), 10), vec![]);
    assert_eq!(
        page(&alice, Some((u64::MAX, u32::MAX)), 1),
        vec![expected_alice[0]]
    );
}

#[test]
fn reopen_from_disk_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let acct = [0xEE; 32];
    let t = rec(1, 0, &[acct]);
    {
        let s = Store::open(&path).unwrap();
        s.commit_block(&BlockCommit {
            writes: vec![(b"x".to_vec(), Some(b"0".to_vec()))],
            ..simple(0, b"b0")
        })
        .unwrap();
        s.commit_block(&BlockCommit {
            writes: vec![(b"y".to_vec(), Some(b"1".to_vec()))],
            txs: vec![t.clone()],
            ..simple(1, b"b1")
        })
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.head().unwrap(), Some(head(1)));
    assert_eq!(
        s.state_entries().unwrap(),
        vec![
            (b"x".to_vec(), b"0".to_vec()),
            (b"y".to_vec(), b"1".to_vec())
        ]
    );
    assert_eq!(s.block(0).unwrap(), Some(b"b0".to_vec()));
    assert_eq!(s.block(1).unwrap(), Some(b"b1".to_vec()));
    assert_eq!(s.height_of_block(&head(1).block_hash).unwrap(), Some(1));
    assert_eq!(s.tx(&t.hash).unwrap().map(|x| x.tx), Some(t.tx.clone()));
    assert_eq!(s.account_history(&acct, None, 5).unwrap().len(), 1);
    s.commit_block(&simple(2, b"b2")).unwrap();
    assert_eq!(s.head().unwrap().map(|h| h.height), Some(2));
}

#[test]
fn second_open_of_same_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let _first = Store::open(&path).unwrap();
    assert!(matches!(Store::open(&path), Err(Error::Db(_))));
}

#[test]
fn not_a_database_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.redb");
    std::fs::write(&path, vec![0x5A; 4096]).unwrap();
    assert!(Store::open(&path).is_err());
}

#[test]
fn corrupt_rows_are_errors() {
    let s = Store::open_in_memory().unwrap();
    s.commit_block(&simple(0, b"b0")).unwrap();
    // Damage rows behind the API's back.
    {
        let txn = s.db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert(HEAD_KEY, &b"short"[..])
            .unwrap();
        txn.open_table(TXS)
            .unwrap()
            .insert(&[7u8; 32][..], &b"\0\0"[..])
            .unwrap();
        txn.open_table(BLOCK_HASH_BY_HEIGHT)
            .unwrap()
            .insert(0, &b"short"[..])
            .unwrap();
        txn.commit().unwrap();
    }
    assert!(matches!(
        s.head(),
        Err(Error::Corrupt { table: "meta", .. })
    ));
    assert!(matches!(
        s.tx(&[7; 32]),
        Err(Error::Corrupt { table: "txs", .. })
    ));
    assert!(matches!(s.block_hash(0), Err(Error::Corrupt { .. })));
    assert!(matches!(
        s.commit_block(&simple(1, b"b1")),
        Err(Error::Corrupt { table: "meta", .. })
    ));
}

#[test]
fn other_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    {
        let s = Store::open(&path).unwrap();
        let txn = s.db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert(FORMAT_KEY, 3u64.to_be_bytes().as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedFormat { found: 3 }),
        "{err}"
    );
    // Another version is not damage: rebuilding the file would not be the cure.
    assert!(!err.is_damage());
}

fn writes(rows: &[(&str, Option<&str>)]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    rows.iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
        .collect()
}

/// Writes a state row behind the store's back (the digest is not updated), as a flipped bit in
/// a value would look to the store.
fn tamper_state(s: &Store, key: &[u8], value: Option<&[u8]>) {
    let txn = s.db.begin_write().unwrap();
    {
        let mut state = txn.open_table(STATE).unwrap();
        match value {
            Some(v) => state.insert(key, v).unwrap(),
            None => state.remove(key).unwrap(),
        };
    }
    txn.commit().unwrap();
}

#[test]
fn the_state_digest_follows_inserts_replacements_and_deletes_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    {
        let s = Store::open(&path).unwrap();
        s.commit_block(&BlockCommit {
            writes: writes(&[("a", Some("1")), ("b", Some("2")), ("c", Some("3"))]),
            ..simple(0, b"b0")
        })
        .unwrap();
        // Replace a twice in one block (the later write wins), delete b, delete a missing key.
        s.commit_block(&BlockCommit {
            writes: writes(&[
                ("a", Some("10")),
                ("a", Some("11")),
                ("b", None),
                ("zz", None),
            ]),
            ..simple(1, b"b1")
        })
        .unwrap();
        assert_eq!(s.state_entries().unwrap().len(), 2);
    }
    let s = Store::open_verified(&path).unwrap();
    assert_eq!(
        s.state_entries().unwrap(),
        vec![
            (b"a".to_vec(), b"11".to_vec()),
            (b"c".to_vec(), b"3".to_vec())
        ]
    );
}

#[test]
fn a_state_row_changed_behind_the_store_is_caught_when_the_state_is_read() {
    for tamper in [
        (&b"a"[..], Some(&b"2"[..])), // a value changed
        (b"a", None),                 // a row lost
        (b"new", Some(b"x")),         // a row appeared
    ] {
        let s = Store::open_in_memory().unwrap();
        s.commit_block(&BlockCommit {
            writes: writes(&[("a", Some("1")), ("b", Some("2"))]),
            ..simple(0, b"b0")
        })
        .unwrap();
        tamper_state(&s, tamper.0, tamper.1);
        let err = s.state_entries().unwrap_err();
        assert!(
            matches!(err, Error::Corrupt { table: "state", .. }),
            "{tamper:?}: {err}"
        );
        assert!(err.is_damage());
    }
}

#[test]
fn a_version_1_file_is_upgraded_with_the_digest_of_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    {
        let s = Store::open(&path).unwrap();
        s.commit_block(&BlockCommit {
            writes: writes(&[("a", Some("1")), ("b", Some("2"))]),
            ..simple(0, b"b0")
        })
        .unwrap();
        // What version 1 wrote: no digest row.
        let txn = s.db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            meta.insert(FORMAT_KEY, 1u64.to_be_bytes().as_slice())
                .unwrap();
            meta.remove(STATE_DIGEST_KEY).unwrap();
        }
        txn.commit().unwrap();
        assert!(matches!(
            s.state_entries(),
            Err(Error::Corrupt { table: "meta", .. })
        ));
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.state_entries().unwrap().len(), 2);
    s.commit_block(&BlockCommit {
        writes: writes(&[("a", None)]),
        ..simple(1, b"b1")
    })
    .unwrap();
    assert_eq!(
        s.state_entries().unwrap(),
        vec![(b"b".to_vec(), b"2".to_vec())]
    );
    let txn = s.db.begin_read().unwrap();
    let meta = txn.open_table(META).unwrap();
    let version = meta.get(FORMAT_KEY).unwrap().unwrap().value().to_vec();
    assert_eq!(version, FORMAT_VERSION.to_be_bytes());
}

#[test]
fn head_rows_that_disagree_with_the_block_tables_are_caught() {
    // Each case damages one table so that it no longer agrees with the head row.
    type Damage = fn(&WriteTransaction);
    let cases: [(&str, Damage); 5] = [
        ("blocks", |t| {
            t.open_table(BLOCKS).unwrap().remove(2).unwrap();
        }),
        ("blocks", |t| {
            t.open_table(BLOCKS).unwrap().insert(3, &b"x"[..]).unwrap();
        }),
        ("block_hash_by_height", |t| {
            t.open_table(BLOCK_HASH_BY_HEIGHT)
                .unwrap()
                .insert(2, &[9u8; 32][..])
                .unwrap();
        }),
        ("block_hashes", |t| {
            t.open_table(BLOCK_HASHES)
                .unwrap()
                .remove(&head(2).block_hash[..])
                .unwrap();
        }),
        ("meta", |t| {
            t.open_table(META).unwrap().remove(HEAD_KEY).unwrap();
        }),
    ];
    for (table, damage) in cases {
        let s = Store::open_in_memory().unwrap();
        for height in 0..3 {
            s.commit_block(&simple(height, b"b")).unwrap();
        }
        s.check_head_rows().unwrap();
        let txn = s.db.begin_write().unwrap();
        damage(&txn);
        txn.commit().unwrap();
        match s.check_head_rows() {
            Err(Error::Corrupt { table: t, .. }) => assert_eq!(t, table),
            other => panic!("{table}: {other:?}"),
        }
    }
    // An empty store is fine.
    Store::open_in_memory().unwrap().check_head_rows().unwrap();
}

#[test]
fn deferred_commits_are_readable_at_once_and_durable_after_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    {
        let s = Store::open(&path).unwrap();
        for height in 0..5 {
            s.commit_block_deferred(&BlockCommit {
                writes: writes(&[("n", Some(&height.to_string()))]),
                ..simple(height, b"b")
            })
            .unwrap();
            assert_eq!(s.head().unwrap().map(|h| h.height), Some(height));
        }
        s.flush().unwrap();
    }
    let s = Store::open_verified(&path).unwrap();
    assert_eq!(s.head().unwrap(), Some(head(4)));
    assert_eq!(
        s.state_entries().unwrap(),
        vec![(b"n".to_vec(), b"4".to_vec())]
    );
}

#[test]
fn handle_is_shared_across_threads() {
    let s = Store::open_in_memory().unwrap();
    s.commit_block(&simple(0, b"b0")).unwrap();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..200 {
                    let height = s.head().unwrap().unwrap().height;
                    assert!(height >= last, "head went backwards");
                    // Every block up to a head we observed is readable.
                    assert!(s.block(height).unwrap().is_some());
                    last = height;
                }
            })
        })
        .collect();
    for height in 1..50 {
        s.commit_block(&simple(height, b"b")).unwrap();
    }
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(s.head().unwrap().map(|h| h.height), Some(49));
}
