//! The node's durable store: blocks, transactions, receipts, account history and state, in one redb file.
//!
//! The store keeps bytes that other crates encode; it knows nothing about what a block, transaction or
//! state value means. Each block is committed in **one** redb write transaction with
//! [`redb::Durability::Immediate`], so after a crash the store holds exactly the blocks `0..=head` and the
//! state they wrote, never part of a block.
//!
//! # Tables and encodings
//!
//! All integers are big-endian, so byte order equals numeric order in keys.
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `b"head"` | height u64 ‖ block hash 32 ‖ state root 32 ‖ timestamp_ms u64 (80 bytes) |
//! | `meta` | `b"format_version"` | u64 (currently [`FORMAT_VERSION`]) |
//! | `meta` | `b"state_digest"` | the sum of every `state` row's hash (32 bytes, see `digest.rs`) |
//! | `state` | state key bytes | state value bytes |
//! | `blocks` | height `u64` | block bytes |
//! | `block_hashes` | block hash (32 bytes) | height `u64` |
//! | `block_hash_by_height` | height `u64` | block hash (32 bytes) |
//! | `txs` | tx hash (32 bytes) | height u64 ‖ index u32 ‖ tx length u32 ‖ tx ‖ receipt (the rest) |
//! | `account_txs` | address 32 ‖ height u64 ‖ index u32 | tx hash (32 bytes) |
//!
//! `account_txs` is scanned backwards from a cursor to page an account's history newest first.
//!
//! # Errors
//!
//! Nothing here panics on bad data: a row with the wrong shape is reported as [`Error::Corrupt`].
//! redb itself can panic on a damaged file (e.g. one cut short); opening a file and reading the
//! whole state catch that and report [`Error::Damaged`] instead.
//!
//! # Checking a file (the node's start)
//!
//! [`Store::open_verified`] opens an existing file and checks every page's checksum (redb's own
//! integrity check, skipped when redb has just done it while recovering from an unclean
//! shutdown), the format version, and that the head row agrees with the block tables.
//! [`Store::state_entries`] checks the whole state against the state digest kept in `meta`.
//! [`Error::is_damage`] tells a damaged file (rebuild it) from a file that cannot be opened for
//! another reason (locked by another process, an I/O error, another format version).
#![forbid(unsafe_code)]

mod codec;
mod digest;
#[cfg(test)]
mod tests;

use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use redb::{
    backends::InMemoryBackend, Database, Durability, ReadableTable, TableDefinition,
    WriteTransaction,
};

use codec::{
    account_key, decode_account_row, decode_hash, decode_head, decode_tx, encode_head, encode_tx,
};
use digest::StateDigest;

/// Version of the on-disk layout described in the crate docs. Opening a file with another version
/// fails, except version 1 (the same layout without the state digest), which is upgraded in place
/// by computing the digest of its state.
pub const FORMAT_VERSION: u64 = 2;

const META: TableDefinition<&[u8], &[u8]> = TableDefinition::new("meta");
const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const BLOCK_HASHES: TableDefinition<&[u8], u64> = TableDefinition::new("block_hashes");
const BLOCK_HASH_BY_HEIGHT: TableDefinition<u64, &[u8]> =
    TableDefinition::new("block_hash_by_height");
const TXS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("txs");
const ACCOUNT_TXS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("account_txs");

