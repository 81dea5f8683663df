//! The api side of the server actions that go to the instance's compute (Nova:
//! `nova/compute/api.py` `pause`, `unpause`, `suspend`, `resume`, `rescue`, `unrescue`,
//! `set_admin_password`, `get_console_output`, `trigger_crash_dump`), each behind Nova's
//! decorators in Nova's order: `check_instance_lock`, then `check_instance_state`
//! (`instance_state_checks.rs`, the 409 texts of `InstanceInvalidState`), then the host.

use serde_json::Value;

use super::compute_api::{
    check_instance_lock, claim_task, host_of, instance, record_action, ApiError, ComputeApiDeps,
};
use super::image_catalog::visible_image;
use super::instance_state_checks::{invalid_state, AllowedStates};
use crate::db::InstanceRow;
use crate::exception::NovaException;
use crate::objects::instance::instance_primitive;
use novactor::rpc::{CallError, RequestContext};

/// Nova `check_instance_state`: 409 with Nova's text unless `row` may undergo `action`.
pub(crate) fn check_instance_state(
    row: &InstanceRow,
    action: &str,
    allowed: AllowedStates,
) -> Result<(), ApiError> {
    invalid_state(row, action, allowed).map_or(Ok(()), |text| Err(ApiError::Conflict(text)))
}

/// An action that sets a task state and casts to the compute.
struct CastAction {
    /// Nova's instance action name (also the action named in a 409).
    action: &'static str,
    allowed: AllowedStates,
    /// The task state the API sets (none for actions that set none).
    task_state: Option<&'static str>,
}

/// Lock check, state check, host, task state claimed, action recorded: the instance as
/// saved and its host, ready to cast.
async fn prepare(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    spec: &CastAction,
) -> Result<(InstanceRow, String), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, spec.action, spec.allowed)?;
    let host = host_of(&row)?;
    let row = match spec.task_state {
        Some(task_state) => claim_task(deps, &row, spec.action, task_state, &[None]).await?,
        None => row,
    };
    record_action(deps, ctx, &row, spec.action).await?;
    Ok((row, host))
}

fn unreachable_compute(host: &str, error: &CallError) -> ApiError {
    ApiError::Unavailable(format!("could not reach {host}: {error}"))
}

const PAUSE: CastAction = CastAction {
    action: "pause",
    allowed: AllowedStates::vm(&["active"]),
    task_state: Some("pausing"),
};
const UNPAUSE: CastAction = CastAction {
    action: "unpause",
    allowed: AllowedStates::vm(&["paused"]),
    task_state: Some("unpausing"),
};
const SUSPEND: CastAction = CastAction {
    action: "suspend",
    allowed: AllowedStates::vm(&["active"]),
    task_state: Some("suspending"),
};
const RESUME: CastAction = CastAction {
    action: "resume",
    allowed: AllowedStates::vm(&["suspended"]),
    task_state: Some("resuming"),
};
const RESCUE: CastAction = CastAction {
    action: "rescue",
    allowed: AllowedStates::vm(&["active", "stopped", "error"]),
    task_state: Some("rescuing"),
};
const UNRESCUE: CastAction = CastAction {
    action: "unrescue",
    allowed: AllowedStates::vm(&["rescued"]),
    task_state: Some("unrescuing"),
};
const CHANGE_PASSWORD: CastAction = CastAction {
    action: "changePassword",
    allowed: AllowedStates::vm(&["active"]),
    task_state: Some("updating_password"),
};
/// Nova `vm_states.ALLOW_TRIGGER_CRASH_DUMP`; no task state is set.
const TRIGGER_CRASH_DUMP: CastAction = CastAction {
    action: "trigger_crash_dump",
    allowed: AllowedStates::vm(&["active", "paused", "rescued", "resized", "error"]),
    task_state: None,
};

/// The instance actions that are one cast with the instance alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimpleAction {
    /// Nova `API.pause`.
    Pause,
    /// Nova `API.unpause`.
    Unpause,
    /// Nova `API.suspend`.
    Suspend,
    /// Nova `API.resume`.
    Resume,
    /// Nova `API.unrescue`.
    Unrescue,
    /// Nova `API.trigger_crash_dump`.
    TriggerCrashDump,
}

