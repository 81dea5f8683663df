//! The [`ComputeManager`] handlers of the server actions' RPC methods (Nova:
//! `ComputeManager.pause_instance` … `trigger_crash_dump`): each decodes its arguments
//! (`rpcapi/compute_instance_ops.rs`) at once and returns the flow as a later response,
//! recorded as the `compute_<method>` event (`@wrap_instance_event(prefix='compute')`)
//! where Nova records one. The endpoint table lists them in `manager.rs`.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use super::flows::{uuid_of, ComputeFlows};
use super::instance_evacuate::EvacuationOrder;
use super::manager::ComputeManager;
use super::operation_failure::OperationError;
use crate::objects::injected_files::InjectedFile;
use crate::objects::NovaObject;
use crate::rpcapi::compute::instance_from;
use crate::rpcapi::compute_instance_ops::{
    GetConsoleOutput, PauseInstance, RescueInstance, ResumeInstance, SetAdminPassword,
    SuspendInstance, TriggerCrashDump, UnpauseInstance, UnrescueInstance,
};
use crate::rpcapi::compute_rebuild::RebuildInstance;
use crate::rpcapi::RpcArgs;
use novactor::rpc::{RemoteFailure, RequestContext};
use novactor::service::{Call, Response};

/// An evacuation's arguments: the migration, node, limits and target state.
fn evacuation_order(args: &RebuildInstance) -> Result<EvacuationOrder, RemoteFailure> {
    let migration = match &args.migration {
        None | Some(Value::Null) => None,
        Some(primitive) => Some(NovaObject::from_primitive(primitive).map_err(|e| {
            RemoteFailure::value_error(format!("rebuild_instance(): bad migration: {e}"))
        })?),
    };
    let limits = match &args.limits {
        Some(Value::Object(limits)) => limits.clone(),
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(other) => {
            return Err(RemoteFailure::value_error(format!(
                "rebuild_instance(): limits is not a dict: {other}"
            )))
        }
    };
    if let Some(target) = args.target_state.as_deref() {
        // Nova `vm_states.ALLOW_TARGET_STATES`.
        if target != "stopped" {
            return Err(RemoteFailure::value_error(format!(
                "The target state {target} for an evacuation is not supported."
            )));
        }
    }
    Ok(EvacuationOrder {
        migration,
        scheduled_node: args.scheduled_node.clone(),
        limits,
        target_state: args.target_state.clone(),
        on_shared_storage: args.on_shared_storage.as_ref().and_then(Value::as_bool),
        injected_files: args.injected_files.clone().unwrap_or_default(),
    })
}

/// What a compute's `rebuild_instance` asks for.
enum RebuildOrder {
    /// In place, from `image`, the guest getting `files`.
    InPlace {
        /// The image to rebuild from.
        image: String,
        /// The personality files (base64).
        files: Vec<InjectedFile>,
    },
    /// An evacuation to this host (boxed: the order is much the larger).
    Evacuation(Box<EvacuationOrder>),
}

/// The instance and order of decoded `rebuild_instance` arguments.
fn rebuild_order(
    args: RebuildInstance,
) -> Result<(NovaObject, Result<RebuildOrder, RemoteFailure>), RemoteFailure> {
    let order = match args.recreate {
        Some(true) => RebuildOrder::Evacuation(Box::new(evacuation_order(&args)?)),
        _ => RebuildOrder::InPlace {
            image: args.image_ref.unwrap_or_default(),
            files: args.injected_files.unwrap_or_default(),
        },
    };
    Ok((instance_from(&args.instance)?, Ok(order)))
}

impl ComputeManager {
    /// `operation` on the decoded instance, recorded as event `event`; the reply is null
    /// or the operation's failure.
    pub(super) fn reported_operation<F, Fut>(
        &self,
        ctx: RequestContext,
        parsed: Result<NovaObject, RemoteFailure>,
        event: &'static str,
        operation: F,
    ) -> Response
    where
        F: FnOnce(Arc<ComputeFlows>, RequestContext, NovaObject) -> Fut + 'static,
        Fut: Future<Output = Result<(), OperationError>> + 'static,
    {
        let instance = match parsed {
            Ok(instance) => instance,
            Err(failure) => return Response::err(failure),
        };
        let flows = Arc::clone(self.flows());
        Response::later(async move {
            let uuid = uuid_of(&instance);
            let work = operation(Arc::clone(&flows), ctx.clone(), instance);
            flows
                .reported(&ctx, &uuid, event, work)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }

    /// `pause_instance` (cast).
    pub(super) fn pause_instance(&mut self, call: Call) -> Response {
        let parsed = PauseInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_pause_instance",
            |flows, ctx, instance| async move { flows.pause_instance(&ctx, instance).await },
        )
    }

    /// `unpause_instance` (cast).
    pub(super) fn unpause_instance(&mut self, call: Call) -> Response {
        let parsed = UnpauseInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_unpause_instance",
            |flows, ctx, instance| async move { flows.unpause_instance(&ctx, instance).await },
        )
    }

