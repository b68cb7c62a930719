//! What a transaction does: the `Payload` table (tag, variant, fields) and what the node
//! derives from a payload (its kind, the accounts it names).
use crate::validators::ChangeValidators;
use crate::{
    billing::TARIFF_MAX_BYTES,
    charging::{
        ChargingCancel, ChargingPrepay, ConfigureCharging, RegisterCharger, SessionRef, SetMember,
        CARD_MAX_BYTES,
    },
    codec::{Bytes, Text},
    Address, BindMeter, ConfigureBilling, ConfigureMarket, ContractRef, CorrectReadings,
    DeviceKind, GrantMandate, Hash32, MarketId, MilliWon, ProposePpa, RegisterSite, Role, SiteId,
    SubmitIntention, SubmitReadings, TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

crate::tagged_enum! {
    /// What a transaction does. Each variant's rules live in the execution crate.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Payload {
        /// Operator only: admit `account` with `role`.
        0 => RegisterParticipant {
            account: Address,
            role: Role,
            name: String => Text(TEXT_MAX_BYTES),
        },
        /// Operator only: suspend a participant (it can no longer sign anything but nothing is
        /// taken).
        1 => SuspendParticipant { account: Address, reason: String => Text(TEXT_MAX_BYTES) },
        /// Operator only: lift a suspension.
        2 => ReinstateParticipant { account: Address },
        /// Operator only: bind a device key (meter, charger) to an owner participant.
        3 => RegisterDevice {
            device: Address,
            kind: DeviceKind,
            owner: Address,
            label: String => Text(TEXT_MAX_BYTES),
        },
        /// Bank only: credit `to` for a deposit received at the bank under `bank_ref`.
        4 => Mint { to: Address, amount: MilliWon, bank_ref: String => Text(TEXT_MAX_BYTES) },
        /// Any participant: withdraw `amount` of its own credits; the bank pays out against
        /// `bank_ref`.
        5 => Burn { amount: MilliWon, bank_ref: String => Text(TEXT_MAX_BYTES) },
        /// Move credits from the signer to `to`.
        6 => Transfer { to: Address, amount: MilliWon, memo: String => Text(TEXT_MAX_BYTES) },
        /// Escrow: move `amount` from the signer's balance into a hold for `beneficiary`.
        /// The hold's id is this transaction's hash.
        7 => HoldPlace {
            beneficiary: Address,
            amount: MilliWon,
            expires_at_ms: u64,
            memo: String => Text(TEXT_MAX_BYTES),
        },
        /// Escrow: return a hold to its payer (beneficiary any time; payer after expiry).
        8 => HoldRelease { hold: Hash32 },
        /// Escrow: the beneficiary takes `amount` (at most the hold) before expiry; the rest
        /// returns to the payer.
        9 => HoldCapture { hold: Hash32, amount: MilliWon },
        /// Operator only: a building or household site.
        10 => RegisterSite(RegisterSite),
        /// Operator only: bind a meter device to a site.
        11 => BindMeter(BindMeter),
        /// Signed by a meter: interval register readings.
        12 => SubmitReadings(SubmitReadings),
        /// Operator only: an audited correction of a site's measured month.
        13 => CorrectReadings(CorrectReadings),
        /// Operator only: create or change a market.
        14 => ConfigureMarket(ConfigureMarket),
        /// The site's owner (or a sales company under its mandate): a sell or buy intention for a
        /// period; its id is this transaction's hash.
        15 => SubmitIntention(SubmitIntention),
        /// The site's owner (or a sales company under its mandate) withdraws an intention before
        /// gate closure.
        16 => CancelIntention { intention: Hash32 },
        /// Anyone, at or after gate closure: pair the period's intentions into contracts.
        17 => ClearPeriod { market: MarketId, period_start_ms: u64 },
        /// The seller or the buyer of a contract (or a sales company under its mandate) approves
        /// it (markets that require approval).
        18 => ApproveContract { market: MarketId, period_start_ms: u64, number: u32 },
        /// Anyone, once the period has ended: delivered energy and amounts of every approved
        /// contract from the measured values.
        19 => SettlePeriod { market: MarketId, period_start_ms: u64 },
        /// Operator only: the grid company, the feed-in price and the bills' due day.
        20 => ConfigureBilling(ConfigureBilling),
        /// Operator only: a KEPCO tariff version (the tariff crate's canonical encoding), in force
        /// from its effective date.
        21 => SetTariff { version: Vec<u8> => Bytes(TARIFF_MAX_BYTES) },
        /// The buyer of a contract (or a sales company under its buy mandate) objects to its
        /// delivery within the market's dispute window.
        22 => DisputeContract { contract: ContractRef, reason: String => Text(TEXT_MAX_BYTES) },
        /// Operator only: fixes the energy a disputed contract delivered.
        23 => ResolveDispute {
            contract: ContractRef,
            delivered_wh: u64,
            reason: String => Text(TEXT_MAX_BYTES),
        },
        /// Anyone, once a month has ended and its periods are settled: bill the next sites.
        24 => IssueBills { month: u32 },
        /// The signer pays its whole bill of the month.
        25 => PayBill { month: u32 },
        /// Anyone, at or after the due time: auto-debit the next unpaid bills of the month.
        26 => CollectBills { month: u32 },
        /// The owner of either site (or a sales company under its mandate) proposes a long-term
        /// agreement; its id is this transaction's hash.
        27 => ProposePpa(ProposePpa),
        /// The other site's owner (or a sales company under its mandate) accepts a proposed PPA,
        /// before its start month.
        28 => AcceptPpa { ppa: Hash32 },
        /// Either party ends an accepted PPA after its notice (at once if both have sent it).
        29 => TerminatePpa { ppa: Hash32 },
        /// Either party closes a PPA that is not accepted yet (withdraw or reject).
        30 => WithdrawPpa { ppa: Hash32 },
        /// Charging operator only: its rules for session holds.
        31 => ConfigureCharging(ConfigureCharging),
        /// A charging operator creates a charger; then only its owner updates it.
        32 => RegisterCharger(RegisterCharger),
        /// Charging operator only: enrol `account` as a member; the chain issues its member number.
        33 => EnrollMember { account: Address, card: String => Text(CARD_MAX_BYTES) },
        /// The member's operator: status, expiry and card of a member.
        34 => SetMember(SetMember),
        /// A member's standing authorisation for `operator` to prepay up to `cap` per session
        /// (RFID-only chargers); a cap of 0 revokes it.
        35 => SetAutoCharge { operator: Address, cap: MilliWon, valid_until_ms: u64 },
        /// The payer (or the charger's owner within the payer's auto-charge cap): hold a
        /// prepayment.
        36 => ChargingPrepay(ChargingPrepay),
        /// The charger's owner: the session ended; the hold is released and the cost fixed.
        37 => ChargingCancel(ChargingCancel),
        /// Anyone: pay a cancelled session's cost to the charger's owner.
        38 => ChargingSettle(SessionRef),
        /// Anyone: refund up to `max` prepaid sessions whose hold expired at block time.
        39 => ExpireChargingHolds { max: u32 },
        /// Operator only: add and remove validators; the result is the set of the next epoch.
        40 => ChangeValidators(ChangeValidators),
        /// The site's owner: let a sales company trade for the site (replaces the company's
        /// earlier mandate for it).
        41 => GrantMandate(GrantMandate),
        /// The site's owner: end a company's mandate now; periods whose gate has closed keep the
        /// intentions made under it.
        42 => RevokeMandate { site: SiteId, company: Address },
    }
}

