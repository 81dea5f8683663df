//! Nova `Instance` as novactor sends it: the primitive built from an `instances` row
//! (api and conductor send it to computes), and the flavor fields of the row's flavor
//! snapshot, whichever shape that snapshot has.

use serde_json::{Map, Value};

use super::envelope::{NovaObject, DATA};
use super::versions;
use crate::db::InstanceRow;

/// An instance row as the `Instance` primitive sent to a compute.
pub fn instance_primitive(row: &InstanceRow) -> Value {
    let mut data = match serde_json::to_value(row) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    data.insert("deleted".into(), Value::Bool(row.deleted != 0));
    NovaObject::new("Instance", versions::INSTANCE, data).to_primitive()
}

/// The flavor fields of an instance's `flavor` snapshot: the api stores a plain flavor; once
/// a compute saved the instance it is a `Flavor` primitive, possibly inside Nova's
/// `{"cur": …}`.
pub fn flavor_fields(snapshot: Value) -> Value {
    let mut flavor = snapshot;
    for key in ["cur", DATA] {
        if let Some(inner) = flavor.get(key).cloned() {
            flavor = inner;
        }
    }
    flavor
}
