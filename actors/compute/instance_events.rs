//! Nova's `wrap_instance_event` (`nova/compute/utils.py` `EventReporter`): each operation a
//! request asked of this compute is recorded as an event — `compute_<method>` started,
//! then finished with `Success` or `Error` and the failure — under the instance action
//! the API started for that request (found by the request id of the cast's context). What
//! `openstack server event list` shows.
//!
//! Recording is history, not the operation: a failed record is logged and the operation
//! goes on. No action for the request (`InstanceActionNotFound`: an API that records
//! none, or an operation this compute started itself) is expected and logged at debug.

use std::fmt::Display;
use std::future::Future;

use super::conductor_objects::ObjectCallError;
use super::flows::ComputeFlows;
use novactor::rpc::RequestContext;

fn log_failed_record(uuid: &str, event: &str, error: &ObjectCallError) {
    if error.is_action_not_found() {
        tracing::debug!(instance = %uuid, event, "no instance action for this request; event not recorded");
    } else {
        tracing::warn!(instance = %uuid, event, %error, "could not record the instance action event");
    }
}

impl ComputeFlows {
    /// Run `operation` as event `event` of instance `uuid`.
    pub(super) async fn reported<T, E: Display>(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        event: &'static str,
        operation: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        if let Err(error) = self.objects.event_start(ctx, uuid, event, &self.host).await {
            log_failed_record(uuid, event, &error);
        }
        let outcome = operation.await;
        let failure = outcome.as_ref().err().map(|error| {
            let message = error.to_string();
            // Nova stores the formatted traceback; the failure's text is novactor's.
            (message.clone(), format!("{event}: {message}"))
        });
        let failure_ref = failure.as_ref().map(|(m, t)| (m.as_str(), t.as_str()));
        if let Err(error) = self
            .objects
            .event_finish(ctx, uuid, event, failure_ref)
            .await
        {
            log_failed_record(uuid, event, &error);
        }
        outcome
    }
}
