//! Every database read and write of the compute, as the remotable object calls Nova's
//! compute makes through the conductor (spec §2.5): `Instance.save/destroy`,
//! `InstanceList.get_by_host`, `InstanceFault.create`, `ComputeNode.*`. Failures come
//! back typed ([`ObjectCallError`], read once from the reply's `nova.exception` class), so
//! the flows match on them as Nova's code catches exception types. The compute never
//! touches `NovaDb`.

use serde_json::{json, Map, Value};

use crate::exception::NovaException;
use crate::objects::{versions, NovaObject, ObjectError};
use crate::rpcapi::{ConductorApi, IndirectionError};
use novactor::rpc::{FailureClass, RemoteFailure, RequestContext};

/// How an object call through the conductor failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ObjectCallError {
    /// `InstanceNotFound`: the row is gone (deleted meanwhile).
    #[error("{0}")]
    InstanceNotFound(String),
    /// `UnexpectedDeletingTaskStateError`: a delete won the race.
    #[error("{0}")]
    Deleting(String),
    /// `UnexpectedTaskStateError`: someone else changed the task state.
    #[error("{0}")]
    UnexpectedTaskState(String),
    /// `ComputeHostNotFound`: no compute node row for (host, node).
    #[error("{0}")]
    ComputeHostNotFound(String),
    /// `InstanceActionNotFound`: no action for the request an event belongs to.
    #[error("{0}")]
    ActionNotFound(String),
    /// `ImageNotFound`: the catalog has no such image (deleted meanwhile).
    #[error("{0}")]
    ImageNotFound(String),
    /// Any other failure the conductor replied (or no reply at all).
    #[error("via nova-conductor: {0}")]
    Conductor(IndirectionError),
    /// The node's identity file could not be read or written.
    #[error("{0}")]
    NodeIdentity(String),
    /// The conductor answered with something that is not the expected object.
    #[error("conductor answered {call} with a bad object: {problem}")]
    BadObject {
        /// `Object.method`.
        call: &'static str,
        /// What was wrong.
        problem: String,
    },
}

impl ObjectCallError {
    /// No instance action for the request an event belongs to.
    pub fn is_action_not_found(&self) -> bool {
        matches!(self, Self::ActionNotFound(_))
    }

    /// The instance is gone or being deleted: Nova's "instance disappeared" cases, in
    /// which a compute flow stops quietly.
    pub fn instance_disappeared(&self) -> bool {
        matches!(self, Self::InstanceNotFound(_) | Self::Deleting(_))
    }
}

impl From<IndirectionError> for ObjectCallError {
    fn from(error: IndirectionError) -> Self {
        let (Some(class), Some(failure)) = (error.nova_exception(), error.remote()) else {
            return Self::Conductor(error);
        };
        let message = failure.message.clone();
        match class {
            NovaException::InstanceNotFound => Self::InstanceNotFound(message),
            NovaException::UnexpectedDeletingTaskStateError => Self::Deleting(message),
            NovaException::UnexpectedTaskStateError => Self::UnexpectedTaskState(message),
            NovaException::ComputeHostNotFound => Self::ComputeHostNotFound(message),
            NovaException::InstanceActionNotFound => Self::ActionNotFound(message),
            NovaException::ImageNotFound => Self::ImageNotFound(message),
            _ => Self::Conductor(error),
        }
    }
}

impl ObjectCallError {
    /// As the failure an RPC caller (or the periodic-task log) sees.
    pub fn to_failure(&self) -> RemoteFailure {
        match self {
            Self::Conductor(IndirectionError::Remote(failure)) => failure.clone(),
            Self::InstanceNotFound(m) => NovaException::InstanceNotFound.failure(m.clone()),
            Self::Deleting(m) => NovaException::UnexpectedDeletingTaskStateError.failure(m.clone()),
            Self::UnexpectedTaskState(m) => {
                NovaException::UnexpectedTaskStateError.failure(m.clone())
            }
            Self::ComputeHostNotFound(m) => NovaException::ComputeHostNotFound.failure(m.clone()),
            Self::ActionNotFound(m) => NovaException::InstanceActionNotFound.failure(m.clone()),
            Self::ImageNotFound(m) => NovaException::ImageNotFound.failure(m.clone()),
            other => RemoteFailure::runtime_error(other.to_string()),
        }
    }
}

/// `expected_task_state` of an `Instance.save` (Nova passes a state, `None` or a tuple).
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// No condition (`instance.save()`).
    Anything,
    /// The task state must be one of these (`None` = no task).
    TaskState(Vec<Option<&'static str>>),
}

impl Expected {
    /// Exactly one task state.
    pub fn task(state: Option<&'static str>) -> Self {
        Self::TaskState(vec![state])
    }
}

