//! The conductor's `rebuild_instance` (Nova: `ComputeTaskManager.rebuild_instance`): a
//! rebuild in place (`recreate` false) goes to the instance's own host, unscheduled, as
//! Nova sends it when the api names no host, with the rebuild's personality files.
//! Evacuation (`recreate` true) is
//! `evacuate.rs`'s.

use serde_json::Value;

use super::tasks::TaskDeps;
use crate::objects::NovaObject;
use crate::rpcapi::compute_rebuild::{RebuildInstanceTask, RebuildRequest};
use novactor::rpc::{RemoteFailure, RequestContext};

/// `rebuild_instance(instance, new_pass, …, recreate, …, host, …)`.
pub async fn rebuild_instance(
    deps: TaskDeps,
    ctx: RequestContext,
    args: RebuildInstanceTask,
) -> Result<Value, RemoteFailure> {
    if args.recreate == Some(true) {
        return super::evacuate::evacuate_instance(deps, ctx, args).await;
    }
    let object = NovaObject::from_primitive(&args.instance)
        .map_err(|e| RemoteFailure::value_error(e.to_string()))?;
    let host = object
        .get("host")
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| RemoteFailure::value_error("the instance to rebuild has no host"))?;
    let uuid = object.get("uuid").as_str().unwrap_or("-").to_owned();
    let request = RebuildRequest {
        instance: args.instance,
        new_pass: args.new_pass,
        injected_files: args.injected_files.unwrap_or_default(),
        image_ref: args.image_ref.unwrap_or_default(),
        orig_image_ref: args.orig_image_ref.unwrap_or_default(),
        preserve_ephemeral: args.preserve_ephemeral.unwrap_or(false),
    };
    tracing::info!(instance = %uuid, %host, "rebuilding in place");
    deps.compute
        .rebuild_instance(&ctx, &host, request, None)
        .await
        .map_err(|error| {
            tracing::warn!(instance = %uuid, %host, %error, "could not send the rebuild");
            RemoteFailure::runtime_error(format!("could not send the rebuild to {host}: {error}"))
        })?;
    Ok(Value::Null)
}
