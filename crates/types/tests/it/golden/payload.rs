//! Golden bytes of every `Payload` variant.
use super::{addr, charger, check_next_tag_unknown, check_table, contract, hash, market, site};
use gridledger_types::{
    BindMeter, ChangeValidators, ChargerKind, ChargingCancel, ChargingPrepay, ConfigureBilling,
    ConfigureCharging, ConfigureMarket, CorrectReadings, DeviceKind, GrantMandate, MandateSides,
    MemberStatus, MilliWon, Payload, PeriodKind, PriceMilliWonPerKwh, Pricing, ProposePpa,
    RegisterCharger, RegisterSite, Registers, Role, SessionRef, SetMember, Side, SiteKind,
    StopReason, SubmitIntention, SubmitReadings, ValidatorEntry,
};

const COUNT: u8 = 43;

/// Exhaustive: a new variant does not compile until it is listed here with its tag.
fn tag_of(p: &Payload) -> u8 {
    match p {
        Payload::RegisterParticipant { .. } => 0,
        Payload::SuspendParticipant { .. } => 1,
        Payload::ReinstateParticipant { .. } => 2,
        Payload::RegisterDevice { .. } => 3,
        Payload::Mint { .. } => 4,
        Payload::Burn { .. } => 5,
        Payload::Transfer { .. } => 6,
        Payload::HoldPlace { .. } => 7,
        Payload::HoldRelease { .. } => 8,
        Payload::HoldCapture { .. } => 9,
        Payload::RegisterSite(_) => 10,
        Payload::BindMeter(_) => 11,
        Payload::SubmitReadings(_) => 12,
        Payload::CorrectReadings(_) => 13,
        Payload::ConfigureMarket(_) => 14,
        Payload::SubmitIntention(_) => 15,
        Payload::CancelIntention { .. } => 16,
        Payload::ClearPeriod { .. } => 17,
        Payload::ApproveContract { .. } => 18,
        Payload::SettlePeriod { .. } => 19,
        Payload::ConfigureBilling(_) => 20,
        Payload::SetTariff { .. } => 21,
        Payload::DisputeContract { .. } => 22,
        Payload::ResolveDispute { .. } => 23,
        Payload::IssueBills { .. } => 24,
        Payload::PayBill { .. } => 25,
        Payload::CollectBills { .. } => 26,
        Payload::ProposePpa(_) => 27,
        Payload::AcceptPpa { .. } => 28,
        Payload::TerminatePpa { .. } => 29,
        Payload::WithdrawPpa { .. } => 30,
        Payload::ConfigureCharging(_) => 31,
        Payload::RegisterCharger(_) => 32,
        Payload::EnrollMember { .. } => 33,
        Payload::SetMember(_) => 34,
        Payload::SetAutoCharge { .. } => 35,
        Payload::ChargingPrepay(_) => 36,
        Payload::ChargingCancel(_) => 37,
        Payload::ChargingSettle(_) => 38,
        Payload::ExpireChargingHolds { .. } => 39,
        Payload::ChangeValidators(_) => 40,
        Payload::GrantMandate(_) => 41,
        Payload::RevokeMandate { .. } => 42,
    }
}

