//! Nova's versioned objects on the wire (oslo.versionedobjects as Nova serializes them):
//! the `nova_object.*` envelope and the objects the slice moves between api, conductor,
//! scheduler and compute — the shapes those services share, so none reaches into another's
//! internals for them. Objects are kept as their primitive field maps or as typed structs;
//! each method that reads or writes them is a fixed entry of the conductor's registry, not
//! reflection.
//!
//! ```text
//! envelope.rs      NovaObject: the nova_object.* primitive, encode beside decode
//! compute_node.rs  ComputeNode and HVSpec: Nova's fields <-> the compute_nodes columns
//! datetime.rs      DateTimeField's wire form
//! typed.rs         Flavor, RequestSpec, Selection, BuildRequest as typed structs
//! instance_group.rs  InstanceGroup, the server group a RequestSpec carries
//! injected_files.rs  personality files on the wire ([path, base64]) and Nova's _decode_files
//! instance.rs      the Instance primitive of an instances row, InstanceList, BuildRequest's uuid
//! instance_fields.rs  Nova's Instance fields of an instances row (Instance._from_db_object),
//!                  the flavor snapshot as Flavor objects and back
//! network_info.rs  Nova's NetworkInfo JSON of a lab network port (info_cache.network_info)
//! versions.rs      the versions of the objects kept as field maps
//! limits.rs        limits more than one service enforces
//! ```

pub mod compute_node;
mod datetime;
mod envelope;
pub mod injected_files;
pub mod instance;
pub mod instance_fields;
mod instance_group;
pub mod limits;
pub mod network_info;
mod stored;
mod typed;
pub mod versions;

pub use datetime::{isotime, wire_time};
pub use envelope::{NovaObject, ObjectError, OBJECT_NAMESPACE};
pub use instance_group::{InstanceGroup, GROUP_POLICIES};
pub use stored::StoredObject;
pub use typed::{BuildRequest, Destination, Flavor, RequestSpec, Selection, TypedObject};
