//! Sites, meters and readings: every rule with its failure code, energy per interval and per
//! KST month, and audited corrections.
use gridledger_execution::test_utils::{addr, code, key, Chain, SiteBuilder};
use gridledger_execution::{interval_energy, meter, month_totals, site, Rejection};
use gridledger_types::{
    BindMeter, CorrectReadings, DeviceKind, Event, Payload, PrivateKey, Registers, SiteId,
    SiteKind, SubmitReadings,
};

/// 2025-07-01 00:00 KST.
const JULY_KST: u64 = 1_751_295_600_000;
const HOUR: u64 = 3_600_000;

fn sid(s: &str) -> SiteId {
    SiteId::new(s).unwrap()
}

fn register_site(c: &mut Chain, id: &str, owner: usize, class: &str, kw: u32) -> String {
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        SiteBuilder::default()
            .site(sid(id))
            .owner(c.user(owner))
            .kind(if kw > 0 {
                SiteKind::CommercialBuilding
            } else {
                SiteKind::Household
            })
            .tariff_class(class.into())
            .contract_kw(kw)
            .feeder(3)
            .name(format!("site {id}"))
            .payload(),
    );
    code(&r).to_string()
}

/// A chain at `JULY_KST - 1 h` with user 0's household site `h-1` and a bound meter.
fn setup() -> (Chain, PrivateKey) {
    let mut c = Chain::new(2);
    c.time_ms = JULY_KST - 2 * HOUR;
    assert_eq!(
        register_site(&mut c, "h-1", 0, "residential-low", 0),
        "success"
    );
    let m = key(777);
    let op = c.operator.clone();
    let owner = c.user(0);
    let r = c.exec(
        &op,
        Payload::RegisterDevice {
            device: addr(&m),
            kind: DeviceKind::Meter,
            owner,
            label: "m1".into(),
        },
    );
    assert_eq!(code(&r), "success");
    let r = c.exec(
        &op,
        Payload::BindMeter(BindMeter {
            meter: addr(&m),
            site: sid("h-1"),
        }),
    );
    assert_eq!(code(&r), "success");
    (c, m)
}

fn readings(first: u64, regs: &[(u64, u64)]) -> Payload {
    Payload::SubmitReadings(SubmitReadings {
        first_interval_start_ms: first,
        interval_ms: HOUR as u32,
        registers: regs
            .iter()
            .map(|(i, e)| Registers {
                import_wh: *i,
                export_wh: *e,
            })
            .collect(),
    })
}

/// Runs the meter's readings in a block at `at_ms`; returns the receipt code.
fn submit(c: &mut Chain, m: &PrivateKey, at_ms: u64, p: Payload) -> String {
    let tx = c.signed(m, p);
    let out = c.run_at(at_ms, &[tx]).unwrap();
    code(&out.receipts[0]).to_string()
}

#[test]
pub fn site_registration_rules() {
    let mut c = Chain::new(2);
    assert_eq!(
        register_site(&mut c, "b-1", 0, "general-low", 300),
        "success"
    );
    assert_eq!(
        register_site(&mut c, "b-1", 1, "general-low", 300),
        "site_exists"
    );
    assert_eq!(
        register_site(&mut c, "b-2", 0, "industrial", 300),
        "unknown_tariff_class"
    );
    assert_eq!(
        register_site(&mut c, "b-3", 0, "general-low", 0),
        "missing_contract_kw"
    );
    let s = site(&c.state, &sid("b-1")).unwrap();
    assert_eq!((s.owner, s.contract_kw, s.feeder), (c.user(0), 300, 3));
    // Only the operator registers sites.
    let u = c.users[1].clone();
    let r = c.exec(
        &u,
        SiteBuilder::default()
            .site(sid("x"))
            .owner(c.user(1))
            .name("x".into())
            .payload(),
    );
    assert_eq!(code(&r), "not_operator");
    assert!(site(&c.state, &sid("x")).is_none());
}

#[test]
pub fn meter_binding_rules() {
    let (mut c, m) = setup();
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        Payload::BindMeter(BindMeter {
            meter: addr(&m),
            site: sid("h-1"),
        }),
    );
    assert_eq!(code(&r), "already_bound");
    let charger = key(778);
    let owner = c.user(1);
    c.exec(
        &op,
        Payload::RegisterDevice {
            device: addr(&charger),
            kind: DeviceKind::Charger,
            owner,
            label: "c".into(),
        },
    );
    let r = c.exec(
        &op,
        Payload::BindMeter(BindMeter {
            meter: addr(&charger),
            site: sid("h-1"),
        }),
    );
    assert_eq!(code(&r), "not_a_meter");
    let r = c.exec(
        &op,
        Payload::BindMeter(BindMeter {
            meter: addr(&key(779)),
            site: sid("h-1"),
        }),
    );
    assert_eq!(code(&r), "unknown_device");
    // Only the operator binds meters, even the site's owner's own.
    let owner = c.users[0].clone();
    let r = c.exec(
        &owner,
        Payload::BindMeter(BindMeter {
            meter: addr(&charger),
            site: sid("h-1"),
        }),
    );
    assert_eq!(code(&r), "not_operator");
}

