//! Byte encodings of the rows the store writes (see the crate docs for the table layout).
//!
//! Every decoder checks lengths and returns [`Error::Corrupt`] instead of panicking.

use crate::{Error, Head, StoredTx, TxLocation};

/// Length of an encoded [`Head`]: height (8) ‖ block hash (32) ‖ state root (32) ‖ timestamp (8).
pub(crate) const HEAD_LEN: usize = 8 + 32 + 32 + 8;
/// Length of an `account_txs` key: address (32) ‖ height (8) ‖ index (4).
pub(crate) const ACCOUNT_KEY_LEN: usize = 32 + 8 + 4;
/// Fixed part of a `txs` value: height (8) ‖ index (4) ‖ tx length (4).
const TX_HEADER_LEN: usize = 8 + 4 + 4;

fn corrupt(table: &'static str, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        table,
        detail: detail.into(),
    }
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_be_bytes(raw))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(raw))
}

fn hash_at(bytes: &[u8], at: usize) -> Option<[u8; 32]> {
    bytes.get(at..at + 32)?.try_into().ok()
}

pub(crate) fn encode_head(head: &Head) -> [u8; HEAD_LEN] {
    let mut out = [0u8; HEAD_LEN];
    out[0..8].copy_from_slice(&head.height.to_be_bytes());
    out[8..40].copy_from_slice(&head.block_hash);
    out[40..72].copy_from_slice(&head.state_root);
    out[72..80].copy_from_slice(&head.timestamp_ms.to_be_bytes());
    out
}

pub(crate) fn decode_head(bytes: &[u8]) -> Result<Head, Error> {
    if bytes.len() != HEAD_LEN {
        return Err(corrupt(
            "meta",
            format!("head is {} bytes, expected {HEAD_LEN}", bytes.len()),
        ));
    }
    let bad = || corrupt("meta", "head truncated");
    Ok(Head {
        height: u64_at(bytes, 0).ok_or_else(bad)?,
        block_hash: hash_at(bytes, 8).ok_or_else(bad)?,
        state_root: hash_at(bytes, 40).ok_or_else(bad)?,
        timestamp_ms: u64_at(bytes, 72).ok_or_else(bad)?,
    })
}

pub(crate) fn decode_hash(table: &'static str, bytes: &[u8]) -> Result<[u8; 32], Error> {
    bytes
        .try_into()
        .map_err(|_| corrupt(table, format!("hash is {} bytes, expected 32", bytes.len())))
}

/// `txs` value: height BE ‖ index BE ‖ tx length (u32 BE) ‖ tx ‖ receipt (the rest).
pub(crate) fn encode_tx(
    height: u64,
    index: u32,
    tx: &[u8],
    receipt: &[u8],
) -> Result<Vec<u8>, Error> {
    let tx_len = u32::try_from(tx.len()).map_err(|_| Error::TooLarge {
        what: "transaction",
        len: tx.len(),
    })?;
    let mut out = Vec::with_capacity(TX_HEADER_LEN + tx.len() + receipt.len());
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&index.to_be_bytes());
    out.extend_from_slice(&tx_len.to_be_bytes());
    out.extend_from_slice(tx);
    out.extend_from_slice(receipt);
    Ok(out)
}

pub(crate) fn decode_tx(bytes: &[u8]) -> Result<StoredTx, Error> {
    let bad = || {
        corrupt(
            "txs",
            format!("tx row of {} bytes is truncated", bytes.len()),
        )
    };
    let height = u64_at(bytes, 0).ok_or_else(bad)?;
    let index = u32_at(bytes, 8).ok_or_else(bad)?;
    let tx_len = u32_at(bytes, 12).ok_or_else(bad)? as usize;
    let tx_end = TX_HEADER_LEN.checked_add(tx_len).ok_or_else(bad)?;
    let tx = bytes.get(TX_HEADER_LEN..tx_end).ok_or_else(bad)?.to_vec();
    let receipt = bytes.get(tx_end..).ok_or_else(bad)?.to_vec();
    Ok(StoredTx {
        height,
        index,
        tx,
        receipt,
    })
}

/// `account_txs` key: address ‖ height BE ‖ index BE. Big-endian so byte order is (height, index) order.
pub(crate) fn account_key(account: &[u8; 32], height: u64, index: u32) -> [u8; ACCOUNT_KEY_LEN] {
    let mut out = [0u8; ACCOUNT_KEY_LEN];
    out[0..32].copy_from_slice(account);
    out[32..40].copy_from_slice(&height.to_be_bytes());
    out[40..44].copy_from_slice(&index.to_be_bytes());
    out
}

pub(crate) fn decode_account_row(key: &[u8], value: &[u8]) -> Result<TxLocation, Error> {
    if key.len() != ACCOUNT_KEY_LEN {
        return Err(corrupt(
            "account_txs",
            format!("key is {} bytes, expected {ACCOUNT_KEY_LEN}", key.len()),
        ));
    }
    let bad = || corrupt("account_txs", "key truncated");
    Ok(TxLocation {
        height: u64_at(key, 32).ok_or_else(bad)?,
        index: u32_at(key, 40).ok_or_else(bad)?,
        hash: decode_hash("account_txs", value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_round_trip_and_bad_length() {
        let head = Head {
            height: 7,
            block_hash: [1; 32],
            state_root: [2; 32],
            timestamp_ms: 1_700_000_000_000,
        };
        assert_eq!(decode_head(&encode_head(&head)).unwrap(), head);
        assert!(matches!(
            decode_head(&encode_head(&head)[..79]),
            Err(Error::Corrupt { table: "meta", .. })
        ));
    }

    #[test]
    fn tx_round_trip_and_truncation() {
        let row = encode_tx(9, 3, b"txbytes", b"rcpt").unwrap();
        let got = decode_tx(&row).unwrap();
        assert_eq!(
            got,
            StoredTx {
                height: 9,
                index: 3,
                tx: b"txbytes".to_vec(),
                receipt: b"rcpt".to_vec()
            }
        );
        // Empty receipt is fine; a cut inside the tx is not.
        let row = encode_tx(1, 0, b"abc", b"").unwrap();
        assert_eq!(decode_tx(&row).unwrap().receipt, Vec::<u8>::new());
        for cut in 0..row.len() {
            assert!(
                matches!(
                    decode_tx(&row[..cut]),
                    Err(Error::Corrupt { table: "txs", .. })
                ),
                "cut at {cut}"
            );
        }
        // A length prefix that points past the end is corrupt, not a panic.
        let mut lying = encode_tx(1, 0, b"abc", b"").unwrap();
        lying[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode_tx(&lying).is_err());
    }

    #[test]
    fn account_keys_sort_by_height_then_index() {
        let a = [5u8; 32];
        assert!(account_key(&a, 1, u32::MAX) < account_key(&a, 2, 0));
        assert!(account_key(&a, 2, 0) < account_key(&a, 2, 1));
        assert!(account_key(&a, u64::MAX, u32::MAX) < account_key(&[6u8; 32], 0, 0));
        let loc = decode_account_row(&account_key(&a, 3, 4), &[9; 32]).unwrap();
        assert_eq!((loc.height, loc.index, loc.hash), (3, 4, [9; 32]));
        assert!(decode_account_row(&account_key(&a, 3, 4)[..43], &[9; 32]).is_err());
        assert!(decode_account_row(&account_key(&a, 3, 4), &[9; 31]).is_err());
    }
}
