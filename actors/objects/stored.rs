//! A Nova object kept between uses as its primitive's JSON text: what a compute keeps per
//! host (its node, its service row) costs a third of the parsed tree, which matters when a
//! process hosts a thousand of them; it is parsed again when used (every heartbeat or audit).

use super::envelope::{NovaObject, ObjectError};

/// One object, kept compact.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject(Box<str>);

impl StoredObject {
    /// Keep `object` (its fields and its changes).
    pub fn keep(object: &NovaObject) -> Self {
        Self(object.to_primitive().to_string().into_boxed_str())
    }

    /// The object as it was kept.
    pub fn load(&self) -> Result<NovaObject, ObjectError> {
        let primitive = serde_json::from_str(&self.0)
            .map_err(|error| ObjectError::Malformed(format!("kept object: {error}")))?;
        NovaObject::from_primitive(&primitive)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_object_comes_back_as_it_was_kept_with_its_changes() {
        let mut node = NovaObject::new(
            "ComputeNode",
            "1.19",
            json!({"id": 7, "cpu_allocation_ratio": 4.0, "stats": {"io_workload": "0"},
                   "supported_hv_specs": [], "cpu_info": "{\"arch\": \"x86_64\"}"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        node.set("vcpus_used", json!(3));
        let kept = StoredObject::keep(&node);
        assert_eq!(kept.load(), Ok(node));
    }
}
