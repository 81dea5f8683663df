//! The primitive form of a Nova object (`nova/objects/base.py`: `OBJ_SERIAL_NAMESPACE =
//! 'nova_object'`, `OBJ_PROJECT_NAMESPACE = 'nova'`):
//! `{"nova_object.name", "nova_object.namespace", "nova_object.version",
//!   "nova_object.data": {...}, "nova_object.changes": [...]}`.

use serde_json::{Map, Value};

/// `nova_object.namespace` of every Nova object.
pub const OBJECT_NAMESPACE: &str = "nova";

const NAME: &str = "nova_object.name";
const NAMESPACE: &str = "nova_object.namespace";
const VERSION: &str = "nova_object.version";
/// The key of an object's field values.
pub(super) const DATA: &str = "nova_object.data";
const CHANGES: &str = "nova_object.changes";

/// One object in primitive form.
#[derive(Debug, Clone, PartialEq)]
pub struct NovaObject {
    /// Class name, e.g. `Service`.
    pub name: String,
    /// Object version, e.g. `1.22`.
    pub version: String,
    /// Field values (nested objects stay in primitive form).
    pub data: Map<String, Value>,
    /// Fields set since the object was loaded (what `save()` writes).
    pub changes: Vec<String>,
}

/// A value that is not a Nova object primitive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// Not a JSON object, or a member is missing or of the wrong type.
    #[error("not a Nova object primitive: {0}")]
    Malformed(String),
    /// `nova_object.namespace` is not `nova`.
    #[error("object namespace {0:?} is not \"nova\"")]
    WrongNamespace(String),
}

impl NovaObject {
    /// An object of class `name` at `version` with `data`, nothing changed.
    pub fn new(name: &str, version: &str, data: Map<String, Value>) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            data,
            changes: Vec::new(),
        }
    }

    /// Set `field` and record it as changed.
    pub fn set(&mut self, field: &str, value: Value) {
        self.data.insert(field.to_owned(), value);
        if !self.changes.iter().any(|c| c == field) {
            self.changes.push(field.to_owned());
        }
    }

    /// A field's value (`Null` when unset).
    pub fn get(&self, field: &str) -> &Value {
        self.data.get(field).unwrap_or(&Value::Null)
    }

    /// The primitive, as Nova's serializer emits it.
    pub fn to_primitive(&self) -> Value {
        let mut map = Map::new();
        map.insert(NAME.into(), Value::String(self.name.clone()));
        map.insert(NAMESPACE.into(), Value::String(OBJECT_NAMESPACE.into()));
        map.insert(VERSION.into(), Value::String(self.version.clone()));
        map.insert(DATA.into(), Value::Object(self.data.clone()));
        map.insert(
            CHANGES.into(),
            Value::Array(self.changes.iter().cloned().map(Value::String).collect()),
        );
        Value::Object(map)
    }

    /// Read a primitive; `nova_object.changes` may be absent (nothing changed).
    pub fn from_primitive(value: &Value) -> Result<Self, ObjectError> {
        let malformed = |what: &str| ObjectError::Malformed(what.to_owned());
        let map = value
            .as_object()
            .ok_or_else(|| malformed("expected a JSON object"))?;
        let text = |key: &str| {
            map.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| malformed(&format!("{key} missing or not a string")))
        };
        let namespace = text(NAMESPACE)?;
        if namespace != OBJECT_NAMESPACE {
            return Err(ObjectError::WrongNamespace(namespace));
        }
        let data = match map.get(DATA) {
            Some(Value::Object(data)) => data.clone(),
            _ => return Err(malformed(&format!("{DATA} missing or not an object"))),
        };
        let changes = match map.get(CHANGES) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| malformed("a change is not a field name"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(malformed(&format!("{CHANGES} is not a list"))),
        };
        Ok(Self {
            name: text(NAME)?,
            version: text(VERSION)?,
            data,
            changes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn primitive_round_trips_and_tracks_changes() {
        let mut service = NovaObject::new(
            "Service",
            "1.22",
            json!({"id": 3, "report_count": 7})
                .as_object()
                .cloned()
                .unwrap(),
        );
        service.set("report_count", json!(8));
        let primitive = service.to_primitive();
        assert_eq!(primitive["nova_object.namespace"], "nova");
        assert_eq!(primitive["nova_object.changes"], json!(["report_count"]));
        assert_eq!(NovaObject::from_primitive(&primitive).unwrap(), service);
    }

    #[test]
    fn malformed_primitives_are_errors() {
        for bad in [
            json!(1),
            json!({"nova_object.name": "X"}),
            json!({"nova_object.name": "X", "nova_object.namespace": "other", "nova_object.version": "1.0", "nova_object.data": {}}),
            json!({"nova_object.name": "X", "nova_object.namespace": "nova", "nova_object.version": "1.0", "nova_object.data": []}),
            json!({"nova_object.name": "X", "nova_object.namespace": "nova", "nova_object.version": "1.0", "nova_object.data": {}, "nova_object.changes": [1]}),
        ] {
            assert!(NovaObject::from_primitive(&bad).is_err(), "{bad}");
        }
    }
}
