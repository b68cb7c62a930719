//! The transaction envelope: chain id, signer, nonce, expiry, payload; signed over a
//! domain-separated canonical encoding.
mod payload;

pub use payload::Payload;

use crate::{Address, ChainId, Hash32, PrivateKey, Signature};
use bytes::{Buf, BufMut};
use commonware_codec::{Encode, EncodeSize, FixedSize, Read, ReadExt, Write};
use commonware_cryptography::{Signer, Verifier};
use serde::{Deserialize, Serialize};

/// Signing namespace for transactions (commonware prepends it, length-prefixed, to the message).
pub const TX_NAMESPACE: &[u8] = b"GRIDLEDGER_TX_V1";

/// Largest encoded signed transaction accepted anywhere, in bytes.
pub const TX_MAX_BYTES: usize = 4 * 1024;

/// The unsigned body of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub chain_id: ChainId,
    pub signer: Address,
    /// Must equal the signer's next nonce (0 for a new account); each accepted transaction uses one.
    pub nonce: u64,
    /// The transaction is invalid in any block whose timestamp is later than this (ms since epoch).
    pub expires_at_ms: u64,
    pub payload: Payload,
}

impl Write for Transaction {
    fn write(&self, buf: &mut impl BufMut) {
        self.chain_id.write(buf);
        self.signer.write(buf);
        self.nonce.write(buf);
        self.expires_at_ms.write(buf);
        self.payload.write(buf);
    }
}

impl EncodeSize for Transaction {
    fn encode_size(&self) -> usize {
        self.chain_id.encode_size() + Address::SIZE + 8 + 8 + self.payload.encode_size()
    }
}

impl Read for Transaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            chain_id: ChainId::read(buf)?,
            signer: Address::read(buf)?,
            nonce: u64::read(buf)?,
            expires_at_ms: u64::read(buf)?,
            payload: Payload::read(buf)?,
        })
    }
}

impl Transaction {
    /// Signs the canonical encoding under [TX_NAMESPACE]. The key must be the signer's.
    pub fn sign(self, key: &PrivateKey) -> SignedTransaction {
        let signature = key.sign(TX_NAMESPACE, &self.encode());
        SignedTransaction::new(self, signature)
    }
}

/// A transaction with its signature. Its hash is SHA-256 of the whole encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransaction {
    pub tx: Transaction,
    pub signature: Signature,
    hash: Hash32,
}

impl SignedTransaction {
    pub fn new(tx: Transaction, signature: Signature) -> Self {
        let mut s = Self {
            tx,
            signature,
            hash: Hash32::ZERO,
        };
        s.hash = Hash32::digest(&[&s.encode()]);
        s
    }

    pub fn hash(&self) -> Hash32 {
        self.hash
    }

    /// True if the signature is the signer's over this transaction's canonical encoding.
    pub fn verify_signature(&self) -> bool {
        self.tx
            .signer
            .0
            .verify(TX_NAMESPACE, &self.tx.encode(), &self.signature)
    }

    /// The message that was signed (for batch verification).
    pub fn signing_message(&self) -> bytes::Bytes {
        self.tx.encode()
    }
}

impl Write for SignedTransaction {
    fn write(&self, buf: &mut impl BufMut) {
        self.tx.write(buf);
        self.signature.write(buf);
    }
}

impl EncodeSize for SignedTransaction {
    fn encode_size(&self) -> usize {
        self.tx.encode_size() + Signature::SIZE
    }
}

impl Read for SignedTransaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        let tx = Transaction::read(buf)?;
        let signature = Signature::read(buf)?;
        Ok(Self::new(tx, signature))
    }
}

/// JSON view: the body, the signature in hex and the hash.
impl Serialize for SignedTransaction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            hash: Hash32,
            #[serde(flatten)]
            tx: &'a Transaction,
            signature: String,
        }
        View {
            hash: self.hash,
            tx: &self.tx,
            signature: hex::encode(self.signature.as_ref()),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MilliWon, TEXT_MAX_BYTES};
    use commonware_codec::DecodeExt;
    use proptest::prelude::*;

    pub(crate) fn key(seed: u8) -> PrivateKey {
        PrivateKey::decode([seed; 32].as_slice()).unwrap()
    }

    fn sample() -> SignedTransaction {
        let k = key(1);
        Transaction {
            chain_id: ChainId::new("test").unwrap(),
            signer: Address::of(&k),
            nonce: 3,
            expires_at_ms: 1_000,
            payload: Payload::Transfer {
                to: Address::of(&key(2)),
                amount: MilliWon(5_000),
                memo: "rent".into(),
            },
        }
        .sign(&k)
    }

    #[test]
    fn signed_round_trip_and_signature() {
        let s = sample();
        assert!(s.verify_signature());
        let bytes = s.encode();
        let back = SignedTransaction::decode(bytes.clone()).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.hash(), s.hash());
        // Changing any byte of the body breaks the signature or the decoding.
        let mut tampered = bytes.to_vec();
        let i = tampered.len() - 70; // inside the payload
        tampered[i] ^= 1;
        if let Ok(t) = SignedTransaction::decode(tampered.as_slice()) {
            assert!(!t.verify_signature());
        }
    }

    #[test]
    fn signature_is_bound_to_the_chain() {
        let s = sample();
        let mut other = s.tx.clone();
        other.chain_id = ChainId::new("other").unwrap();
        let forged = SignedTransaction::new(other, s.signature.clone());
        assert!(!forged.verify_signature());
    }

    #[test]
    fn oversized_text_is_rejected() {
        let k = key(1);
        let tx = Transaction {
            chain_id: ChainId::new("test").unwrap(),
            signer: Address::of(&k),
            nonce: 0,
            expires_at_ms: 1,
            payload: Payload::Burn {
                amount: MilliWon(1),
                bank_ref: "x".repeat(TEXT_MAX_BYTES + 1),
            },
        }
        .sign(&k);
        assert!(SignedTransaction::decode(tx.encode()).is_err());
    }

    proptest! {
        #[test]
        fn decoding_hostile_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = SignedTransaction::decode(bytes.as_slice());
        }

        #[test]
        fn mutated_valid_encodings_never_panic(pos in 0usize..200, val in any::<u8>()) {
            let mut b = sample().encode().to_vec();
            let i = pos % b.len();
            b[i] = val;
            let _ = SignedTransaction::decode(b.as_slice());
        }
    }
}
