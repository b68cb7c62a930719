//! The block body that the execution crate runs: height, time, parent, state root, transactions.
//! The consensus crate wraps it with the consensus context; that wrapper's digest is the block hash.
use crate::{Hash32, SignedTransaction};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, RangeCfg, Read, ReadExt, Write};

/// Most transactions in one block.
pub const BLOCK_MAX_TXS: usize = 5_000;
/// Largest encoded block in bytes.
pub const BLOCK_MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Hash of the parent block (consensus digest); zero for the genesis block.
    pub parent: Hash32,
    pub height: u64,
    /// Milliseconds since the Unix epoch; never decreases. The only clock execution sees.
    pub timestamp_ms: u64,
    /// State commitment after executing this block (see `execution::state_root`).
    pub state_root: Hash32,
    pub transactions: Vec<SignedTransaction>,
}

impl Write for Block {
    fn write(&self, buf: &mut impl BufMut) {
        self.parent.write(buf);
        self.height.write(buf);
        self.timestamp_ms.write(buf);
        self.state_root.write(buf);
        self.transactions.write(buf);
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        32 + 8 + 8 + 32 + self.transactions.encode_size()
    }
}

impl Read for Block {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            parent: Hash32::read(buf)?,
            height: u64::read(buf)?,
            timestamp_ms: u64::read(buf)?,
            state_root: Hash32::read(buf)?,
            transactions: Vec::<SignedTransaction>::read_cfg(
                buf,
                &(RangeCfg::from(..=BLOCK_MAX_TXS), ()),
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    #[test]
    fn empty_block_round_trips_and_too_many_txs_are_rejected() {
        let b = Block {
            parent: Hash32::digest(&[b"p"]),
            height: 9,
            timestamp_ms: 1_700_000_000_000,
            state_root: Hash32::ZERO,
            transactions: vec![],
        };
        assert_eq!(Block::decode(b.encode()).unwrap(), b);
        // A length prefix above the bound is refused before any allocation.
        let mut bad = b.encode().to_vec();
        bad.truncate(80);
        bad.extend_from_slice(&[0xFF, 0xFF, 0x03]); // varint 65535
        assert!(Block::decode(bad.as_slice()).is_err());
    }
}
