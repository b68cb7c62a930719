//! Receipts: the outcome of each transaction with the events it caused.
use crate::{
    codec::Text,
    codec_util::{read_string, string_size, write_string},
    Address, ChargerId, ContractRef, DeviceKind, GrantMandate, Hash32, MarketId, MemberStatus,
    MilliWon, PriceMilliWonPerKwh, Role, Side, SiteId, ValidatorEntry, TEXT_MAX_BYTES,
};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, FixedSize, RangeCfg, Read, ReadExt, Write};
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    ParticipantRegistered {
        account: Address,
        role: Role,
    },
    ParticipantSuspended {
        account: Address,
    },
    ParticipantReinstated {
        account: Address,
    },
    DeviceRegistered {
        device: Address,
        kind: DeviceKind,
        owner: Address,
    },
    Minted {
        to: Address,
        amount: MilliWon,
        bank_ref: String,
    },
    Burned {
        from: Address,
        amount: MilliWon,
        bank_ref: String,
    },
    Transferred {
        from: Address,
        to: Address,
        amount: MilliWon,
    },
    HoldPlaced {
        hold: Hash32,
        payer: Address,
        beneficiary: Address,
        amount: MilliWon,
        expires_at_ms: u64,
    },
    HoldReleased {
        hold: Hash32,
        payer: Address,
        amount: MilliWon,
    },
    HoldCaptured {
        hold: Hash32,
        beneficiary: Address,
        amount: MilliWon,
        returned: MilliWon,
    },
    SiteRegistered {
        site: SiteId,
        owner: Address,
        feeder: u32,
    },
    MeterBound {
        meter: Address,
        site: SiteId,
    },
    /// Energy of the accepted intervals (sums of register deltas).
    ReadingsAccepted {
        meter: Address,
        site: SiteId,
        first_interval_start_ms: u64,
        intervals: u32,
        import_wh: u64,
        export_wh: u64,
    },
    ReadingsCorrected {
        site: SiteId,
        month: u32,
        import_adjust_wh: i64,
        export_adjust_wh: i64,
        reason: String,
    },
    MarketConfigured {
        market: MarketId,
    },
    IntentionSubmitted {
        intention: Hash32,
        market: MarketId,
        period_start_ms: u64,
        side: Side,
        site: SiteId,
        energy_wh: u64,
        limit: PriceMilliWonPerKwh,
    },
    IntentionCancelled {
        intention: Hash32,
    },
    /// One party approved a contract; `approved` once both have.
    ContractApproved {
        market: MarketId,
        period_start_ms: u64,
        number: u32,
        by: Address,
        approved: bool,
    },
    /// Settlement ran: energy delivered under approved contracts and what it is worth
    /// (`energy_amount` to sellers, `fees` for wheeling and the platform).
    PeriodSettled {
        market: MarketId,
        period_start_ms: u64,
        delivered_wh: u64,
        energy_amount: MilliWon,
        fees: MilliWon,
    },
    /// Pairing ran: `contracts` contracts for `matched_wh` (stored in the state, by period).
    PeriodCleared {
        market: MarketId,
        period_start_ms: u64,
        contracts: u32,
        matched_wh: u64,
        clearing_price: Option<PriceMilliWonPerKwh>,
    },
    BillingConfigured {
        grid_company: Address,
        feed_in_price: PriceMilliWonPerKwh,
        due_day: u8,
    },
    /// A tariff version in force from `effective` (YYYYMMDD).
    TariffSet {
        id: String,
        effective: u32,
    },
    ContractDisputed {
        contract: ContractRef,
        by: Address,
        reason: String,
    },
    DisputeResolved {
        contract: ContractRef,
        delivered_wh: u64,
    },
    /// `sites` more sites billed for `month`; `done` once every site is.
    BillsIssued {
        month: u32,
        sites: u32,
        done: bool,
    },
    BillPaid {
        month: u32,
        payer: Address,
        amount: MilliWon,
        late: bool,
    },
    /// Auto-debit found too little money: the bill is overdue.
    BillOverdue {
        month: u32,
        payer: Address,
        amount: MilliWon,
    },
    /// A real-time buy intention's maximum cost moved into escrow.
    EscrowHeld {
        intention: Hash32,
        amount: MilliWon,
    },
    /// A PPA was proposed (its id is the proposing transaction's hash).
    PpaProposed {
        ppa: Hash32,
        market: MarketId,
        seller_site: SiteId,
        buyer_site: SiteId,
        price: PriceMilliWonPerKwh,
        start_month: u32,
        end_month: u32,
    },
    PpaAccepted {
        ppa: Hash32,
        by: Address,
    },
    /// `last_month` is the last month the PPA settles (before its start: none).
    PpaTerminated {
        ppa: Hash32,
        by: Address,
        last_month: u32,
        mutual: bool,
    },
    /// A proposal closed before acceptance, by its proposer or the other party.
    PpaWithdrawn {
        ppa: Hash32,
        by: Address,
    },
    /// A PPA's month settled: energy delivered, the seller's amount and the fees (with VAT).
    PpaSettled {
        ppa: Hash32,
        month: u32,
        delivered_wh: u64,
        energy_amount: MilliWon,
        fees: MilliWon,
    },
    ChargingConfigured {
        operator: Address,
        hold_expiry_ms: u64,
    },
    /// A charger was created (`created`) or updated by its owner.
    ChargerRegistered {
        charger: ChargerId,
        owner: Address,
        created: bool,
    },
    MemberEnrolled {
        member_no: u64,
        account: Address,
        operator: Address,
    },
    MemberUpdated {
        member_no: u64,
        status: MemberStatus,
        valid_until_ms: u64,
    },
    /// A member's standing authorisation for an operator (cap 0: revoked).
    AutoChargeSet {
        member_no: u64,
        operator: Address,
        cap: MilliWon,
    },
    /// A session's prepayment is held from the payer until the session ends or the hold expires.
    ChargingPrepaid {
        charger: ChargerId,
        session: u64,
        member_no: u64,
        payer: Address,
        amount: MilliWon,
        expires_at_ms: u64,
    },
    /// The whole prepayment was released to the payer and the session's cost is held.
    ChargingCancelled {
        charger: ChargerId,
        session: u64,
        released: MilliWon,
        cost: MilliWon,
        energy_wh: u64,
    },
    /// The held cost was paid to the charger's owner.
    ChargingSettled {
        charger: ChargerId,
        session: u64,
        payee: Address,
        cost: MilliWon,
    },
    /// The charger never reported: the whole prepayment went back to the payer.
    ChargingRefunded {
        charger: ChargerId,
        session: u64,
        payer: Address,
        amount: MilliWon,
    },
    /// The validator set of `epoch` (sorted by key), as a `ChangeValidators` left it; it takes
    /// effect at the first block of that epoch.
    ValidatorsScheduled {
        epoch: u64,
        validators: Vec<ValidatorEntry>,
    },
    /// The site's owner let `company` trade for the site: the granted terms.
    MandateGranted(GrantMandate),
    /// The site's owner ended the company's mandate at `revoked_at_ms` (block time).
    MandateRevoked {
        site: SiteId,
        company: Address,
        revoked_at_ms: u64,
    },
}

