//! The [`ComputeManager`] handlers of soft delete and restore (Nova:
//! `ComputeManager.soft_delete_instance`, `restore_instance`, recorded as the
//! `compute_<method>` events) and the periodic `_reclaim_queued_deletes`; the flows are
//! `instance_deferred_delete.rs`, the endpoint and periodic tables `manager.rs`.

use std::sync::Arc;

use serde_json::Value;

use super::manager::ComputeManager;
use crate::rpcapi::compute::instance_from;
use crate::rpcapi::compute_deferred_delete::{RestoreInstance, SoftDeleteInstance};
use crate::rpcapi::RpcArgs;
use novactor::service::{Call, Response};

impl ComputeManager {
    /// `soft_delete_instance` (cast).
    pub(super) fn soft_delete_instance(&mut self, call: Call) -> Response {
        let parsed = SoftDeleteInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_soft_delete_instance",
            |flows, ctx, instance| async move { flows.soft_delete_instance(&ctx, instance).await },
        )
    }

    /// `restore_instance` (cast).
    pub(super) fn restore_instance(&mut self, call: Call) -> Response {
        let parsed = RestoreInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_restore_instance",
            |flows, ctx, instance| async move { flows.restore_instance(&ctx, instance).await },
        )
    }

    /// Periodic `_reclaim_queued_deletes`.
    pub(super) fn reclaim_queued_deletes(&mut self, call: Call) -> Response {
        let flows = Arc::clone(self.flows());
        Response::later(async move {
            flows
                .reclaim_queued_deletes(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}
