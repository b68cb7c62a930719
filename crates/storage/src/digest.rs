//! The state digest: one 32-byte value in `meta` that sums every row of the `state` table, so the
//! node can check the whole state it loads at start against what its commits wrote.
//!
//! `digest = Σ SHA-256("GRIDLEDGER_STATE_ROW_V1" ‖ len(key) u32 BE ‖ key ‖ value) mod 2^256` over
//! all rows. A sum is order-free and can be updated per write: inserting a row adds its term,
//! replacing one subtracts the old term and adds the new, deleting subtracts. So keeping it costs
//! one hash per state write, in the block's own write transaction.
//!
//! It detects accidental damage (a flipped bit, a lost or duplicated row, a stale page): any such
//! change moves the sum unless it happens to cancel out, with odds of about 2^-256. It is not a
//! commitment against someone who can write the file: they can rewrite the digest too.

use sha2::{Digest as _, Sha256};

const DOMAIN: &[u8] = b"GRIDLEDGER_STATE_ROW_V1";

/// A 256-bit sum as four 64-bit limbs, most significant first (so the bytes are big-endian).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StateDigest([u64; 4]);

impl StateDigest {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Self {
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            *limb = u64::from_be_bytes(raw);
        }
        Self(limbs)
    }

    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// Adds the term of row `key -> value`.
    pub(crate) fn add_row(&mut self, key: &[u8], value: &[u8]) {
        let term = row_term(key, value);
        let mut carry = false;
        for i in (0..4).rev() {
            let (s, c1) = self.0[i].overflowing_add(term.0[i]);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            self.0[i] = s;
            carry = c1 || c2;
        }
    }

    /// Subtracts the term of row `key -> value` (a row that is replaced or deleted).
    pub(crate) fn remove_row(&mut self, key: &[u8], value: &[u8]) {
        let term = row_term(key, value);
        let mut borrow = false;
        for i in (0..4).rev() {
            let (d, b1) = self.0[i].overflowing_sub(term.0[i]);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            self.0[i] = d;
            borrow = b1 || b2;
        }
    }
}

fn row_term(key: &[u8], value: &[u8]) -> StateDigest {
    // State keys are short encodings; a key beyond u32::MAX bytes cannot be stored by redb anyway.
    let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
    let hash: [u8; 32] = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(len.to_be_bytes())
        .chain_update(key)
        .chain_update(value)
        .finalize()
        .into();
    StateDigest::from_bytes(&hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(rows: &[(&[u8], &[u8])]) -> StateDigest {
        let mut d = StateDigest::default();
        for (k, v) in rows {
            d.add_row(k, v);
        }
        d
    }

    #[test]
    fn order_free_and_updatable() {
        let a = of(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]);
        assert_eq!(a, of(&[(b"c", b"3"), (b"a", b"1"), (b"b", b"2")]));
        // Replace b's value, delete c: the same as summing the final rows.
        let mut d = a;
        d.remove_row(b"b", b"2");
        d.add_row(b"b", b"9");
        d.remove_row(b"c", b"3");
        assert_eq!(d, of(&[(b"a", b"1"), (b"b", b"9")]));
        // Removing everything gets back to zero (carries and borrows wrap mod 2^256).
        d.remove_row(b"a", b"1");
        d.remove_row(b"b", b"9");
        assert_eq!(d, StateDigest::default());
    }

    #[test]
    fn the_key_value_split_matters() {
        // "ab" -> "c" and "a" -> "bc" hash differently thanks to the length prefix.
        assert_ne!(of(&[(b"ab", b"c")]), of(&[(b"a", b"bc")]));
        assert_ne!(of(&[(b"a", b"1")]), of(&[(b"a", b"2")]));
    }

    #[test]
    fn bytes_round_trip_big_endian() {
        let mut raw = [0u8; 32];
        raw[31] = 1;
        raw[0] = 0x80;
        let d = StateDigest::from_bytes(&raw);
        assert_eq!(d.0[3], 1);
        assert_eq!(d.0[0], 0x80 << 56);
        assert_eq!(d.to_bytes(), raw);
    }
}