impl Write for Event {
    fn write(&self, b: &mut impl BufMut) {
        match self {
            Self::ParticipantRegistered { account, role } => {
                0u8.write(b);
                account.write(b);
                role.write(b);
            }
            Self::ParticipantSuspended { account } => {
                1u8.write(b);
                account.write(b);
            }
            Self::ParticipantReinstated { account } => {
                2u8.write(b);
                account.write(b);
            }
            Self::DeviceRegistered {
                device,
                kind,
                owner,
            } => {
                3u8.write(b);
                device.write(b);
                kind.write(b);
                owner.write(b);
            }
            Self::Minted {
                to,
                amount,
                bank_ref,
            } => {
                4u8.write(b);
                to.write(b);
                amount.write(b);
                write_string(bank_ref, b);
            }
            Self::Burned {
                from,
                amount,
                bank_ref,
            } => {
                5u8.write(b);
                from.write(b);
                amount.write(b);
                write_string(bank_ref, b);
            }
            Self::Transferred { from, to, amount } => {
                6u8.write(b);
                from.write(b);
                to.write(b);
                amount.write(b);
            }
            Self::HoldPlaced {
                hold,
                payer,
                beneficiary,
                amount,
                expires_at_ms,
            } => {
                7u8.write(b);
                hold.write(b);
                payer.write(b);
                beneficiary.write(b);
                amount.write(b);
                expires_at_ms.write(b);
            }
            Self::HoldReleased {
                hold,
                payer,
                amount,
            } => {
                8u8.write(b);
                hold.write(b);
                payer.write(b);
                amount.write(b);
            }
            Self::HoldCaptured {
                hold,
                beneficiary,
                amount,
                returned,
            } => {
                9u8.write(b);
                hold.write(b);
                beneficiary.write(b);
                amount.write(b);
                returned.write(b);
            }
            Self::SiteRegistered {
                site,
                owner,
                feeder,
            } => {
                10u8.write(b);
                site.write(b);
                owner.write(b);
                feeder.write(b);
            }
            Self::MeterBound { meter, site } => {
                11u8.write(b);
                meter.write(b);
                site.write(b);
            }
            Self::ReadingsAccepted {
                meter,
                site,
                first_interval_start_ms,
                intervals,
                import_wh,
                export_wh,
            } => {
                12u8.write(b);
                meter.write(b);
                site.write(b);
                first_interval_start_ms.write(b);
                intervals.write(b);
                import_wh.write(b);
                export_wh.write(b);
            }
            Self::ReadingsCorrected {
                site,
                month,
                import_adjust_wh,
                export_adjust_wh,
                reason,
            } => {
                13u8.write(b);
                site.write(b);
                month.write(b);
                (*import_adjust_wh as u64).write(b);
                (*export_adjust_wh as u64).write(b);
                write_string(reason, b);
            }
            Self::MarketConfigured { market } => {
                14u8.write(b);
                market.write(b);
            }
            Self::IntentionSubmitted {
                intention,
                market,
                period_start_ms,
                side,
                site,
                energy_wh,
                limit,
            } => {
                15u8.write(b);
                intention.write(b);
                market.write(b);
                period_start_ms.write(b);
                side.write(b);
                site.write(b);
                energy_wh.write(b);
                limit.write(b);
            }
            Self::IntentionCancelled { intention } => {
                16u8.write(b);
                intention.write(b);
            }
            Self::PeriodSettled {
                market,
                period_start_ms,
                delivered_wh,
                energy_amount,
                fees,
            } => {
                19u8.write(b);
                market.write(b);
                period_start_ms.write(b);
                delivered_wh.write(b);
                energy_amount.write(b);
                fees.write(b);
            }
            Self::ContractApproved {
                market,
                period_start_ms,
                number,
                by,
                approved,
            } => {
                18u8.write(b);
                market.write(b);
                period_start_ms.write(b);
                number.write(b);
                by.write(b);
                approved.write(b);
            }
            Self::PeriodCleared {
                market,
                period_start_ms,
                contracts,
                matched_wh,
                clearing_price,
            } => {
                17u8.write(b);
                market.write(b);
                period_start_ms.write(b);
                contracts.write(b);
                matched_wh.write(b);
                clearing_price.write(b);
            }
            Self::BillingConfigured {
                grid_company,
                feed_in_price,
                due_day,
            } => {
                20u8.write(b);
                grid_company.write(b);
                feed_in_price.write(b);
                due_day.write(b);
            }
            Self::TariffSet { id, effective } => {
                21u8.write(b);
                write_string(id, b);
                effective.write(b);
            }
            Self::ContractDisputed {
                contract,
                by,
                reason,
            } => {
                22u8.write(b);
                contract.write(b);
                by.write(b);
                write_string(reason, b);
            }
            Self::DisputeResolved {
                contract,
                delivered_wh,
            } => {
                23u8.write(b);
                contract.write(b);
                delivered_wh.write(b);
            }
            Self::BillsIssued { month, sites, done } => {
                24u8.write(b);
                month.write(b);
                sites.write(b);
                done.write(b);
            }
            Self::BillPaid {
                month,
                payer,
                amount,
                late,
            } => {
                25u8.write(b);
                month.write(b);
                payer.write(b);
                amount.write(b);
                late.write(b);
            }
            Self::BillOverdue {
                month,
                payer,
                amount,
            } => {
                26u8.write(b);
                month.write(b);
                payer.write(b);
                amount.write(b);
            }
            Self::EscrowHeld { intention, amount } => {
                27u8.write(b);
                intention.write(b);
                amount.write(b);
            }
            Self::PpaProposed {
                ppa,
                market,
                seller_site,
                buyer_site,
                price,
                start_month,
                end_month,
            } => {
                28u8.write(b);
                ppa.write(b);
                market.write(b);
                seller_site.write(b);
                buyer_site.write(b);
                price.write(b);
                start_month.write(b);
                end_month.write(b);
            }
            Self::PpaAccepted { ppa, by } => {
                29u8.write(b);
                ppa.write(b);
                by.write(b);
            }
            Self::PpaTerminated {
                ppa,
                by,
                last_month,
                mutual,
            } => {
                30u8.write(b);
                ppa.write(b);
                by.write(b);
                last_month.write(b);
                mutual.write(b);
            }
            Self::PpaWithdrawn { ppa, by } => {
                31u8.write(b);
                ppa.write(b);
                by.write(b);
            }
            Self::PpaSettled {
                ppa,
                month,
                delivered_wh,
                energy_amount,
                fees,
            } => {
                32u8.write(b);
                ppa.write(b);
                month.write(b);
                delivered_wh.write(b);
                energy_amount.write(b);
                fees.write(b);
            }
            Self::ChargingConfigured {
                operator,
                hold_expiry_ms,
            } => {
                33u8.write(b);
                operator.write(b);
                hold_expiry_ms.write(b);
            }
            Self::ChargerRegistered {
                charger,
                owner,
                created,
            } => {
                34u8.write(b);
                charger.write(b);
                owner.write(b);
                created.write(b);
            }
            Self::MemberEnrolled {
                member_no,
                account,
                operator,
            } => {
                35u8.write(b);
                member_no.write(b);
                account.write(b);
                operator.write(b);
            }
            Self::MemberUpdated {
                member_no,
                status,
                valid_until_ms,
            } => {
                36u8.write(b);
                member_no.write(b);
                status.write(b);
                valid_until_ms.write(b);
            }
            Self::AutoChargeSet {
                member_no,
                operator,
                cap,
            } => {
                37u8.write(b);
                member_no.write(b);
                operator.write(b);
                cap.write(b);
            }
            Self::ChargingPrepaid {
                charger,
                session,
                member_no,
                payer,
                amount,
                expires_at_ms,
            } => {
                38u8.write(b);
                charger.write(b);
                session.write(b);
                member_no.write(b);
                payer.write(b);
                amount.write(b);
                expires_at_ms.write(b);
            }
            Self::ChargingCancelled {
                charger,
                session,
                released,
                cost,
                energy_wh,
            } => {
                39u8.write(b);
                charger.write(b);
                session.write(b);
                released.write(b);
                cost.write(b);
                energy_wh.write(b);
            }
            Self::ChargingSettled {
                charger,
                session,
                payee,
                cost,
            } => {
                40u8.write(b);
                charger.write(b);
                session.write(b);
                payee.write(b);
                cost.write(b);
            }
            Self::ChargingRefunded {
                charger,
                session,
                payer,
                amount,
            } => {
                41u8.write(b);
                charger.write(b);
                session.write(b);
                payer.write(b);
                amount.write(b);
            }
            Self::ValidatorsScheduled { epoch, validators } => {
                42u8.write(b);
                epoch.write(b);
                validators.write(b);
            }
            Self::MandateGranted(g) => {
                43u8.write(b);
                g.write(b);
            }
            Self::MandateRevoked {
                site,
                company,
                revoked_at_ms,
            } => {
                44u8.write(b);
                site.write(b);
                company.write(b);
                revoked_at_ms.write(b);
            }
        }
    }
}

