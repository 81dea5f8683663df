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

#[cfg(test)]
mod tests {
    use super::flavor_fields;
    use serde_json::json;

    #[test]
    fn flavor_fields_read_every_snapshot_shape() {
        let plain = json!({"flavorid": "1", "memory_mb": 512});
        let primitive = json!({"nova_object.name": "Flavor", "nova_object.data": plain.clone()});
        assert_eq!(flavor_fields(plain.clone()), plain);
        assert_eq!(flavor_fields(primitive.clone()), plain);
        assert_eq!(flavor_fields(json!({"cur": primitive, "old": null})), plain);
        assert_eq!(flavor_fields(json!(null)), json!(null));
    }
}
