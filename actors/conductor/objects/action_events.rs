//! `InstanceActionEvent` class methods on the conductor (Nova
//! `nova/objects/instance_action.py`): a compute records the start and the end of each
//! operation under the action the API started, found by the request id of the RPC context
//! (Nova's `context.request_id`). Nova's compute passes `want_result=False`, so the reply
//! is `null` unless a result is asked for.

use serde_json::{Map, Value};

use super::args::{bad_argument, object_of, text_arg, unsupported};
use crate::db::{NovaDb, NovaDbError};
use crate::objects::versions;
use novactor::rpc::RemoteFailure;

/// `event_start(instance_uuid, event_name, want_result=True, host=None)`,
/// `event_finish_with_failure(instance_uuid, event_name, exc_val=None, exc_tb=None,
/// want_result=None)` and `event_finish(instance_uuid, event_name, want_result=True)`.
pub(super) async fn class_action(
    db: &NovaDb,
    request_id: Option<&str>,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    let request_id = request_id.ok_or_else(|| bad_argument("the context carries no request_id"))?;
    let instance_uuid = text_arg(args, kwargs, 0, "instance_uuid")?;
    let event = text_arg(args, kwargs, 1, "event_name")?;
    let flag = |index: usize, name: &str, default: bool| {
        args.get(index)
            .or_else(|| kwargs.get(name))
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    let (row, want_result) = match objmethod {
        "event_start" => {
            let host = args
                .get(3)
                .or_else(|| kwargs.get("host"))
                .and_then(Value::as_str);
            let row = db
                .action_event_start(&instance_uuid, request_id, &event, host)
                .await
                .map_err(fail)?;
            (row, flag(2, "want_result", true))
        }
        "event_finish_with_failure" | "event_finish" => {
            let text = |index: usize, name: &str| {
                args.get(index)
                    .or_else(|| kwargs.get(name))
                    .filter(|value| !value.is_null())
                    .map(|value| match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
            };
            let (traceback, want_result) = if objmethod == "event_finish" {
                (None, flag(2, "want_result", true))
            } else {
                (text(3, "exc_tb"), flag(4, "want_result", false))
            };
            let result = if traceback.is_some() {
                "Error"
            } else {
                "Success"
            };
            // Nova `pack_action_event_finish`: on an error, the details are the failure's
            // message (`exception_to_dict(exc_val)['message']`: at most 255 characters).
            let details = traceback
                .as_ref()
                .and_then(|_| text(2, "exc_val"))
                .filter(|message| !message.is_empty())
                .map(|message| message.chars().take(255).collect::<String>());
            let row = db
                .action_event_finish(
                    &instance_uuid,
                    request_id,
                    &event,
                    result,
                    traceback.as_deref(),
                    details.as_deref(),
                )
                .await
                .map_err(fail)?;
            (row, want_result)
        }
        method => return Err(unsupported("InstanceActionEvent", method)),
    };
    if want_result {
        object_of("InstanceActionEvent", versions::INSTANCE_ACTION_EVENT, &row)
    } else {
        Ok(Value::Null)
    }
}

/// `InstanceAction.action_start(instance_uuid, action_name, want_result=True)`: the action
/// of the context's request (what a compute's `_poll_unconfirmed_resizes` records before
/// its `confirmResize`). The context's user and project are not carried here: null.
pub(super) async fn action_start(
    db: &NovaDb,
    request_id: Option<&str>,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    if objmethod != "action_start" {
        return Err(unsupported("InstanceAction", objmethod));
    }
    let request_id = request_id.ok_or_else(|| bad_argument("the context carries no request_id"))?;
    let instance_uuid = text_arg(args, kwargs, 0, "instance_uuid")?;
    let action = text_arg(args, kwargs, 1, "action_name")?;
    let want_result = args
        .get(2)
        .or_else(|| kwargs.get("want_result"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let row = db
        .action_start(&instance_uuid, &action, request_id, None, None)
        .await
        .map_err(|e| e.to_failure())?;
    if want_result {
        object_of("InstanceAction", versions::INSTANCE_ACTION, &row)
    } else {
        Ok(Value::Null)
    }
}
