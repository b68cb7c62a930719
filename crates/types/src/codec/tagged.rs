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
//!
//! Two rows with one tag do not compile:
//! ```compile_fail
//! gridledger_types::tagged_enum! {
//!     pub enum Key { 0 => Supply, 1 => Account(gridledger_types::Address), 1 => Other }
//! }
//! ```
//! Nor does a tag that is not a byte:
//! ```compile_fail
//! gridledger_types::tagged_enum! {
//!     pub enum Key { 0 => Supply, 256 => Account(gridledger_types::Address) }
//! }
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
    // Tuple rows of one to four fields, in one step each (so that a long table stays far from
    // the recursion limit); longer ones go field by field below.
    (@munch $head:tt [$($rows:tt)*]
        $(#[$vmeta:meta])* $tag:literal => $variant:ident ($t0:ty $(=> $c0:expr)? $(,)?)
        $(, $($rest:tt)*)?
    ) => {
        $crate::tagged_enum!(@munch $head [$($rows)* {
            [$(#[$vmeta])*] [$variant ($t0)] $tag $variant [0 : __f0 : [$t0] [$($c0)?]]
        }] $($($rest)*)?);
    };
    (@munch $head:tt [$($rows:tt)*]
        $(#[$vmeta:meta])* $tag:literal => $variant:ident ($t0:ty $(=> $c0:expr)?, $t1:ty $(=> $c1:expr)? $(,)?)
        $(, $($rest:tt)*)?
    ) => {
        $crate::tagged_enum!(@munch $head [$($rows)* {
            [$(#[$vmeta])*] [$variant ($t0, $t1)] $tag $variant [0 : __f0 : [$t0] [$($c0)?] 1 : __f1 : [$t1] [$($c1)?]]
        }] $($($rest)*)?);
    };
    (@munch $head:tt [$($rows:tt)*]
        $(#[$vmeta:meta])* $tag:literal => $variant:ident ($t0:ty $(=> $c0:expr)?, $t1:ty $(=> $c1:expr)?, $t2:ty $(=> $c2:expr)? $(,)?)
        $(, $($rest:tt)*)?
    ) => {
        $crate::tagged_enum!(@munch $head [$($rows)* {
            [$(#[$vmeta])*] [$variant ($t0, $t1, $t2)] $tag $variant [0 : __f0 : [$t0] [$($c0)?] 1 : __f1 : [$t1] [$($c1)?] 2 : __f2 : [$t2] [$($c2)?]]
        }] $($($rest)*)?);
    };
    (@munch $head:tt [$($rows:tt)*]
        $(#[$vmeta:meta])* $tag:literal => $variant:ident ($t0:ty $(=> $c0:expr)?, $t1:ty $(=> $c1:expr)?, $t2:ty $(=> $c2:expr)?, $t3:ty $(=> $c3:expr)? $(,)?)
        $(, $($rest:tt)*)?
    ) => {
        $crate::tagged_enum!(@munch $head [$($rows)* {
            [$(#[$vmeta])*] [$variant ($t0, $t1, $t2, $t3)] $tag $variant [0 : __f0 : [$t0] [$($c0)?] 1 : __f1 : [$t1] [$($c1)?] 2 : __f2 : [$t2] [$($c2)?] 3 : __f3 : [$t3] [$($c3)?]]
        }] $($($rest)*)?);
    };
    // A longer tuple row: its fields get the binding names of the pool, in order.
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

        // Generated for every table; a crate may use neither.
        #[allow(dead_code)]
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

        const _: () = $crate::codec::assert_tags(&[$($tag as u32),*]);

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
            9 => Wide(u8, u16, u32, u64, bool, Option<u8>),
            200 => Named {
                delta: i64 => I64Bits,
                note: String => Text(8),
                items: Vec<u16> => VecMax(3),
                bytes: Vec<u8> => WithCfg((RangeCfg::from(..=4), ())),
                maybe: Option<u32>,
            },
        }
    }

    // A long table of three-field tuple rows stays within the default recursion limit.
    crate::tagged_enum! {
        #[derive(Debug, PartialEq)]
        enum Long {
            0 => R0(MarketId, u64, u32),
            1 => R1(MarketId, u64, u32),
            2 => R2(MarketId, u64, u32),
            3 => R3(MarketId, u64, u32),
            4 => R4(MarketId, u64, u32),
            5 => R5(MarketId, u64, u32),
            6 => R6(MarketId, u64, u32),
            7 => R7(MarketId, u64, u32),
            8 => R8(MarketId, u64, u32),
            9 => R9(MarketId, u64, u32),
            10 => R10(MarketId, u64, u32),
            11 => R11(MarketId, u64, u32),
            12 => R12(MarketId, u64, u32),
            13 => R13(MarketId, u64, u32),
            14 => R14(MarketId, u64, u32),
            15 => R15(MarketId, u64, u32),
            16 => R16(MarketId, u64, u32),
            17 => R17(MarketId, u64, u32),
            18 => R18(MarketId, u64, u32),
            19 => R19(MarketId, u64, u32),
            20 => R20(MarketId, u64, u32),
            21 => R21(MarketId, u64, u32),
            22 => R22(MarketId, u64, u32),
            23 => R23(MarketId, u64, u32),
            24 => R24(MarketId, u64, u32),
            25 => R25(MarketId, u64, u32),
            26 => R26(MarketId, u64, u32),
            27 => R27(MarketId, u64, u32),
            28 => R28(MarketId, u64, u32),
            29 => R29(MarketId, u64, u32),
            30 => R30(MarketId, u64, u32),
            31 => R31(MarketId, u64, u32),
            32 => R32(MarketId, u64, u32),
            33 => R33(MarketId, u64, u32),
            34 => R34(MarketId, u64, u32),
            35 => R35(MarketId, u64, u32),
            36 => R36(MarketId, u64, u32),
            37 => R37(MarketId, u64, u32),
            38 => R38(MarketId, u64, u32),
            39 => R39(MarketId, u64, u32),
            40 => R40(MarketId, u64, u32),
            41 => R41(MarketId, u64, u32),
            42 => R42(MarketId, u64, u32),
            43 => R43(MarketId, u64, u32),
            44 => R44(MarketId, u64, u32),
            45 => R45(MarketId, u64, u32),
            46 => R46(MarketId, u64, u32),
            47 => R47(MarketId, u64, u32),
            48 => R48(MarketId, u64, u32),
            49 => R49(MarketId, u64, u32),
            50 => R50(MarketId, u64, u32),
            51 => R51(MarketId, u64, u32),
            52 => R52(MarketId, u64, u32),
            53 => R53(MarketId, u64, u32),
            54 => R54(MarketId, u64, u32),
            55 => R55(MarketId, u64, u32),
            56 => R56(MarketId, u64, u32),
            57 => R57(MarketId, u64, u32),
            58 => R58(MarketId, u64, u32),
            59 => R59(MarketId, u64, u32),
            60 => R60(MarketId, u64, u32),
            61 => R61(MarketId, u64, u32),
            62 => R62(MarketId, u64, u32),
            63 => R63(MarketId, u64, u32),
            64 => R64(MarketId, u64, u32),
            65 => R65(MarketId, u64, u32),
            66 => R66(MarketId, u64, u32),
            67 => R67(MarketId, u64, u32),
            68 => R68(MarketId, u64, u32),
            69 => R69(MarketId, u64, u32),
            70 => R70(MarketId, u64, u32),
            71 => R71(MarketId, u64, u32),
            72 => R72(MarketId, u64, u32),
            73 => R73(MarketId, u64, u32),
            74 => R74(MarketId, u64, u32),
            75 => R75(MarketId, u64, u32),
            76 => R76(MarketId, u64, u32),
            77 => R77(MarketId, u64, u32),
            78 => R78(MarketId, u64, u32),
            79 => R79(MarketId, u64, u32),
            80 => R80(MarketId, u64, u32),
            81 => R81(MarketId, u64, u32),
            82 => R82(MarketId, u64, u32),
            83 => R83(MarketId, u64, u32),
            84 => R84(MarketId, u64, u32),
            85 => R85(MarketId, u64, u32),
            86 => R86(MarketId, u64, u32),
            87 => R87(MarketId, u64, u32),
            88 => R88(MarketId, u64, u32),
            89 => R89(MarketId, u64, u32),
            90 => R90(MarketId, u64, u32),
            91 => R91(MarketId, u64, u32),
            92 => R92(MarketId, u64, u32),
            93 => R93(MarketId, u64, u32),
            94 => R94(MarketId, u64, u32),
            95 => R95(MarketId, u64, u32),
            96 => R96(MarketId, u64, u32),
            97 => R97(MarketId, u64, u32),
            98 => R98(MarketId, u64, u32),
            99 => R99(MarketId, u64, u32),
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
        let wide = Sample::Wide(1, 2, 3, 4, true, None);
        assert_eq!(
            hex::encode(wide.encode()),
            "090100020000000300000000000000040100"
        );
        for v in [Sample::Empty, pair, named, boxed, wide] {
            assert_eq!(v.encode().len(), v.encode_size());
            assert_eq!(Sample::decode(v.encode()).unwrap(), v);
            assert_eq!(v.encode()[0], v.tag());
        }
        assert_eq!(Sample::TAGS, &[0, 7, 3, 9, 200]);
        let last = Long::R99(MarketId::new("m").unwrap(), 5, 6);
        assert_eq!(Long::decode(last.encode()).unwrap(), last);
        assert_eq!(Long::TAGS.len(), 100);
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
