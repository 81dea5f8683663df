//! Nova's versioned objects on the wire (oslo.versionedobjects as Nova serializes them):
//! the `nova_object.*` envelope and the objects the slice moves between compute and
//! conductor. Objects are kept as their primitive field maps; each method that reads or
//! writes them is a fixed entry of the conductor's registry, not reflection.

mod envelope;
mod typed;

pub use envelope::{NovaObject, ObjectError, OBJECT_NAMESPACE};
pub use typed::{Flavor, RequestSpec, Selection, TypedObject};

/// Object versions this novactor speaks (nova-slice.md §1.3: Nova's current ones).
pub mod versions {
    /// `Instance`.
    pub const INSTANCE: &str = "2.8";
    /// `InstanceList`.
    pub const INSTANCE_LIST: &str = "2.6";
    /// `Service`.
    pub const SERVICE: &str = "1.22";
    /// `ComputeNode`.
    pub const COMPUTE_NODE: &str = "1.19";
}
