//! A destination that cannot take a resize or cold migration hands it back (Nova
//! `_reschedule_resize_or_reraise`): when the conductor sent retry information (it does
//! unless the move named its host), the instance goes back to task `resize_prep`, this host
//! joins the hosts tried, and the conductor's `migrate_server` is called with the
//! alternates left; it tries the next one on the same migration record, or — none left —
//! fails the move as Nova's `MaxRetriesExceeded`. The failure here stays on the instance
//! as a fault either way.

use serde_json::{json, Value};

use super::conductor_objects::Expected;
use super::flows::ComputeFlows;
use super::instance_build::retry_filter_properties;
use super::instance_resize::PrepRequest;
use super::instance_states::task_states;
use super::operation_failure::OperationError;
use crate::rpcapi::compute_resize::RescheduleRequest;
use novactor::rpc::RequestContext;

impl ComputeFlows {
    /// Hand a failed `prep_resize` of `uuid` back to the conductor; true when it took the
    /// move (this host's failure is then only a fault), false when there is no retry
    /// information or the reschedule itself failed (the caller fails the move).
    pub(super) async fn reschedule_resize(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        request: &PrepRequest,
        error: &OperationError,
    ) -> bool {
        if !request
            .filter_properties
            .get("retry")
            .is_some_and(Value::is_object)
        {
            tracing::debug!(instance = %uuid, "Retry info not present, will not reschedule");
            return false;
        }
        if error.instance_not_found() {
            return false;
        }
        let reason = error.to_string();
        let mut instance = match self.objects.instance_for_move(ctx, uuid).await {
            Ok(instance) => instance,
            Err(read) => {
                tracing::warn!(instance = %uuid, error = %read, "Error trying to reschedule");
                return false;
            }
        };
        instance.set("task_state", json!(task_states::RESIZE_PREP));
        if let Err(saved) = self.save(ctx, &mut instance, &Expected::Anything).await {
            tracing::warn!(instance = %uuid, error = %saved, "Error trying to reschedule");
            return false;
        }
        let filter_properties = retry_filter_properties(
            request.filter_properties.clone(),
            &self.host,
            self.tracker.nodename(),
            &reason,
        );
        tracing::info!(
            instance = %uuid,
            %reason,
            alternates = request.host_list.len(),
            "Rescheduling the move"
        );
        let handed = self
            .compute_task
            .reschedule_resize(
                ctx,
                RescheduleRequest {
                    instance: instance.to_primitive(),
                    flavor: request.flavor.clone(),
                    request_spec: request.request_spec.clone(),
                    filter_properties,
                    host_list: request.host_list.clone(),
                },
            )
            .await;
        match handed {
            Ok(()) => {
                self.add_fault(ctx, uuid, &reason, "").await;
                true
            }
            Err(failed) => {
                // Nova records the reschedule's failure, then fails the move with its own.
                tracing::error!(instance = %uuid, error = %failed, "Error trying to reschedule");
                self.add_fault(ctx, uuid, &failed.to_string(), "").await;
                false
            }
        }
    }
}
