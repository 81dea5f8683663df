//! The build flow (Nova: `ComputeManager.build_and_run_instance` →
//! `_do_build_and_run_instance` → `_build_and_run_instance`, spec §2.1): the personality
//! files decoded, claim, networking, block devices, spawn (with the files), ACTIVE — each
//! step a guarded save — and, when a step fails, the reschedule onto the next alternate
//! through the conductor or the build's end in ERROR. A build whose arguments cannot be
//! read, or whose files are not base64, ends in ERROR with a fault saying why.

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::conductor_objects::{Expected, ObjectCallError};
use super::fake_driver::{guest_size, GuestFile};
use super::flows::{text_of, utc_text, uuid_of, ComputeFlows};
use super::instance_states::{task_states, vm_states};
use super::resource_tracker::ClaimError;
use crate::objects::injected_files::{decode_files, InjectedFile};
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// What `build_and_run_instance` got besides the instance.
#[derive(Debug, Clone, Default)]
pub(super) struct BuildRequest {
    /// `request_spec` (a RequestSpec primitive), passed back on a reschedule.
    pub(super) request_spec: Value,
    /// `filter_properties` (legacy dict; `retry` lives here).
    pub(super) filter_properties: Map<String, Value>,
    /// `limits` the claim re-checks (`memory_mb`, `disk_gb`, `vcpu`).
    pub(super) limits: Map<String, Value>,
    /// `host_list`: the remaining alternates (Selection primitives).
    pub(super) host_list: Vec<Value>,
    /// `injected_files`, base64 as received (a reschedule passes them on).
    pub(super) injected_files: Vec<InjectedFile>,
}

/// Why a build did not finish.
#[derive(Debug)]
enum BuildError {
    /// Deleted (or being deleted) meanwhile: stop quietly.
    Disappeared(ObjectCallError),
    /// Nova `RescheduledException`: another host may do better.
    Reschedule(String),
    /// Nova `BuildAbortException`: give up.
    Abort(String),
}

impl From<ObjectCallError> for BuildError {
    fn from(error: ObjectCallError) -> Self {
        if error.instance_disappeared() {
            Self::Disappeared(error)
        } else {
            Self::Abort(error.to_string())
        }
    }
}

impl ComputeFlows {
    /// Nova `build_and_run_instance` → `_do_build_and_run_instance`, under the instance's
    /// lock. Never fails the cast: outcomes are written to the instance (spec §2.1 step 4).
    /// `request` is the failure text when the cast's other arguments could not be read:
    /// the build then ends in ERROR with it, as Nova's fails raising in
    /// `_do_build_and_run_instance`.
    pub(super) async fn build_and_run_instance(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
        request: Result<BuildRequest, String>,
    ) {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        instance.set("vm_state", json!(vm_states::BUILDING));
        instance.set("task_state", Value::Null);
        let expected = Expected::TaskState(vec![Some(task_states::SCHEDULING), None]);
        if let Err(error) = self.save(ctx, &mut instance, &expected).await {
            // Deleted, being deleted, or taken over before the build started: nothing to undo.
            tracing::info!(instance = %uuid, %error, "Instance changed state or disappeared before build; not building");
            return;
        }
        let request = match request {
            Ok(request) => request,
            Err(reason) => return self.refuse_build(ctx, &mut instance, &reason).await,
        };
        // Nova `_decode_files`, before the claim: a file that is not base64 fails the build.
        let files = match decode_files(&request.injected_files) {
            Ok(files) => files.iter().map(GuestFile::of).collect(),
            Err(error) => {
                return self
                    .refuse_build(ctx, &mut instance, &error.to_string())
                    .await
            }
        };
        let outcome = self
            .build_and_run(ctx, &mut instance, &request, files)
            .await;
        let Err(error) = outcome else {
            if self.track_instance_changes {
                if let Err(error) = self
                    .scheduler
                    .update_instance_info(ctx, &self.host, vec![instance.to_primitive()])
                    .await
                {
                    tracing::warn!(instance = %uuid, %error, "update_instance_info fanout failed");
                }
            }
            tracing::info!(instance = %uuid, "Took the instance to ACTIVE");
            return;
        };
        // Nova `_build_resources` / the claim's context manager: shut the guest down and
        // give the claim back whatever went wrong.
        if self.driver.get_info(&uuid).is_ok() {
            self.driver.destroy(&uuid);
        }
        self.tracker.release(ctx, &uuid).await;
        match error {
            BuildError::Disappeared(error) => {
                tracing::info!(instance = %uuid, %error, "Instance disappeared during build");
            }
            BuildError::Reschedule(reason) => {
                self.reschedule_or_fail(ctx, &mut instance, request, reason)
                    .await;
            }
            BuildError::Abort(reason) => {
                self.fail_build(ctx, &mut instance, &reason).await;
            }
        }
    }

