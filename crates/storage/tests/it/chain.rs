//! A deterministic synthetic chain: block `h` is a pure function of `h`, so a reader can recompute
//! exactly what blocks `0..=head` must have written.

use std::collections::BTreeMap;

use gridledger_storage::{BlockCommit, Head, Store, TxRecord};

pub const TXS_PER_BLOCK: u32 = 3;
/// Account that appears in every transaction.
pub const EVERYONE: [u8; 32] = [0xEE; 32];

fn tagged(tag: u8, n: u64) -> [u8; 32] {
    let mut out = [tag; 32];
    out[24..].copy_from_slice(&n.to_be_bytes());
    out
}

pub fn head(h: u64) -> Head {
    Head {
        height: h,
        block_hash: tagged(0xB0, h),
        state_root: tagged(0x50, h),
        timestamp_ms: 1_000 * h,
    }
}

/// Block bytes; some blocks are tens of KiB so commits take long enough to be interrupted.
pub fn block_bytes(h: u64) -> Vec<u8> {
    let mut out = format!("block {h}").into_bytes();
    out.resize(out.len() + (h % 4) as usize * 16 * 1024, h as u8);
    out
}

pub fn tx_hash(h: u64, index: u32) -> [u8; 32] {
    tagged(0x70, h * 16 + u64::from(index))
}

pub fn txs(h: u64) -> Vec<TxRecord> {
    (0..TXS_PER_BLOCK)
        .map(|index| TxRecord {
            hash: tx_hash(h, index),
            index,
            tx: format!("tx {h}/{index}").into_bytes(),
            receipt: format!("ok {h}/{index}").into_bytes(),
            accounts: vec![[index as u8; 32], EVERYONE],
        })
        .collect()
}

fn per_height_key(h: u64) -> Vec<u8> {
    format!("h/{h:010}").into_bytes()
}

/// State writes of block `h`: a counter, a key per height (deleted three blocks later), a rotating slot.
pub fn writes(h: u64) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let v = h.to_be_bytes().to_vec();
    let mut out = vec![
        (b"counter".to_vec(), Some(v.clone())),
        (per_height_key(h), Some(v.clone())),
        (
            format!("slot/{}", h % 7).into_bytes(),
            Some([v.as_slice(), &[0xAB; 100]].concat()),
        ),
    ];
    if h >= 3 {
        out.push((per_height_key(h - 3), None));
    }
    out
}

pub fn commit(store: &Store, h: u64) -> Result<(), gridledger_storage::Error> {
    let block = block_bytes(h);
    store.commit_block(&BlockCommit {
        head: head(h),
        block: &block,
        writes: writes(h),
        txs: txs(h),
    })
}

/// The state blocks `0..=head` must leave behind.
pub fn expected_state(head: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut state = BTreeMap::new();
    for h in 0..=head {
        for (k, v) in writes(h) {
            match v {
                Some(v) => state.insert(k, v),
                None => state.remove(&k),
            };
        }
    }
    state.into_iter().collect()
}

/// Asserts the store holds exactly blocks `0..=head` and their effects, and returns `head`.
pub fn assert_consistent(store: &Store) -> u64 {
    let top = store.head().unwrap().expect("store has a head").height;
    assert_eq!(store.head().unwrap(), Some(head(top)));
    for h in 0..=top {
        assert_eq!(store.block(h).unwrap(), Some(block_bytes(h)), "block {h}");
        assert_eq!(store.block_hash(h).unwrap(), Some(head(h).block_hash));
        assert_eq!(store.height_of_block(&head(h).block_hash).unwrap(), Some(h));
        for rec in txs(h) {
            let got = store.tx(&rec.hash).unwrap().expect("tx present");
            assert_eq!((got.height, got.index), (h, rec.index));
            assert_eq!((got.tx, got.receipt), (rec.tx, rec.receipt));
        }
    }
    assert_eq!(store.block(top + 1).unwrap(), None, "block above head");
    assert_eq!(
        store.tx(&tx_hash(top + 1, 0)).unwrap(),
        None,
        "tx above head"
    );
    assert_state_eq(&store.state_entries().unwrap(), &expected_state(top), top);
    let history = store.account_history(&EVERYONE, None, usize::MAX).unwrap();
    assert_eq!(history.len() as u64, (top + 1) * u64::from(TXS_PER_BLOCK));
    assert_eq!(history.first().map(|l| l.height), Some(top));
    top
}

/// Compares state rows and reports the first difference readably (rows can be long).
fn assert_state_eq(got: &[(Vec<u8>, Vec<u8>)], want: &[(Vec<u8>, Vec<u8>)], top: u64) {
    if got == want {
        return;
    }
    let show = |row: Option<&(Vec<u8>, Vec<u8>)>| {
        row.map(|(k, v)| {
            let height = v
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes);
            format!("{} = height {height:?}", String::from_utf8_lossy(k))
        })
    };
    let at = got.iter().zip(want).take_while(|(g, w)| g == w).count();
    panic!(
        "state after head {top} differs at row {at}: stored {:?}, expected {:?} ({} vs {} rows)",
        show(got.get(at)),
        show(want.get(at)),
        got.len(),
        want.len()
    );
}
