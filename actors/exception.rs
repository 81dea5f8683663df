//! The `nova.exception` classes the slice sends and receives as RPC failures. A failure
//! crosses the wire as (module, class, message); callers match on the class name, as
//! Nova's code does on exception types.

use novactor::rpc::{FailureClass, RemoteFailure};

/// Python module of Nova's exceptions.
pub const MODULE: &str = "nova.exception";

/// Nova exception classes by name.
pub mod class {
    /// `InstanceNotFound`.
    pub const INSTANCE_NOT_FOUND: &str = "InstanceNotFound";
    /// `UnexpectedTaskStateError`.
    pub const UNEXPECTED_TASK_STATE: &str = "UnexpectedTaskStateError";
    /// `UnexpectedDeletingTaskStateError`.
    pub const UNEXPECTED_DELETING_TASK_STATE: &str = "UnexpectedDeletingTaskStateError";
    /// `ServiceNotFound`.
    pub const SERVICE_NOT_FOUND: &str = "ServiceNotFound";
    /// `ComputeHostNotFound`.
    pub const COMPUTE_HOST_NOT_FOUND: &str = "ComputeHostNotFound";
    /// `NoValidHost`: the scheduler found no host for an instance.
    pub const NO_VALID_HOST: &str = "NoValidHost";
    /// `ObjectActionError`: an (object, method) pair the conductor does not serve.
    pub const OBJECT_ACTION_ERROR: &str = "ObjectActionError";
    /// `VTPMSecretForbidden`: the vTPM secret of an instance may not be read.
    pub const VTPM_SECRET_FORBIDDEN: &str = "VTPMSecretForbidden";
}

/// A `nova.exception.<class>` failure with `message`.
pub fn failure(class: &str, message: impl Into<String>) -> RemoteFailure {
    RemoteFailure::new(MODULE, class, message)
}

/// `nova.exception.<class>` as a class to declare expected, as Nova's
/// `@messaging.expected_exceptions(exception.<class>)` does.
pub const fn expected(class: &'static str) -> FailureClass {
    FailureClass::new(MODULE, class)
}

/// True when `failure` is `nova.exception.<class>`.
pub fn is(failure: &RemoteFailure, class: &str) -> bool {
    failure.module == MODULE && failure.class == class
}
