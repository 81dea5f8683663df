//! The checks of an action's value the action files share, with the 400 texts of Nova's
//! schema validation (`nova/api/validation/validators.py`).

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;

/// Nova's 400 for a value its schema refuses: `Invalid input for field/attribute <field>.
/// Value: <value>. <why>`.
pub(crate) fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// The members of an action's object value, refusing any not in `allowed` (Nova's
/// `additionalProperties: False`) and any value that is no object.
pub(crate) fn object_members<'a>(
    action: &str,
    value: &'a Value,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, ApiFault> {
    match value {
        Value::Object(map) => {
            if let Some(extra) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err(invalid(
                    action,
                    value,
                    &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
                ));
            }
            Ok(map)
        }
        other => Err(invalid(
            action,
            other,
            &format!("{other} is not of type 'object'"),
        )),
    }
}

/// As [`object_members`], and `null` is allowed too (no members).
pub(crate) fn nullable_members<'a>(
    action: &str,
    value: &'a Value,
    allowed: &[&str],
) -> Result<Option<&'a Map<String, Value>>, ApiFault> {
    match value {
        Value::Null => Ok(None),
        Value::Object(_) => object_members(action, value, allowed).map(Some),
        other => Err(invalid(
            action,
            other,
            &format!("{other} is not of type 'object', 'null'"),
        )),
    }
}