const HEAD_KEY: &[u8] = b"head";
const FORMAT_KEY: &[u8] = b"format_version";
const STATE_DIGEST_KEY: &[u8] = b"state_digest";

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database itself failed (I/O, lock held by another process, redb-level corruption, ...).
    #[error("database: {0}")]
    Db(#[from] Box<redb::Error>),
    /// `commit_block` was given a height that does not directly follow the head.
    #[error("block height {got} does not follow head {head:?} (genesis must be height 0)")]
    HeightMismatch { head: Option<u64>, got: u64 },
    /// A block with this hash is already stored (at `height`).
    #[error("block hash already stored at height {height}")]
    DuplicateBlockHash { height: u64 },
    /// A transaction with this hash is already stored (in an earlier block or earlier in this one).
    #[error("transaction {} already stored", hex(.hash))]
    DuplicateTx { hash: [u8; 32] },
    /// Transaction indices within a block must strictly increase.
    #[error("transaction index {index} does not follow {previous}")]
    TxIndexOrder { previous: u32, index: u32 },
    /// A value is too large to encode.
    #[error("{what} of {len} bytes is too large")]
    TooLarge { what: &'static str, len: usize },
    /// The file was written with another layout version.
    #[error("unsupported storage format version {found} (this build reads {FORMAT_VERSION})")]
    UnsupportedFormat { found: u64 },
    /// A row does not have the shape this crate writes, or rows disagree with each other.
    #[error("corrupt row in table {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    /// The file itself is damaged: redb refused it as corrupt or panicked reading it.
    #[error("damaged file: {0}")]
    Damaged(String),
}

impl Error {
    /// True if the file's content is damaged (worth moving aside and rebuilding), false if it could
    /// not be used for another reason (locked by another process, an I/O or permission error, a
    /// format this build does not read), which rebuilding would not cure.
    pub fn is_damage(&self) -> bool {
        match self {
            Error::Damaged(_) | Error::Corrupt { .. } => true,
            Error::Db(e) => match &**e {
                redb::Error::Corrupted(_)
                | redb::Error::TableTypeMismatch { .. }
                | redb::Error::TableIsMultimap(_)
                | redb::Error::TableIsNotMultimap(_)
                | redb::Error::TypeDefinitionChanged { .. }
                | redb::Error::TableDoesNotExist(_) => true,
                redb::Error::Io(io) => matches!(
                    io.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
                ),
                _ => false,
            },
            _ => false,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::Db(Box::new(redb::Error::from(e)))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The chain tip as the store last committed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub height: u64,
    pub block_hash: [u8; 32],
    pub state_root: [u8; 32],
    pub timestamp_ms: u64,
}

/// One transaction of a block being committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRecord {
    pub hash: [u8; 32],
    /// Position in the block; must strictly increase within a [`BlockCommit`].
    pub index: u32,
    pub tx: Vec<u8>,
    pub receipt: Vec<u8>,
    /// Signer and counterparties; each gets an `account_txs` row (duplicates are harmless).
    pub accounts: Vec<[u8; 32]>,
}

/// Everything one block changes, written atomically by [`Store::commit_block`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockCommit<'a> {
    pub head: Head,
    pub block: &'a [u8],
    /// State key -> new value; `None` deletes the key. Applied in order, so a later write wins.
    pub writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    pub txs: Vec<TxRecord>,
}

/// Where a transaction sits in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxLocation {
    pub height: u64,
    pub index: u32,
    pub hash: [u8; 32],
}

/// A stored transaction with its receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTx {
    pub height: u64,
    pub index: u32,
    pub tx: Vec<u8>,
    pub receipt: Vec<u8>,
}

/// A cheap, clonable handle on the database, usable from many threads.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// redb's page cache (its default is 1 GiB; the node keeps its state in memory anyway).
const CACHE_BYTES: usize = 128 * 1024 * 1024;

impl Store {
    /// Opens the store at `path`, creating the file and tables if missing. Recovers after a crash.
    /// A file redb panics on is reported as [`Error::Damaged`].
    pub fn open(path: &Path) -> Result<Self, Error> {
        guarded("opening the file", || {
            Self::init(
                Database::builder()
                    .set_cache_size(CACHE_BYTES)
                    .create(path)?,
            )
        })
    }

    /// Opens an existing store and checks it: redb's checksum of every page (unless redb has just
    /// verified them while recovering from an unclean shutdown), the format version, and the head
    /// row against the block tables (see [`Store::check_head_rows`]). Never creates a file.
    ///
    /// The whole state is checked against its digest when it is read ([`Store::state_entries`]).
    pub fn open_verified(path: &Path) -> Result<Self, Error> {
        guarded("opening and checking the file", || {
            let repaired = Arc::new(AtomicBool::new(false));
            let flag = repaired.clone();
            let mut db = Database::builder()
                .set_cache_size(CACHE_BYTES)
                .set_repair_callback(move |_| flag.store(true, Ordering::Relaxed))
                .open(path)?;
            if !repaired.load(Ordering::Relaxed) {
                db.check_integrity()?;
            }
            let store = Self::init(db)?;
            store.check_head_rows()?;
            Ok(store)
        })
    }