impl EncodeSize for Event {
    fn encode_size(&self) -> usize {
        const A: usize = Address::SIZE;
        const M: usize = MilliWon::SIZE;
        const H: usize = Hash32::SIZE;
        1 + match self {
            Self::ParticipantRegistered { .. } => A + 1,
            Self::ParticipantSuspended { .. } | Self::ParticipantReinstated { .. } => A,
            Self::DeviceRegistered { .. } => A + 1 + A,
            Self::Minted { bank_ref, .. } | Self::Burned { bank_ref, .. } => {
                A + M + string_size(bank_ref)
            }
            Self::Transferred { .. } => A + A + M,
            Self::HoldPlaced { .. } => H + A + A + M + 8,
            Self::HoldReleased { .. } => H + A + M,
            Self::HoldCaptured { .. } => H + A + M + M,
            Self::SiteRegistered { site, .. } => site.encode_size() + A + 4,
            Self::MeterBound { site, .. } => A + site.encode_size(),
            Self::ReadingsAccepted { site, .. } => A + site.encode_size() + 8 + 4 + 8 + 8,
            Self::MarketConfigured { market } => market.encode_size(),
            Self::IntentionSubmitted { market, site, .. } => {
                H + market.encode_size() + 8 + 1 + site.encode_size() + 8 + 8
            }
            Self::IntentionCancelled { .. } => H,
            Self::PeriodSettled { market, .. } => market.encode_size() + 8 + 8 + M + M,
            Self::ContractApproved { market, .. } => market.encode_size() + 8 + 4 + A + 1,
            Self::PeriodCleared {
                market,
                clearing_price,
                ..
            } => market.encode_size() + 8 + 4 + 8 + clearing_price.encode_size(),
            Self::ReadingsCorrected { site, reason, .. } => {
                site.encode_size() + 4 + 8 + 8 + string_size(reason)
            }
            Self::BillingConfigured { .. } => A + 8 + 1,
            Self::TariffSet { id, .. } => string_size(id) + 4,
            Self::ContractDisputed {
                contract, reason, ..
            } => contract.encode_size() + A + string_size(reason),
            Self::DisputeResolved { contract, .. } => contract.encode_size() + 8,
            Self::BillsIssued { .. } => 4 + 4 + 1,
            Self::BillPaid { .. } => 4 + A + M + 1,
            Self::BillOverdue { .. } => 4 + A + M,
            Self::EscrowHeld { .. } => H + M,
            Self::PpaProposed {
                market,
                seller_site,
                buyer_site,
                ..
            } => {
                H + market.encode_size()
                    + seller_site.encode_size()
                    + buyer_site.encode_size()
                    + 8
                    + 4
                    + 4
            }
            Self::PpaAccepted { .. } | Self::PpaWithdrawn { .. } => H + A,
            Self::PpaTerminated { .. } => H + A + 4 + 1,
            Self::PpaSettled { .. } => H + 4 + 8 + M + M,
            Self::ChargingConfigured { .. } => A + 8,
            Self::ChargerRegistered { charger, .. } => charger.encode_size() + A + 1,
            Self::MemberEnrolled { .. } => 8 + A + A,
            Self::MemberUpdated { .. } => 8 + 1 + 8,
            Self::AutoChargeSet { .. } => 8 + A + M,
            Self::ChargingPrepaid { charger, .. } => charger.encode_size() + 8 + 8 + A + M + 8,
            Self::ChargingCancelled { charger, .. } => charger.encode_size() + 8 + M + M + 8,
            Self::ChargingSettled { charger, .. } | Self::ChargingRefunded { charger, .. } => {
                charger.encode_size() + 8 + A + M
            }
            Self::ValidatorsScheduled { validators, .. } => 8 + validators.encode_size(),
            Self::MandateGranted(g) => g.encode_size(),
            Self::MandateRevoked { site, .. } => site.encode_size() + A + 8,
        }
    }
}

