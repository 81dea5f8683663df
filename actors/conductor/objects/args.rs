//! What every object method on the conductor shares: reading its arguments (positional or
//! keyword, as oslo passes them), the failure for an unserved method, and a row as an
//! object's fields.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::exception::NovaException;
use crate::objects::NovaObject;
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

/// A row as an object's field map; `deleted` becomes the boolean Nova objects carry.
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
    Ok(data)
}

pub(super) fn object_of(
    name: &str,
    version: &str,
    row: &impl Serialize,
) -> Result<Value, RemoteFailure> {
    Ok(NovaObject::new(name, version, fields_of(row)?).to_primitive())
}