/// Nova `API.pause` / `unpause` / `suspend` / `resume` / `unrescue` /
/// `trigger_crash_dump`: the checks, the task state, the action, the cast.
pub async fn simple_action(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    action: SimpleAction,
) -> Result<(), ApiError> {
    let spec = match action {
        SimpleAction::Pause => &PAUSE,
        SimpleAction::Unpause => &UNPAUSE,
        SimpleAction::Suspend => &SUSPEND,
        SimpleAction::Resume => &RESUME,
        SimpleAction::Unrescue => &UNRESCUE,
        SimpleAction::TriggerCrashDump => &TRIGGER_CRASH_DUMP,
    };
    let (row, host) = prepare(deps, ctx, uuid, spec).await?;
    let instance = instance_primitive(&row);
    let compute = &deps.compute;
    match action {
        SimpleAction::Pause => compute.pause_instance(ctx, &host, instance).await,
        SimpleAction::Unpause => compute.unpause_instance(ctx, &host, instance).await,
        SimpleAction::Suspend => compute.suspend_instance(ctx, &host, instance).await,
        SimpleAction::Resume => compute.resume_instance(ctx, &host, instance).await,
        SimpleAction::Unrescue => compute.unrescue_instance(ctx, &host, instance).await,
        SimpleAction::TriggerCrashDump => compute.trigger_crash_dump(ctx, &host, instance).await,
    }
    .map_err(|e| unreachable_compute(&host, &e))
}

/// Nova `API.rescue`: a `rescue_image_ref` must be an image of the catalog (else 400
/// `UnsupportedRescueImage`); the password goes to the compute.
pub async fn rescue(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    password: &str,
    rescue_image_ref: Option<&str>,
) -> Result<(), ApiError> {
    // Nova's lock and state decorators run before the image is looked at.
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, RESCUE.action, RESCUE.allowed)?;
    if let Some(image) = rescue_image_ref {
        if visible_image(&deps.db, ctx, image).await?.is_none() {
            return Err(ApiError::BadRequest(format!(
                "Requested rescue image '{image}' is not supported"
            )));
        }
    }
    let (row, host) = prepare(deps, ctx, uuid, &RESCUE).await?;
    deps.compute
        .rescue_instance(
            ctx,
            &host,
            instance_primitive(&row),
            password,
            rescue_image_ref,
        )
        .await
        .map_err(|e| unreachable_compute(&host, &e))
}

/// The failure of a call to the compute as the API's: `InstanceNotFound` 404, the Nova
/// exceptions the controller turns into 409 as 409, anything else unavailable.
fn call_failure(host: &str, error: &CallError, conflicts: &[NovaException]) -> ApiError {
    match (NovaException::of_call(error), error) {
        (Some(NovaException::InstanceNotFound), CallError::Remote(failure)) => {
            ApiError::NotFound(failure.message.clone())
        }
        (Some(class), CallError::Remote(failure)) if conflicts.contains(&class) => {
            ApiError::Conflict(failure.message.clone())
        }
        _ => unreachable_compute(host, error),
    }
}

/// Nova `API.set_admin_password`: `updating_password`, action `changePassword`, and a
/// call the compute answers once the password is set (`InstancePasswordSetFailed` 409).
pub async fn set_admin_password(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    password: &str,
) -> Result<(), ApiError> {
    let (row, host) = prepare(deps, ctx, uuid, &CHANGE_PASSWORD).await?;
    deps.compute
        .set_admin_password(ctx, &host, instance_primitive(&row), password)
        .await
        .map_err(|e| call_failure(&host, &e, &[NovaException::InstancePasswordSetFailed]))
}

/// Nova `API.get_console_output` (only `check_instance_host`): the compute's console
/// text, its last `tail_length` lines when given (an integer or its text, passed on as
/// Nova's API passes the request's `length`).
pub async fn get_console_output(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    tail_length: Option<Value>,
) -> Result<String, ApiError> {
    let row = instance(deps, uuid).await?;
    let host = host_of(&row)?;
    let output = deps
        .compute
        .get_console_output(ctx, &host, instance_primitive(&row), tail_length)
        .await
        .map_err(|e| call_failure(&host, &e, &[]))?;
    match output {
        Value::String(text) => Ok(text),
        other => Err(ApiError::Unavailable(format!(
            "{host} answered get_console_output with {other}, not a text"
        ))),
    }
}