/// The compute's object calls, through one conductor proxy.
#[derive(Debug, Clone)]
pub struct ConductorObjects {
    /// The proxy (`conductor_migrations.rs` sends the `Migration` calls through it).
    pub(super) conductor: ConductorApi,
}

/// The objects of a list object's reply (`InstanceList`, `MigrationList`, …: its
/// `objects` field), each checked as [`one_object`].
pub(super) fn objects_of(
    call: &'static str,
    value: &Value,
) -> Result<Vec<NovaObject>, ObjectCallError> {
    let list = one_object(call, value)?;
    let Some(objects) = list.get("objects").as_array() else {
        return Err(ObjectCallError::BadObject {
            call,
            problem: "no objects list".into(),
        });
    };
    objects.iter().map(|o| one_object(call, o)).collect()
}

pub(super) fn one_object(call: &'static str, value: &Value) -> Result<NovaObject, ObjectCallError> {
    NovaObject::from_primitive(value).map_err(|e: ObjectError| ObjectCallError::BadObject {
        call,
        problem: e.to_string(),
    })
}

/// The conductor failures the compute's flows handle ([`ObjectCallError`]'s typed
/// variants), as Nova's compute catches them: expected, not errors.
const HANDLED_FAILURES: &[FailureClass] = &[
    NovaException::InstanceNotFound.expected(),
    NovaException::UnexpectedDeletingTaskStateError.expected(),
    NovaException::UnexpectedTaskStateError.expected(),
    NovaException::ComputeHostNotFound.expected(),
    NovaException::InstanceActionNotFound.expected(),
    NovaException::ImageNotFound.expected(),
];

impl ConductorObjects {
    /// The conductor proxy (for the object calls of sibling files, `image_service.rs`).
    pub(super) fn conductor(&self) -> &ConductorApi {
        &self.conductor
    }

    /// Calls sent through `conductor`.
    pub fn new(conductor: ConductorApi) -> Self {
        Self {
            conductor: conductor.expecting(HANDLED_FAILURES),
        }
    }

    /// `Instance.save(expected_task_state=…)`: writes the instance's changed fields; on
    /// success the object holds the row as saved and no pending change.
    pub async fn instance_save(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        expected: &Expected,
    ) -> Result<(), ObjectCallError> {
        let mut kwargs = Map::new();
        if let Expected::TaskState(states) = expected {
            kwargs.insert("expected_task_state".into(), json!(states));
        }
        self.conductor
            .object_action(ctx, instance, "save", Vec::new(), kwargs)
            .await?;
        Ok(())
    }

    /// `Instance.destroy()`: soft delete.
    pub async fn instance_destroy(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
    ) -> Result<(), ObjectCallError> {
        self.conductor
            .object_action(ctx, instance, "destroy", Vec::new(), Map::new())
            .await?;
        Ok(())
    }

    /// `InstanceList.get_by_host(host, expected_attrs=['flavor'])`: the host's live
    /// instances with their flavors (what the resource tracker sizes them by, as Nova's
    /// asks for `flavor` among its `expected_attrs`).
    pub async fn instances_on_host(
        &self,
        ctx: &RequestContext,
        host: &str,
    ) -> Result<Vec<NovaObject>, ObjectCallError> {
        self.instances_on_host_with(ctx, host, &[]).await
    }

    /// `InstanceList.get_by_host(host, expected_attrs=['flavor', *more])`: the host's
    /// live instances with their flavors and the optional fields `more` (the shelve poll
    /// reads `system_metadata`).
    pub async fn instances_on_host_with(
        &self,
        ctx: &RequestContext,
        host: &str,
        more: &[&str],
    ) -> Result<Vec<NovaObject>, ObjectCallError> {
        const CALL: &str = "InstanceList.get_by_host";
        let mut attrs = vec!["flavor"];
        attrs.extend_from_slice(more);
        let mut kwargs = Map::new();
        kwargs.insert("expected_attrs".into(), json!(attrs));
        let reply = self
            .conductor
            .object_class_action_versions(
                ctx,
                "InstanceList",
                "get_by_host",
                vec![json!(host)],
                kwargs,
            )
            .await?;
        objects_of(CALL, &reply)
    }

    /// `InstanceFault.create()` (Nova `compute_utils.add_instance_fault_from_exc`).
    pub async fn fault_create(
        &self,
        ctx: &RequestContext,
        instance_uuid: &str,
        code: i64,
        message: &str,
        details: &str,
        host: &str,
    ) -> Result<(), ObjectCallError> {
        let mut fault = NovaObject::new("InstanceFault", versions::INSTANCE_FAULT, Map::new());
        fault.set("instance_uuid", json!(instance_uuid));
        fault.set("code", json!(code));
        fault.set("message", json!(message));
        fault.set("details", json!(details));
        fault.set("host", json!(host));
        self.conductor
            .object_action(ctx, &mut fault, "create", Vec::new(), Map::new())
            .await?;
        Ok(())
    }

