//! Opening the ledger at start: a node never serves a ledger it does not have.
//!
//! The ledger (`<data-dir>/ledger.redb`) is derived data: every block in it is also a finalized
//! block in marshal's archive under `<data-dir>/consensus`, and the genesis file fixes block 0.
//! [open_ledger] checks the ledger against both before anything is served:
//!
//! - the file opens, every page passes redb's checksum, the head row agrees with the block
//!   tables, the stored head block hashes to the head, and the state matches its digest
//!   ([gridledger_storage::Store::open_verified], [Chain::open]);
//! - block 0 is the configured genesis (in the ledger and in the archive);
//! - the archive holds the ledger's head block, with the same hash.
//!
//! Then, one of:
//! - **opened**: the ledger is intact and has every block the archive holds;
//! - **caught up**: intact but behind the archive (e.g. redb fell back to its previous commit):
//!   the missing blocks are re-executed from the archive;
//! - **rebuilt**: missing, damaged, or not this chain's blocks while the archive is: the file is
//!   moved aside (`ledger.redb.damaged-<unix ms>`) and the ledger is rebuilt from genesis by
//!   re-executing every block the archive holds, each state root checked against its block;
//! - **refused** ([Error::Refused]): the ledger cannot be had here (no blocks to rebuild from,
//!   an archive behind the ledger, a re-execution that does not reproduce a state root, a file
//!   another process holds, another chain's file). The message names the file and what to do.
//!
//! A marker file (`ledger.id`, the genesis hash) records that the data directory has held this
//! chain, so a directory that lost its ledger *and* its consensus store refuses to start instead
//! of silently beginning a new chain from genesis.
use crate::{
    block::ChainBlock,
    chain::{Chain, ChainConfig},
    genesis::GenesisFile,
    metrics::NodeMetrics,
    Error,
};
use gridledger_storage::Store;
use gridledger_types::Hash32;
use std::{
    future::Future,
    path::{Path, PathBuf},
};
use tracing::{info, warn};

/// The ledger's file name in the data directory.
pub const LEDGER_FILE: &str = "ledger.redb";
/// The marker's file name in the data directory.
pub const MARKER_FILE: &str = "ledger.id";
/// Blocks re-executed between two durable commits while catching up or rebuilding.
const FLUSH_EVERY: u64 = 1_000;

/// Finalized blocks this node holds in its consensus store, by height.
pub trait FinalizedBlocks {
    /// The highest height `h` such that every block `0..=h` is held (`None` without block 0).
    fn contiguous_top(&self) -> Option<u64>;
    /// The highest height of anything held (a block or a finalization certificate).
    fn highest(&self) -> Option<u64>;
    /// The finalized block at `height`, if held.
    fn block(&self, height: u64)
        -> impl Future<Output = Result<Option<ChainBlock>, String>> + Send;
}

/// What [open_ledger] needs.
pub struct LedgerConfig<'a> {
    pub data_dir: &'a Path,
    /// Where the consensus store lives (named in messages).
    pub consensus_dir: &'a Path,
    pub genesis: &'a GenesisFile,
    pub chain: ChainConfig,
    pub metrics: NodeMetrics,
}

/// How the ledger was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// A new data directory: the ledger was created at genesis.
    Created,
    /// The ledger was intact and complete.
    Intact,
    /// The ledger was intact but behind: blocks `from..=to` were re-executed from the archive.
    CaughtUp { from: u64, to: u64 },
    /// The ledger was missing or damaged and was rebuilt up to `to`; a damaged file was moved
    /// to `moved_to`.
    Rebuilt {
        why: String,
        moved_to: Option<PathBuf>,
        to: u64,
    },
}

const TODO_NO_BLOCKS: &str = "Restore the data directory from a backup. A node of a network with other validators can instead be started on an empty data directory to sync the chain from its peers; a single-validator devnet cannot, its chain is lost with its blocks.";
const TODO_OPEN: &str = "Make sure no other gridledger process uses this data directory and that the file is readable and writable by the node.";
const TODO_OTHER_CHAIN: &str = "Point the node at the data directory of this chain (or at an empty one), or use the genesis file this directory was made with.";

fn refused(what: impl std::fmt::Display, file: &Path, todo: &str) -> Error {
    Error::Refused(format!(
        "refusing to start: {what} (file: {}). {todo}",
        file.display()
    ))
}

