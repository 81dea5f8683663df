//! The conductor's `unshelve_instance` (Nova: `ComputeTaskManager.unshelve_instance`): a
//! SHELVED server is powered on where it is (`powering-on`, the compute's
//! `start_instance`); a SHELVED_OFFLOADED one is scheduled with the request spec the api
//! updated (the 2.77 zone, the 2.91 host as its `requested_destination`) and cast to the
//! chosen compute's `unshelve_instance` with the shelve image (Glance's dict of the
//! `shelved_image_id` image, read from the catalog), its zone set to the host's.
//! Recorded as Nova's `EventReporter` does: events `get_image_info` and
//! `schedule_instances` of the `unshelve` action. The shelve image gone: ERROR with a fault
//! and Nova's `UnshelveException` (Nova's `ImageNotFound` branch). No host found: the task
//! state is cleared and the server stays SHELVED_OFFLOADED (Nova's `NoValidHost` branch).

use serde_json::{json, Map, Value};

use super::objects::image_dict;
use super::tasks::{instance_arg, TaskDeps};
use crate::db::{InstanceRow, NovaDb};
use crate::exception::NovaException;
use crate::objects::instance::instance_primitive;
use crate::objects::{NovaObject, RequestSpec, TypedObject};
use crate::rpcapi::compute_shelve::{UnshelveInstanceTask, UnshelveTarget};
use novactor::rpc::{CallError, RemoteFailure, RequestContext};

/// A conductor step recorded as an event of the request's instance action.
struct Reporter<'a> {
    db: &'a NovaDb,
    uuid: &'a str,
    request_id: String,
    /// The conductor's host (Nova's `EventReporter(context, event, self.host, …)`).
    host: &'a str,
}

impl Reporter<'_> {
    async fn start(&self, event: &str) {
        if let Err(error) = self
            .db
            .action_event_start(self.uuid, &self.request_id, event, Some(self.host))
            .await
        {
            tracing::debug!(instance = %self.uuid, event, %error, "event not recorded");
        }
    }

    async fn finish(&self, event: &str, failure: Option<&str>) {
        let result = if failure.is_some() {
            "Error"
        } else {
            "Success"
        };
        if let Err(error) = self
            .db
            .action_event_finish(self.uuid, &self.request_id, event, result, failure, failure)
            .await
        {
            tracing::debug!(instance = %self.uuid, event, %error, "event not recorded");
        }
    }
}

fn db_failure(error: impl std::fmt::Display) -> RemoteFailure {
    RemoteFailure::runtime_error(error.to_string())
}

/// Save `values` on the instance, expecting task state `expected`.
async fn update(
    db: &NovaDb,
    uuid: &str,
    values: Value,
    expected: Option<&[Option<String>]>,
) -> Result<InstanceRow, RemoteFailure> {
    let values = values.as_object().cloned().unwrap_or_default();
    db.instance_update_and_get(uuid, &values, expected, None)
        .await
        .map_err(db_failure)
}

/// `unshelve_instance(instance, request_spec)`.
pub async fn unshelve_instance(
    deps: TaskDeps,
    ctx: RequestContext,
    args: UnshelveInstanceTask,
) -> Result<Value, RemoteFailure> {
    let (object, uuid) = instance_arg(&args.instance, "unshelve")?;
    let unshelving: [Option<String>; 1] = [Some("unshelving".into())];
    match object.get("vm_state").as_str() {
        Some("shelved") => {
            let row = update(
                &deps.db,
                &uuid,
                json!({"task_state": "powering-on"}),
                Some(&unshelving),
            )
            .await?;
            let host = row.host.clone().ok_or_else(|| {
                RemoteFailure::value_error("the shelved instance to power on has no host")
            })?;
            tracing::info!(instance = %uuid, %host, "unshelving in place: powering on");
            deps.compute
                .start_instance(&ctx, &host, instance_primitive(&row))
                .await
                .map_err(|e| RemoteFailure::runtime_error(e.to_string()))?;
            Ok(Value::Null)
        }
        Some("shelved_offloaded") => {
            let spec = match args.request_spec {
                Some(spec) if !spec.is_null() => spec,
                _ => deps
                    .db
                    .request_spec_get_by_instance_uuid(&uuid)
                    .await
                    .and_then(|row| row.spec_json())
                    .map_err(db_failure)?,
            };
            schedule_and_unshelve(&deps, &ctx, &object, &uuid, &spec).await
        }
        other => {
            tracing::error!(instance = %uuid, vm_state = ?other, "Unshelve attempted but vm_state not SHELVED or SHELVED_OFFLOADED");
            update(&deps.db, &uuid, json!({"vm_state": "error"}), None).await?;
            Ok(Value::Null)
        }
    }
}

/// Nova `safe_image_show` (`image_api.get(ctx, image_id, show_deleted=False)`): the
/// image's dict, or Nova's `ImageNotFound`.
async fn shelve_image(deps: &TaskDeps, id: &str) -> Result<Value, RemoteFailure> {
    match deps.db.image_get(id).await {
        Ok(Some(image)) => Ok(image_dict(&image)),
        Ok(None) => {
            Err(NovaException::ImageNotFound.failure(format!("Image {id} could not be found.")))
        }
        Err(error) => Err(error.to_failure()),
    }
}

