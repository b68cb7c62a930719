//! Field codecs for the generated tagged-enum codecs ([crate::tagged_enum]).
//!
//! A field of a table row is written, sized and read by a [FieldCodec]: [Plain] (its own
//! `Write`/`EncodeSize`/`Read` with no config) unless the row names another after `=>`, e.g.
//! `name: String => Text(TEXT_MAX_BYTES)` or `validators: Vec<ValidatorEntry> =>
//! VecMax(MAX_VALIDATORS)`. Reading never panics: every codec returns the codec's error.
mod tagged;

use crate::billing::{bytes_size, read_bytes, write_bytes};
use crate::codec_util::{read_string, string_size, write_string};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error, RangeCfg, Read, ReadExt, Write};

/// How one field of a tagged enum is written, sized and read.
pub trait FieldCodec<T> {
    fn write(&self, value: &T, buf: &mut impl BufMut);
    fn size(&self, value: &T) -> usize;
    fn read(&self, buf: &mut impl Buf) -> Result<T, Error>;
}

/// The field's own encoding; its `Read` takes no config (ids, amounts, records, `Option<T>`).
pub struct Plain;

impl<T: Write + EncodeSize + Read<Cfg = ()>> FieldCodec<T> for Plain {
    fn write(&self, value: &T, buf: &mut impl BufMut) {
        value.write(buf)
    }
    fn size(&self, value: &T) -> usize {
        value.encode_size()
    }
    fn read(&self, buf: &mut impl Buf) -> Result<T, Error> {
        T::read(buf)
    }
}

/// The field's own encoding, read with this config (e.g. a bounded collection's limits).
pub struct WithCfg<C>(pub C);

impl<C, T: Write + EncodeSize + Read<Cfg = C>> FieldCodec<T> for WithCfg<C> {
    fn write(&self, value: &T, buf: &mut impl BufMut) {
        value.write(buf)
    }
    fn size(&self, value: &T) -> usize {
        value.encode_size()
    }
    fn read(&self, buf: &mut impl Buf) -> Result<T, Error> {
        T::read_cfg(buf, &self.0)
    }
}

/// A `Vec` of at most this many items, each read with no config.
pub struct VecMax(pub usize);

impl<T: Write + EncodeSize + Read<Cfg = ()>> FieldCodec<Vec<T>> for VecMax {
    fn write(&self, value: &Vec<T>, buf: &mut impl BufMut) {
        value.write(buf)
    }
    fn size(&self, value: &Vec<T>) -> usize {
        value.encode_size()
    }
    fn read(&self, buf: &mut impl Buf) -> Result<Vec<T>, Error> {
        Vec::<T>::read_cfg(buf, &(RangeCfg::from(..=self.0), ()))
    }
}

/// A UTF-8 string of at most this many bytes ([write_string]).
pub struct Text(pub usize);

impl FieldCodec<String> for Text {
    fn write(&self, value: &String, buf: &mut impl BufMut) {
        write_string(value, buf)
    }
    fn size(&self, value: &String) -> usize {
        string_size(value)
    }
    fn read(&self, buf: &mut impl Buf) -> Result<String, Error> {
        read_string(buf, self.0)
    }
}

/// Raw bytes of at most this many (length-prefixed, like a tariff version).
pub struct Bytes(pub usize);

impl FieldCodec<Vec<u8>> for Bytes {
    fn write(&self, value: &Vec<u8>, buf: &mut impl BufMut) {
        write_bytes(value, buf)
    }
    fn size(&self, value: &Vec<u8>) -> usize {
        bytes_size(value)
    }
    fn read(&self, buf: &mut impl Buf) -> Result<Vec<u8>, Error> {
        read_bytes(buf, self.0)
    }
}

/// A signed amount as the 8 bytes of its two's complement (`i64 as u64`).
pub struct I64Bits;

impl FieldCodec<i64> for I64Bits {
    fn write(&self, value: &i64, buf: &mut impl BufMut) {
        (*value as u64).write(buf)
    }
    fn size(&self, _: &i64) -> usize {
        8
    }
    fn read(&self, buf: &mut impl Buf) -> Result<i64, Error> {
        Ok(u64::read(buf)? as i64)
    }
}

/// A boxed record (large state values), encoded as the record itself.
pub struct Boxed;

impl<T: Write + EncodeSize + Read<Cfg = ()>> FieldCodec<Box<T>> for Boxed {
    fn write(&self, value: &Box<T>, buf: &mut impl BufMut) {
        value.as_ref().write(buf)
    }
    fn size(&self, value: &Box<T>) -> usize {
        value.as_ref().encode_size()
    }
    fn read(&self, buf: &mut impl Buf) -> Result<Box<T>, Error> {
        Ok(Box::new(T::read(buf)?))
    }
}

/// Fails compilation (in a `const`) if a tag of a table is not a byte or two variants share one.
pub const fn assert_tags(tags: &[u32]) {
    let mut i = 0;
    while i < tags.len() {
        if tags[i] > u8::MAX as u32 {
            panic!("a tag of a tagged enum is not a byte (0 to 255)");
        }
        let mut j = i + 1;
        while j < tags.len() {
            if tags[i] == tags[j] {
                panic!("two variants of a tagged enum share a tag");
            }
            j += 1;
        }
        i += 1;
    }
}

/// What the generated code names; not for direct use.
#[doc(hidden)]
pub mod __private {
    pub use bytes::{Buf, BufMut};
    pub use commonware_codec::Error;
}