/// Opens the ledger in `cfg.data_dir`, checking, catching up or rebuilding it from `blocks`
/// (see the module docs), or refuses with [Error::Refused].
pub async fn open_ledger(
    cfg: LedgerConfig<'_>,
    blocks: &impl FinalizedBlocks,
) -> Result<(Chain, Opened), Error> {
    let path = cfg.data_dir.join(LEDGER_FILE);
    let marker = cfg.data_dir.join(MARKER_FILE);
    let (genesis_block, _) = cfg.genesis.genesis_block();
    let genesis_hash = genesis_block.hash();
    let held_before = check_marker(&marker, &genesis_hash)?;
    match blocks.block(0).await {
        Ok(Some(b)) if b.hash() != genesis_hash => {
            return Err(refused(
                format!(
                "the consensus store holds another chain (genesis {}, configured {genesis_hash})",
                b.hash()
            ),
                cfg.consensus_dir,
                TODO_OTHER_CHAIN,
            ))
        }
        Ok(_) => {}
        Err(e) => return Err(consensus_unreadable(&cfg, e)),
    }
    let top = blocks.contiguous_top().unwrap_or(0);
    let opened = if !path.exists() {
        if top == 0 && (held_before || blocks.highest().unwrap_or(0) > 0) {
            return Err(refused(
                "the ledger file is missing and the consensus store holds no finalized blocks to rebuild it from",
                &path,
                TODO_NO_BLOCKS,
            ));
        }
        if top == 0 {
            let chain = create(&cfg, &path)?;
            (chain, Opened::Created)
        } else {
            warn!(file = %path.display(), "the ledger file is missing: rebuilding it from the consensus store");
            rebuild(&cfg, &path, blocks, "the file was missing".into(), top).await?
        }
    } else {
        match open_existing(&cfg, &path) {
            Ok(chain) => check_against_archive(&cfg, &path, chain, blocks, top).await?,
            Err(e) if is_damage(&e) => {
                let why = e.to_string();
                warn!(file = %path.display(), %why, "the ledger file is damaged: rebuilding it from the consensus store");
                rebuild(&cfg, &path, blocks, why, top).await?
            }
            Err(Error::WrongChain(why)) => {
                return Err(refused(
                    format!("the ledger belongs to another chain: {why}"),
                    &path,
                    TODO_OTHER_CHAIN,
                ))
            }
            Err(e) => {
                return Err(refused(
                    format!("the ledger cannot be opened: {e}"),
                    &path,
                    TODO_OPEN,
                ))
            }
        }
    };
    if !held_before {
        write_marker(&marker, &genesis_hash)?;
    }
    Ok(opened)
}

/// An intact ledger against the archive: complete, behind (catch up), ahead or off the
/// archive's chain.
async fn check_against_archive(
    cfg: &LedgerConfig<'_>,
    path: &Path,
    chain: Chain,
    blocks: &impl FinalizedBlocks,
    top: u64,
) -> Result<(Chain, Opened), Error> {
    let head = chain.head();
    if head.height == 0 && blocks.contiguous_top().is_none() {
        // Nothing finalized yet (marshal stores genesis when it first starts).
        return Ok((chain, Opened::Intact));
    }
    if head.height > top {
        let holds = match blocks.contiguous_top() {
            Some(top) => format!("the finalized blocks only up to height {top}"),
            None => "no finalized blocks".into(),
        };
        return Err(refused(
            format!(
                "the ledger is at height {} but the consensus store holds {holds}: the consensus store is damaged or was deleted, and a validator must not vote again without its own record",
                head.height
            ),
            cfg.consensus_dir,
            TODO_NO_BLOCKS,
        ));
    }
    let archived = blocks
        .block(head.height)
        .await
        .map_err(|e| consensus_unreadable(cfg, e))?;
    if archived.as_ref().map(ChainBlock::hash) != Some(head.hash) {
        drop(chain);
        let why = format!(
            "its head block {} ({}) is not the finalized block the consensus store holds at that height",
            head.height, head.hash
        );
        warn!(file = %path.display(), %why, "the ledger is not this chain's: rebuilding it from the consensus store");
        return rebuild(cfg, path, blocks, why, top).await;
    }
    if head.height == top {
        return Ok((chain, Opened::Intact));
    }
    let from = head.height + 1;
    info!(
        from,
        to = top,
        "the ledger is behind the consensus store: re-executing the missing finalized blocks"
    );
    replay(cfg, path, &chain, blocks, from, top, None).await?;
    Ok((chain, Opened::CaughtUp { from, to: top }))
}

/// Moves a damaged file aside (if any) and rebuilds the ledger from genesis and blocks
/// `1..=top` of the archive.
async fn rebuild(
    cfg: &LedgerConfig<'_>,
    path: &Path,
    blocks: &impl FinalizedBlocks,
    why: String,
    top: u64,
) -> Result<(Chain, Opened), Error> {
    if top == 0 {
        return Err(refused(
            format!(
                "the ledger is damaged ({why}) and the consensus store holds no finalized blocks to rebuild it from"
            ),
            path,
            TODO_NO_BLOCKS,
        ));
    }
    let moved_to = if path.exists() {
        let aside = aside_path(path);
        std::fs::rename(path, &aside).map_err(|e| {
            refused(
                format!("the ledger is damaged ({why}) and cannot be moved aside: {e}"),
                path,
                TODO_OPEN,
            )
        })?;
        warn!(from = %path.display(), to = %aside.display(), "moved the damaged ledger aside");
        Some(aside)
    } else {
        None
    };
    let chain = create(cfg, path)?;
    replay(cfg, path, &chain, blocks, 1, top, moved_to.as_deref()).await?;
    info!(height = top, "rebuilt the ledger from the consensus store");
    Ok((
        chain,
        Opened::Rebuilt {
            why,
            moved_to,
            to: top,
        },
    ))
}

