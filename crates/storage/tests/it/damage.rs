//! Damaged files: a stopped node's ledger truncated, with flipped bytes in the header or the
//! body, or missing. [`Store::open_verified`] reports each as damage (never a panic), and the
//! state digest catches a changed state value even where redb's page checksums are not checked.

use std::path::{Path, PathBuf};

use gridledger_storage::{BlockCommit, Store};

use crate::chain;

const BLOCKS: u64 = 40;
/// A state value the tests can find in the file.
const MARKER: &[u8] = b"MARKER-VALUE-5f3a9c-MARKER-VALUE";

/// A closed file holding blocks `0..BLOCKS` of the synthetic chain, plus one block writing
/// [MARKER] into the state.
fn closed_file(dir: &Path) -> PathBuf {
    let path = dir.join("ledger.redb");
    let store = Store::open(&path).unwrap();
    for h in 0..BLOCKS {
        chain::commit(&store, h).unwrap();
    }
    store
        .commit_block(&BlockCommit {
            head: chain::head(BLOCKS),
            block: &chain::block_bytes(BLOCKS),
            writes: vec![(b"marker".to_vec(), Some(MARKER.to_vec()))],
            txs: vec![],
        })
        .unwrap();
    path
}

fn flip(path: &Path, offsets: impl IntoIterator<Item = usize>) {
    let mut bytes = std::fs::read(path).unwrap();
    for at in offsets {
        bytes[at] ^= 0xFF;
    }
    std::fs::write(path, bytes).unwrap();
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Opens the damaged file as the node does and insists on an error that says "damage".
fn assert_damage(path: &Path, case: &str) {
    match Store::open_verified(path) {
        Ok(store) => panic!(
            "{case}: a damaged file was accepted at head {:?}",
            store.head()
        ),
        Err(e) => assert!(e.is_damage(), "{case}: not reported as damage: {e}"),
    }
}

#[test]
fn an_undamaged_file_passes_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_file(dir.path());
    let store = Store::open_verified(&path).unwrap();
    assert_eq!(store.head().unwrap(), Some(chain::head(BLOCKS)));
    let state = store.state_entries().unwrap();
    assert!(state.contains(&(b"marker".to_vec(), MARKER.to_vec())));
}

#[test]
fn a_missing_file_is_not_created_and_not_called_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.redb");
    let err = Store::open_verified(&path).unwrap_err();
    assert!(!err.is_damage(), "{err}");
    assert!(!path.exists());
}

#[test]
fn truncated_files_are_damage_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_file(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    let original = std::fs::read(&path).unwrap();
    for (case, cut) in [
        ("to zero", 0),
        ("to 100 bytes", 100),
        ("to half", len / 2),
        ("by the last page", len - 4096),
    ] {
        std::fs::write(&path, &original).unwrap();
        truncate(&path, cut);
        assert_damage(&path, case);
    }
}

/// Either the file is reported as damage, or it still reads exactly as written (a flip in
/// bytes that redb does not use, e.g. a commit slot's checksum after a clean shutdown).
/// Returns whether it was damage.
fn damage_or_intact(path: &Path, case: &str) -> bool {
    match Store::open_verified(path) {
        Err(e) => {
            assert!(e.is_damage(), "{case}: not reported as damage: {e}");
            true
        }
        Ok(store) => {
            assert_eq!(
                store.head().unwrap(),
                Some(chain::head(BLOCKS)),
                "{case}: accepted, but the head moved"
            );
            let state = store.state_entries().unwrap();
            assert!(state.contains(&(b"marker".to_vec(), MARKER.to_vec())));
            for h in 0..BLOCKS {
                assert_eq!(
                    store.block(h).unwrap(),
                    Some(chain::block_bytes(h)),
                    "{case}: block {h}"
                );
            }
            false
        }
    }
}

#[test]
fn flipped_header_bytes_are_damage_or_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_file(dir.path());
    let original = std::fs::read(&path).unwrap();
    // redb's header: magic number at 0, page size at 12, commit slots of 128 bytes at 64 and
    // 192 (root page at +8, checksum at +112).
    for (case, offsets, must_be_damage) in [
        ("magic number", vec![0], true),
        ("page size", vec![12], true),
        ("both commit slots' root pages", vec![64 + 8, 192 + 8], true),
        (
            "both commit slots' checksums",
            vec![64 + 120, 192 + 120],
            false,
        ),
        ("the god byte", vec![9], false),
    ] {
        std::fs::write(&path, &original).unwrap();
        flip(&path, offsets);
        let damage = damage_or_intact(&path, case);
        if must_be_damage {
            assert!(damage, "{case}: accepted");
        }
    }
}

#[test]
fn flipped_body_bytes_are_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_file(dir.path());
    let original = std::fs::read(&path).unwrap();
    // One byte in every 64 KiB past the header page: lands in block, index and state pages.
    flip(&path, (8192..original.len()).step_by(65_536));
    assert_damage(&path, "a byte every 64 KiB");

    // Every copy of one state value (redb may keep an older copy of a page).
    std::fs::write(&path, &original).unwrap();
    let at = find_all(&original, MARKER);
    assert!(!at.is_empty(), "the marker value is in the file");
    flip(&path, at.iter().map(|i| i + MARKER.len() / 2));
    assert_damage(&path, "the marker value");
}

#[test]
fn the_state_digest_catches_a_changed_value_that_redb_reads_without_checking() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_file(dir.path());
    let original = std::fs::read(&path).unwrap();
    flip(
        &path,
        find_all(&original, MARKER)
            .iter()
            .map(|i| i + MARKER.len() / 2),
    );
    // redb checks page checksums only when asked (or after a crash): a plain open reads the
    // changed value as if nothing happened. Loading the state checks the digest.
    let store = Store::open(&path).unwrap();
    let err = store.state_entries().unwrap_err();
    assert!(err.is_damage(), "{err}");
    assert!(err.to_string().contains("state digest"), "{err}");
}

#[test]
fn a_file_held_by_another_process_is_not_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = closed_file(dir.path());
    let _held = Store::open(&path).unwrap();
    let err = Store::open_verified(&path).unwrap_err();
    assert!(!err.is_damage(), "{err}");
}
