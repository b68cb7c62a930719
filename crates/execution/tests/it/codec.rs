//! Storage decodes what execution wrote, and hostile bytes never panic.
use commonware_codec::{DecodeExt, Encode};
use gridledger_execution::test_utils::Chain;
use gridledger_execution::{StateKey, StateValue};
use proptest::prelude::*;

#[test]
pub fn every_key_and_value_of_a_real_state_round_trips() {
    let mut c = Chain::new(3);
    c.fund(0, 1_000);
    assert!(c.state.len() > 8);
    for (k, v) in &c.state {
        assert_eq!(&StateKey::decode(k.encode()).unwrap(), k);
        assert_eq!(&StateValue::decode(v.encode()).unwrap(), v);
    }
}

proptest! {
    #[test]
    fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = StateKey::decode(bytes.as_slice());
        let _ = StateValue::decode(bytes.as_slice());
    }

    #[test]
    fn mutated_encodings_never_panic_and_decoded_values_reencode_identically(
        which in 0usize..64, pos in 0usize..512, val in any::<u8>(), cut in 0usize..512,
    ) {
        let mut c = Chain::new(2);
        c.fund(1, 5);
        let entries: Vec<_> = c.state.iter().collect();
        let (k, v) = entries[which % entries.len()];
        for enc in [k.encode().to_vec(), v.encode().to_vec()] {
            let mut b = enc.clone();
            let i = pos % b.len();
            b[i] = val;
            b.truncate(cut.max(1));
            // Canonical: anything that decodes encodes back to the same bytes.
            if let Ok(x) = StateKey::decode(b.as_slice()) {
                prop_assert_eq!(x.encode().to_vec(), b.clone());
            }
            if let Ok(x) = StateValue::decode(b.as_slice()) {
                prop_assert_eq!(x.encode().to_vec(), b.clone());
            }
        }
    }
}
