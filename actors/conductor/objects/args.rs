//! What every object method on the conductor shares: reading its arguments (positional or
//! keyword, as oslo passes them), the failure for an unserved method, and a row as an
//! object's fields.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::exception::NovaException;
use crate::objects::{isotime, NovaObject};
use novactor::rpc::RemoteFailure;

pub(super) fn unsupported(object: &str, method: &str) -> RemoteFailure {
    NovaException::ObjectActionError.failure(
        format!("Object action {method} failed because: {object}.{method} is not served by novactor's conductor"),
    )
}

pub(super) fn bad_argument(what: &str) -> RemoteFailure {
    RemoteFailure::value_error(format!("object call: {what}"))
}

/// Positional argument `index`, or keyword `name`, as a string.
pub(super) fn text_arg(
    args: &[Value],
    kwargs: &Map<String, Value>,
    index: usize,
    name: &str,
) -> Result<String, RemoteFailure> {
    args.get(index)
        .or_else(|| kwargs.get(name))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad_argument(&format!("argument {name} missing or not a string")))
}

/// Whether a row's column is one of Nova's `DateTimeField`s: in the rows served as they
/// are (services, faults, action events) those are exactly the `*_at`, `*_time` and
/// `last_seen_up` columns.
fn is_time_column(name: &str) -> bool {
    name.ends_with("_at") || name.ends_with("_time") || name == "last_seen_up"
}

/// A row as an object's field map: `deleted` becomes the boolean Nova objects carry, times
/// the `DateTimeField` wire form (`isotime`: whole seconds, `Z`).
pub(super) fn fields_of(row: &impl Serialize) -> Result<Map<String, Value>, RemoteFailure> {
    let mut data = match serde_json::to_value(row) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            return Err(RemoteFailure::runtime_error(format!(
                "row serialized to {other}, not an object"
            )))
        }
        Err(error) => {
            return Err(RemoteFailure::runtime_error(format!(
                "row did not serialize: {error}"
            )))
        }
    };
    if let Some(deleted) = data.get("deleted").and_then(Value::as_i64) {
        data.insert("deleted".into(), Value::Bool(deleted != 0));
    }
    for (name, value) in data.iter_mut() {
        if !is_time_column(name) {
            continue;
        }
        if let Some(at) = value
            .as_str()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        {
            *value = Value::String(isotime(&at.with_timezone(&Utc)));
        }
    }
    Ok(data)
}

pub(super) fn object_of(
    name: &str,
    version: &str,
    row: &impl Serialize,
) -> Result<Value, RemoteFailure> {
    Ok(NovaObject::new(name, version, fields_of(row)?).to_primitive())
}

#[cfg(test)]
mod tests {
    use super::fields_of;
    use serde_json::json;

    #[test]
    fn rows_become_nova_fields() {
        let row = json!({"id": 3, "deleted": 0, "created_at": "2026-12-06T06:57:16.123456Z",
                         "last_seen_up": null, "start_time": "2026-12-06T06:57:16+00:00",
                         "host": "2026-12-06T06:57:16Z_at"});
        let fields = fields_of(&row).unwrap();
        assert_eq!(fields["deleted"], false);
        assert_eq!(fields["created_at"], "2026-12-06T06:57:16Z");
        assert_eq!(fields["start_time"], "2026-12-06T06:57:16Z");
        assert_eq!(fields["last_seen_up"], json!(null));
        assert_eq!(fields["host"], "2026-12-06T06:57:16Z_at");
    }
}
