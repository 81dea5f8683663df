//! The [`ComputeManager`] handlers of the resize and cold migration methods (Nova:
//! `ComputeManager.prep_resize` … `finish_revert_resize`, each
//! `@wrap_instance_event(prefix='compute')`): arguments decoded at once
//! (`rpcapi/compute_resize.rs`; a malformed instance or migration is a `ValueError`), the
//! flow (`instance_resize.rs`, `instance_resize_confirm.rs`) recorded as the
//! `compute_<method>` event. The endpoint table lists them in `manager.rs`.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use super::flows::ComputeFlows;
use super::instance_resize::PrepRequest;
use super::manager::ComputeManager;
use super::operation_failure::OperationError;
use crate::objects::NovaObject;
use crate::rpcapi::compute::instance_from;
use crate::rpcapi::compute_resize::{
    ConfirmResize, FinishResize, FinishRevertResize, PrepResize, ResizeInstance, RevertResize,
};
use crate::rpcapi::RpcArgs;
use novactor::rpc::{RemoteFailure, RequestContext};
use novactor::service::{Call, Response};

/// A `migration` argument: a `Migration` primitive with an id.
fn migration_from(value: &Value) -> Result<NovaObject, RemoteFailure> {
    let mut migration = NovaObject::from_primitive(value)
        .map_err(|e| RemoteFailure::value_error(format!("migration: {e}")))?;
    if migration.name != "Migration" || migration.get("id").as_i64().is_none() {
        return Err(RemoteFailure::value_error(
            "migration: expected a Migration object with an id",
        ));
    }
    migration.changes.clear();
    Ok(migration)
}

/// The instance and migration of a move method, both checked.
fn instance_and_migration(
    instance: &Value,
    migration: &Value,
) -> Result<(NovaObject, NovaObject), RemoteFailure> {
    Ok((instance_from(instance)?, migration_from(migration)?))
}

impl ComputeManager {
    /// `operation` on the decoded instance and its `extra` arguments, recorded as event
    /// `event` ([`ComputeManager::reported_operation`]).
    fn move_operation<T, F, Fut>(
        &self,
        call: Call,
        parsed: Result<(NovaObject, T), RemoteFailure>,
        event: &'static str,
        operation: F,
    ) -> Response
    where
        T: 'static,
        F: FnOnce(Arc<ComputeFlows>, RequestContext, NovaObject, T) -> Fut + 'static,
        Fut: Future<Output = Result<(), OperationError>> + 'static,
    {
        match parsed {
            Ok((instance, extra)) => {
                self.reported_operation(call.context, Ok(instance), event, move |f, c, i| {
                    operation(f, c, i, extra)
                })
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `prep_resize` (cast, on the destination).
    pub(super) fn prep_resize(&mut self, call: Call) -> Response {
        let parsed = PrepResize::from_call(&call).and_then(|a| {
            let (instance, migration) = instance_and_migration(&a.instance, &a.migration)?;
            let limits = a
                .filter_properties
                .as_ref()
                .and_then(|p| p.get("limits"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let filter_properties = a
                .filter_properties
                .as_ref()
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let host_list = match a.host_list {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(list)) => list,
                Some(other) => {
                    return Err(RemoteFailure::value_error(format!(
                        "host_list is not a list: {other}"
                    )))
                }
            };
            let request = PrepRequest {
                flavor: a.flavor,
                migration,
                limits,
                request_spec: a.request_spec,
                filter_properties,
                host_list,
            };
            Ok((instance, request))
        });
        self.move_operation(
            call,
            parsed,
            "compute_prep_resize",
            |flows, ctx, i, r| async move { flows.prep_resize(&ctx, i, r).await },
        )
    }

    /// `resize_instance` (cast, on the source).
    pub(super) fn resize_instance(&mut self, call: Call) -> Response {
        let parsed = ResizeInstance::from_call(&call).and_then(|a| {
            let (instance, migration) = instance_and_migration(&a.instance, &a.migration)?;
            Ok((instance, (migration, a.request_spec)))
        });
        self.move_operation(
            call,
            parsed,
            "compute_resize_instance",
            |flows, ctx, i, (m, spec)| async move { flows.resize_instance(&ctx, i, m, spec).await },
        )
    }

    /// `finish_resize` (cast, on the destination).
    pub(super) fn finish_resize(&mut self, call: Call) -> Response {
        let parsed = FinishResize::from_call(&call)
            .and_then(|a| instance_and_migration(&a.instance, &a.migration));
        self.move_operation(
            call,
            parsed,
            "compute_finish_resize",
            |flows, ctx, i, m| async move { flows.finish_resize(&ctx, i, m).await },
        )
    }

    /// `confirm_resize` (cast, on the source).
    pub(super) fn confirm_resize(&mut self, call: Call) -> Response {
        let parsed = ConfirmResize::from_call(&call)
            .and_then(|a| instance_and_migration(&a.instance, &a.migration));
        self.move_operation(
            call,
            parsed,
            "compute_confirm_resize",
            |flows, ctx, i, m| async move { flows.confirm_resize(&ctx, i, m).await },
        )
    }

    /// `revert_resize` (cast, on the destination).
    pub(super) fn revert_resize(&mut self, call: Call) -> Response {
        let parsed = RevertResize::from_call(&call).and_then(|a| {
            let (instance, migration) = instance_and_migration(&a.instance, &a.migration)?;
            Ok((instance, (migration, a.request_spec)))
        });
        self.move_operation(
            call,
            parsed,
            "compute_revert_resize",
            |flows, ctx, i, (m, spec)| async move { flows.revert_resize(&ctx, i, m, spec).await },
        )
    }

    /// `finish_revert_resize` (cast, on the source).
    pub(super) fn finish_revert_resize(&mut self, call: Call) -> Response {
        let parsed = FinishRevertResize::from_call(&call)
            .and_then(|a| instance_and_migration(&a.instance, &a.migration));
        self.move_operation(
            call,
            parsed,
            "compute_finish_revert_resize",
            |flows, ctx, i, m| async move { flows.finish_revert_resize(&ctx, i, m).await },
        )
    }

    /// Periodic `_poll_unconfirmed_resizes` (every `resize_confirm_window`; off while it
    /// is 0).
    pub(super) fn poll_unconfirmed_resizes(&mut self, call: Call) -> Response {
        let flows = Arc::clone(self.flows());
        Response::later(async move {
            flows
                .poll_unconfirmed_resizes(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}