#[test]
pub fn readings_accumulate_per_interval_and_kst_month() {
    let (mut c, m) = setup();
    // Baseline at 23:00 KST on June 30, then 23:00-24:00 (June) and 00:00-01:00 (July).
    let start = JULY_KST - HOUR;
    assert_eq!(
        submit(
            &mut c,
            &m,
            JULY_KST + HOUR,
            readings(start, &[(1_000, 50), (1_400, 50), (1_900, 350)])
        ),
        "success"
    );
    assert_eq!(interval_energy(&c.state, &sid("h-1"), start).import_wh, 400);
    assert_eq!(
        interval_energy(&c.state, &sid("h-1"), JULY_KST).import_wh,
        500
    );
    assert_eq!(
        interval_energy(&c.state, &sid("h-1"), JULY_KST).export_wh,
        300
    );
    assert_eq!(month_totals(&c.state, &sid("h-1"), 202506).import_wh, 400);
    let july = month_totals(&c.state, &sid("h-1"), 202507);
    assert_eq!(
        (july.import_wh, july.export_wh, july.intervals),
        (500, 300, 1)
    );
    let ms = meter(&c.state, &addr(&m)).unwrap();
    assert_eq!(ms.last_boundary_ms, JULY_KST + HOUR);
    assert_eq!(
        ms.last,
        Registers {
            import_wh: 1_900,
            export_wh: 350
        }
    );

    // The next batch continues from the last reading.
    let t = JULY_KST + HOUR;
    assert_eq!(
        submit(
            &mut c,
            &m,
            t + 2 * HOUR,
            readings(t, &[(1_900, 350), (2_000, 350), (2_050, 360)])
        ),
        "success"
    );
    assert_eq!(month_totals(&c.state, &sid("h-1"), 202507).import_wh, 650);

    // A gap: the energy across it is counted in the month where it ends.
    let later = t + 5 * HOUR;
    let tx = c.signed(&m, readings(later, &[(2_150, 360), (2_200, 360)]));
    let out = c.run_at(later + HOUR, &[tx]).unwrap();
    match &out.receipts[0].events[0] {
        Event::ReadingsAccepted {
            intervals,
            import_wh,
            ..
        } => assert_eq!((*intervals, *import_wh), (1, 150)),
        e => panic!("{e:?}"),
    }
    assert_eq!(month_totals(&c.state, &sid("h-1"), 202507).import_wh, 800);
}

#[test]
pub fn bad_readings_fail_with_their_code_and_change_nothing() {
    let (mut c, m) = setup();
    let start = JULY_KST - HOUR;
    assert_eq!(
        submit(&mut c, &m, JULY_KST, readings(start, &[(100, 0), (200, 0)])),
        "success"
    );
    let before = c.state.clone();
    let now = JULY_KST + 10 * HOUR;
    let cases = [
        (readings(start, &[(200, 0), (300, 0)]), "duplicate_interval"),
        (
            readings(JULY_KST, &[(250, 0), (300, 0)]),
            "register_mismatch",
        ),
        (
            readings(JULY_KST, &[(200, 0), (150, 0)]),
            "register_backwards",
        ),
        (
            readings(JULY_KST + 2 * HOUR, &[(100, 0), (300, 0)]),
            "register_backwards",
        ),
        (
            readings(JULY_KST + 9 * HOUR + 1, &[(200, 0), (300, 0)]),
            "misaligned_interval",
        ),
        (
            readings(JULY_KST + 10 * HOUR, &[(200, 0), (300, 0)]),
            "future_reading",
        ),
        (readings(JULY_KST, &[(200, 0)]), "too_few_readings"),
        (
            Payload::SubmitReadings(SubmitReadings {
                first_interval_start_ms: JULY_KST,
                interval_ms: 60_000,
                registers: vec![
                    Registers {
                        import_wh: 200,
                        export_wh: 0
                    };
                    2
                ],
            }),
            "invalid_interval",
        ),
    ];
    for (p, want) in cases {
        let nonce_before = gridledger_execution::account(&c.state, &addr(&m)).nonce;
        assert_eq!(submit(&mut c, &m, now, p), want);
        // Only the meter's nonce moved.
        let mut expected = before.clone();
        let mut acct = gridledger_execution::account(&before, &addr(&m));
        acct.nonce = nonce_before + 1;
        expected.insert(
            gridledger_execution::StateKey::Account(addr(&m)),
            gridledger_execution::StateValue::Account(acct),
        );
        let mut got = c.state.clone();
        got.retain(
            |k, _| !matches!(k, gridledger_execution::StateKey::Account(a) if *a != addr(&m)),
        );
        expected.retain(
            |k, _| !matches!(k, gridledger_execution::StateKey::Account(a) if *a != addr(&m)),
        );
        assert_eq!(got, expected, "{want} changed state");
    }
}