    /// `suspend_instance` (cast).
    pub(super) fn suspend_instance(&mut self, call: Call) -> Response {
        let parsed = SuspendInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_suspend_instance",
            |flows, ctx, instance| async move { flows.suspend_instance(&ctx, instance).await },
        )
    }

    /// `resume_instance` (cast).
    pub(super) fn resume_instance(&mut self, call: Call) -> Response {
        let parsed = ResumeInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_resume_instance",
            |flows, ctx, instance| async move { flows.resume_instance(&ctx, instance).await },
        )
    }

    /// `rescue_instance` (cast).
    pub(super) fn rescue_instance(&mut self, call: Call) -> Response {
        let parsed = RescueInstance::from_call(&call);
        let image = parsed
            .as_ref()
            .ok()
            .and_then(|args| args.rescue_image_ref.clone());
        let parsed = parsed.and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_rescue_instance",
            move |flows, ctx, instance| async move {
                flows
                    .rescue_instance(&ctx, instance, image.as_deref())
                    .await
            },
        )
    }

    /// `unrescue_instance` (cast).
    pub(super) fn unrescue_instance(&mut self, call: Call) -> Response {
        let parsed = UnrescueInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_unrescue_instance",
            |flows, ctx, instance| async move { flows.unrescue_instance(&ctx, instance).await },
        )
    }

    /// `set_admin_password` (call): null once set, else `InstancePasswordSetFailed`.
    pub(super) fn set_admin_password(&mut self, call: Call) -> Response {
        let parsed = SetAdminPassword::from_call(&call);
        let new_pass = parsed
            .as_ref()
            .map(|args| args.new_pass.clone())
            .unwrap_or_default();
        let parsed = parsed.and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_set_admin_password",
            move |flows, ctx, instance| async move {
                flows.set_admin_password(&ctx, instance, &new_pass).await
            },
        )
    }

    /// `get_console_output` (call): the console text (no event, as in Nova).
    pub(super) fn get_console_output(&mut self, call: Call) -> Response {
        let parsed = GetConsoleOutput::from_call(&call)
            .and_then(|a| Ok((instance_from(&a.instance)?, a.tail_length)));
        match parsed {
            Ok((instance, tail)) => self
                .flows()
                .get_console_output(&instance, tail.as_ref())
                .into(),
            Err(failure) => Response::err(failure),
        }
    }

    /// `rebuild_instance` (cast): a rebuild in place, or with `recreate` an evacuation to
    /// this host (`instance_evacuate.rs`); both recorded as `compute_rebuild_instance`.
    /// Arguments that cannot be read beside an instance that can (a peer's malformed
    /// `injected_files`, say) end the rebuild as a failure does — no task, a fault — rather
    /// than leave it rebuilding.
    pub(super) fn rebuild_instance(&mut self, call: Call) -> Response {
        let parsed = match RebuildInstance::from_call(&call) {
            Ok(args) => rebuild_order(args),
            Err(failure) => match call.args.get("instance").map(instance_from) {
                Some(Ok(instance)) => Ok((instance, Err(failure))),
                _ => Err(failure),
            },
        };
        let (parsed, order) = match parsed {
            Ok((instance, order)) => (Ok(instance), order),
            Err(failure) => (Err(failure.clone()), Err(failure)),
        };
        self.reported_operation(
            call.context,
            parsed,
            "compute_rebuild_instance",
            move |flows, ctx, instance| async move {
                match order {
                    Ok(RebuildOrder::InPlace { image, files }) => {
                        flows.rebuild_instance(&ctx, instance, &image, &files).await
                    }
                    Ok(RebuildOrder::Evacuation(order)) => {
                        flows.evacuate_instance(&ctx, instance, *order).await
                    }
                    Err(failure) => flows.refuse_rebuild(&ctx, instance, failure).await,
                }
            },
        )
    }

    /// `trigger_crash_dump` (cast).
    pub(super) fn trigger_crash_dump(&mut self, call: Call) -> Response {
        let parsed = TriggerCrashDump::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_trigger_crash_dump",
            |flows, ctx, instance| async move { flows.trigger_crash_dump(&ctx, instance).await },
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn evacuation(limits: Value, target_state: Option<&str>) -> RebuildInstance {
        RebuildInstance {
            instance: json!({}),
            new_pass: None,
            injected_files: None,
            image_ref: None,
            orig_image_ref: None,
            orig_sys_metadata: None,
            bdms: None,
            recreate: Some(true),
            on_shared_storage: Some(Value::Null),
            preserve_ephemeral: Some(false),
            migration: None,
            scheduled_node: Some("h2".into()),
            limits: Some(limits),
            request_spec: None,
            accel_uuids: None,
            reimage_boot_volume: None,
            target_state: target_state.map(str::to_owned),
        }
    }

    #[test]
    fn an_evacuation_order_reads_novas_arguments_and_refuses_the_rest() {
        let order =
            evacuation_order(&evacuation(json!({"memory_mb": 512}), Some("stopped"))).unwrap();
        assert_eq!(order.scheduled_node.as_deref(), Some("h2"));
        assert_eq!(order.limits["memory_mb"], 512);
        assert_eq!(order.target_state.as_deref(), Some("stopped"));
        assert_eq!(order.on_shared_storage, None);
        assert!(order.migration.is_none());
        assert!(evacuation_order(&evacuation(json!([]), None)).is_err());
        let active = evacuation_order(&evacuation(json!({}), Some("active"))).unwrap_err();
        assert!(active.message.contains("not supported"), "{active:?}");
    }
}