    /// `ComputeNode.get_by_host_and_nodename(host, nodename)`;
    /// [`ObjectCallError::ComputeHostNotFound`] when there is none.
    pub async fn compute_node_get(
        &self,
        ctx: &RequestContext,
        host: &str,
        nodename: &str,
    ) -> Result<NovaObject, ObjectCallError> {
        let reply = self
            .conductor
            .object_class_action_versions(
                ctx,
                "ComputeNode",
                "get_by_host_and_nodename",
                vec![json!(host), json!(nodename)],
                Map::new(),
            )
            .await?;
        one_object("ComputeNode.get_by_host_and_nodename", &reply)
    }

    /// `ComputeNode.get_by_uuid(uuid)`; [`ObjectCallError::ComputeHostNotFound`] when there
    /// is none.
    pub async fn compute_node_by_uuid(
        &self,
        ctx: &RequestContext,
        uuid: &str,
    ) -> Result<NovaObject, ObjectCallError> {
        let reply = self
            .conductor
            .object_class_action_versions(
                ctx,
                "ComputeNode",
                "get_by_uuid",
                vec![json!(uuid)],
                Map::new(),
            )
            .await?;
        one_object("ComputeNode.get_by_uuid", &reply)
    }

    /// `InstanceActionEvent.event_start(instance_uuid, event_name, want_result=False,
    /// host=host)`: under the action of the context's request.
    pub async fn event_start(
        &self,
        ctx: &RequestContext,
        instance_uuid: &str,
        event: &str,
        host: &str,
    ) -> Result<(), ObjectCallError> {
        let mut kwargs = Map::new();
        kwargs.insert("want_result".into(), json!(false));
        kwargs.insert("host".into(), json!(host));
        self.conductor
            .object_class_action_versions(
                ctx,
                "InstanceActionEvent",
                "event_start",
                vec![json!(instance_uuid), json!(event)],
                kwargs,
            )
            .await?;
        Ok(())
    }

    /// `InstanceActionEvent.event_finish_with_failure(instance_uuid, event_name, exc_val,
    /// exc_tb, want_result=False)`: `failure` = (message, traceback) of an error, `None` on
    /// success.
    pub async fn event_finish(
        &self,
        ctx: &RequestContext,
        instance_uuid: &str,
        event: &str,
        failure: Option<(&str, &str)>,
    ) -> Result<(), ObjectCallError> {
        let mut kwargs = Map::new();
        let (exc_val, exc_tb) = match failure {
            Some((message, traceback)) => (json!(message), json!(traceback)),
            None => (Value::Null, Value::Null),
        };
        kwargs.insert("exc_val".into(), exc_val);
        kwargs.insert("exc_tb".into(), exc_tb);
        kwargs.insert("want_result".into(), json!(false));
        self.conductor
            .object_class_action_versions(
                ctx,
                "InstanceActionEvent",
                "event_finish_with_failure",
                vec![json!(instance_uuid), json!(event)],
                kwargs,
            )
            .await?;
        Ok(())
    }

    /// `Migration.get_by_instance_and_status(instance_uuid, status)`: the record, or none
    /// (`MigrationNotFoundByStatus`, or a failed read: logged).
    pub async fn migration_by_instance_and_status(
        &self,
        ctx: &RequestContext,
        instance_uuid: &str,
        status: &str,
    ) -> Option<NovaObject> {
        let reply = self
            .conductor
            .object_class_action_versions(
                ctx,
                "Migration",
                "get_by_instance_and_status",
                vec![json!(instance_uuid), json!(status)],
                Map::new(),
            )
            .await;
        match reply.map(|value| one_object("Migration.get_by_instance_and_status", &value)) {
            Ok(Ok(migration)) => Some(migration),
            Ok(Err(error)) => {
                tracing::warn!(instance = %instance_uuid, %error, "unreadable migration record");
                None
            }
            Err(error) => {
                tracing::debug!(instance = %instance_uuid, %error, status, "no migration record");
                None
            }
        }
    }

    /// `ComputeNode.create()` / `ComputeNode.save()`: `method` is `create` or `save`.
    pub async fn compute_node_write(
        &self,
        ctx: &RequestContext,
        node: &mut NovaObject,
        method: &'static str,
    ) -> Result<(), ObjectCallError> {
        self.conductor
            .object_action(ctx, node, method, Vec::new(), Map::new())
            .await?;
        Ok(())
    }
}