#[test]
pub fn only_bound_meters_sign_readings_and_meters_sign_nothing_else() {
    let (mut c, m) = setup();
    // A key that is no device: refused at admission.
    let stranger = key(900);
    let tx = c.signed(&stranger, readings(JULY_KST - HOUR, &[(1, 0), (2, 0)]));
    assert!(matches!(c.run(&[tx]), Err((0, Rejection::UnknownSigner))));
    // A meter cannot move money.
    let to = c.user(1);
    let tx = c.signed(
        &m,
        Payload::Transfer {
            to,
            amount: gridledger_types::MilliWon(1),
            memo: String::new(),
        },
    );
    assert!(matches!(c.run(&[tx]), Err((0, Rejection::UnknownSigner))));
    // A registered but unbound meter: a failed receipt.
    let op = c.operator.clone();
    let owner = c.user(1);
    let m2 = key(901);
    c.exec(
        &op,
        Payload::RegisterDevice {
            device: addr(&m2),
            kind: DeviceKind::Meter,
            owner,
            label: "m2".into(),
        },
    );
    assert_eq!(
        submit(
            &mut c,
            &m2,
            JULY_KST,
            readings(JULY_KST - HOUR, &[(1, 0), (2, 0)])
        ),
        "unbound_meter"
    );
}

#[test]
pub fn corrections_are_audited_and_bounded() {
    let (mut c, m) = setup();
    assert_eq!(
        submit(
            &mut c,
            &m,
            JULY_KST + HOUR,
            readings(JULY_KST, &[(0, 0), (1_000, 0)])
        ),
        "success"
    );
    let op = c.operator.clone();
    let fix = |adj: i64, reason: &str| {
        Payload::CorrectReadings(CorrectReadings {
            site: sid("h-1"),
            month: 202507,
            import_adjust_wh: adj,
            export_adjust_wh: 0,
            reason: reason.into(),
        })
    };
    let r = c.exec(&op, fix(-200, "meter drift confirmed on site"));
    assert_eq!(code(&r), "success");
    assert!(matches!(
        &r.events[0],
        Event::ReadingsCorrected {
            import_adjust_wh: -200,
            ..
        }
    ));
    let t = month_totals(&c.state, &sid("h-1"), 202507);
    assert_eq!((t.import_wh, t.corrections), (800, 1));
    assert_eq!(
        code(&c.exec(&op, fix(-801, "too much"))),
        "correction_out_of_range"
    );
    assert_eq!(code(&c.exec(&op, fix(5, ""))), "missing_reason");
    let u = c.users[0].clone();
    assert_eq!(code(&c.exec(&u, fix(5, "self-service"))), "not_operator");
    assert_eq!(month_totals(&c.state, &sid("h-1"), 202507).import_wh, 800);
}

#[test]
pub fn the_directory_lists_participants_devices_sites_with_meters_and_settings_in_key_order() {
    let (mut c, m) = setup();
    assert_eq!(
        register_site(&mut c, "b-1", 1, "general-low", 50),
        "success"
    );
    c.with_billing(50);
    let d = gridledger_execution::directory(&c.state);
    // Genesis operator and bank, two users, the grid company: sorted by address.
    assert_eq!(d.participants.len(), 5);
    let addrs: Vec<_> = d.participants.iter().map(|p| p.address.clone()).collect();
    let mut sorted = addrs.clone();
    sorted.sort();
    assert_eq!(addrs, sorted);
    assert!(d.participants.iter().any(|p| p.name == "user-1"));
    assert_eq!(d.devices.len(), 1);
    assert_eq!(d.devices[0].device, addr(&m));
    assert_eq!(d.devices[0].kind, DeviceKind::Meter);
    let sites: Vec<_> = d.sites.iter().map(|s| s.site.as_str()).collect();
    assert_eq!(sites, ["b-1", "h-1"]);
    assert_eq!(d.sites[1].meters, vec![addr(&m)]);
    assert!(d.sites[0].meters.is_empty());
    assert_eq!(d.sites[0].record.contract_kw, 50);
    assert!(d.billing.as_ref().is_some_and(|b| b.due_day == 18));
    assert!(
        !d.tariffs.is_empty(),
        "genesis stores the built-in tariff versions"
    );
    assert!(d.markets.is_empty());
    // The same state gives the same directory.
    assert_eq!(d, gridledger_execution::directory(&c.state.clone()));
}
