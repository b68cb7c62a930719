//! Identifiers: 32-byte hashes, account addresses (ed25519 public keys) and the chain id.
use crate::{codec_util, Error};
use bytes::{Buf, BufMut};
use commonware_codec::{DecodeExt, Encode, EncodeSize, FixedSize, Read, ReadExt, Write};
use commonware_cryptography::{ed25519, Hasher, Sha256};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub use commonware_cryptography::ed25519::{PrivateKey, Signature};

/// A SHA-256 digest: transaction, block and state-root hashes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    pub const ZERO: Self = Self([0; 32]);

    /// SHA-256 over the concatenation of `parts`.
    pub fn digest(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::default();
        for part in parts {
            hasher.update(part);
        }
        let (_, d) = hasher.finalize();
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Self(out)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let s = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(s).map_err(|e| Error::Hex(e.to_string()))?;
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::Length {
            expected: 32,
            got: bytes.len(),
        })?;
        Ok(Self(arr))
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl Write for Hash32 {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.0);
    }
}

impl FixedSize for Hash32 {
    const SIZE: usize = 32;
}

impl Read for Hash32 {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self(<[u8; 32]>::read(buf)?))
    }
}

impl Serialize for Hash32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// An account: the ed25519 public key that signs its transactions. Shown as 64 hex characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub ed25519::PublicKey);

impl Address {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_ref())
    }

    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let s = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(s).map_err(|e| Error::Hex(e.to_string()))?;
        if bytes.len() != 32 {
            return Err(Error::Length {
                expected: 32,
                got: bytes.len(),
            });
        }
        let key = ed25519::PublicKey::decode(bytes.as_slice()).map_err(|_| Error::PublicKey)?;
        Ok(Self(key))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }

    /// The key's 32 bytes (state keys order accounts by them).
    pub fn key_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0.as_ref()[..32]);
        out
    }

    /// The address whose [Address::key_bytes] these are, if they are a valid key.
    pub fn from_key_bytes(b: &[u8; 32]) -> Option<Self> {
        ed25519::PublicKey::decode(b.as_slice()).ok().map(Self)
    }

    /// The address of a private key.
    pub fn of(key: &PrivateKey) -> Self {
        use commonware_cryptography::Signer;
        Self(key.public_key())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl std::str::FromStr for Address {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_hex(s)
    }
}

impl Write for Address {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.write(buf);
    }
}

impl FixedSize for Address {
    const SIZE: usize = ed25519::PublicKey::SIZE;
}

impl Read for Address {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self(ed25519::PublicKey::read(buf)?))
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// The chain id: 1 to 32 characters of `a-z`, `0-9` and `-`. Part of every signed transaction,
/// so a transaction signed for one chain is invalid on every other.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChainId(String);

impl ChainId {
    pub const MAX_LEN: usize = 32;

    pub fn new(s: impl Into<String>) -> Result<Self, Error> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err(Error::ChainId(s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

impl Write for ChainId {
    fn write(&self, buf: &mut impl BufMut) {
        codec_util::write_string(&self.0, buf);
    }
}

impl EncodeSize for ChainId {
    fn encode_size(&self) -> usize {
        codec_util::string_size(&self.0)
    }
}

impl Read for ChainId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        let s = codec_util::read_string(buf, Self::MAX_LEN)?;
        Self::new(s).map_err(|_| commonware_codec::Error::Invalid("ChainId", "bad characters"))
    }
}

/// Hex of any encodable value (used for keys in JSON).
pub fn hex_of(v: &impl Encode) -> String {
    hex::encode(v.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_id_rules() {
        assert!(ChainId::new("gridledger-devnet").is_ok());
        assert!(ChainId::new("").is_err());
        assert!(ChainId::new("Upper").is_err());
        assert!(ChainId::new("a".repeat(33)).is_err());
    }

    #[test]
    fn address_hex_round_trip_and_rejects_garbage() {
        let key = PrivateKey::decode([7u8; 32].as_slice()).unwrap();
        let a = Address::of(&key);
        assert_eq!(Address::from_hex(&a.to_hex()).unwrap(), a);
        assert!(Address::from_hex("zz").is_err());
        assert!(Address::from_hex(&"00".repeat(31)).is_err());
    }

    #[test]
    fn hash_hex_round_trip() {
        let h = Hash32::digest(&[b"abc"]);
        assert_eq!(Hash32::from_hex(&h.to_hex()).unwrap(), h);
        // Known SHA-256("abc").
        assert_eq!(
            h.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
