//! Receipts: the outcome of each transaction with the events it caused.
use crate::{
    codec::{I64Bits, Text, VecMax},
    Address, ChargerId, ContractRef, DeviceKind, GrantMandate, Hash32, MarketId, MemberStatus,
    MilliWon, PriceMilliWonPerKwh, Role, Side, SiteId, ValidatorEntry, MAX_VALIDATORS,
    TEXT_MAX_BYTES,
};
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

crate::tagged_enum! {
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Event {
        0 => ParticipantRegistered { account: Address, role: Role },
        1 => ParticipantSuspended { account: Address },
        2 => ParticipantReinstated { account: Address },
        3 => DeviceRegistered { device: Address, kind: DeviceKind, owner: Address },
        4 => Minted { to: Address, amount: MilliWon, bank_ref: String => Text(TEXT_MAX_BYTES) },
        5 => Burned { from: Address, amount: MilliWon, bank_ref: String => Text(TEXT_MAX_BYTES) },
        6 => Transferred { from: Address, to: Address, amount: MilliWon },
        7 => HoldPlaced {
            hold: Hash32,
            payer: Address,
            beneficiary: Address,
            amount: MilliWon,
            expires_at_ms: u64,
        },
        8 => HoldReleased { hold: Hash32, payer: Address, amount: MilliWon },
        9 => HoldCaptured {
            hold: Hash32,
            beneficiary: Address,
            amount: MilliWon,
            returned: MilliWon,
        },
        10 => SiteRegistered { site: SiteId, owner: Address, feeder: u32 },
        11 => MeterBound { meter: Address, site: SiteId },
        /// Energy of the accepted intervals (sums of register deltas).
        12 => ReadingsAccepted {
            meter: Address,
            site: SiteId,
            first_interval_start_ms: u64,
            intervals: u32,
            import_wh: u64,
            export_wh: u64,
        },
        13 => ReadingsCorrected {
            site: SiteId,
            month: u32,
            import_adjust_wh: i64 => I64Bits,
            export_adjust_wh: i64 => I64Bits,
            reason: String => Text(TEXT_MAX_BYTES),
        },
        14 => MarketConfigured { market: MarketId },
        15 => IntentionSubmitted {
            intention: Hash32,
            market: MarketId,
            period_start_ms: u64,
            side: Side,
            site: SiteId,
            energy_wh: u64,
            limit: PriceMilliWonPerKwh,
        },
        16 => IntentionCancelled { intention: Hash32 },
        /// One party approved a contract; `approved` once both have.
        18 => ContractApproved {
            market: MarketId,
            period_start_ms: u64,
            number: u32,
            by: Address,
            approved: bool,
        },
        /// Settlement ran: energy delivered under approved contracts and what it is worth
        /// (`energy_amount` to sellers, `fees` for wheeling and the platform).
        19 => PeriodSettled {
            market: MarketId,
            period_start_ms: u64,
            delivered_wh: u64,
            energy_amount: MilliWon,
            fees: MilliWon,
        },
        /// Pairing ran: `contracts` contracts for `matched_wh` (stored in the state, by period).
        17 => PeriodCleared {
            market: MarketId,
            period_start_ms: u64,
            contracts: u32,
            matched_wh: u64,
            clearing_price: Option<PriceMilliWonPerKwh>,
        },
        20 => BillingConfigured {
            grid_company: Address,
            feed_in_price: PriceMilliWonPerKwh,
            due_day: u8,
        },
        /// A tariff version in force from `effective` (YYYYMMDD).
        21 => TariffSet { id: String => Text(TEXT_MAX_BYTES), effective: u32 },
        22 => ContractDisputed {
            contract: ContractRef,
            by: Address,
            reason: String => Text(TEXT_MAX_BYTES),
        },
        23 => DisputeResolved { contract: ContractRef, delivered_wh: u64 },
        /// `sites` more sites billed for `month`; `done` once every site is.
        24 => BillsIssued { month: u32, sites: u32, done: bool },
        25 => BillPaid { month: u32, payer: Address, amount: MilliWon, late: bool },
        /// Auto-debit found too little money: the bill is overdue.
        26 => BillOverdue { month: u32, payer: Address, amount: MilliWon },
        /// A real-time buy intention's maximum cost moved into escrow.
        27 => EscrowHeld { intention: Hash32, amount: MilliWon },
        /// A PPA was proposed (its id is the proposing transaction's hash).
        28 => PpaProposed {
            ppa: Hash32,
            market: MarketId,
            seller_site: SiteId,
            buyer_site: SiteId,
            price: PriceMilliWonPerKwh,
            start_month: u32,
            end_month: u32,
        },
        29 => PpaAccepted { ppa: Hash32, by: Address },
        /// `last_month` is the last month the PPA settles (before its start: none).
        30 => PpaTerminated { ppa: Hash32, by: Address, last_month: u32, mutual: bool },
        /// A proposal closed before acceptance, by its proposer or the other party.
        31 => PpaWithdrawn { ppa: Hash32, by: Address },
        /// A PPA's month settled: energy delivered, the seller's amount and the fees (with VAT).
        32 => PpaSettled {
            ppa: Hash32,
            month: u32,
            delivered_wh: u64,
            energy_amount: MilliWon,
            fees: MilliWon,
        },
        33 => ChargingConfigured { operator: Address, hold_expiry_ms: u64 },
        /// A charger was created (`created`) or updated by its owner.
        34 => ChargerRegistered { charger: ChargerId, owner: Address, created: bool },
        35 => MemberEnrolled { member_no: u64, account: Address, operator: Address },
        36 => MemberUpdated { member_no: u64, status: MemberStatus, valid_until_ms: u64 },
        /// A member's standing authorisation for an operator (cap 0: revoked).
        37 => AutoChargeSet { member_no: u64, operator: Address, cap: MilliWon },
        /// A session's prepayment is held from the payer until the session ends or the hold
        /// expires.
        38 => ChargingPrepaid {
            charger: ChargerId,
            session: u64,
            member_no: u64,
            payer: Address,
            amount: MilliWon,
            expires_at_ms: u64,
        },
        /// The whole prepayment was released to the payer and the session's cost is held.
        39 => ChargingCancelled {
            charger: ChargerId,
            session: u64,
            released: MilliWon,
            cost: MilliWon,
            energy_wh: u64,
        },
        /// The held cost was paid to the charger's owner.
        40 => ChargingSettled { charger: ChargerId, session: u64, payee: Address, cost: MilliWon },
        /// The charger never reported: the whole prepayment went back to the payer.
        41 => ChargingRefunded {
            charger: ChargerId,
            session: u64,
            payer: Address,
            amount: MilliWon,
        },
        /// The validator set of `epoch` (sorted by key), as a `ChangeValidators` left it; it takes
        /// effect at the first block of that epoch.
        42 => ValidatorsScheduled {
            epoch: u64,
            validators: Vec<ValidatorEntry> => VecMax(MAX_VALIDATORS),
        },
        /// The site's owner let `company` trade for the site: the granted terms.
        43 => MandateGranted(GrantMandate),
        /// The site's owner ended the company's mandate at `revoked_at_ms` (block time).
        44 => MandateRevoked { site: SiteId, company: Address, revoked_at_ms: u64 },
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
    use crate::PrivateKey;
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