/// Re-executes archive blocks `from..=to` on `chain`, each state root checked by
/// [Chain::replay]; durable every [FLUSH_EVERY] blocks and at the end.
async fn replay(
    cfg: &LedgerConfig<'_>,
    path: &Path,
    chain: &Chain,
    blocks: &impl FinalizedBlocks,
    from: u64,
    to: u64,
    moved_to: Option<&Path>,
) -> Result<(), Error> {
    let kept = moved_to
        .map(|p| format!(" The damaged file was kept as {}.", p.display()))
        .unwrap_or_default();
    for height in from..=to {
        let block = blocks
            .block(height)
            .await
            .map_err(|e| consensus_unreadable(cfg, e))?
            .ok_or_else(|| {
                Error::Refused(format!(
                    "refusing to start: finalized block {height} vanished from the consensus store while the ledger was re-executed (file: {}).{kept} {TODO_NO_BLOCKS}",
                    cfg.consensus_dir.display()
                ))
            })?;
        if let Err(e) = chain
            .replay(&block)
            .and_then(|_| flush_every(chain, height, to))
        {
            return Err(Error::Refused(format!(
                "refusing to start: re-executing finalized block {height} from the consensus store to rebuild the ledger failed: {e} (file: {}).{kept} Either this build does not reproduce the chain's state roots (run the version that made the chain) or the consensus store is damaged: {TODO_NO_BLOCKS}",
                path.display()
            )));
        }
    }
    Ok(())
}

fn flush_every(chain: &Chain, height: u64, to: u64) -> Result<(), Error> {
    if height == to || height.is_multiple_of(FLUSH_EVERY) {
        chain.flush()?;
        if height != to {
            info!(height, to, "re-executing finalized blocks");
        }
    }
    Ok(())
}

fn consensus_unreadable(cfg: &LedgerConfig<'_>, e: String) -> Error {
    refused(
        format!("the consensus store cannot be read: {e}"),
        cfg.consensus_dir,
        TODO_NO_BLOCKS,
    )
}

/// True if the error means the file's content is damaged (so rebuilding it is the cure).
fn is_damage(e: &Error) -> bool {
    match e {
        Error::Storage(s) => s.is_damage(),
        Error::Corrupt(_) => true,
        _ => false,
    }
}

fn open_existing(cfg: &LedgerConfig<'_>, path: &Path) -> Result<Chain, Error> {
    // redb panics on some damaged files; the storage crate catches that as damage.
    crate::panics::expecting(|| {
        let store = Store::open_verified(path)?;
        open_chain(cfg, store)
    })
}

fn create(cfg: &LedgerConfig<'_>, path: &Path) -> Result<Chain, Error> {
    let store = Store::open(path)
        .map_err(|e| refused(format!("cannot create the ledger: {e}"), path, TODO_OPEN))?;
    open_chain(cfg, store)
}

fn open_chain(cfg: &LedgerConfig<'_>, store: Store) -> Result<Chain, Error> {
    let (block, outcome) = cfg.genesis.genesis_block();
    Chain::open(
        cfg.chain.clone(),
        store,
        &block,
        outcome,
        cfg.metrics.clone(),
    )
}

/// `<file>.damaged-<unix ms>` (with a counter if that exists already).
fn aside_path(path: &Path) -> PathBuf {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut aside = path.with_file_name(format!("{name}.damaged-{ms}"));
    let mut n = 1;
    while aside.exists() {
        aside = path.with_file_name(format!("{name}.damaged-{ms}-{n}"));
        n += 1;
    }
    aside
}

/// Whether the data directory has held this chain before; refuses another chain's marker.
fn check_marker(marker: &Path, genesis: &Hash32) -> Result<bool, Error> {
    let text = match std::fs::read_to_string(marker) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(refused(
                format!("cannot read the marker file: {e}"),
                marker,
                TODO_OPEN,
            ))
        }
    };
    if text.trim() != genesis.to_string() {
        return Err(refused(
            format!(
                "the data directory holds another chain (genesis {}, configured {genesis})",
                text.trim()
            ),
            marker,
            TODO_OTHER_CHAIN,
        ));
    }
    Ok(true)
}

/// Writes the marker atomically (a temporary file renamed over it).
fn write_marker(marker: &Path, genesis: &Hash32) -> Result<(), Error> {
    let tmp = marker.with_extension("id.tmp");
    std::fs::write(&tmp, format!("{genesis}\n"))?;
    std::fs::rename(&tmp, marker)?;
    Ok(())
}
