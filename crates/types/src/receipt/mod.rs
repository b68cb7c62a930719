//! Receipts: the outcome of each transaction with the events it caused.
mod event;

pub use event::Event;

use crate::{codec::Text, Hash32, TEXT_MAX_BYTES};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, RangeCfg, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};

/// Most events one receipt may carry.
pub const RECEIPT_MAX_EVENTS: usize = 1_024;

crate::tagged_enum! {
    /// Whether a transaction took effect. A failed transaction changes nothing but its signer's
    /// nonce.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(tag = "status", rename_all = "snake_case")]
    pub enum TxStatus {
        0 => Success,
        /// `code` is stable (machine-readable); `message` says exactly why.
        1 => Failed {
            code: String => Text(TEXT_MAX_BYTES),
            message: String => Text(4 * TEXT_MAX_BYTES),
        },
    }
}

/// The outcome of one transaction in a finalized block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub tx_hash: Hash32,
    pub height: u64,
    /// Position of the transaction in its block.
    pub index: u32,
    #[serde(flatten)]
    pub status: TxStatus,
    pub events: Vec<Event>,
}

impl Receipt {
    pub fn is_success(&self) -> bool {
        self.status == TxStatus::Success
    }
}

impl Write for Receipt {
    fn write(&self, b: &mut impl BufMut) {
        self.tx_hash.write(b);
        self.height.write(b);
        self.index.write(b);
        self.status.write(b);
        self.events.write(b);
    }
}

impl EncodeSize for Receipt {
    fn encode_size(&self) -> usize {
        32 + 8 + 4 + self.status.encode_size() + self.events.encode_size()
    }
}

impl Read for Receipt {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(Self {
            tx_hash: Hash32::read(b)?,
            height: u64::read(b)?,
            index: u32::read(b)?,
            status: TxStatus::read(b)?,
            events: Vec::<Event>::read_cfg(b, &(RangeCfg::from(..=RECEIPT_MAX_EVENTS), ()))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Address, ChargerId, MemberStatus, MilliWon, PriceMilliWonPerKwh, PrivateKey, Side, SiteId,
        ValidatorEntry,
    };
    use commonware_codec::{DecodeExt, Encode};

    #[test]
    fn receipts_round_trip() {
        let a = Address::of(&PrivateKey::decode([5u8; 32].as_slice()).unwrap());
        let h = Hash32::digest(&[b"x"]);
        let cp = ChargerId::new("CP-1").unwrap();
        let r = Receipt {
            tx_hash: h,
            height: 4,
            index: 2,
            status: TxStatus::Failed {
                code: "insufficient_balance".into(),
                message: "needs 5".into(),
            },
            events: vec![
                Event::Transferred {
                    from: a.clone(),
                    to: a.clone(),
                    amount: MilliWon(3),
                },
                Event::HoldCaptured {
                    hold: h,
                    beneficiary: a.clone(),
                    amount: MilliWon(1),
                    returned: MilliWon(2),
                },
                Event::PeriodCleared {
                    market: crate::MarketId::new("m").unwrap(),
                    period_start_ms: 9,
                    contracts: 2,
                    matched_wh: 7,
                    clearing_price: Some(PriceMilliWonPerKwh(5)),
                },
                Event::IntentionSubmitted {
                    intention: h,
                    market: crate::MarketId::new("m").unwrap(),
                    period_start_ms: 9,
                    side: Side::Buy,
                    site: SiteId::new("s").unwrap(),
                    energy_wh: 1,
                    limit: PriceMilliWonPerKwh(2),
                },
                Event::ReadingsCorrected {
                    site: SiteId::new("s").unwrap(),
                    month: 202507,
                    import_adjust_wh: -3,
                    export_adjust_wh: 0,
                    reason: "r".into(),
                },
                Event::PpaProposed {
                    ppa: h,
                    market: crate::MarketId::new("m").unwrap(),
                    seller_site: SiteId::new("s0").unwrap(),
                    buyer_site: SiteId::new("s1").unwrap(),
                    price: PriceMilliWonPerKwh(150_000),
                    start_month: 202509,
                    end_month: 202608,
                },
                Event::PpaAccepted {
                    ppa: h,
                    by: a.clone(),
                },
                Event::PpaTerminated {
                    ppa: h,
                    by: a.clone(),
                    last_month: 202511,
                    mutual: true,
                },
                Event::PpaWithdrawn {
                    ppa: h,
                    by: a.clone(),
                },
                Event::PpaSettled {
                    ppa: h,
                    month: 202509,
                    delivered_wh: 80_000,
                    energy_amount: MilliWon(12_000_000),
                    fees: MilliWon(1_056_000),
                },
                Event::ChargingConfigured {
                    operator: a.clone(),
                    hold_expiry_ms: 600_000,
                },
                Event::ChargerRegistered {
                    charger: cp.clone(),
                    owner: a.clone(),
                    created: true,
                },
                Event::MemberEnrolled {
                    member_no: 10_000_001,
                    account: a.clone(),
                    operator: a.clone(),
                },
                Event::MemberUpdated {
                    member_no: 10_000_001,
                    status: MemberStatus::Blocked,
                    valid_until_ms: 5,
                },
                Event::AutoChargeSet {
                    member_no: 10_000_001,
                    operator: a.clone(),
                    cap: MilliWon(3),
                },
                Event::ChargingPrepaid {
                    charger: cp.clone(),
                    session: 1,
                    member_no: 10_000_001,
                    payer: a.clone(),
                    amount: MilliWon(20_000_000),
                    expires_at_ms: 99,
                },
                Event::ChargingCancelled {
                    charger: cp.clone(),
                    session: 1,
                    released: MilliWon(20_000_000),
                    cost: MilliWon(3_244_000),
                    energy_wh: 10_000,
                },
                Event::ChargingSettled {
                    charger: cp.clone(),
                    session: 1,
                    payee: a.clone(),
                    cost: MilliWon(3_244_000),
                },
                Event::ChargingRefunded {
                    charger: cp,
                    session: 2,
                    payer: a.clone(),
                    amount: MilliWon(1),
                },
                Event::ValidatorsScheduled {
                    epoch: 3,
                    validators: vec![
                        ValidatorEntry {
                            public_key: a.clone(),
                            p2p_addr: "10.0.0.1:7070".parse().unwrap(),
                        },
                        ValidatorEntry {
                            public_key: a.clone(),
                            p2p_addr: "[2001:db8::2]:7071".parse().unwrap(),
                        },
                    ],
                },
                Event::MandateGranted(crate::GrantMandate {
                    site: SiteId::new("s0").unwrap(),
                    company: a.clone(),
                    sides: crate::MandateSides::Sell,
                    markets: vec![crate::MarketId::new("m").unwrap()],
                    from_ms: 1,
                    until_ms: Some(2),
                    share_bp: 500,
                }),
                Event::MandateRevoked {
                    site: SiteId::new("s0").unwrap(),
                    company: a.clone(),
                    revoked_at_ms: 3,
                },
                Event::Minted {
                    to: a,
                    amount: MilliWon(1),
                    bank_ref: "r".into(),
                },
            ],
        };
        let enc = r.encode();
        assert_eq!(enc.len(), r.encode_size());
        assert_eq!(Receipt::decode(enc).unwrap(), r);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["status"], "failed");
        assert_eq!(json["code"], "insufficient_balance");
    }
}
