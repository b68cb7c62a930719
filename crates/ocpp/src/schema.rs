//! The fields the central system reads of each charger call, and the check that each is present
//! when required, of the right JSON type, within its OCPP length and inside its enumeration.
//!
//! A subset of the official JSON schemas (tables in [crate::v16] and [crate::v201]): only the
//! fields we read. Fields we do not read are not looked at, so vendor additions pass. Each
//! violation has its OCPP-J error code:
//!
//! | violation | code |
//! |---|---|
//! | a required field is missing, a list has too few items | `OccurrenceConstraintViolation` |
//! | a wrong JSON type (`"connectorId": "one"`), a string longer than its OCPP type (`CiString20Type`, `string(36)`) | `TypeConstraintViolation` |
//! | a value outside its enumeration (`"status": "Bogus"`) or its range (`"connectorId": -1`) | `PropertyConstraintViolation` |
//!
//! The description names the field by its path (`meterValue[0].sampledValue[1].unit`), never
//! its value.

use crate::frame::ErrorCode;
use serde_json::{Map, Value};

/// What a field must be.
#[derive(Debug)]
pub enum Kind {
    /// A string of at most this many characters.
    Text(usize),
    /// A string from this list (exact, as the schemas spell them).
    Enum(&'static [&'static str]),
    /// An integer from the first to the second bound, inclusive.
    Int(i64, i64),
    /// Any JSON number (2.0.1 `decimal`).
    Number,
    /// `true` or `false`.
    Bool,
    /// A date-time: must be a string; its format is read leniently by [crate::time].
    Time,
    /// An object with these fields.
    Object(&'static [Field]),
    /// A list of at least this many items of this kind.
    List(&'static Kind, usize),
    /// Any JSON value.
    Any,
}

/// One field of an object.
#[derive(Debug)]
pub struct Field {
    /// The JSON name.
    pub name: &'static str,
    /// Whether it must be present.
    pub required: bool,
    /// What it must be.
    pub kind: Kind,
}

/// A field that must be present.
pub const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: true,
        kind,
    }
}

/// A field that may be absent.
pub const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: false,
        kind,
    }
}

/// OCPP `integer` (32 bits, signed) at or above `min`.
pub const fn int_from(min: i64) -> Kind {
    Kind::Int(min, i32::MAX as i64)
}

/// A string without a length limit (the message limit bounds it).
pub const TEXT: Kind = Kind::Text(usize::MAX);

/// What is wrong with a payload: the code and a description naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The OCPP-J error code.
    pub code: ErrorCode,
    /// The field's path, e.g. `meterValue[0].sampledValue[1].unit`.
    pub field: String,
    /// What is wrong with it.
    pub what: String,
}