impl Read for Event {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        Ok(match u8::read(b)? {
            0 => Self::ParticipantRegistered {
                account: Address::read(b)?,
                role: Role::read(b)?,
            },
            1 => Self::ParticipantSuspended {
                account: Address::read(b)?,
            },
            2 => Self::ParticipantReinstated {
                account: Address::read(b)?,
            },
            3 => Self::DeviceRegistered {
                device: Address::read(b)?,
                kind: DeviceKind::read(b)?,
                owner: Address::read(b)?,
            },
            4 => Self::Minted {
                to: Address::read(b)?,
                amount: MilliWon::read(b)?,
                bank_ref: read_string(b, TEXT_MAX_BYTES)?,
            },
            5 => Self::Burned {
                from: Address::read(b)?,
                amount: MilliWon::read(b)?,
                bank_ref: read_string(b, TEXT_MAX_BYTES)?,
            },
            6 => Self::Transferred {
                from: Address::read(b)?,
                to: Address::read(b)?,
                amount: MilliWon::read(b)?,
            },
            7 => Self::HoldPlaced {
                hold: Hash32::read(b)?,
                payer: Address::read(b)?,
                beneficiary: Address::read(b)?,
                amount: MilliWon::read(b)?,
                expires_at_ms: u64::read(b)?,
            },
            8 => Self::HoldReleased {
                hold: Hash32::read(b)?,
                payer: Address::read(b)?,
                amount: MilliWon::read(b)?,
            },
            9 => Self::HoldCaptured {
                hold: Hash32::read(b)?,
                beneficiary: Address::read(b)?,
                amount: MilliWon::read(b)?,
                returned: MilliWon::read(b)?,
            },
            10 => Self::SiteRegistered {
                site: SiteId::read(b)?,
                owner: Address::read(b)?,
                feeder: u32::read(b)?,
            },
            11 => Self::MeterBound {
                meter: Address::read(b)?,
                site: SiteId::read(b)?,
            },
            12 => Self::ReadingsAccepted {
                meter: Address::read(b)?,
                site: SiteId::read(b)?,
                first_interval_start_ms: u64::read(b)?,
                intervals: u32::read(b)?,
                import_wh: u64::read(b)?,
                export_wh: u64::read(b)?,
            },
            13 => Self::ReadingsCorrected {
                site: SiteId::read(b)?,
                month: u32::read(b)?,
                import_adjust_wh: u64::read(b)? as i64,
                export_adjust_wh: u64::read(b)? as i64,
                reason: read_string(b, TEXT_MAX_BYTES)?,
            },
            14 => Self::MarketConfigured {
                market: MarketId::read(b)?,
            },
            15 => Self::IntentionSubmitted {
                intention: Hash32::read(b)?,
                market: MarketId::read(b)?,
                period_start_ms: u64::read(b)?,
                side: Side::read(b)?,
                site: SiteId::read(b)?,
                energy_wh: u64::read(b)?,
                limit: PriceMilliWonPerKwh::read(b)?,
            },
            16 => Self::IntentionCancelled {
                intention: Hash32::read(b)?,
            },
            19 => Self::PeriodSettled {
                market: MarketId::read(b)?,
                period_start_ms: u64::read(b)?,
                delivered_wh: u64::read(b)?,
                energy_amount: MilliWon::read(b)?,
                fees: MilliWon::read(b)?,
            },
            18 => Self::ContractApproved {
                market: MarketId::read(b)?,
                period_start_ms: u64::read(b)?,
                number: u32::read(b)?,
                by: Address::read(b)?,
                approved: bool::read(b)?,
            },
            17 => Self::PeriodCleared {
                market: MarketId::read(b)?,
                period_start_ms: u64::read(b)?,
                contracts: u32::read(b)?,
                matched_wh: u64::read(b)?,
                clearing_price: Option::<PriceMilliWonPerKwh>::read(b)?,
            },
            20 => Self::BillingConfigured {
                grid_company: Address::read(b)?,
                feed_in_price: PriceMilliWonPerKwh::read(b)?,
                due_day: u8::read(b)?,
            },
            21 => Self::TariffSet {
                id: read_string(b, TEXT_MAX_BYTES)?,
                effective: u32::read(b)?,
            },
            22 => Self::ContractDisputed {
                contract: ContractRef::read(b)?,
                by: Address::read(b)?,
                reason: read_string(b, TEXT_MAX_BYTES)?,
            },
            23 => Self::DisputeResolved {
                contract: ContractRef::read(b)?,
                delivered_wh: u64::read(b)?,
            },
            24 => Self::BillsIssued {
                month: u32::read(b)?,
                sites: u32::read(b)?,
                done: bool::read(b)?,
            },
            25 => Self::BillPaid {
                month: u32::read(b)?,
                payer: Address::read(b)?,
                amount: MilliWon::read(b)?,
                late: bool::read(b)?,
            },
            26 => Self::BillOverdue {
                month: u32::read(b)?,
                payer: Address::read(b)?,
                amount: MilliWon::read(b)?,
            },
            27 => Self::EscrowHeld {
                intention: Hash32::read(b)?,
                amount: MilliWon::read(b)?,
            },
            28 => Self::PpaProposed {
                ppa: Hash32::read(b)?,
                market: MarketId::read(b)?,
                seller_site: SiteId::read(b)?,
                buyer_site: SiteId::read(b)?,
                price: PriceMilliWonPerKwh::read(b)?,
                start_month: u32::read(b)?,
                end_month: u32::read(b)?,
            },
            29 => Self::PpaAccepted {
                ppa: Hash32::read(b)?,
                by: Address::read(b)?,
            },
            30 => Self::PpaTerminated {
                ppa: Hash32::read(b)?,
                by: Address::read(b)?,
                last_month: u32::read(b)?,
                mutual: bool::read(b)?,
            },
            31 => Self::PpaWithdrawn {
                ppa: Hash32::read(b)?,
                by: Address::read(b)?,
            },
            32 => Self::PpaSettled {
                ppa: Hash32::read(b)?,
                month: u32::read(b)?,
                delivered_wh: u64::read(b)?,
                energy_amount: MilliWon::read(b)?,
                fees: MilliWon::read(b)?,
            },
            33 => Self::ChargingConfigured {
                operator: Address::read(b)?,
                hold_expiry_ms: u64::read(b)?,
            },
            34 => Self::ChargerRegistered {
                charger: ChargerId::read(b)?,
                owner: Address::read(b)?,
                created: bool::read(b)?,
            },
            35 => Self::MemberEnrolled {
                member_no: u64::read(b)?,
                account: Address::read(b)?,
                operator: Address::read(b)?,
            },
            36 => Self::MemberUpdated {
                member_no: u64::read(b)?,
                status: MemberStatus::read(b)?,
                valid_until_ms: u64::read(b)?,
            },
            37 => Self::AutoChargeSet {
                member_no: u64::read(b)?,
                operator: Address::read(b)?,
                cap: MilliWon::read(b)?,
            },
            38 => Self::ChargingPrepaid {
                charger: ChargerId::read(b)?,
                session: u64::read(b)?,
                member_no: u64::read(b)?,
                payer: Address::read(b)?,
                amount: MilliWon::read(b)?,
                expires_at_ms: u64::read(b)?,
            },
            39 => Self::ChargingCancelled {
                charger: ChargerId::read(b)?,
                session: u64::read(b)?,
                released: MilliWon::read(b)?,
                cost: MilliWon::read(b)?,
                energy_wh: u64::read(b)?,
            },
            40 => Self::ChargingSettled {
                charger: ChargerId::read(b)?,
                session: u64::read(b)?,
                payee: Address::read(b)?,
                cost: MilliWon::read(b)?,
            },
            41 => Self::ChargingRefunded {
                charger: ChargerId::read(b)?,
                session: u64::read(b)?,
                payer: Address::read(b)?,
                amount: MilliWon::read(b)?,
            },
            42 => Self::ValidatorsScheduled {
                epoch: u64::read(b)?,
                validators: crate::read_validators(b)?,
            },
            43 => Self::MandateGranted(GrantMandate::read(b)?),
            44 => Self::MandateRevoked {
                site: SiteId::read(b)?,
                company: Address::read(b)?,
                revoked_at_ms: u64::read(b)?,
            },
            other => return Err(commonware_codec::Error::InvalidEnum(other)),
        })
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
