//! The [`ComputeManager`] handlers of `snapshot_instance`, `backup_instance` (recorded as
//! the `compute_snapshot_instance` / `compute_backup_instance` events, Nova's
//! `@wrap_instance_event(prefix='compute')`) and `inject_network_info` (no event, as in
//! Nova). Each decodes its arguments (`rpcapi/compute_snapshot.rs`) at once and returns the
//! flow (`instance_snapshot.rs`) as a later response. The endpoint table is `manager.rs`'.

use std::sync::Arc;

use serde_json::Value;

use super::manager::ComputeManager;
use crate::rpcapi::compute::instance_from;
use crate::rpcapi::compute_snapshot::{BackupInstance, InjectNetworkInfo, SnapshotInstance};
use crate::rpcapi::RpcArgs;
use novactor::service::{Call, Response};

impl ComputeManager {
    /// `snapshot_instance` (cast).
    pub(super) fn snapshot_instance(&mut self, call: Call) -> Response {
        let parsed = SnapshotInstance::from_call(&call);
        let image_id = parsed
            .as_ref()
            .map(|args| args.image_id.clone())
            .unwrap_or_default();
        let parsed = parsed.and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_snapshot_instance",
            move |flows, ctx, instance| async move {
                flows.snapshot_instance(&ctx, instance, &image_id).await
            },
        )
    }

    /// `backup_instance` (cast).
    pub(super) fn backup_instance(&mut self, call: Call) -> Response {
        let parsed = BackupInstance::from_call(&call);
        let (image_id, backup_type, rotation) = parsed
            .as_ref()
            .map(|a| (a.image_id.clone(), a.backup_type.clone(), a.rotation))
            .unwrap_or_default();
        let parsed = parsed.and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_backup_instance",
            move |flows, ctx, instance| async move {
                flows
                    .backup_instance(&ctx, instance, &image_id, &backup_type, rotation)
                    .await
            },
        )
    }

    /// `inject_network_info` (cast; no instance event, as in Nova).
    pub(super) fn inject_network_info(&mut self, call: Call) -> Response {
        let parsed = InjectNetworkInfo::from_call(&call).and_then(|a| instance_from(&a.instance));
        let instance = match parsed {
            Ok(instance) => instance,
            Err(failure) => return Response::err(failure),
        };
        let flows = Arc::clone(self.flows());
        let ctx = call.context;
        Response::later(async move {
            flows
                .inject_network_info(&ctx, instance)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}
