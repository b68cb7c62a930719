//! Bounded UTF-8 strings for the canonical encoding.
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error, RangeCfg, Read, Write};

/// Writes a string as a length-prefixed byte sequence.
pub fn write_string(s: &str, buf: &mut impl BufMut) {
    s.len().write(buf);
    buf.put_slice(s.as_bytes());
}

/// Encoded size of [write_string].
pub fn string_size(s: &str) -> usize {
    s.len().encode_size() + s.len()
}

/// Reads a string of at most `max` bytes that must be valid UTF-8.
pub fn read_string(buf: &mut impl Buf, max: usize) -> Result<String, Error> {
    let len = usize::read_cfg(buf, &RangeCfg::from(..=max))?;
    if buf.remaining() < len {
        return Err(Error::EndOfBuffer);
    }
    let mut bytes = vec![0u8; len];
    buf.copy_to_slice(&mut bytes);
    String::from_utf8(bytes).map_err(|_| Error::Invalid("string", "not utf-8"))
}