impl Violation {
    fn new(code: ErrorCode, field: &str, what: impl Into<String>) -> Violation {
        Violation {
            code,
            field: field.to_owned(),
            what: what.into(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, self.what)
    }
}

/// Checks `payload` (a JSON object) against `fields`; the first violation, in field order.
pub fn check(fields: &[Field], payload: &Value) -> Result<(), Violation> {
    match payload {
        Value::Object(map) => check_object(fields, map, ""),
        _ => Err(Violation::new(
            ErrorCode::TypeConstraintViolation,
            "payload",
            "is not an object",
        )),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn check_object(fields: &[Field], map: &Map<String, Value>, path: &str) -> Result<(), Violation> {
    for field in fields {
        let at = join(path, field.name);
        match map.get(field.name) {
            None if field.required => {
                return Err(Violation::new(
                    ErrorCode::OccurrenceConstraintViolation,
                    &at,
                    "is required",
                ))
            }
            None => {}
            Some(value) => check_value(&field.kind, value, &at)?,
        }
    }
    Ok(())
}

fn wrong_type(at: &str, expected: &str) -> Violation {
    Violation::new(
        ErrorCode::TypeConstraintViolation,
        at,
        format!("must be {expected}"),
    )
}

fn check_value(kind: &Kind, value: &Value, at: &str) -> Result<(), Violation> {
    match kind {
        Kind::Any => Ok(()),
        Kind::Text(max) => {
            let text = value.as_str().ok_or_else(|| wrong_type(at, "a string"))?;
            if text.chars().count() > *max {
                return Err(Violation::new(
                    ErrorCode::TypeConstraintViolation,
                    at,
                    format!("is longer than {max} characters"),
                ));
            }
            Ok(())
        }
        Kind::Time => value
            .as_str()
            .map(|_| ())
            .ok_or_else(|| wrong_type(at, "a date-time string")),
        Kind::Enum(allowed) => {
            let text = value.as_str().ok_or_else(|| wrong_type(at, "a string"))?;
            if allowed.contains(&text) {
                Ok(())
            } else {
                Err(Violation::new(
                    ErrorCode::PropertyConstraintViolation,
                    at,
                    "is not one of its allowed values",
                ))
            }
        }
        Kind::Int(min, max) => {
            let Value::Number(n) = value else {
                return Err(wrong_type(at, "an integer"));
            };
            let in_range = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => (*min..=*max).contains(&i),
                // Above i64::MAX: out of every range we use.
                (None, Some(_)) => false,
                (None, None) => return Err(wrong_type(at, "an integer")),
            };
            if in_range {
                Ok(())
            } else {
                Err(Violation::new(
                    ErrorCode::PropertyConstraintViolation,
                    at,
                    format!("is outside {min}..={max}"),
                ))
            }
        }
        Kind::Number => value
            .is_number()
            .then_some(())
            .ok_or_else(|| wrong_type(at, "a number")),
        Kind::Bool => value
            .is_boolean()
            .then_some(())
            .ok_or_else(|| wrong_type(at, "true or false")),
        Kind::Object(fields) => match value {
            Value::Object(map) => check_object(fields, map, at),
            _ => Err(wrong_type(at, "an object")),
        },
        Kind::List(item, min) => {
            let Value::Array(items) = value else {
                return Err(wrong_type(at, "a list"));
            };
            if items.len() < *min {
                return Err(Violation::new(
                    ErrorCode::OccurrenceConstraintViolation,
                    at,
                    format!("needs at least {min} item(s)"),
                ));
            }
            items
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| check_value(item, v, &format!("{at}[{i}]")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ITEM: Kind = Kind::Object(&[
        req("value", Kind::Number),
        opt("unit", Kind::Enum(&["Wh", "kWh"])),
    ]);
    const FIELDS: &[Field] = &[
        req("id", Kind::Text(5)),
        req("n", int_from(1)),
        opt("flag", Kind::Bool),
        opt("at", Kind::Time),
        opt("items", Kind::List(&ITEM, 1)),
        opt("any", Kind::Any),
    ];

    fn fails(payload: Value) -> (ErrorCode, String) {
        let v = check(FIELDS, &payload).expect_err("a violation");
        (v.code, v.to_string())
    }

    #[test]
    fn a_valid_payload_passes_and_unknown_fields_are_ignored() {
        check(FIELDS, &json!({"id": "abcde", "n": 1})).unwrap();
        check(
            FIELDS,
            &json!({"id": "é", "n": 2147483647, "flag": false, "at": "whenever",
                "items": [{"value": 1.5, "unit": "kWh"}, {"value": 2}], "any": [null],
                "vendorThing": {"x": 1}}),
        )
        .unwrap();
    }

    #[test]
    fn each_violation_has_its_code_and_names_the_field_not_the_value() {
        use ErrorCode::*;
        let cases = [
            (
                json!({"n": 1}),
                OccurrenceConstraintViolation,
                "id is required",
            ),
            (
                json!({"id": 5, "n": 1}),
                TypeConstraintViolation,
                "id must be a string",
            ),
            (
                json!({"id": "abcdef", "n": 1}),
                TypeConstraintViolation,
                "id is longer than 5 characters",
            ),
            (
                json!({"id": "a", "n": "1"}),
                TypeConstraintViolation,
                "n must be an integer",
            ),
            (
                json!({"id": "a", "n": 1.5}),
                TypeConstraintViolation,
                "n must be an integer",
            ),
            (
                json!({"id": "a", "n": 0}),
                PropertyConstraintViolation,
                "n is outside 1..=2147483647",
            ),
            (
                json!({"id": "a", "n": 2147483648_u64}),
                PropertyConstraintViolation,
                "n is outside 1..=2147483647",
            ),
            (
                json!({"id": "a", "n": u64::MAX}),
                PropertyConstraintViolation,
                "n is outside 1..=2147483647",
            ),
            (
                json!({"id": "a", "n": 1, "flag": "yes"}),
                TypeConstraintViolation,
                "flag must be true or false",
            ),
            (
                json!({"id": "a", "n": 1, "at": 17}),
                TypeConstraintViolation,
                "at must be a date-time string",
            ),
            (
                json!({"id": "a", "n": 1, "items": []}),
                OccurrenceConstraintViolation,
                "items needs at least 1 item(s)",
            ),
            (
                json!({"id": "a", "n": 1, "items": {}}),
                TypeConstraintViolation,
                "items must be a list",
            ),
            (
                json!({"id": "a", "n": 1, "items": [7]}),
                TypeConstraintViolation,
                "items[0] must be an object",
            ),
            (
                json!({"id": "a", "n": 1, "items": [{"value": 1}, {"unit": "Wh"}]}),
                OccurrenceConstraintViolation,
                "items[1].value is required",
            ),
            (
                json!({"id": "a", "n": 1, "items": [{"value": "1"}]}),
                TypeConstraintViolation,
                "items[0].value must be a number",
            ),
            (
                json!({"id": "a", "n": 1, "items": [{"value": 1, "unit": "Bogus"}]}),
                PropertyConstraintViolation,
                "items[0].unit is not one of its allowed values",
            ),
        ];
        for (payload, code, text) in cases {
            assert_eq!(fails(payload.clone()), (code, text.to_owned()), "{payload}");
        }
        assert_eq!(
            fails(json!([1])),
            (
                TypeConstraintViolation,
                "payload is not an object".to_owned()
            )
        );
        // Enumerations are exact (the schemas' spelling).
        assert_eq!(
            fails(json!({"id": "a", "n": 1, "items": [{"value": 1, "unit": "wh"}]})).0,
            PropertyConstraintViolation
        );
    }
}
