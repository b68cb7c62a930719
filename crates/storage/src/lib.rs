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
#![forbid(unsafe_code)]

mod codec;
#[cfg(test)]
mod tests;

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use redb::{
    backends::InMemoryBackend, Database, Durability, ReadableTable, TableDefinition,
    WriteTransaction,
};

use codec::{
    account_key, decode_account_row, decode_hash, decode_head, decode_tx, encode_head, encode_tx,
};

/// Version of the on-disk layout described in the crate docs. Opening a file with another version fails.
pub const FORMAT_VERSION: u64 = 1;

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
    /// A row does not have the shape this crate writes.
    #[error("corrupt row in table {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
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
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::init(
            Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create(path)?,
        )
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
            match found {
                Some(FORMAT_VERSION) => {}
                Some(found) => return Err(Error::UnsupportedFormat { found }),
                None => {
                    meta.insert(FORMAT_KEY, FORMAT_VERSION.to_be_bytes().as_slice())?;
                }
            }
            // Opening a table in a write transaction creates it.
            txn.open_table(STATE)?;
            txn.open_table(BLOCKS)?;
            txn.open_table(BLOCK_HASHES)?;
            txn.open_table(BLOCK_HASH_BY_HEIGHT)?;
            txn.open_table(TXS)?;
            txn.open_table(ACCOUNT_TXS)?;
        }
        txn.commit()?;
        Ok(Self { db: Arc::new(db) })
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
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
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

        let mut state = txn.open_table(STATE)?;
        for (key, value) in &c.writes {
            match value {
                Some(v) => state.insert(key.as_slice(), v.as_slice())?,
                None => state.remove(key.as_slice())?,
            };
        }

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

    /// All state rows in key order.
    #[allow(clippy::type_complexity)] // the node's API spells the row type out on purpose
    pub fn state_entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, Error> {
        let txn = self.db.begin_read()?;
        let state = txn.open_table(STATE)?;
        let mut out = Vec::new();
        for row in state.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
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
