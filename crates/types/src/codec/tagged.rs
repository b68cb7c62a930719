//! `tagged_enum!`: an enum with data and its canonical codec from one table.
//!
//! Each row is `tag => Variant` with its fields, struct-like (`{ name: Type, .. }`), tuple
//! (`(Type, ..)`) or none; a field's [FieldCodec](crate::codec::FieldCodec) follows `=>` when
//! it is not [Plain](crate::codec::Plain). The macro defines the enum (attributes and docs kept)
//! and generates `Write` (the tag byte, then each field in table order), `EncodeSize`, `Read`
//! (`Cfg = ()`; an unknown tag is `InvalidEnum(tag)`), `TAGS` and `tag()`. Each tag number is
//! typed once; two rows with one tag, or a tag above 255, do not compile.
//!
//! ```
//! use gridledger_types::codec::{Text, VecMax};
//! use gridledger_types::{tagged_enum, Address, DecodeExt, Encode, MarketId};
//!
//! tagged_enum! {
//!     /// A made-up record key.
//!     #[derive(Clone, Debug, PartialEq, Eq)]
//!     pub enum Key {
//!         0 => Supply,
//!         1 => Account(Address),
//!         2 => Period(MarketId, u64),
//!         3 => Note { author: Address, text: String => Text(64), tags: Vec<u32> => VecMax(4) },
//!     }
//! }
//!
//! let k = Key::Period(MarketId::new("monthly").unwrap(), 7);
//! assert_eq!(k.tag(), 2);
//! assert_eq!(Key::decode(k.encode()).unwrap(), k);
//! assert!(Key::decode([9u8].as_slice()).is_err()); // unknown tag: InvalidEnum(9)
//! ```
#[macro_export]
macro_rules! tagged_enum {
    // Every row parsed: emit the enum and its codec.
    (@munch $head:tt $rows:tt) => {
        $crate::tagged_enum!(@emit $head $rows);
    };
    // A struct-like row.
    (@munch $head:tt [$($rows:tt)*]
        $(#[$vmeta:meta])* $tag:literal => $variant:ident {
            $($(#[$fmeta:meta])* $field:ident : $fty:ty $(=> $fcodec:expr)?),* $(,)?
        }
        $(, $($rest:tt)*)?
    ) => {
        $crate::tagged_enum!(@munch $head [$($rows)* {
            [$(#[$vmeta])*] [$variant { $($(#[$fmeta])* $field: $fty),* }] $tag $variant
            [$($field : $field : [$fty] [$($fcodec)?])*]
        }] $($($rest)*)?);
    };
    // A tuple row: its fields get the binding names of the pool, in order.
    (@munch $head:tt $rows:tt
        $(#[$vmeta:meta])* $tag:literal => $variant:ident (
            $($tty:ty $(=> $tcodec:expr)?),* $(,)?
        )
        $(, $($rest:tt)*)?
    ) => {
        $crate::tagged_enum!(@tuple $head $rows
            [[$(#[$vmeta])*] [$variant ($($tty),*)] $tag $variant]
            []
            [(0 __f0) (1 __f1) (2 __f2) (3 __f3) (4 __f4) (5 __f5) (6 __f6) (7 __f7)
             (8 __f8) (9 __f9) (10 __f10) (11 __f11) (12 __f12) (13 __f13) (14 __f14) (15 __f15)]
            [$([$tty] [$($tcodec)?])*]
            $($($rest)*)?);
    };
    // A row without fields.
    (@munch $head:tt [$($rows:tt)*]
        $(#[$vmeta:meta])* $tag:literal => $variant:ident
        $(, $($rest:tt)*)?
    ) => {
        $crate::tagged_enum!(@munch $head [$($rows)* {
            [$(#[$vmeta])*] [$variant] $tag $variant []
        }] $($($rest)*)?);
    };
    (@tuple $head:tt $rows:tt $row:tt [$($fields:tt)*] [($index:tt $bind:ident) $($pool:tt)*]
        [[$ty:ty] $codec:tt $($more:tt)*] $($rest:tt)*
    ) => {
        $crate::tagged_enum!(@tuple $head $rows $row [$($fields)* $index : $bind : [$ty] $codec]
            [$($pool)*] [$($more)*] $($rest)*);
    };
    (@tuple $head:tt [$($rows:tt)*] [$($row:tt)*] $fields:tt $pool:tt [] $($rest:tt)*) => {
        $crate::tagged_enum!(@munch $head [$($rows)* { $($row)* $fields }] $($rest)*);
    };
    (@codec) => { $crate::codec::Plain };
    (@codec $codec:expr) => { $codec };
    (@emit [$(#[$meta:meta])* $vis:vis enum $name:ident] [$({
        [$($vattr:tt)*] [$($def:tt)*] $tag:literal $variant:ident
        [$($key:tt : $bind:ident : [$fty:ty] [$($codec:expr)?])*]
    })*]) => {
        $(#[$meta])*
        $vis enum $name {
            $($($vattr)* $($def)*,)*
        }

        impl $name {
            /// Every tag, in table order.
            pub const TAGS: &'static [u8] = &[$($tag),*];

            /// This value's tag: the first byte of its encoding.
            pub fn tag(&self) -> u8 {
                match self {
                    $(Self::$variant { .. } => $tag,)*
                }
            }
        }

        const _: () = $crate::codec::assert_unique_tags($name::TAGS);

        impl $crate::Write for $name {
            fn write(&self, buf: &mut impl $crate::codec::__private::BufMut) {
                match self {
                    $(Self::$variant { $($key: $bind),* } => {
                        let tag: u8 = $tag;
                        $crate::Write::write(&tag, buf);
                        $($crate::codec::FieldCodec::<$fty>::write(
                            &$crate::tagged_enum!(@codec $($codec)?),
                            $bind,
                            buf,
                        );)*
                    })*
                }
            }
        }

        impl $crate::EncodeSize for $name {
            fn encode_size(&self) -> usize {
                1 + match self {
                    $(Self::$variant { $($key: $bind),* } => {
                        0 $(+ $crate::codec::FieldCodec::<$fty>::size(
                            &$crate::tagged_enum!(@codec $($codec)?),
                            $bind,
                        ))*
                    })*
                }
            }
        }

        impl $crate::Read for $name {
            type Cfg = ();
            #[allow(clippy::init_numbered_fields)]
            fn read_cfg(
                buf: &mut impl $crate::codec::__private::Buf,
                _: &(),
            ) -> Result<Self, $crate::codec::__private::Error> {
                let tag = <u8 as $crate::ReadExt>::read(buf)?;
                Ok(match tag {
                    $($tag => Self::$variant {
                        $($key: $crate::codec::FieldCodec::<$fty>::read(
                            &$crate::tagged_enum!(@codec $($codec)?),
                            buf,
                        )?),*
                    },)*
                    other => return Err($crate::codec::__private::Error::InvalidEnum(other)),
                })
            }
        }
    };
    // Entry: the enum's attributes, then its table.
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($body:tt)* }) => {
        $crate::tagged_enum!(@munch [$(#[$meta])* $vis enum $name] [] $($body)*);
    };
}

#[cfg(test)]
mod tests {
    use crate::codec::{Boxed, I64Bits, Text, VecMax, WithCfg};
    use crate::{Address, DecodeExt, Encode, EncodeSize, MarketId, PrivateKey};
    use commonware_codec::RangeCfg;
    use proptest::prelude::*;

    crate::tagged_enum! {
        #[derive(Clone, Debug, PartialEq, Eq)]
        enum Sample {
            0 => Empty,
            7 => Pair(MarketId, u64),
            3 => Boxed(Box<Address> => Boxed),
            200 => Named {
                delta: i64 => I64Bits,
                note: String => Text(8),
                items: Vec<u16> => VecMax(3),
                bytes: Vec<u8> => WithCfg((RangeCfg::from(..=4), ())),
                maybe: Option<u32>,
            },
        }
    }

    fn addr() -> Address {
        Address::of(&PrivateKey::decode([3u8; 32].as_slice()).unwrap())
    }

    fn named() -> Sample {
        Sample::Named {
            delta: -2,
            note: "hi".into(),
            items: vec![1, 2],
            bytes: vec![9],
            maybe: Some(5),
        }
    }

    #[test]
    fn rows_of_every_shape_encode_tag_then_fields_in_order() {
        assert_eq!(Sample::Empty.encode().as_ref(), [0u8]);
        let pair = Sample::Pair(MarketId::new("m").unwrap(), 1);
        assert_eq!(hex::encode(pair.encode()), "07016d0000000000000001");
        let named = named();
        assert_eq!(
            hex::encode(named.encode()),
            "c8fffffffffffffffe026869020001000201090100000005"
        );
        let boxed = Sample::Boxed(Box::new(addr()));
        assert_eq!(boxed.encode()[0], 3);
        for v in [Sample::Empty, pair, named, boxed] {
            assert_eq!(v.encode().len(), v.encode_size());
            assert_eq!(Sample::decode(v.encode()).unwrap(), v);
            assert_eq!(v.encode()[0], v.tag());
        }
        assert_eq!(Sample::TAGS, &[0, 7, 3, 200]);
    }

    #[test]
    fn unknown_tags_and_limits_are_errors() {
        assert!(matches!(
            Sample::decode([1u8].as_slice()),
            Err(commonware_codec::Error::InvalidEnum(1))
        ));
        // A text one byte over its limit, a list over its limit, and a cut-off value.
        let mut long = named();
        if let Sample::Named { note, .. } = &mut long {
            *note = "x".repeat(9);
        }
        assert!(Sample::decode(long.encode()).is_err());
        let mut many = named();
        if let Sample::Named { items, .. } = &mut many {
            *items = vec![1, 2, 3, 4];
        }
        assert!(Sample::decode(many.encode()).is_err());
        let cut = named().encode();
        assert!(Sample::decode(&cut[..cut.len() - 1]).is_err());
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Sample::decode(bytes.as_slice());
        }
    }
}
