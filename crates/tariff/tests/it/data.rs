//! The data file: the shipped one loads, corrupt variants are refused with an error.
use gridledger_tariff::{Error, TariffSet, KEPCO_JSON};
use serde_json::{json, Value};

fn shipped() -> Value {
    serde_json::from_str(KEPCO_JSON).unwrap()
}

fn refused(v: &Value) -> Error {
    TariffSet::from_json(&v.to_string()).expect_err("corrupt data must be refused")
}

#[test]
fn shipped_data_round_trips_through_value() {
    assert!(TariffSet::from_json(&shipped().to_string()).is_ok());
}

#[test]
fn residential_high_assumptions_are_marked() {
    let v = shipped();
    let note = v["versions"][0]["residential_high"]["note"]
        .as_str()
        .unwrap();
    assert!(
        note.contains("assumed from KEPCO's published table, verify"),
        "{note}"
    );
}

#[test]
fn corrupt_text_is_refused() {
    for text in ["", "{", "[]", "null", r#"{"format":"gridledger-tariff/1"}"#] {
        assert!(
            matches!(TariffSet::from_json(text), Err(Error::Json(_))),
            "{text:?}"
        );
    }
    // A float where a decimal string is expected.
    let text = KEPCO_JSON.replacen(
        r#""rate_won_per_kwh": "120.0""#,
        r#""rate_won_per_kwh": 120.0"#,
        1,
    );
    assert_ne!(text, KEPCO_JSON);
    assert!(TariffSet::from_json(&text).is_err());
}

type Edit = fn(&mut Value);

#[test]
fn corrupt_structures_are_refused() {
    let edits: Vec<(&str, Edit)> = vec![
        ("wrong format", |v| {
            v["format"] = json!("gridledger-tariff/2")
        }),
        ("no versions", |v| v["versions"] = json!([])),
        ("unknown field", |v| v["versions"][0]["surprise"] = json!(1)),
        ("unknown common field", |v| {
            v["versions"][0]["common"]["discount"] = json!("1")
        }),
        ("duplicate id", |v| {
            v["versions"][1]["id"] = json!("kepco-2023-05")
        }),
        ("versions out of order", |v| {
            let versions = v["versions"].as_array_mut().unwrap();
            versions.swap(0, 2);
        }),
        ("same effective date", |v| {
            v["versions"][1]["effective_from"] = json!("2023-05-16")
        }),
        ("bad date", |v| {
            v["versions"][0]["effective_from"] = json!("2024-02-30")
        }),
        ("empty id", |v| v["versions"][0]["id"] = json!("")),
        ("tiers descending", |v| {
            v["versions"][0]["residential_low"]["seasons"][1]["tiers"][1]["up_to_kwh"] =
                json!("150")
        }),
        ("zero tier limit", |v| {
            v["versions"][0]["residential_low"]["seasons"][1]["tiers"][0]["up_to_kwh"] = json!("0")
        }),
        ("last tier bounded", |v| {
            v["versions"][0]["residential_low"]["seasons"][1]["tiers"][2]["up_to_kwh"] =
                json!("900")
        }),
        ("middle tier open", |v| {
            v["versions"][0]["residential_low"]["seasons"][1]["tiers"][1]["up_to_kwh"] = Value::Null
        }),
        ("no tiers", |v| {
            v["versions"][0]["residential_low"]["seasons"][1]["tiers"] = json!([])
        }),
        ("base decreasing", |v| {
            v["versions"][0]["residential_low"]["seasons"][1]["tiers"][2]["base_won"] = json!("100")
        }),
        ("month 13", |v| {
            v["versions"][0]["residential_low"]["seasons"][0]["months"] = json!([7, 13])
        }),
        ("month missing", |v| {
            v["versions"][0]["residential_low"]["seasons"][0]["months"] = json!([7])
        }),
        ("month in two seasons", |v| {
            v["versions"][0]["general_low"]["seasons"][0]["months"] = json!([5, 6, 7, 8])
        }),
        ("no seasons", |v| {
            v["versions"][0]["general_low"]["seasons"] = json!([])
        }),
        ("super-user below tier", |v| {
            v["versions"][0]["residential_low"]["super_user"]["above_kwh"] = json!("420")
        }),
        ("super-user without months", |v| {
            v["versions"][0]["residential_low"]["super_user"]["months"] = json!([])
        }),
        ("too many decimals", |v| {
            v["versions"][0]["residential_low"]["seasons"][0]["tiers"][0]["rate_won_per_kwh"] =
                json!("120.0001")
        }),
        ("negative rate", |v| {
            v["versions"][0]["general_low"]["seasons"][0]["rate_won_per_kwh"] = json!("-132.4")
        }),
        ("negative fuel-cost adjustment", |v| {
            v["versions"][0]["common"]["fuel_cost_adjustment_won_per_kwh"] = json!("-5")
        }),
        ("garbage base", |v| {
            v["versions"][0]["general_low"]["base_won_per_kw"] = json!("6,160")
        }),
        ("VAT over 100 %", |v| {
            v["versions"][0]["common"]["vat_percent"] = json!("100.01")
        }),
        ("fund with 3 decimals", |v| {
            v["versions"][0]["common"]["fund_percent"] = json!("2.705")
        }),
        ("rounding unit 0", |v| {
            v["versions"][0]["common"]["rounding"]["total"] = json!({"floor_to_mwon": 0})
        }),
        ("unknown rounding", |v| {
            v["versions"][0]["common"]["rounding"]["total"] = json!({"ceil_to_mwon": 10})
        }),
        ("missing rounding rule", |v| {
            v["versions"][0]["common"]["rounding"]
                .as_object_mut()
                .unwrap()
                .remove("fund");
        }),
        ("missing class", |v| {
            v["versions"][2]
                .as_object_mut()
                .unwrap()
                .remove("general_low");
        }),
    ];
    for (name, edit) in edits {
        let mut v = shipped();
        edit(&mut v);
        let e = refused(&v);
        assert!(!e.to_string().is_empty(), "{name}");
    }
}