fn cases() -> Vec<(Payload, &'static str)> {
    vec![
        (
            Payload::RegisterParticipant {
                account: addr(1),
                role: Role::Prosumer,
                name: "건물 A".into(),
            },
            "008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0508eab1b4ebacbc2041",
        ),
        (
            Payload::SuspendParticipant {
                account: addr(1),
                reason: "late".into(),
            },
            "018a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c046c617465",
        ),
        (Payload::ReinstateParticipant { account: addr(1) }, "028a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"),
        (
            Payload::RegisterDevice {
                device: addr(2),
                kind: DeviceKind::Charger,
                owner: addr(3),
                label: "m1".into(),
            },
            "038139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39401ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1026d31",
        ),
        (
            Payload::Mint {
                to: addr(1),
                amount: MilliWon(50_000_000),
                bank_ref: "DEP-0001".into(),
            },
            "048a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0000000002faf080084445502d30303031",
        ),
        (
            Payload::Burn {
                amount: MilliWon(1_000),
                bank_ref: "WD-1".into(),
            },
            "0500000000000003e80457442d31",
        ),
        (
            Payload::Transfer {
                to: addr(2),
                amount: MilliWon(1_200_000),
                memo: "May surplus".into(),
            },
            "068139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3940000000000124f800b4d617920737572706c7573",
        ),
        (
            Payload::HoldPlace {
                beneficiary: addr(2),
                amount: MilliWon(9_000),
                expires_at_ms: 1_780_000_000_000,
                memo: "deposit".into(),
            },
            "078139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39400000000000023280000019e70448800076465706f736974",
        ),
        (Payload::HoldRelease { hold: hash("hold") }, "08e8b22d83b417e85ba4f24101a49a49cc3246a5e5e4ce6574623063e4e32801e0"),
        (
            Payload::HoldCapture {
                hold: hash("hold"),
                amount: MilliWon(2_000),
            },
            "09e8b22d83b417e85ba4f24101a49a49cc3246a5e5e4ce6574623063e4e32801e000000000000007d0",
        ),
        (
            Payload::RegisterSite(RegisterSite {
                site: site("bldg-a"),
                owner: addr(1),
                kind: SiteKind::CommercialBuilding,
                tariff_class: "general_b".into(),
                contract_kw: 300,
                feeder: 4,
                name: "Building A".into(),
            }),
            "0a06626c64672d618a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c000967656e6572616c5f620000012c000000040a4275696c64696e672041",
        ),
        (
            Payload::BindMeter(BindMeter {
                meter: addr(4),
                site: site("bldg-a"),
            }),
            "0bca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c06626c64672d61",
        ),
        (
            Payload::SubmitReadings(SubmitReadings {
                first_interval_start_ms: 1_780_000_000_000,
                interval_ms: 3_600_000,
                registers: vec![
                    Registers {
                        import_wh: 10,
                        export_wh: 20,
                    },
                    Registers {
                        import_wh: 15,
                        export_wh: 31,
                    },
                ],
            }),
            "0c0000019e704488000036ee8002000000000000000a0000000000000014000000000000000f000000000000001f",
        ),
        (
            Payload::CorrectReadings(CorrectReadings {
                site: site("bldg-a"),
                month: 202605,
                import_adjust_wh: -300,
                export_adjust_wh: 120,
                reason: "meter swap".into(),
            }),
            "0d06626c64672d610003176dfffffffffffffed400000000000000780a6d657465722073776170",
        ),
        (
            Payload::ConfigureMarket(ConfigureMarket {
                market: market("monthly"),
                period_kind: PeriodKind::Monthly,
                pricing: Pricing::PayAsBid,
                gate_lead_ms: 86_400_000,
                wheeling_fee: PriceMilliWonPerKwh(10_000),
                platform_fee: PriceMilliWonPerKwh(2_000),
                prefer_same_feeder: true,
                active: true,
                approval_window_ms: 3_600_000,
                dispute_window_ms: 604_800_000,
            }),
            "0e076d6f6e74686c7900010000000005265c00000000000000271000000000000007d00101000000000036ee8000000000240c8400",
        ),
        (
            Payload::SubmitIntention(SubmitIntention {
                market: market("monthly"),
                period_start_ms: 1_780_000_000_000,
                side: Side::Sell,
                site: site("bldg-a"),
                energy_wh: 500_000,
                limit: PriceMilliWonPerKwh(150_000),
            }),
            "0f076d6f6e74686c790000019e704488000106626c64672d61000000000007a12000000000000249f0",
        ),
        (
            Payload::CancelIntention {
                intention: hash("intention"),
            },
            "1074a11fdc7152e49249187fd744495582f9fa7b0ad7dcd1ecbc3e2ed8dd222163",
        ),
        (
            Payload::ClearPeriod {
                market: market("monthly"),
                period_start_ms: 1_780_000_000_000,
            },
            "11076d6f6e74686c790000019e70448800",
        ),
        (
            Payload::ApproveContract {
                market: market("monthly"),
                period_start_ms: 1_780_000_000_000,
                number: 3,
            },
            "12076d6f6e74686c790000019e7044880000000003",
        ),
        (
            Payload::SettlePeriod {
                market: market("rt"),
                period_start_ms: 1_780_003_600_000,
            },
            "130272740000019e707b7680",
        ),
        (
            Payload::ConfigureBilling(ConfigureBilling {
                grid_company: addr(5),
                platform_account: addr(6),
                feed_in_price: PriceMilliWonPerKwh(80_000),
                due_day: 18,
            }),
            "146e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf18a875fff1eb38451577acd5afee405456568dd7c89e090863a0557bc7af49f17000000000001388012",
        ),
        (
            Payload::SetTariff {
                version: vec![1, 2, 3, 250],
            },
            "1504010203fa",
        ),
        (
            Payload::DisputeContract {
                contract: contract(),
                reason: "meter offline".into(),
            },
            "16076d6f6e74686c790000019e70448800000000070d6d65746572206f66666c696e65",
        ),
        (
            Payload::ResolveDispute {
                contract: contract(),
                delivered_wh: 42_000,
                reason: "estimate".into(),
            },
            "17076d6f6e74686c790000019e7044880000000007000000000000a41008657374696d617465",
        ),
        (Payload::IssueBills { month: 202605 }, "180003176d"),
        (Payload::PayBill { month: 202606 }, "190003176e"),
        (Payload::CollectBills { month: 202607 }, "1a0003176f"),
        (
            Payload::ProposePpa(ProposePpa {
                market: market("monthly"),
                seller_site: site("s0"),
                buyer_site: site("s1"),
                price: PriceMilliWonPerKwh(150_000),
                start_month: 202609,
                end_month: 202611,
                monthly_wh: vec![100_000, 90_000, 80_000],
                notice_months: 3,
            }),
            "1b076d6f6e74686c7902733002733100000000000249f000031771000317730300000000000186a00000000000015f90000000000001388000000003",
        ),
        (Payload::AcceptPpa { ppa: hash("ppa") }, "1c487b57dd835898fcd923cfdbdabb01ba69d0364bb7c6bcb56077f4a8e1604ac6"),
        (Payload::TerminatePpa { ppa: hash("ppa2") }, "1da70b0283103a2edbf04cb9135bcc37606517077440527812e0f7227fc4140d9e"),
        (Payload::WithdrawPpa { ppa: hash("ppa3") }, "1ec530fa1af7456a18b50cc26b338fb0ac07e91f263322306d187a8be7494a1604"),
        (
            Payload::ConfigureCharging(ConfigureCharging {
                hold_expiry_ms: 86_400_000,
                max_prepay: MilliWon(100_000_000),
                auto_charge_max: MilliWon(30_000_000),
            }),
            "1f0000000005265c000000000005f5e1000000000001c9c380",
        ),
        (
            Payload::RegisterCharger(RegisterCharger {
                charger: charger("CP-1"),
                kind: ChargerKind::Fast,
                connectors: 2,
                price: PriceMilliWonPerKwh(324_400),
                idle_fee_per_min: MilliWon(100_000),
                idle_grace_min: 10,
                active: true,
                label: "주차장 B2".into(),
            }),
            "200443502d310002000000000004f33000000000000186a00000000a010ceca3bcecb0a8ec9ea5204232",
        ),
        (
            Payload::EnrollMember {
                account: addr(7),
                card: "04A2B9C1".into(),
            },
            "21ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c083034413242394331",
        ),
        (
            Payload::SetMember(SetMember {
                member_no: 10_000_001,
                status: MemberStatus::Blocked,
                valid_until_ms: 1_790_000_000_000,
                card: "04A2B9C2".into(),
            }),
            "22000000000098968101000001a0c4506c00083034413242394332",
        ),
        (
            Payload::SetAutoCharge {
                operator: addr(8),
                cap: MilliWon(20_000_000),
                valid_until_ms: 1_790_000_000_000,
            },
            "231398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca0000000001312d00000001a0c4506c00",
        ),
        (
            Payload::ChargingPrepay(ChargingPrepay {
                charger: charger("CP-1"),
                connector: 1,
                session: 7,
                payer: addr(7),
                amount: MilliWon(20_000_000),
            }),
            "240443502d31010000000000000007ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c0000000001312d00",
        ),
        (
            Payload::ChargingCancel(ChargingCancel {
                charger: charger("CP-1"),
                session: 7,
                payer: addr(7),
                energy_wh: 12_345,
                idle_min: 3,
                reason: StopReason::EvDisconnected,
            }),
            "250443502d310000000000000007ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c00000000000030390000000303",
        ),
        (
            Payload::ChargingSettle(SessionRef {
                charger: charger("CP-1"),
                session: 7,
                payer: addr(7),
            }),
            "260443502d310000000000000007ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
        ),
        (Payload::ExpireChargingHolds { max: 500 }, "27000001f4"),
        (
            Payload::ChangeValidators(ChangeValidators {
                add: vec![
                    ValidatorEntry {
                        public_key: addr(9),
                        p2p_addr: "10.0.0.6:7070".parse().unwrap(),
                    },
                    ValidatorEntry {
                        public_key: addr(10),
                        p2p_addr: "[2001:db8::2]:7071".parse().unwrap(),
                    },
                ],
                remove: vec![addr(11)],
            }),
            "2802fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618040a0000061b9e43a72e714401762df66b68c26dfbdf2682aaec9f2474eca4613e424a0fbafd3c0620010db80000000000000000000000021b9f0166be7e332c7a453332bd9d0a7f7db055f5c5ef1a06ada66d98b39fb6810c473a",
        ),
        (
            Payload::GrantMandate(GrantMandate {
                site: site("s0"),
                company: addr(12),
                sides: MandateSides::Both,
                markets: vec![market("monthly"), market("rt")],
                from_ms: 1,
                until_ms: Some(1_790_000_000_000),
                share_bp: 1_000,
            }),
            "290273300b513ad9b4924015ca0902ed079044d3ac5dbec2306f06948c10da8eb6e39f2d0202076d6f6e74686c79027274000000000000000101000001a0c4506c00000003e8",
        ),
        (
            Payload::RevokeMandate {
                site: site("s0"),
                company: addr(12),
            },
            "2a0273300b513ad9b4924015ca0902ed079044d3ac5dbec2306f06948c10da8eb6e39f2d",
        ),
    ]
}

#[test]
fn payload_golden_bytes_of_every_variant() {
    check_table(&cases(), tag_of, COUNT, Payload::TAGS);
}

#[test]
fn payload_next_tag_is_unknown() {
    check_next_tag_unknown::<Payload>(COUNT);
}
