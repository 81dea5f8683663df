//! `NovaDbError`: the ways Nova's repository functions fail. Display texts are Nova's
//! exception messages (`nova/exception.py` `msg_fmt`), and [`NovaDbError::exception`]
//! names the class, so a handler can reply the failure as Nova would
//! ([`NovaDbError::to_failure`]) and a caller can match the variant.

use crate::exception::NovaException;
use novactor::db::DbError;
use novactor::rpc::RemoteFailure;

/// Python `repr` of an optional string, as Nova's messages print it (`'x'` or `None`).
fn py(value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or_else(|| "None".to_owned(), |v| format!("'{v}'"))
}

/// Python `repr` of a list of optional strings.
fn py_list(values: &[Option<String>]) -> String {
    let items: Vec<String> = values.iter().map(py).collect();
    format!("[{}]", items.join(", "))
}

/// Why a Nova database call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NovaDbError {
    /// `InstanceNotFound`.
    #[error("Instance {uuid} could not be found.")]
    InstanceNotFound {
        /// The instance uuid asked for.
        uuid: String,
    },
    /// `UnexpectedTaskStateError`: the conditional update found another task state.
    #[error(
        "Unexpected task state: expecting {{'task_state': {}}} but the actual state is \
         {{'task_state': {}}}",
        py_list(expected),
        py(actual)
    )]
    UnexpectedTaskState {
        /// The instance.
        uuid: String,
        /// Task states the caller expected (`None` = no task).
        expected: Vec<Option<String>>,
        /// The task state found.
        actual: Option<String>,
    },
    /// `UnexpectedDeletingTaskStateError`: as above, and the instance is being deleted.
    #[error(
        "Unexpected task state: expecting {{'task_state': {}}} but the actual state is \
         {{'task_state': 'deleting'}}",
        py_list(expected)
    )]
    UnexpectedDeletingTaskState {
        /// The instance.
        uuid: String,
        /// Task states the caller expected.
        expected: Vec<Option<String>>,
    },
    /// `UnexpectedVMStateError`: the conditional update found another vm state.
    #[error(
        "Unexpected VM state: expecting {{'vm_state': {}}} but the actual state is \
         {{'vm_state': {}}}",
        py_list(expected),
        py(actual)
    )]
    UnexpectedVmState {
        /// The instance.
        uuid: String,
        /// VM states the caller expected.
        expected: Vec<Option<String>>,
        /// The vm state found.
        actual: Option<String>,
    },
    /// `UnknownInstanceUpdateConflict`: the conditional update matched nothing, yet every
    /// re-read showed the expected states (concurrent writers kept coming and going), after
    /// Nova's five retries.
    #[error("Conflict updating instance {uuid}, but we were unable to determine the cause")]
    UnknownInstanceUpdateConflict {
        /// The instance.
        uuid: String,
    },
    /// novactor: an update named a column that is not one of
    /// [`INSTANCE_UPDATABLE_COLUMNS`](super::instances::INSTANCE_UPDATABLE_COLUMNS) (or equivalent).
    #[error("{column:?} is not an updatable column of {table}")]
    UnknownColumn {
        /// The table.
        table: &'static str,
        /// The key given.
        column: String,
    },
    /// novactor: a value of the wrong JSON type for its column.
    #[error("invalid value for {table}.{column}: expected {expected}, got {got}")]
    InvalidValue {
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
        /// What the column takes.
        expected: &'static str,
        /// The JSON given.
        got: String,
    },
    /// `ServiceNotFound`.
    #[error("Service {id} could not be found.")]
    ServiceNotFound {
        /// The service id (or uuid).
        id: String,
    },
    /// `HostBinaryNotFound` (Nova raises it for a missing (host, binary)).
    #[error("Could not find binary {binary} on host {host}.")]
    HostBinaryNotFound {
        /// Host.
        host: String,
        /// Binary.
        binary: String,
    },
    /// `ServiceBinaryExists`.
    #[error("Service with host {host} binary {binary} exists.")]
    ServiceBinaryExists {
        /// Host.
        host: String,
        /// Binary.
        binary: String,
    },
    /// `ComputeHostNotFound`.
    #[error("Compute host {host} could not be found.")]
    ComputeHostNotFound {
        /// The host (or `host/nodename`).
        host: String,
    },
    /// `ComputeHostNotFound` raised for a node id (Nova's `ComputeNodeNotFound` text is the
    /// same).
    #[error("Compute host {id} could not be found.")]
    ComputeNodeNotFound {
        /// The compute node id.
        id: i64,
    },
    /// `FlavorNotFound`.
    #[error("Flavor {flavor_id} could not be found.")]
    FlavorNotFound {
        /// The flavorid asked for.
        flavor_id: String,
    },
    /// `FlavorNotFoundByName`.
    #[error("Flavor with name {name} could not be found.")]
    FlavorNotFoundByName {
        /// The name asked for.
        name: String,
    },
    /// `RequestSpecNotFound`.
    #[error("RequestSpec not found for instance {uuid}")]
    RequestSpecNotFound {
        /// The instance uuid.
        uuid: String,
    },
    /// `InstanceActionNotFound`.
    #[error("Action for request_id {request_id} on instance {uuid} not found")]
    InstanceActionNotFound {
        /// The request id.
        request_id: String,
        /// The instance uuid.
        uuid: String,
    },
    /// `InstanceActionEventNotFound`.
    #[error("Event {event} not found for action id {action_id}")]
    InstanceActionEventNotFound {
        /// The event name.
        event: String,
        /// The action id.
        action_id: i64,
    },
    /// `MigrationNotFound`.
    #[error("Migration {migration_id} could not be found.")]
    MigrationNotFound {
        /// The id (or uuid) asked for.
        migration_id: String,
    },
    /// `MigrationNotFoundByStatus`.
    #[error("Migration not found for instance {instance_id} with status {status}.")]
    MigrationNotFoundByStatus {
        /// The instance uuid.
        instance_id: String,
        /// The status asked for.
        status: String,
    },
    /// A stored JSON column could not be read back.
    #[error("{table}.{column} of {key} holds invalid JSON: {source}")]
    CorruptJson {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// Which row.
        key: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The database itself failed (unreachable, outdated schema, …).
    #[error(transparent)]
    Db(#[from] DbError),
}

impl NovaDbError {
    /// The `nova.exception` class to reply this failure as (`None` for novactor's own
    /// errors, which go back as internal failures).
    pub fn exception(&self) -> Option<NovaException> {
        match self {
            NovaDbError::InstanceNotFound { .. } => Some(NovaException::InstanceNotFound),
            NovaDbError::UnexpectedTaskState { .. } => {
                Some(NovaException::UnexpectedTaskStateError)
            }
            NovaDbError::UnexpectedDeletingTaskState { .. } => {
                Some(NovaException::UnexpectedDeletingTaskStateError)
            }
            NovaDbError::UnexpectedVmState { .. } => Some(NovaException::UnexpectedVMStateError),
            NovaDbError::UnknownInstanceUpdateConflict { .. } => {
                Some(NovaException::UnknownInstanceUpdateConflict)
            }
            NovaDbError::ServiceNotFound { .. } => Some(NovaException::ServiceNotFound),
            NovaDbError::HostBinaryNotFound { .. } => Some(NovaException::HostBinaryNotFound),
            NovaDbError::ServiceBinaryExists { .. } => Some(NovaException::ServiceBinaryExists),
            NovaDbError::ComputeHostNotFound { .. } | NovaDbError::ComputeNodeNotFound { .. } => {
                Some(NovaException::ComputeHostNotFound)
            }
            NovaDbError::FlavorNotFound { .. } => Some(NovaException::FlavorNotFound),
            NovaDbError::FlavorNotFoundByName { .. } => Some(NovaException::FlavorNotFoundByName),
            NovaDbError::RequestSpecNotFound { .. } => Some(NovaException::RequestSpecNotFound),
            NovaDbError::InstanceActionNotFound { .. } => {
                Some(NovaException::InstanceActionNotFound)
            }
            NovaDbError::InstanceActionEventNotFound { .. } => {
                Some(NovaException::InstanceActionEventNotFound)
            }
            NovaDbError::MigrationNotFound { .. } => Some(NovaException::MigrationNotFound),
            NovaDbError::MigrationNotFoundByStatus { .. } => {
                Some(NovaException::MigrationNotFoundByStatus)
            }
            NovaDbError::UnknownColumn { .. }
            | NovaDbError::InvalidValue { .. }
            | NovaDbError::CorruptJson { .. }
            | NovaDbError::Db(_) => None,
        }
    }

    /// The class name of [`Self::exception`], as the REST API's fault mapping reads it.
    pub fn nova_class(&self) -> Option<&'static str> {
        self.exception().map(NovaException::class_name)
    }

    /// This error as the failure a Nova RPC caller expects: its `nova.exception` class
    /// with Nova's message, or a `RuntimeError` for novactor's own errors.
    pub fn to_failure(&self) -> RemoteFailure {
        match self.exception() {
            Some(class) => class.failure(self.to_string()),
            None => RemoteFailure::runtime_error(self.to_string()),
        }
    }

    /// The database could not be reached: retry later rather than fail the operation.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, NovaDbError::Db(e) if e.is_unavailable())
    }
}
