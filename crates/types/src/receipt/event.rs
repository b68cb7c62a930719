//! Events: the `Event` table (tag, variant, fields), what a receipt says a transaction did.
use crate::{
    codec::{I64Bits, Text, VecMax},
    Address, ChargerId, ContractRef, DeviceKind, GrantMandate, Hash32, MarketId, MemberStatus,
    MilliWon, PriceMilliWonPerKwh, Role, Side, SiteId, ValidatorEntry, MAX_VALIDATORS,
    TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

crate::tagged_enum! {
    /// One effect of a successful transaction; its receipt lists them in the order they happened.
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