    /// A store backed by memory only (redb's `InMemoryBackend`), for tests.
    pub fn open_in_memory() -> Result<Self, Error> {
        Self::init(Database::builder().create_with_backend(InMemoryBackend::new())?)
    }

    fn init(db: Database) -> Result<Self, Error> {
        let mut txn = db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        {
            let mut meta = txn.open_table(META)?;
            let found = match meta.get(FORMAT_KEY)? {
                Some(v) => Some(decode_u64("meta", v.value())?),
                None => None,
            };
            // Opening a table in a write transaction creates it.
            let state = txn.open_table(STATE)?;
            match found {
                Some(FORMAT_VERSION) => {}
                Some(1) => {
                    // Version 1 had no state digest: take the state as it stands.
                    let mut digest = StateDigest::default();
                    for row in state.iter()? {
                        let (k, v) = row?;
                        digest.add_row(k.value(), v.value());
                    }
                    meta.insert(STATE_DIGEST_KEY, digest.to_bytes().as_slice())?;
                    meta.insert(FORMAT_KEY, FORMAT_VERSION.to_be_bytes().as_slice())?;
                }
                Some(found) => return Err(Error::UnsupportedFormat { found }),
                None => {
                    if state.iter()?.next().is_some() {
                        return Err(Error::Corrupt {
                            table: "meta",
                            detail: "no format version but state rows are stored".into(),
                        });
                    }
                    meta.insert(FORMAT_KEY, FORMAT_VERSION.to_be_bytes().as_slice())?;
                    let empty = StateDigest::default().to_bytes();
                    meta.insert(STATE_DIGEST_KEY, empty.as_slice())?;
                }
            }
            txn.open_table(BLOCKS)?;
            txn.open_table(BLOCK_HASHES)?;
            txn.open_table(BLOCK_HASH_BY_HEIGHT)?;
            txn.open_table(TXS)?;
            txn.open_table(ACCOUNT_TXS)?;
        }
        txn.commit()?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Checks that the head row names the newest block of every block table: `blocks` and
    /// `block_hash_by_height` end at the head's height, with the head's hash, and `block_hashes`
    /// maps that hash back to it. An empty store (no head) must have no blocks. Cheap: a few
    /// B-tree lookups.
    pub fn check_head_rows(&self) -> Result<(), Error> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let blocks = txn.open_table(BLOCKS)?;
        let by_height = txn.open_table(BLOCK_HASH_BY_HEIGHT)?;
        let hashes = txn.open_table(BLOCK_HASHES)?;
        let last_block = blocks.last()?.map(|(k, _)| k.value());
        let last_hash = match by_height.last()? {
            Some((k, v)) => Some((k.value(), decode_hash("block_hash_by_height", v.value())?)),
            None => None,
        };
        let head = match meta.get(HEAD_KEY)? {
            Some(v) => decode_head(v.value())?,
            None if last_block.is_none() && last_hash.is_none() => return Ok(()),
            None => {
                return Err(Error::Corrupt {
                    table: "meta",
                    detail: "no head row but blocks are stored".into(),
                })
            }
        };
        let bad = |table: &'static str, detail: String| Err(Error::Corrupt { table, detail });
        if last_block != Some(head.height) {
            return bad(
                "blocks",
                format!("newest block {last_block:?} != head {}", head.height),
            );
        }
        if last_hash != Some((head.height, head.block_hash)) {
            return bad(
                "block_hash_by_height",
                format!("newest row does not name the head block {}", head.height),
            );
        }
        if hashes.get(head.block_hash.as_slice())?.map(|v| v.value()) != Some(head.height) {
            return bad(
                "block_hashes",
                format!("the head's hash does not map to height {}", head.height),
            );
        }
        Ok(())
    }