/// Nova's missing shelve image: the fault (code 404, the reason as its message, from the
/// conductor's host), ERROR (the task state as it was, as Nova's unguarded save leaves
/// it), and `UnshelveException`. Another failure of the read is returned as it is.
async fn image_missing(
    deps: &TaskDeps,
    uuid: &str,
    image_id: &str,
    failure: RemoteFailure,
) -> RemoteFailure {
    if NovaException::of(&failure) != Some(NovaException::ImageNotFound) {
        return failure;
    }
    let reason = format!("Unshelve attempted but the image {image_id} cannot be found.");
    tracing::error!(instance = %uuid, "{reason}");
    if let Err(error) = deps
        .db
        .instance_fault_create(uuid, 404, &reason, None, Some(&deps.host))
        .await
    {
        tracing::warn!(instance = %uuid, %error, "could not record the instance fault");
    }
    if let Err(error) = update(&deps.db, uuid, json!({"vm_state": "error"}), None).await {
        tracing::warn!(instance = %uuid, error = %error.message, "could not set the instance to error");
    }
    RemoteFailure::new(
        "nova.exception",
        "UnshelveException",
        format!("Error during unshelve instance {uuid}: {reason}"),
    )
}

/// The SHELVED_OFFLOADED branch: the image, the scheduling, the cast.
async fn schedule_and_unshelve(
    deps: &TaskDeps,
    ctx: &RequestContext,
    object: &NovaObject,
    uuid: &str,
    spec_primitive: &Value,
) -> Result<Value, RemoteFailure> {
    let reporter = Reporter {
        db: &deps.db,
        uuid,
        request_id: ctx.request_id().unwrap_or("-").to_owned(),
        host: &deps.host,
    };
    let image_id = object
        .get("system_metadata")
        .get("shelved_image_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // No `shelved_image_id`: a volume-backed server, spawned from its volume.
    let image = match image_id {
        Some(id) => {
            reporter.start("get_image_info").await;
            match shelve_image(deps, &id).await {
                Ok(image) => {
                    reporter.finish("get_image_info", None).await;
                    Some(image)
                }
                Err(failure) => {
                    let failure = image_missing(deps, uuid, &id, failure).await;
                    reporter
                        .finish("get_image_info", Some(&failure.message))
                        .await;
                    return Err(failure);
                }
            }
        }
        None => None,
    };
    reporter.start("schedule_instances").await;
    let mut spec = RequestSpec::from_primitive(spec_primitive)
        .map_err(|e| RemoteFailure::value_error(e.to_string()))?;
    // Nova's `unshelve_instance`: a host forced at create does not pin the unshelve.
    spec.reset_forced_destinations();
    let placed = deps
        .scheduler
        .select_destinations(
            ctx,
            &spec,
            &[uuid.to_owned()],
            deps.long_timeout,
            deps.call_monitor_timeout,
        )
        .await;
    let selection = match placed {
        Ok(lists) => lists.into_iter().next().and_then(|l| l.into_iter().next()),
        Err(CallError::Remote(ref failure))
            if NovaException::of(failure) == Some(NovaException::NoValidHost) =>
        {
            None
        }
        Err(error) => {
            let message = error.to_string();
            reporter.finish("schedule_instances", Some(&message)).await;
            tracing::error!(instance = %uuid, %message, "Unshelve attempted but an error has occurred");
            update(&deps.db, uuid, json!({"task_state": null}), None).await?;
            return Err(RemoteFailure::runtime_error(message));
        }
    };
    let Some(selection) = selection else {
        let message = "No valid host was found. There are not enough hosts available.";
        reporter.finish("schedule_instances", Some(message)).await;
        tracing::warn!(instance = %uuid, "No valid host found for unshelve instance");
        update(&deps.db, uuid, json!({"task_state": null}), None).await?;
        return Ok(Value::Null);
    };
    // `availability_zones.get_host_availability_zone(context, host)`.
    let zone = selection.availability_zone.clone();
    let row = update(
        &deps.db,
        uuid,
        json!({"availability_zone": zone}),
        Some(&[Some("unshelving".to_owned())]),
    )
    .await?;
    let mut filter_properties = Map::new();
    filter_properties.insert(
        "limits".into(),
        Value::Object(selection.limits.clone().unwrap_or_default()),
    );
    tracing::info!(instance = %uuid, host = %selection.service_host, "Scheduler selected host for unshelve");
    let target = UnshelveTarget {
        host: selection.service_host.clone(),
        node: selection.nodename.clone(),
        image,
        filter_properties,
        request_spec: spec_primitive.clone(),
    };
    let sent = deps
        .compute
        .unshelve_instance(ctx, instance_primitive(&row), target)
        .await;
    match sent {
        Ok(()) => {
            reporter.finish("schedule_instances", None).await;
            Ok(Value::Null)
        }
        Err(error) => {
            let message = format!(
                "could not send the unshelve to {}: {error}",
                selection.service_host
            );
            reporter.finish("schedule_instances", Some(&message)).await;
            update(&deps.db, uuid, json!({"task_state": null}), None).await?;
            Err(RemoteFailure::runtime_error(message))
        }
    }
}