    /// Nova `_build_and_run_instance`: claim, networking, block devices, spawn (with the
    /// decoded personality `files`), active.
    async fn build_and_run(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        request: &BuildRequest,
        files: Vec<GuestFile>,
    ) -> Result<(), BuildError> {
        let uuid = uuid_of(instance);
        match self
            .tracker
            .instance_claim(ctx, instance, &request.limits)
            .await
        {
            Ok(()) => {}
            Err(ClaimError::ResourcesUnavailable(reason)) => {
                return Err(BuildError::Reschedule(format!(
                    "Insufficient compute resources: {reason}."
                )))
            }
            Err(ClaimError::Object(error)) => return Err(error.into()),
        }
        // Nova `_allocate_network` / `_build_resources`. novactor expects the previous step's
        // state at each save (Nova saves the block-device step unconditionally), so a delete
        // arriving between two steps is never overwritten.
        instance.set("task_state", json!(task_states::NETWORKING));
        self.save(ctx, instance, &Expected::task(None)).await?;
        instance.set("task_state", json!(task_states::BLOCK_DEVICE_MAPPING));
        self.save(
            ctx,
            instance,
            &Expected::task(Some(task_states::NETWORKING)),
        )
        .await?;
        instance.set("vm_state", json!(vm_states::BUILDING));
        instance.set("task_state", json!(task_states::SPAWNING));
        self.save(
            ctx,
            instance,
            &Expected::task(Some(task_states::BLOCK_DEVICE_MAPPING)),
        )
        .await?;
        let name = text_of(instance, "display_name").unwrap_or_default();
        self.driver
            .spawn(&uuid, &name, guest_size(&instance.data), files)
            .await
            .map_err(|e| BuildError::Reschedule(e.to_string()))?;
        // Nova `_update_instance_after_spawn`.
        instance.set("power_state", json!(self.driver.power_state(&uuid).code()));
        instance.set("vm_state", json!(vm_states::ACTIVE));
        instance.set("task_state", Value::Null);
        instance.set("launched_at", json!(utc_text(Utc::now())));
        self.save(ctx, instance, &Expected::task(Some(task_states::SPAWNING)))
            .await?;
        Ok(())
    }

    /// Nova's `RescheduledException` handler: with alternates left, hand the instance back
    /// to the conductor (`build_instances`); without, the build fails here.
    async fn reschedule_or_fail(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        request: BuildRequest,
        reason: String,
    ) {
        let uuid = uuid_of(instance);
        if request.host_list.is_empty() {
            tracing::info!(instance = %uuid, %reason, "Build failed and no alternate host is left; not rescheduling");
            self.fail_build(ctx, instance, &reason).await;
            return;
        }
        let node = text_of(instance, "node").unwrap_or_else(|| self.tracker.nodename().to_owned());
        // Nova `_nil_out_instance_obj_host_and_node` + `task_state=scheduling`. novactor
        // guards the save with the build's task states, so a delete that came meanwhile
        // (task_state deleting) is not overwritten.
        instance.set("host", Value::Null);
        instance.set("node", Value::Null);
        instance.set("compute_id", Value::Null);
        instance.set("task_state", json!(task_states::SCHEDULING));
        let expected = Expected::TaskState(vec![
            Some(task_states::SPAWNING),
            Some(task_states::BLOCK_DEVICE_MAPPING),
            Some(task_states::NETWORKING),
            None,
        ]);
        if let Err(error) = self.save(ctx, instance, &expected).await {
            if error.instance_disappeared() {
                tracing::info!(instance = %uuid, %error, "Instance disappeared before reschedule");
            } else {
                self.fail_build(
                    ctx,
                    instance,
                    &format!("{reason}; reschedule failed: {error}"),
                )
                .await;
            }
            return;
        }
        let filter_properties =
            retry_filter_properties(request.filter_properties, &self.host, &node, &reason);
        tracing::info!(instance = %uuid, %reason, alternates = request.host_list.len(), "Rescheduling the build");
        if let Err(error) = self
            .compute_task
            .build_instances(
                ctx,
                vec![instance.to_primitive()],
                request.request_spec,
                filter_properties,
                vec![request.host_list],
                request.injected_files,
            )
            .await
        {
            self.fail_build(
                ctx,
                instance,
                &format!("{reason}; reschedule failed: {error}"),
            )
            .await;
        }
    }

