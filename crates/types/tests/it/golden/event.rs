//! Golden bytes of every `Event` variant.
use super::{addr, charger, check_next_tag_unknown, check_table, contract, hash, market, site};
use gridledger_types::{
    DeviceKind, Event, GrantMandate, MandateSides, MemberStatus, MilliWon, PriceMilliWonPerKwh,
    Role, Side, ValidatorEntry,
};

const COUNT: u8 = 45;

/// Exhaustive: a new variant does not compile until it is listed here with its tag.
fn tag_of(e: &Event) -> u8 {
    match e {
        Event::ParticipantRegistered { .. } => 0,
        Event::ParticipantSuspended { .. } => 1,
        Event::ParticipantReinstated { .. } => 2,
        Event::DeviceRegistered { .. } => 3,
        Event::Minted { .. } => 4,
        Event::Burned { .. } => 5,
        Event::Transferred { .. } => 6,
        Event::HoldPlaced { .. } => 7,
        Event::HoldReleased { .. } => 8,
        Event::HoldCaptured { .. } => 9,
        Event::SiteRegistered { .. } => 10,
        Event::MeterBound { .. } => 11,
        Event::ReadingsAccepted { .. } => 12,
        Event::ReadingsCorrected { .. } => 13,
        Event::MarketConfigured { .. } => 14,
        Event::IntentionSubmitted { .. } => 15,
        Event::IntentionCancelled { .. } => 16,
        Event::PeriodCleared { .. } => 17,
        Event::ContractApproved { .. } => 18,
        Event::PeriodSettled { .. } => 19,
        Event::BillingConfigured { .. } => 20,
        Event::TariffSet { .. } => 21,
        Event::ContractDisputed { .. } => 22,
        Event::DisputeResolved { .. } => 23,
        Event::BillsIssued { .. } => 24,
        Event::BillPaid { .. } => 25,
        Event::BillOverdue { .. } => 26,
        Event::EscrowHeld { .. } => 27,
        Event::PpaProposed { .. } => 28,
        Event::PpaAccepted { .. } => 29,
        Event::PpaTerminated { .. } => 30,
        Event::PpaWithdrawn { .. } => 31,
        Event::PpaSettled { .. } => 32,
        Event::ChargingConfigured { .. } => 33,
        Event::ChargerRegistered { .. } => 34,
        Event::MemberEnrolled { .. } => 35,
        Event::MemberUpdated { .. } => 36,
        Event::AutoChargeSet { .. } => 37,
        Event::ChargingPrepaid { .. } => 38,
        Event::ChargingCancelled { .. } => 39,
        Event::ChargingSettled { .. } => 40,
        Event::ChargingRefunded { .. } => 41,
        Event::ValidatorsScheduled { .. } => 42,
        Event::MandateGranted(_) => 43,
        Event::MandateRevoked { .. } => 44,
    }
}

const PERIOD: u64 = 1_780_000_000_000;

