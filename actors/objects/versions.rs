//! Object versions this novactor speaks (Nova's current ones), for the
//! objects kept as field maps; the typed ones carry theirs as `TypedObject::VERSION`.

/// `Instance`.
pub const INSTANCE: &str = "2.8";
/// `InstanceList`.
pub const INSTANCE_LIST: &str = "2.6";
/// `Service`.
pub const SERVICE: &str = "1.22";
/// `ComputeNode`.
pub const COMPUTE_NODE: &str = "1.19";
