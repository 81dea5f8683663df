//! Nova's versioned objects on the wire (oslo.versionedobjects as Nova serializes them):
//! the `nova_object.*` envelope and the objects the slice moves between services. Objects
//! are kept as their primitive field maps; each method that reads or writes them is a fixed
//! entry of the conductor's registry, not reflection.
//!
//! ```text
//! envelope.rs   NovaObject: the nova_object.* primitive form, ObjectError
//! typed.rs      TypedObject and the typed objects: Flavor, RequestSpec, Selection
//! versions.rs   versions of the objects kept as field maps (Instance, Service, …)
//! ```

mod envelope;
mod typed;
pub mod versions;

pub use envelope::{NovaObject, ObjectError, OBJECT_NAMESPACE};
pub use typed::{Flavor, RequestSpec, Selection, TypedObject};