fn cases() -> Vec<(Event, &'static str)> {
    vec![
        (
            Event::ParticipantRegistered {
                account: addr(1),
                role: Role::Bank,
            },
            "008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c01",
        ),
        (Event::ParticipantSuspended { account: addr(1) }, "018a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"),
        (Event::ParticipantReinstated { account: addr(2) }, "028139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"),
        (
            Event::DeviceRegistered {
                device: addr(2),
                kind: DeviceKind::Meter,
                owner: addr(3),
            },
            "038139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39400ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1",
        ),
        (
            Event::Minted {
                to: addr(1),
                amount: MilliWon(50_000_000),
                bank_ref: "DEP-0001".into(),
            },
            "048a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0000000002faf080084445502d30303031",
        ),
        (
            Event::Burned {
                from: addr(1),
                amount: MilliWon(1_000),
                bank_ref: "WD-1".into(),
            },
            "058a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c00000000000003e80457442d31",
        ),
        (
            Event::Transferred {
                from: addr(1),
                to: addr(2),
                amount: MilliWon(1_200_000),
            },
            "068a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3940000000000124f80",
        ),
        (
            Event::HoldPlaced {
                hold: hash("hold"),
                payer: addr(1),
                beneficiary: addr(2),
                amount: MilliWon(9_000),
                expires_at_ms: PERIOD,
            },
            "07e8b22d83b417e85ba4f24101a49a49cc3246a5e5e4ce6574623063e4e32801e08a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39400000000000023280000019e70448800",
        ),
        (
            Event::HoldReleased {
                hold: hash("hold"),
                payer: addr(1),
                amount: MilliWon(9_000),
            },
            "08e8b22d83b417e85ba4f24101a49a49cc3246a5e5e4ce6574623063e4e32801e08a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0000000000002328",
        ),
        (
            Event::HoldCaptured {
                hold: hash("hold"),
                beneficiary: addr(2),
                amount: MilliWon(2_000),
                returned: MilliWon(7_000),
            },
            "09e8b22d83b417e85ba4f24101a49a49cc3246a5e5e4ce6574623063e4e32801e08139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39400000000000007d00000000000001b58",
        ),
        (
            Event::SiteRegistered {
                site: site("bldg-a"),
                owner: addr(1),
                feeder: 4,
            },
            "0a06626c64672d618a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c00000004",
        ),
        (
            Event::MeterBound {
                meter: addr(4),
                site: site("bldg-a"),
            },
            "0bca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c06626c64672d61",
        ),
        (
            Event::ReadingsAccepted {
                meter: addr(4),
                site: site("bldg-a"),
                first_interval_start_ms: PERIOD,
                intervals: 24,
                import_wh: 1_500,
                export_wh: 3_100,
            },
            "0cca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c06626c64672d610000019e704488000000001800000000000005dc0000000000000c1c",
        ),
        (
            Event::ReadingsCorrected {
                site: site("bldg-a"),
                month: 202605,
                import_adjust_wh: -300,
                export_adjust_wh: 120,
                reason: "meter swap".into(),
            },
            "0d06626c64672d610003176dfffffffffffffed400000000000000780a6d657465722073776170",
        ),
        (
            Event::MarketConfigured {
                market: market("monthly"),
            },
            "0e076d6f6e74686c79",
        ),
        (
            Event::IntentionSubmitted {
                intention: hash("intention"),
                market: market("monthly"),
                period_start_ms: PERIOD,
                side: Side::Buy,
                site: site("apt1-101"),
                energy_wh: 500_000,
                limit: PriceMilliWonPerKwh(150_000),
            },
            "0f74a11fdc7152e49249187fd744495582f9fa7b0ad7dcd1ecbc3e2ed8dd222163076d6f6e74686c790000019e704488000008617074312d313031000000000007a12000000000000249f0",
        ),
        (
            Event::IntentionCancelled {
                intention: hash("intention"),
            },
            "1074a11fdc7152e49249187fd744495582f9fa7b0ad7dcd1ecbc3e2ed8dd222163",
        ),
        (
            Event::PeriodCleared {
                market: market("monthly"),
                period_start_ms: PERIOD,
                contracts: 2,
                matched_wh: 700_000,
                clearing_price: Some(PriceMilliWonPerKwh(140_000)),
            },
            "11076d6f6e74686c790000019e704488000000000200000000000aae600100000000000222e0",
        ),
        (
            Event::ContractApproved {
                market: market("monthly"),
                period_start_ms: PERIOD,
                number: 3,
                by: addr(2),
                approved: true,
            },
            "12076d6f6e74686c790000019e70448800000000038139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39401",
        ),
        (
            Event::PeriodSettled {
                market: market("monthly"),
                period_start_ms: PERIOD,
                delivered_wh: 650_000,
                energy_amount: MilliWon(91_000_000),
                fees: MilliWon(7_800_000),
            },
            "13076d6f6e74686c790000019e70448800000000000009eb1000000000056c8cc000000000007704c0",
        ),
        (
            Event::BillingConfigured {
                grid_company: addr(5),
                feed_in_price: PriceMilliWonPerKwh(80_000),
                due_day: 18,
            },
            "146e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf1000000000001388012",
        ),
        (
            Event::TariffSet {
                id: "kepco-2026".into(),
                effective: 20260101,
            },
            "150a6b6570636f2d3230323601352505",
        ),
        (
            Event::ContractDisputed {
                contract: contract(),
                by: addr(2),
                reason: "meter offline".into(),
            },
            "16076d6f6e74686c790000019e70448800000000078139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3940d6d65746572206f66666c696e65",
        ),
        (
            Event::DisputeResolved {
                contract: contract(),
                delivered_wh: 42_000,
            },
            "17076d6f6e74686c790000019e7044880000000007000000000000a410",
        ),
        (
            Event::BillsIssued {
                month: 202605,
                sites: 15,
                done: true,
            },
            "180003176d0000000f01",
        ),
        (
            Event::BillPaid {
                month: 202605,
                payer: addr(1),
                amount: MilliWon(33_000_000),
                late: true,
            },
            "190003176d8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0000000001f78a4001",
        ),
        (
            Event::BillOverdue {
                month: 202605,
                payer: addr(2),
                amount: MilliWon(12_000_000),
            },
            "1a0003176d8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3940000000000b71b00",
        ),
        (
            Event::EscrowHeld {
                intention: hash("intention"),
                amount: MilliWon(4_000_000),
            },
            "1b74a11fdc7152e49249187fd744495582f9fa7b0ad7dcd1ecbc3e2ed8dd22216300000000003d0900",
        ),
        (
            Event::PpaProposed {
                ppa: hash("ppa"),
                market: market("monthly"),
                seller_site: site("s0"),
                buyer_site: site("s1"),
                price: PriceMilliWonPerKwh(150_000),
                start_month: 202609,
                end_month: 202708,
            },
            "1c487b57dd835898fcd923cfdbdabb01ba69d0364bb7c6bcb56077f4a8e1604ac6076d6f6e74686c7902733002733100000000000249f000031771000317d4",
        ),
        (
            Event::PpaAccepted {
                ppa: hash("ppa"),
                by: addr(2),
            },
            "1d487b57dd835898fcd923cfdbdabb01ba69d0364bb7c6bcb56077f4a8e1604ac68139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394",
        ),
        (
            Event::PpaTerminated {
                ppa: hash("ppa"),
                by: addr(1),
                last_month: 202611,
                mutual: true,
            },
            "1e487b57dd835898fcd923cfdbdabb01ba69d0364bb7c6bcb56077f4a8e1604ac68a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0003177301",
        ),
        (
            Event::PpaWithdrawn {
                ppa: hash("ppa2"),
                by: addr(1),
            },
            "1fa70b0283103a2edbf04cb9135bcc37606517077440527812e0f7227fc4140d9e8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c",
        ),
        (
            Event::PpaSettled {
                ppa: hash("ppa"),
                month: 202609,
                delivered_wh: 80_000,
                energy_amount: MilliWon(12_000_000),
                fees: MilliWon(1_056_000),
            },
            "20487b57dd835898fcd923cfdbdabb01ba69d0364bb7c6bcb56077f4a8e1604ac60003177100000000000138800000000000b71b000000000000101d00",
        ),
        (
            Event::ChargingConfigured {
                operator: addr(8),
                hold_expiry_ms: 600_000,
            },
            "211398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca00000000000927c0",
        ),
        (
            Event::ChargerRegistered {
                charger: charger("CP-1"),
                owner: addr(8),
                created: true,
            },
            "220443502d311398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca01",
        ),
        (
            Event::MemberEnrolled {
                member_no: 10_000_001,
                account: addr(7),
                operator: addr(8),
            },
            "230000000000989681ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c1398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca",
        ),
        (
            Event::MemberUpdated {
                member_no: 10_000_001,
                status: MemberStatus::Blocked,
                valid_until_ms: 1_790_000_000_000,
            },
            "24000000000098968101000001a0c4506c00",
        ),
        (
            Event::AutoChargeSet {
                member_no: 10_000_001,
                operator: addr(8),
                cap: MilliWon(20_000_000),
            },
            "2500000000009896811398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca0000000001312d00",
        ),
        (
            Event::ChargingPrepaid {
                charger: charger("CP-1"),
                session: 1,
                member_no: 10_000_001,
                payer: addr(7),
                amount: MilliWon(20_000_000),
                expires_at_ms: PERIOD,
            },
            "260443502d3100000000000000010000000000989681ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c0000000001312d000000019e70448800",
        ),
        (
            Event::ChargingCancelled {
                charger: charger("CP-1"),
                session: 1,
                released: MilliWon(20_000_000),
                cost: MilliWon(3_244_000),
                energy_wh: 10_000,
            },
            "270443502d3100000000000000010000000001312d000000000000317fe00000000000002710",
        ),
        (
            Event::ChargingSettled {
                charger: charger("CP-1"),
                session: 1,
                payee: addr(8),
                cost: MilliWon(3_244_000),
            },
            "280443502d3100000000000000011398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca0000000000317fe0",
        ),
        (
            Event::ChargingRefunded {
                charger: charger("CP-2"),
                session: 2,
                payer: addr(7),
                amount: MilliWon(5_000_000),
            },
            "290443502d320000000000000002ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c00000000004c4b40",
        ),
        (
            Event::ValidatorsScheduled {
                epoch: 3,
                validators: vec![
                    ValidatorEntry {
                        public_key: addr(9),
                        p2p_addr: "10.0.0.1:7070".parse().unwrap(),
                    },
                    ValidatorEntry {
                        public_key: addr(10),
                        p2p_addr: "[2001:db8::2]:7071".parse().unwrap(),
                    },
                ],
            },
            "2a000000000000000302fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618040a0000011b9e43a72e714401762df66b68c26dfbdf2682aaec9f2474eca4613e424a0fbafd3c0620010db80000000000000000000000021b9f",
        ),
        (
            Event::MandateGranted(GrantMandate {
                site: site("s0"),
                company: addr(12),
                sides: MandateSides::Sell,
                markets: vec![market("monthly")],
                from_ms: 1,
                until_ms: Some(2),
                share_bp: 500,
            }),
            "2b0273300b513ad9b4924015ca0902ed079044d3ac5dbec2306f06948c10da8eb6e39f2d0001076d6f6e74686c790000000000000001010000000000000002000001f4",
        ),
        (
            Event::MandateRevoked {
                site: site("s0"),
                company: addr(12),
                revoked_at_ms: PERIOD,
            },
            "2c0273300b513ad9b4924015ca0902ed079044d3ac5dbec2306f06948c10da8eb6e39f2d0000019e70448800",
        ),
    ]
}

#[test]
fn event_golden_bytes_of_every_variant() {
    check_table(&cases(), tag_of, COUNT, Event::TAGS);
}

#[test]
fn event_next_tag_is_unknown() {
    check_next_tag_unknown::<Event>(COUNT);
}