    /// The build cannot start (Nova raising in `_do_build_and_run_instance`, whose
    /// `@wrap_instance_fault` records the error's own text): a fault with `message`, then
    /// `vm_state=error` with no task. Nothing was claimed or spawned yet.
    async fn refuse_build(&self, ctx: &RequestContext, instance: &mut NovaObject, message: &str) {
        let uuid = uuid_of(instance);
        tracing::warn!(instance = %uuid, %message, "Build of instance refused");
        self.add_fault(ctx, &uuid, message, "").await;
        self.set_error_state(ctx, instance, true).await;
    }

    /// The build failed for good: `vm_state=error`, no task, a fault.
    async fn fail_build(&self, ctx: &RequestContext, instance: &mut NovaObject, reason: &str) {
        let uuid = uuid_of(instance);
        tracing::warn!(instance = %uuid, %reason, "Build of instance aborted");
        // Fault first, then the state (Nova's order): whoever sees ERROR also sees why.
        let message = format!("Build of instance {uuid} aborted: {reason}");
        self.add_fault(ctx, &uuid, &message, reason).await;
        self.set_error_state(ctx, instance, true).await;
    }
}

/// `filter_properties` for the conductor's reschedule: `retry.num_attempts` (attempts so
/// far; the conductor's `populate_retry` counts the next one), `retry.hosts` with this
/// `[host, node]` added, and Nova's `exc_reason`.
pub(super) fn retry_filter_properties(
    mut filter_properties: Map<String, Value>,
    host: &str,
    node: &str,
    reason: &str,
) -> Map<String, Value> {
    let mut retry = match filter_properties.remove("retry") {
        Some(Value::Object(retry)) => retry,
        _ => Map::new(),
    };
    let attempts = retry
        .get("num_attempts")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(1);
    let mut hosts = match retry.remove("hosts") {
        Some(Value::Array(hosts)) => hosts,
        _ => Vec::new(),
    };
    let this = json!([host, node]);
    if !hosts.contains(&this) {
        hosts.push(this);
    }
    retry.insert("num_attempts".into(), json!(attempts));
    retry.insert("hosts".into(), Value::Array(hosts));
    retry.insert("exc_reason".into(), json!(reason));
    filter_properties.insert("retry".into(), Value::Object(retry));
    filter_properties
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_info_counts_this_host_once() {
        let fp = json!({"retry": {"num_attempts": 2, "hosts": [["a", "a"]]}, "x": 1});
        let out = retry_filter_properties(fp.as_object().cloned().unwrap(), "b", "b", "boom");
        assert_eq!(out["retry"]["num_attempts"], 2);
        assert_eq!(out["retry"]["hosts"], json!([["a", "a"], ["b", "b"]]));
        assert_eq!(out["x"], 1);
        let fresh = retry_filter_properties(Map::new(), "b", "b", "boom");
        assert_eq!(fresh["retry"]["num_attempts"], 1);
        assert_eq!(fresh["retry"]["hosts"], json!([["b", "b"]]));
    }
}