    /// The last committed head, or `None` before genesis.
    pub fn head(&self) -> Result<Option<Head>, Error> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let head = match meta.get(HEAD_KEY)? {
            Some(v) => Some(decode_head(v.value())?),
            None => None,
        };
        Ok(head)
    }

    /// Writes a whole block in one durable transaction.
    ///
    /// Refuses with [`Error::HeightMismatch`] unless `c.head.height` is `head + 1` (or 0 on an empty
    /// store); on any error nothing is written.
    pub fn commit_block(&self, c: &BlockCommit) -> Result<(), Error> {
        self.commit_block_with(c, Durability::Immediate)
    }

    /// Like [`Store::commit_block`] but without waiting for the disk: the block is durable only
    /// once a later [`Store::commit_block`] or [`Store::flush`] returns. For rebuilding a ledger
    /// from blocks held elsewhere, where a crash only means replaying a few blocks again.
    pub fn commit_block_deferred(&self, c: &BlockCommit) -> Result<(), Error> {
        self.commit_block_with(c, Durability::None)
    }

    /// Makes every deferred commit durable.
    pub fn flush(&self) -> Result<(), Error> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        txn.commit()?;
        Ok(())
    }

    fn commit_block_with(&self, c: &BlockCommit, durability: Durability) -> Result<(), Error> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(durability);
        // On error `txn` is dropped uncommitted, which aborts it.
        Self::write_block(&txn, c)?;
        txn.commit()?;
        Ok(())
    }

    fn write_block(txn: &WriteTransaction, c: &BlockCommit) -> Result<(), Error> {
        let height = c.head.height;
        let mut meta = txn.open_table(META)?;
        let current = match meta.get(HEAD_KEY)? {
            Some(v) => Some(decode_head(v.value())?.height),
            None => None,
        };
        let follows = match current {
            None => height == 0,
            Some(h) => h.checked_add(1) == Some(height),
        };
        if !follows {
            return Err(Error::HeightMismatch {
                head: current,
                got: height,
            });
        }
        for pair in c.txs.windows(2) {
            if pair[1].index <= pair[0].index {
                return Err(Error::TxIndexOrder {
                    previous: pair[0].index,
                    index: pair[1].index,
                });
            }
        }

        let mut blocks = txn.open_table(BLOCKS)?;
        if blocks.insert(height, c.block)?.is_some() {
            return Err(Error::Corrupt {
                table: "blocks",
                detail: format!("a block is already stored above head at height {height}"),
            });
        }
        let mut hashes = txn.open_table(BLOCK_HASHES)?;
        if let Some(old) = hashes.insert(c.head.block_hash.as_slice(), height)? {
            return Err(Error::DuplicateBlockHash {
                height: old.value(),
            });
        }
        let mut by_height = txn.open_table(BLOCK_HASH_BY_HEIGHT)?;
        by_height.insert(height, c.head.block_hash.as_slice())?;

        let mut digest = match meta.get(STATE_DIGEST_KEY)? {
            Some(v) => decode_digest(v.value())?,
            None => return Err(missing_digest()),
        };
        let mut state = txn.open_table(STATE)?;
        for (key, value) in &c.writes {
            let old = match value {
                Some(v) => {
                    digest.add_row(key, v);
                    state.insert(key.as_slice(), v.as_slice())?
                }
                None => state.remove(key.as_slice())?,
            };
            if let Some(old) = old {
                digest.remove_row(key, old.value());
            }
        }
        meta.insert(STATE_DIGEST_KEY, digest.to_bytes().as_slice())?;

        let mut txs = txn.open_table(TXS)?;
        let mut account_txs = txn.open_table(ACCOUNT_TXS)?;
        for rec in &c.txs {
            let row = encode_tx(height, rec.index, &rec.tx, &rec.receipt)?;
            if txs.insert(rec.hash.as_slice(), row.as_slice())?.is_some() {
                return Err(Error::DuplicateTx { hash: rec.hash });
            }
            for account in &rec.accounts {
                let key = account_key(account, height, rec.index);
                account_txs.insert(key.as_slice(), rec.hash.as_slice())?;
            }
        }

        meta.insert(HEAD_KEY, encode_head(&c.head).as_slice())?;
        Ok(())
    }

    /// All state rows in key order, checked against the state digest in `meta`
    /// ([`Error::Corrupt`] in table `state` if they disagree). One hash per row.
    #[allow(clippy::type_complexity)] // the node's API spells the row type out on purpose
    pub fn state_entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, Error> {
        guarded("reading the state", || {
            let txn = self.db.begin_read()?;
            let meta = txn.open_table(META)?;
            let expected = match meta.get(STATE_DIGEST_KEY)? {
                Some(v) => decode_digest(v.value())?,
                None => return Err(missing_digest()),
            };
            let state = txn.open_table(STATE)?;
            let mut out = Vec::new();
            let mut digest = StateDigest::default();
            for row in state.iter()? {
                let (k, v) = row?;
                digest.add_row(k.value(), v.value());
                out.push((k.value().to_vec(), v.value().to_vec()));
            }
            if digest != expected {
                return Err(Error::Corrupt {
                    table: "state",
                    detail: format!(
                        "the {} state rows do not sum to the state digest kept in meta",
                        out.len()
                    ),
                });
            }
            Ok(out)
        })
    }

    /// One state value.
    pub fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let txn = self.db.begin_read()?;
        let state = txn.open_table(STATE)?;
        let value = state.get(key)?.map(|v| v.value().to_vec());
        Ok(value)
    }

    /// The block bytes at `height`.
    pub fn block(&self, height: u64) -> Result<Option<Vec<u8>>, Error> {
        let txn = self.db.begin_read()?;
        let blocks = txn.open_table(BLOCKS)?;
        let block = blocks.get(height)?.map(|v| v.value().to_vec());
        Ok(block)
    }

    /// The height of the block with this hash.
    pub fn height_of_block(&self, hash: &[u8; 32]) -> Result<Option<u64>, Error> {
        let txn = self.db.begin_read()?;
        let hashes = txn.open_table(BLOCK_HASHES)?;
        let height = hashes.get(hash.as_slice())?.map(|v| v.value());
        Ok(height)
    }

    /// The hash of the block at `height`.
    pub fn block_hash(&self, height: u64) -> Result<Option<[u8; 32]>, Error> {
        let txn = self.db.begin_read()?;
        let by_height = txn.open_table(BLOCK_HASH_BY_HEIGHT)?;
        let hash = match by_height.get(height)? {
            Some(v) => Some(decode_hash("block_hash_by_height", v.value())?),
            None => None,
        };
        Ok(hash)
    }

    /// A transaction and its receipt by hash.
    pub fn tx(&self, hash: &[u8; 32]) -> Result<Option<StoredTx>, Error> {
        let txn = self.db.begin_read()?;
        let txs = txn.open_table(TXS)?;
        let tx = match txs.get(hash.as_slice())? {
            Some(v) => Some(decode_tx(v.value())?),
            None => None,
        };
        Ok(tx)
    }

    /// Up to `limit` transactions touching `account`, newest first.
    ///
    /// With `before = Some((height, index))` only transactions strictly older than that position are
    /// returned, so passing the last returned `(height, index)` fetches the next page.
    pub fn account_history(
        &self,
        account: &[u8; 32],
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<TxLocation>, Error> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ACCOUNT_TXS)?;
        let lo = account_key(account, 0, 0);
        let hi = match before {
            Some((h, i)) => account_key(account, h, i),
            None => account_key(account, u64::MAX, u32::MAX),
        };
        let upper = if before.is_some() {
            Bound::Excluded(hi.as_slice())
        } else {
            Bound::Included(hi.as_slice())
        };
        let mut out = Vec::with_capacity(limit.min(1024));
        for row in table
            .range::<&[u8]>((Bound::Included(lo.as_slice()), upper))?
            .rev()
            .take(limit)
        {
            let (k, v) = row?;
            out.push(decode_account_row(k.value(), v.value())?);
        }
        Ok(out)
    }
}

fn decode_u64(table: &'static str, bytes: &[u8]) -> Result<u64, Error> {
    let raw: [u8; 8] = bytes.try_into().map_err(|_| Error::Corrupt {
        table,
        detail: format!("expected an 8-byte integer, found {} bytes", bytes.len()),
    })?;
    Ok(u64::from_be_bytes(raw))
}

fn decode_digest(bytes: &[u8]) -> Result<StateDigest, Error> {
    let raw: &[u8; 32] = bytes.try_into().map_err(|_| Error::Corrupt {
        table: "meta",
        detail: format!("state digest is {} bytes, expected 32", bytes.len()),
    })?;
    Ok(StateDigest::from_bytes(raw))
}

fn missing_digest() -> Error {
    Error::Corrupt {
        table: "meta",
        detail: "the state digest row is missing".into(),
    }
}

/// Runs `f`, turning a panic inside it (redb asserts on some damaged files) into
/// [`Error::Damaged`]. The panic hook still runs: the node logs it as one line.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Err(Error::Damaged(format!("{what}: redb stopped with: {msg}")))
    })
}
