//! Golden bytes of `TxStatus` (every variant), and of a whole receipt and a whole signed
//! transaction (the envelopes around the tagged enums).
use super::{addr, check, check_next_tag_unknown, check_table, hash, key};
use gridledger_types::{ChainId, Event, MilliWon, Payload, Receipt, Transaction, TxStatus};

const COUNT: u8 = 2;

/// Exhaustive: a new variant does not compile until it is listed here with its tag.
fn tag_of(s: &TxStatus) -> u8 {
    match s {
        TxStatus::Success => 0,
        TxStatus::Failed { .. } => 1,
    }
}

fn cases() -> Vec<(TxStatus, &'static str)> {
    vec![
        (TxStatus::Success, "00"),
        (
            TxStatus::Failed {
                code: "insufficient_balance".into(),
                message: "needs 5000 mWon, has 3000".into(),
            },
            "0114696e73756666696369656e745f62616c616e6365196e656564732035303030206d576f6e2c206861732033303030",
        ),
    ]
}

#[test]
fn tx_status_golden_bytes_of_every_variant() {
    check_table(&cases(), tag_of, COUNT, TxStatus::TAGS);
}

#[test]
fn tx_status_next_tag_is_unknown() {
    check_next_tag_unknown::<TxStatus>(COUNT);
}

#[test]
fn receipt_golden_bytes() {
    let receipt = Receipt {
        tx_hash: hash("tx"),
        height: 42,
        index: 3,
        status: TxStatus::Success,
        events: vec![
            Event::Transferred {
                from: addr(1),
                to: addr(2),
                amount: MilliWon(1_200_000),
            },
            Event::BillsIssued {
                month: 202605,
                sites: 15,
                done: false,
            },
        ],
    };
    check("receipt", &receipt, "1b5b9ccb3e8d006a5230de9bda23ff91edc794d4f56410560830b418528e446c000000000000002a000000030002068a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3940000000000124f80180003176d0000000f00");
}

#[test]
fn signed_transaction_golden_bytes() {
    let signer = key(1);
    let tx = Transaction {
        chain_id: ChainId::new("gridledger-devnet").unwrap(),
        signer: gridledger_types::Address::of(&signer),
        nonce: 7,
        expires_at_ms: 1_780_000_000_000,
        payload: Payload::Transfer {
            to: addr(2),
            amount: MilliWon(1_200_000),
            memo: "May surplus".into(),
        },
    }
    .sign(&signer);
    assert!(tx.verify_signature());
    check("signed transaction", &tx, "11677269646c65646765722d6465766e65748a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c00000000000000070000019e70448800068139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3940000000000124f800b4d617920737572706c7573aedbbfdc431da0af7e48c533a25604355d6399cb217fe51d35d05bdfc18482f7290460fcd4a0cd979f08f0863069585f6feb421ca59d8bbb5a328fc183bf4b01");
}
