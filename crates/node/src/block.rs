//! The block as consensus sees it: our [gridledger_types::Block] body plus the simplex context it
//! was proposed in. Its digest (SHA-256 of the whole encoding) is the block hash everywhere.
use bytes::{Buf, BufMut};
use commonware_codec::{Encode, EncodeSize, Read, ReadExt, Write};
use commonware_consensus::{
    simplex::types::Context,
    types::{Epoch, Height, Round, View},
    CertifiableBlock, Heightable,
};
use commonware_cryptography::{
    ed25519::PublicKey,
    sha256::{self, Digest},
    Digest as _, Digestible, Hasher, Sha256,
};
use gridledger_types::{Block, Hash32};

/// Consensus context of a proposal.
pub type BlockContext = Context<Digest, PublicKey>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock {
    pub context: BlockContext,
    pub body: Block,
    digest: Digest,
}

impl ChainBlock {
    pub fn new(context: BlockContext, body: Block) -> Self {
        let mut b = Self {
            context,
            body,
            digest: Digest::EMPTY,
        };
        b.digest = Sha256::hash(&[&b.encode()]);
        b
    }

    /// The fixed genesis block: height 0, the genesis time and state root, no transactions.
    pub fn genesis(leader: PublicKey, timestamp_ms: u64, state_root: Hash32) -> Self {
        Self::new(
            Context {
                round: Round::new(Epoch::zero(), View::zero()),
                leader,
                parent: (View::zero(), Digest::EMPTY),
            },
            Block {
                parent: Hash32::ZERO,
                height: 0,
                timestamp_ms,
                state_root,
                transactions: vec![],
            },
        )
    }

    pub fn hash(&self) -> Hash32 {
        to_hash(&self.digest)
    }
}

/// Our hash type from a commonware digest.
pub fn to_hash(d: &Digest) -> Hash32 {
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    Hash32(out)
}

/// A commonware digest from our hash type.
pub fn to_digest(h: &Hash32) -> Digest {
    sha256::Digest(h.0)
}

/// The header fields of an encoded [ChainBlock], read without decoding its transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderInfo {
    pub parent: Hash32,
    pub height: u64,
    pub timestamp_ms: u64,
    pub state_root: Hash32,
    pub tx_count: u32,
}

pub fn read_header(mut bytes: &[u8]) -> Result<HeaderInfo, commonware_codec::Error> {
    let buf = &mut bytes;
    let _ctx = BlockContext::read(buf)?;
    let parent = Hash32::read(buf)?;
    let height = u64::read(buf)?;
    let timestamp_ms = u64::read(buf)?;
    let state_root = Hash32::read(buf)?;
    let count = usize::read_cfg(buf, &commonware_codec::RangeCfg::from(..))?;
    Ok(HeaderInfo {
        parent,
        height,
        timestamp_ms,
        state_root,
        tx_count: u32::try_from(count).unwrap_or(u32::MAX),
    })
}

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.context.write(buf);
        self.body.write(buf);
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        self.context.encode_size() + self.body.encode_size()
    }
}

impl Read for ChainBlock {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        let context = BlockContext::read(buf)?;
        let body = Block::read(buf)?;
        Ok(Self::new(context, body))
    }
}

impl Digestible for ChainBlock {
    type Digest = Digest;
    fn digest(&self) -> Digest {
        self.digest
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> Height {
        Height::new(self.body.height)
    }
}

impl commonware_consensus::Block for ChainBlock {
    fn parent(&self) -> Digest {
        to_digest(&self.body.parent)
    }
}

impl CertifiableBlock for ChainBlock {
    type Context = BlockContext;
    fn context(&self) -> BlockContext {
        self.context.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::DecodeExt;
    use commonware_cryptography::{ed25519, Signer};

    #[test]
    fn round_trip_digest_and_header() {
        let leader = ed25519::PrivateKey::from_seed(1).public_key();
        let g = ChainBlock::genesis(leader, 1_700_000_000_000, Hash32::digest(&[b"root"]));
        let enc = g.encode();
        let back = ChainBlock::decode(enc.clone()).unwrap();
        assert_eq!(back, g);
        assert_eq!(back.digest(), g.digest());
        let h = read_header(&enc).unwrap();
        assert_eq!(h.height, 0);
        assert_eq!(h.timestamp_ms, 1_700_000_000_000);
        assert_eq!(h.state_root, g.body.state_root);
        assert_eq!(h.tx_count, 0);
        // The digest commits to the context.
        let other = ChainBlock::genesis(
            ed25519::PrivateKey::from_seed(2).public_key(),
            1_700_000_000_000,
            g.body.state_root,
        );
        assert_ne!(other.digest(), g.digest());
    }
}
