//! Nova `Instance` as novactor sends it: the primitive built from an `instances` row
//! (api and conductor send it to computes; its fields are `instance_fields.rs`'s, which also
//! reads the flavor snapshot: `flavor_fields` is re-exported here for its readers).

use serde_json::{Map, Value};

use super::envelope::{NovaObject, DATA};
pub use super::instance_fields::flavor_fields;
use super::instance_fields::{instance_fields, CAST_ATTRS};
use super::versions;
use crate::db::InstanceRow;

/// An instance row as the `Instance` primitive sent to a compute: Nova's fields, with the
/// optional ones Nova's casts carry (`instance_fields::CAST_ATTRS`).
pub fn instance_primitive(row: &InstanceRow) -> Value {
    instance_primitive_with(row, CAST_ATTRS)
}

/// An instance row as the `Instance` primitive with the optional fields `expected_attrs`.
pub fn instance_primitive_with(row: &InstanceRow, expected_attrs: &[&str]) -> Value {
    NovaObject::new(
        "Instance",
        versions::INSTANCE,
        instance_fields(row, expected_attrs),
    )
    .to_primitive()
}

/// An `InstanceList` of `instances` (`Instance` primitives), as the computes send their
/// instance view to the scheduler (`objects` marked changed, as Nova's `InstanceList`
/// built in `_sync_scheduler_instance_info` is).
pub fn instance_list_primitive(instances: Vec<Value>) -> Value {
    let mut list = NovaObject::new("InstanceList", versions::INSTANCE_LIST, Map::new());
    list.set("objects", Value::Array(instances));
    list.to_primitive()
}

/// The instance uuid a `BuildRequest` primitive names: its `instance_uuid`, else the uuid
/// of its nested `Instance` (read leniently: a newer api may send more fields).
pub fn build_request_instance_uuid(build_request: &Value) -> Option<String> {
    let data = build_request.get(DATA)?;
    data.get("instance_uuid")
        .or_else(|| data.get("instance")?.get(DATA)?.get("uuid"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn an_instance_list_is_nova_s_primitive() {
        let list = super::instance_list_primitive(vec![json!({"uuid": "u"})]);
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"{"nova_object.name":"InstanceList","nova_object.namespace":"nova","nova_object.version":"2.6","nova_object.data":{"objects":[{"uuid":"u"}]},"nova_object.changes":["objects"]}"#
        );
    }

    #[test]
    fn a_build_request_names_its_instance_directly_or_through_the_instance() {
        use super::build_request_instance_uuid as uuid;
        assert_eq!(
            uuid(&json!({"nova_object.data": {"instance_uuid": "a"}})).as_deref(),
            Some("a")
        );
        let nested = json!({"nova_object.data": {"instance": {"nova_object.data": {"uuid": "b"}}}});
        assert_eq!(uuid(&nested).as_deref(), Some("b"));
        assert_eq!(uuid(&json!({"instance_uuid": "c"})), None);
    }
}
