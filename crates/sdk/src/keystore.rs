//! Encrypted key file: an ed25519 seed sealed with XChaCha20-Poly1305 under a key derived from a
//! password with Argon2id.
//!
//! ```json
//! {"version":1,"address":"<hex>","kdf":"argon2id","m_cost_kib":19456,"t_cost":2,"p_cost":1,
//!  "salt":"<16 bytes hex>","cipher":"xchacha20poly1305","nonce":"<24 bytes hex>",
//!  "ciphertext":"<hex>"}
//! ```
//!
//! The header (version, address, kdf parameters, salt) is bound to the ciphertext as associated
//! data, so changing any of it makes decryption fail; after decryption the seed's address must
//! equal the stored one.
use crate::{Error, Result};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use gridledger_types::{Address, DecodeExt, PrivateKey, Write};
use serde::{Deserialize, Serialize};
use std::{
    fs,
    io::{Read as _, Write as _},
    path::Path,
};
use zeroize::Zeroizing;

const VERSION: u32 = 1;
const KDF: &str = "argon2id";
const CIPHER: &str = "xchacha20poly1305";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const SEED_LEN: usize = 32;
/// Poly1305 tag.
const TAG_LEN: usize = 16;
/// A key file is a few hundred bytes; refuse to read anything much larger.
const MAX_FILE_BYTES: u64 = 64 * 1024;
/// Upper bounds on KDF parameters read from a file, so a hostile file cannot make us allocate
/// or spin without limit.
const MAX_M_COST_KIB: u32 = 4 * 1024 * 1024;
const MAX_T_COST: u32 = 64;
const MAX_P_COST: u32 = 64;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// Argon2id's recommended defaults: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            m_cost_kib: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
        }
    }
}

impl KdfParams {
    /// The cheapest parameters Argon2 accepts. For tests only: offers no protection.
    pub const fn insecure_for_tests() -> Self {
        Self {
            m_cost_kib: 8,
            t_cost: 1,
            p_cost: 1,
        }
    }

    fn argon2(&self) -> Result<Argon2<'static>> {
        if self.m_cost_kib > MAX_M_COST_KIB || self.t_cost > MAX_T_COST || self.p_cost > MAX_P_COST
        {
            return Err(Error::Keystore(format!(
                "kdf parameters out of range (m_cost_kib <= {MAX_M_COST_KIB}, t_cost <= \
                 {MAX_T_COST}, p_cost <= {MAX_P_COST})"
            )));
        }
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32))
            .map_err(|e| Error::Keystore(format!("kdf parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    fn derive(&self, password: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let mut out = Zeroizing::new([0u8; 32]);
        let argon2 = self.argon2()?;
        let mut memory = crate::kdf_memory::take(argon2.params().block_count());
        let derived =
            argon2.hash_password_into_with_memory(password, salt, out.as_mut(), &mut memory);
        crate::kdf_memory::give_back(memory);
        derived.map_err(|e| Error::Keystore(format!("kdf: {e}")))?;
        Ok(out)
    }
}

/// An encrypted key file (see the module docs for the format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keystore {
    version: u32,
    address: Address,
    kdf: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

/// A fresh random ed25519 key from the operating system's random source.
pub fn generate_key() -> Result<PrivateKey> {
    let seed = random::<SEED_LEN>()?;
    PrivateKey::decode(seed.as_slice()).map_err(|e| Error::Keystore(format!("seed: {e}")))
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut out = Zeroizing::new([0u8; N]);
    getrandom::fill(out.as_mut()).map_err(|e| Error::Random(e.to_string()))?;
    Ok(out)
}

fn decode_hex<const N: usize>(field: &str, s: &str) -> Result<[u8; N]> {
    let bytes = hex::decode(s).map_err(|e| Error::Keystore(format!("{field}: {e}")))?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| Error::Keystore(format!("{field}: expected {N} bytes, got {}", bytes.len())))
}

