//! The `nova.exception` classes novactor sends and receives as RPC failures, as one enum.
//! A failure crosses the wire as (module, class, message): [`NovaException::failure`] builds
//! one, [`NovaException::of`] reads one back once, so code that decides on a Nova error
//! matches a variant, as Nova's code catches an exception type — never a class string.

use novactor::rpc::{CallError, FailureClass, RemoteFailure};

/// Python module of Nova's exceptions.
pub const MODULE: &str = "nova.exception";

/// A `nova.exception` class the slice raises or catches. Variant names are Nova's class
/// names, which are on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NovaException {
    /// The instance row is gone (deleted meanwhile).
    InstanceNotFound,
    /// A conditional instance update found another task state.
    UnexpectedTaskStateError,
    /// As above, and the instance is being deleted: a delete won the race.
    UnexpectedDeletingTaskStateError,
    /// A conditional instance update found another vm state.
    UnexpectedVMStateError,
    /// A conditional instance update matched nothing, yet the states were as expected.
    UnknownInstanceUpdateConflict,
    /// No service row with that id.
    ServiceNotFound,
    /// No service row for (host, binary).
    HostBinaryNotFound,
    /// A service row for (host, binary) exists already.
    ServiceBinaryExists,
    /// No compute node row for the host (or node).
    ComputeHostNotFound,
    /// No flavor with that flavorid.
    FlavorNotFound,
    /// No flavor with that name.
    FlavorNotFoundByName,
    /// No request spec for the instance.
    RequestSpecNotFound,
    /// No instance action for (request id, instance).
    InstanceActionNotFound,
    /// No event of that name for the action.
    InstanceActionEventNotFound,
    /// The scheduler found no host for an instance.
    NoValidHost,
    /// An (object, method) pair the conductor does not serve.
    ObjectActionError,
    /// The instance is in a state that does not allow the call (diagnostics of a guest
    /// that is not running).
    InstanceInvalidState,
    /// The vTPM secret of an instance may not be read (declared by Nova's compute manager;
    /// the fake driver never raises it).
    VTPMSecretForbidden,
    /// The compute could not set the admin password (the guest is not running, or the
    /// driver failed); the API answers 409 with its text.
    InstancePasswordSetFailed,
    /// The compute's driver could not rescue the instance.
    InstanceNotRescuable,
    /// No migration record with that id or uuid.
    MigrationNotFound,
    /// No migration of the instance in that status.
    MigrationNotFoundByStatus,
    /// No image with that id in the catalog (Glance's 404 as Nova's image API raises it).
    ImageNotFound,
    /// A personality file's contents are not base64 (the compute's `_decode_files`).
    Base64Exception,
}

impl NovaException {
    /// Every class, for reading a failure back.
    pub const ALL: [Self; 24] = [
        Self::InstanceNotFound,
        Self::UnexpectedTaskStateError,
        Self::UnexpectedDeletingTaskStateError,
        Self::UnexpectedVMStateError,
        Self::UnknownInstanceUpdateConflict,
        Self::ServiceNotFound,
        Self::HostBinaryNotFound,
        Self::ServiceBinaryExists,
        Self::ComputeHostNotFound,
        Self::FlavorNotFound,
        Self::FlavorNotFoundByName,
        Self::RequestSpecNotFound,
        Self::InstanceActionNotFound,
        Self::InstanceActionEventNotFound,
        Self::NoValidHost,
        Self::ObjectActionError,
        Self::InstanceInvalidState,
        Self::VTPMSecretForbidden,
        Self::InstancePasswordSetFailed,
        Self::InstanceNotRescuable,
        Self::MigrationNotFound,
        Self::MigrationNotFoundByStatus,
        Self::ImageNotFound,
        Self::Base64Exception,
    ];

    /// The class name on the wire.
    pub const fn class_name(self) -> &'static str {
        match self {
            Self::InstanceNotFound => "InstanceNotFound",
            Self::UnexpectedTaskStateError => "UnexpectedTaskStateError",
            Self::UnexpectedDeletingTaskStateError => "UnexpectedDeletingTaskStateError",
            Self::UnexpectedVMStateError => "UnexpectedVMStateError",
            Self::UnknownInstanceUpdateConflict => "UnknownInstanceUpdateConflict",
            Self::ServiceNotFound => "ServiceNotFound",
            Self::HostBinaryNotFound => "HostBinaryNotFound",
            Self::ServiceBinaryExists => "ServiceBinaryExists",
            Self::ComputeHostNotFound => "ComputeHostNotFound",
            Self::FlavorNotFound => "FlavorNotFound",
            Self::FlavorNotFoundByName => "FlavorNotFoundByName",
            Self::RequestSpecNotFound => "RequestSpecNotFound",
            Self::InstanceActionNotFound => "InstanceActionNotFound",
            Self::InstanceActionEventNotFound => "InstanceActionEventNotFound",
            Self::NoValidHost => "NoValidHost",
            Self::ObjectActionError => "ObjectActionError",
            Self::InstanceInvalidState => "InstanceInvalidState",
            Self::VTPMSecretForbidden => "VTPMSecretForbidden",
            Self::InstancePasswordSetFailed => "InstancePasswordSetFailed",
            Self::InstanceNotRescuable => "InstanceNotRescuable",
            Self::MigrationNotFound => "MigrationNotFound",
            Self::MigrationNotFoundByStatus => "MigrationNotFoundByStatus",
            Self::ImageNotFound => "ImageNotFound",
            Self::Base64Exception => "Base64Exception",
        }
    }

    /// This class as an expected failure to declare, as Nova's
    /// `@messaging.expected_exceptions(exception.<class>)` does.
    pub const fn expected(self) -> FailureClass {
        FailureClass::new(MODULE, self.class_name())
    }

    /// A `nova.exception.<class>` failure with `message`.
    pub fn failure(self, message: impl Into<String>) -> RemoteFailure {
        RemoteFailure::new(MODULE, self.class_name(), message)
    }

    /// The class of `failure`, when it is one of these `nova.exception` classes.
    pub fn of(failure: &RemoteFailure) -> Option<Self> {
        if failure.module != MODULE {
            return None;
        }
        Self::ALL
            .into_iter()
            .find(|class| class.class_name() == failure.class)
    }

    /// The class of the failure a call came back with, if it is a Nova one.
    pub fn of_call(error: &CallError) -> Option<Self> {
        match error {
            CallError::Remote(failure) => Self::of(failure),
            _ => None,
        }
    }
}

impl std::fmt::Display for NovaException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{MODULE}.{}", self.class_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_reads_back_from_its_failure() {
        for class in NovaException::ALL {
            assert_eq!(NovaException::of(&class.failure("m")), Some(class));
        }
    }

    #[test]
    fn other_modules_and_classes_are_not_nova_exceptions() {
        let builtin = RemoteFailure::new("builtins", "InstanceNotFound", "m");
        assert_eq!(NovaException::of(&builtin), None);
        let unknown = RemoteFailure::new(MODULE, "SomethingElse", "m");
        assert_eq!(NovaException::of(&unknown), None);
    }
}