impl Payload {
    /// Stable name of the payload kind (used in metrics, logs and the API).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RegisterParticipant { .. } => "register_participant",
            Self::SuspendParticipant { .. } => "suspend_participant",
            Self::ReinstateParticipant { .. } => "reinstate_participant",
            Self::RegisterDevice { .. } => "register_device",
            Self::Mint { .. } => "mint",
            Self::Burn { .. } => "burn",
            Self::Transfer { .. } => "transfer",
            Self::HoldPlace { .. } => "hold_place",
            Self::HoldRelease { .. } => "hold_release",
            Self::HoldCapture { .. } => "hold_capture",
            Self::RegisterSite(_) => "register_site",
            Self::BindMeter(_) => "bind_meter",
            Self::SubmitReadings(_) => "submit_readings",
            Self::CorrectReadings(_) => "correct_readings",
            Self::ConfigureMarket(_) => "configure_market",
            Self::SubmitIntention(_) => "submit_intention",
            Self::CancelIntention { .. } => "cancel_intention",
            Self::ClearPeriod { .. } => "clear_period",
            Self::ApproveContract { .. } => "approve_contract",
            Self::SettlePeriod { .. } => "settle_period",
            Self::ConfigureBilling(_) => "configure_billing",
            Self::SetTariff { .. } => "set_tariff",
            Self::DisputeContract { .. } => "dispute_contract",
            Self::ResolveDispute { .. } => "resolve_dispute",
            Self::IssueBills { .. } => "issue_bills",
            Self::PayBill { .. } => "pay_bill",
            Self::CollectBills { .. } => "collect_bills",
            Self::ProposePpa(_) => "propose_ppa",
            Self::AcceptPpa { .. } => "accept_ppa",
            Self::TerminatePpa { .. } => "terminate_ppa",
            Self::WithdrawPpa { .. } => "withdraw_ppa",
            Self::ConfigureCharging(_) => "configure_charging",
            Self::RegisterCharger(_) => "register_charger",
            Self::EnrollMember { .. } => "enroll_member",
            Self::SetMember(_) => "set_member",
            Self::SetAutoCharge { .. } => "set_auto_charge",
            Self::ChargingPrepay(_) => "charging_prepay",
            Self::ChargingCancel(_) => "charging_cancel",
            Self::ChargingSettle(_) => "charging_settle",
            Self::ExpireChargingHolds { .. } => "expire_charging_holds",
            Self::ChangeValidators(_) => "change_validators",
            Self::GrantMandate(_) => "grant_mandate",
            Self::RevokeMandate { .. } => "revoke_mandate",
        }
    }

    /// Accounts besides the signer that this payload names (for the per-account history index).
    pub fn counterparties(&self) -> Vec<Address> {
        match self {
            Self::RegisterParticipant { account, .. }
            | Self::SuspendParticipant { account, .. }
            | Self::ReinstateParticipant { account } => vec![account.clone()],
            Self::RegisterDevice { device, owner, .. } => vec![device.clone(), owner.clone()],
            Self::Mint { to, .. } | Self::Transfer { to, .. } => vec![to.clone()],
            Self::HoldPlace { beneficiary, .. } => vec![beneficiary.clone()],
            Self::RegisterSite(r) => vec![r.owner.clone()],
            Self::ConfigureBilling(c) => vec![c.grid_company.clone(), c.platform_account.clone()],
            Self::BindMeter(b) => vec![b.meter.clone()],
            Self::EnrollMember { account, .. } => vec![account.clone()],
            Self::SetAutoCharge { operator, .. } => vec![operator.clone()],
            Self::ChargingPrepay(p) => vec![p.payer.clone()],
            Self::ChargingCancel(p) => vec![p.payer.clone()],
            Self::ChargingSettle(p) => vec![p.payer.clone()],
            Self::GrantMandate(p) => vec![p.company.clone()],
            Self::RevokeMandate { company, .. } => vec![company.clone()],
            Self::ChangeValidators(c) => c
                .add
                .iter()
                .map(|v| v.public_key.clone())
                .chain(c.remove.iter().cloned())
                .collect(),
            Self::ConfigureCharging(_)
            | Self::RegisterCharger(_)
            | Self::SetMember(_)
            | Self::ExpireChargingHolds { .. }
            | Self::Burn { .. }
            | Self::HoldRelease { .. }
            | Self::HoldCapture { .. }
            | Self::SubmitReadings(_)
            | Self::CorrectReadings(_)
            | Self::ConfigureMarket(_)
            | Self::SubmitIntention(_)
            | Self::CancelIntention { .. }
            | Self::ClearPeriod { .. }
            | Self::ApproveContract { .. }
            | Self::SettlePeriod { .. }
            | Self::SetTariff { .. }
            | Self::DisputeContract { .. }
            | Self::ResolveDispute { .. }
            | Self::IssueBills { .. }
            | Self::PayBill { .. }
            | Self::CollectBills { .. }
            | Self::ProposePpa(_)
            | Self::AcceptPpa { .. }
            | Self::TerminatePpa { .. }
            | Self::WithdrawPpa { .. } => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecodeExt, Encode, EncodeSize, PrivateKey};

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::decode([seed; 32].as_slice()).unwrap()
    }

    #[test]
    fn every_payload_round_trips() {
        let a = Address::of(&key(3));
        let h = Hash32::digest(&[b"h"]);
        let payloads = vec![
            Payload::RegisterParticipant {
                account: a.clone(),
                role: Role::Prosumer,
                name: "건물 A".into(),
            },
            Payload::SuspendParticipant {
                account: a.clone(),
                reason: "r".into(),
            },
            Payload::ReinstateParticipant { account: a.clone() },
            Payload::RegisterDevice {
                device: a.clone(),
                kind: DeviceKind::Meter,
                owner: a.clone(),
                label: "m1".into(),
            },
            Payload::Mint {
                to: a.clone(),
                amount: MilliWon(1),
                bank_ref: "dep-1".into(),
            },
            Payload::Burn {
                amount: MilliWon(1),
                bank_ref: "wd-1".into(),
            },
            Payload::Transfer {
                to: a.clone(),
                amount: MilliWon(1),
                memo: String::new(),
            },
            Payload::HoldPlace {
                beneficiary: a,
                amount: MilliWon(9),
                expires_at_ms: 7,
                memo: "m".into(),
            },
            Payload::HoldRelease { hold: h },
            Payload::HoldCapture {
                hold: h,
                amount: MilliWon(2),
            },
            Payload::ProposePpa(ProposePpa {
                market: MarketId::new("monthly").unwrap(),
                seller_site: crate::SiteId::new("s0").unwrap(),
                buyer_site: crate::SiteId::new("s1").unwrap(),
                price: crate::PriceMilliWonPerKwh(150_000),
                start_month: 202509,
                end_month: 202608,
                monthly_wh: vec![100_000; 12],
                notice_months: 3,
            }),
            Payload::AcceptPpa { ppa: h },
            Payload::TerminatePpa { ppa: h },
            Payload::WithdrawPpa { ppa: h },
            Payload::ConfigureCharging(ConfigureCharging {
                hold_expiry_ms: 86_400_000,
                max_prepay: MilliWon(100_000_000),
                auto_charge_max: MilliWon(30_000_000),
            }),
            Payload::RegisterCharger(RegisterCharger {
                charger: crate::ChargerId::new("CP-1").unwrap(),
                kind: crate::ChargerKind::Fast,
                connectors: 2,
                price: crate::PriceMilliWonPerKwh(324_400),
                idle_fee_per_min: MilliWon(100_000),
                idle_grace_min: 10,
                active: true,
                label: "주차장 B2".into(),
            }),
            Payload::EnrollMember {
                account: Address::of(&key(4)),
                card: "04A2B9C1".into(),
            },
            Payload::SetMember(SetMember {
                member_no: 10_000_001,
                status: crate::MemberStatus::Blocked,
                valid_until_ms: 9,
                card: String::new(),
            }),
            Payload::SetAutoCharge {
                operator: Address::of(&key(5)),
                cap: MilliWon(20_000_000),
                valid_until_ms: 0,
            },
            Payload::ChargingPrepay(ChargingPrepay {
                charger: crate::ChargerId::new("CP-1").unwrap(),
                connector: 1,
                session: 7,
                payer: Address::of(&key(4)),
                amount: MilliWon(20_000_000),
            }),
            Payload::ChargingCancel(ChargingCancel {
                charger: crate::ChargerId::new("CP-1").unwrap(),
                session: 7,
                payer: Address::of(&key(4)),
                energy_wh: 12_345,
                idle_min: 3,
                reason: crate::StopReason::Local,
            }),
            Payload::ChargingSettle(SessionRef {
                charger: crate::ChargerId::new("CP-1").unwrap(),
                session: 7,
                payer: Address::of(&key(4)),
            }),
            Payload::ExpireChargingHolds { max: 500 },
            Payload::ChangeValidators(ChangeValidators {
                add: vec![crate::ValidatorEntry {
                    public_key: Address::of(&key(6)),
                    p2p_addr: "10.0.0.6:7070".parse().unwrap(),
                }],
                remove: vec![Address::of(&key(7))],
            }),
            Payload::GrantMandate(GrantMandate {
                site: crate::SiteId::new("s0").unwrap(),
                company: Address::of(&key(8)),
                sides: crate::MandateSides::Both,
                markets: vec![
                    MarketId::new("monthly").unwrap(),
                    MarketId::new("rt").unwrap(),
                ],
                from_ms: 1,
                until_ms: None,
                share_bp: 1_000,
            }),
            Payload::RevokeMandate {
                site: crate::SiteId::new("s0").unwrap(),
                company: Address::of(&key(8)),
            },
        ];
        for p in payloads {
            let enc = p.encode();
            assert_eq!(enc.len(), p.encode_size());
            assert_eq!(Payload::decode(enc).unwrap(), p);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Payload>(&json).unwrap(), p);
        }
    }
}