impl Keystore {
    /// Seals `key` under `password`. Fails only if the random source or the parameters do.
    pub fn encrypt(key: &PrivateKey, password: &[u8], params: KdfParams) -> Result<Self> {
        let salt = random::<SALT_LEN>()?;
        let nonce = random::<NONCE_LEN>()?;
        let mut ks = Self {
            version: VERSION,
            address: Address::of(key),
            kdf: KDF.into(),
            m_cost_kib: params.m_cost_kib,
            t_cost: params.t_cost,
            p_cost: params.p_cost,
            salt: hex::encode(salt.as_slice()),
            cipher: CIPHER.into(),
            nonce: hex::encode(nonce.as_slice()),
            ciphertext: String::new(),
        };
        let dk = params.derive(password, salt.as_slice())?;
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        key.write(&mut &mut seed[..]);
        let aad = ks.associated_data();
        let ct = XChaCha20Poly1305::new(dk.as_ref().into())
            .encrypt(
                XNonce::from_slice(nonce.as_slice()),
                Payload {
                    msg: seed.as_slice(),
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Keystore("encryption failed".into()))?;
        ks.ciphertext = hex::encode(ct);
        Ok(ks)
    }

    /// Opens the file with `password`. A wrong password gives [Error::WrongPassword]; a malformed
    /// or modified file gives [Error::Keystore] (or [Error::WrongPassword] when only the
    /// authenticated part was modified).
    pub fn decrypt(&self, password: &[u8]) -> Result<PrivateKey> {
        self.check_header()?;
        let salt: [u8; SALT_LEN] = decode_hex("salt", &self.salt)?;
        let nonce: [u8; NONCE_LEN] = decode_hex("nonce", &self.nonce)?;
        let ct: [u8; SEED_LEN + TAG_LEN] = decode_hex("ciphertext", &self.ciphertext)?;
        let dk = self.kdf_params().derive(password, &salt)?;
        let aad = self.associated_data();
        let seed = Zeroizing::new(
            XChaCha20Poly1305::new(dk.as_ref().into())
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &ct,
                        aad: &aad,
                    },
                )
                .map_err(|_| Error::WrongPassword)?,
        );
        let key = PrivateKey::decode(seed.as_slice())
            .map_err(|e| Error::Keystore(format!("seed: {e}")))?;
        if Address::of(&key) != self.address {
            return Err(Error::Keystore(
                "the decrypted key does not match the file's address".into(),
            ));
        }
        Ok(key)
    }

    /// The address the file claims (verified against the key by [Self::decrypt]).
    pub fn address(&self) -> &Address {
        &self.address
    }

    pub fn kdf_params(&self) -> KdfParams {
        KdfParams {
            m_cost_kib: self.m_cost_kib,
            t_cost: self.t_cost,
            p_cost: self.p_cost,
        }
    }

    /// Reads and validates (but does not decrypt) a key file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = fs::File::open(path)?;
        let mut text = String::new();
        file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(Error::Keystore(format!(
                "{} is larger than {MAX_FILE_BYTES} bytes",
                path.display()
            )));
        }
        Self::from_json(&text)
    }

    /// Parses and validates (but does not decrypt) the JSON text of a key file.
    pub fn from_json(text: &str) -> Result<Self> {
        let ks: Self = serde_json::from_str(text).map_err(|e| Error::Keystore(e.to_string()))?;
        ks.check_header()?;
        Ok(ks)
    }

    pub fn to_json(&self) -> String {
        // Serializing this struct of strings and integers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Writes the file with mode 0600. Refuses to replace an existing file unless `overwrite`
    /// (then the new file is written beside it and renamed over it).
    pub fn save(&self, path: impl AsRef<Path>, overwrite: bool) -> Result<()> {
        let path = path.as_ref();
        let mut text = self.to_json();
        text.push('\n');
        if !overwrite {
            let mut f = match create_private(path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::AlreadyExists(path.to_path_buf()))
                }
                other => other?,
            };
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            return Ok(());
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp-{}", std::process::id()));
        let tmp = std::path::PathBuf::from(tmp);
        let result = (|| {
            let mut f = create_private(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(result?)
    }

    fn check_header(&self) -> Result<()> {
        if self.version != VERSION {
            return Err(Error::Keystore(format!(
                "unsupported version {}",
                self.version
            )));
        }
        if self.kdf != KDF {
            return Err(Error::Keystore(format!("unsupported kdf {:?}", self.kdf)));
        }
        if self.cipher != CIPHER {
            return Err(Error::Keystore(format!(
                "unsupported cipher {:?}",
                self.cipher
            )));
        }
        self.kdf_params().argon2()?;
        decode_hex::<SALT_LEN>("salt", &self.salt)?;
        decode_hex::<NONCE_LEN>("nonce", &self.nonce)?;
        decode_hex::<{ SEED_LEN + TAG_LEN }>("ciphertext", &self.ciphertext)?;
        Ok(())
    }

    /// Everything but the nonce and ciphertext, authenticated by the cipher.
    fn associated_data(&self) -> Vec<u8> {
        format!(
            "gridledger-keystore|v{}|{}|{}|{}|{}|{}|{}|{}",
            self.version,
            self.address,
            self.kdf,
            self.m_cost_kib,
            self.t_cost,
            self.p_cost,
            self.salt.to_ascii_lowercase(),
            self.cipher
        )
        .into_bytes()
    }
}

fn create_private(path: &Path) -> std::io::Result<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Compares two byte strings in time that depends only on their lengths (passwords, tokens,
/// secrets): shared by the charging member service and the dashboard's portal.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridledger_types::Encode;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::decode([seed; 32].as_slice()).unwrap()
    }

    const FAST: KdfParams = KdfParams::insecure_for_tests();

    #[test]
    fn derivations_reuse_their_working_memory_and_keep_a_bounded_amount() {
        use crate::kdf_memory::{kept, MAX_SPARE};
        // Parameters no other test uses, so the kept memory of this size is this test's.
        let params = KdfParams {
            m_cost_kib: 24,
            ..FAST
        };
        let ks = Keystore::encrypt(&key(3), b"pw", params).unwrap();
        assert!((1..=MAX_SPARE).contains(&kept()));
        for _ in 0..5 {
            assert_eq!(ks.decrypt(b"pw").unwrap().encode(), key(3).encode());
            assert!(ks.decrypt(b"wrong").is_err());
        }
        // Twelve at once: the memory of at most MAX_SPARE derivations is kept afterwards.
        std::thread::scope(|s| {
            for i in 0..12 {
                let ks = &ks;
                s.spawn(move || assert!(ks.decrypt(b"pw").is_ok(), "{i}"));
            }
        });
        assert!((1..=MAX_SPARE).contains(&kept()));
    }

    #[test]
    fn round_trip() {
        let k = key(9);
        let ks = Keystore::encrypt(&k, b"correct horse", FAST).unwrap();
        assert_eq!(ks.address(), &Address::of(&k));
        let back = ks.decrypt(b"correct horse").unwrap();
        assert_eq!(back.encode(), k.encode());
        // Through JSON too.
        let parsed = Keystore::from_json(&ks.to_json()).unwrap();
        assert_eq!(parsed, ks);
        assert_eq!(
            parsed.decrypt(b"correct horse").unwrap().encode(),
            k.encode()
        );
    }

    #[test]
    fn default_params_round_trip() {
        let k = generate_key().unwrap();
        let ks = Keystore::encrypt(&k, b"pw", KdfParams::default()).unwrap();
        assert_eq!(ks.kdf_params(), KdfParams::default());
        assert_eq!(ks.m_cost_kib, 19_456);
        assert_eq!(ks.decrypt(b"pw").unwrap().encode(), k.encode());
    }

    #[test]
    fn json_has_the_documented_fields() {
        let ks = Keystore::encrypt(&key(1), b"pw", FAST).unwrap();
        let v: serde_json::Value = serde_json::from_str(&ks.to_json()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["kdf"], "argon2id");
        assert_eq!(v["cipher"], "xchacha20poly1305");
        assert_eq!(v["salt"].as_str().unwrap().len(), 32);
        assert_eq!(v["nonce"].as_str().unwrap().len(), 48);
        assert_eq!(v["ciphertext"].as_str().unwrap().len(), 2 * (32 + 16));
        assert_eq!(v["address"], Address::of(&key(1)).to_hex());
        // Never the seed in the clear.
        assert!(!ks.to_json().contains(&hex::encode([1u8; 32])));
    }

    #[test]
    fn wrong_password_is_an_error_not_a_panic() {
        let ks = Keystore::encrypt(&key(2), b"right", FAST).unwrap();
        assert!(matches!(ks.decrypt(b"wrong"), Err(Error::WrongPassword)));
        assert!(matches!(ks.decrypt(b""), Err(Error::WrongPassword)));
    }

    #[test]
    fn tampering_is_detected() {
        let k = key(3);
        let ks = Keystore::encrypt(&k, b"pw", FAST).unwrap();
        let flip = |s: &str| {
            let mut b = hex::decode(s).unwrap();
            b[0] ^= 1;
            hex::encode(b)
        };
        let mut t = ks.clone();
        t.ciphertext = flip(&ks.ciphertext);
        assert!(t.decrypt(b"pw").is_err());
        let mut t = ks.clone();
        t.nonce = flip(&ks.nonce);
        assert!(t.decrypt(b"pw").is_err());
        let mut t = ks.clone();
        t.salt = flip(&ks.salt);
        assert!(t.decrypt(b"pw").is_err());
        let mut t = ks.clone();
        t.t_cost += 1;
        assert!(t.decrypt(b"pw").is_err());
        // Claiming someone else's address.
        let mut t = ks.clone();
        t.address = Address::of(&key(4));
        assert!(t.decrypt(b"pw").is_err());
        // Truncated ciphertext, bad hex, bad version, unknown fields, absurd parameters.
        let mut t = ks.clone();
        t.ciphertext.truncate(10);
        assert!(matches!(t.decrypt(b"pw"), Err(Error::Keystore(_))));
        let mut t = ks.clone();
        t.nonce = "zz".repeat(24);
        assert!(matches!(t.decrypt(b"pw"), Err(Error::Keystore(_))));
        let mut t = ks.clone();
        t.version = 2;
        assert!(matches!(t.decrypt(b"pw"), Err(Error::Keystore(_))));
        let mut t = ks.clone();
        t.m_cost_kib = u32::MAX;
        assert!(matches!(t.decrypt(b"pw"), Err(Error::Keystore(_))));
        let mut v: serde_json::Value = serde_json::from_str(&ks.to_json()).unwrap();
        v["extra"] = 1.into();
        assert!(Keystore::from_json(&v.to_string()).is_err());
        assert!(Keystore::from_json("not json").is_err());
        // The untouched file still opens.
        assert_eq!(ks.decrypt(b"pw").unwrap().encode(), k.encode());
    }

    #[test]
    fn save_load_permissions_and_no_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let ks = Keystore::encrypt(&key(5), b"pw", FAST).unwrap();
        ks.save(&path, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(Keystore::load(&path).unwrap(), ks);
        // Refuses to overwrite...
        let other = Keystore::encrypt(&key(6), b"pw", FAST).unwrap();
        assert!(matches!(
            other.save(&path, false),
            Err(Error::AlreadyExists(_))
        ));
        assert_eq!(Keystore::load(&path).unwrap(), ks);
        // ...unless asked, and the replacement is private too.
        other.save(&path, true).unwrap();
        assert_eq!(Keystore::load(&path).unwrap(), other);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(Keystore::load(dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn generated_keys_differ() {
        let a = generate_key().unwrap();
        let b = generate_key().unwrap();
        assert_ne!(a.encode(), b.encode());
    }
}
