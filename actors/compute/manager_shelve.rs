//! The [`ComputeManager`] handlers of shelving (Nova: `ComputeManager.shelve_instance`,
//! `shelve_offload_instance`, `unshelve_instance`, recorded as the `compute_<method>`
//! events) and the periodic `_poll_shelved_instances`; the flows are `instance_shelve.rs`,
//! the endpoint and periodic tables `manager.rs`.

use std::sync::Arc;

use serde_json::Value;

use super::instance_shelve::UnshelveRequest;
use super::manager::ComputeManager;
use crate::rpcapi::compute::instance_from;
use crate::rpcapi::compute_shelve::{ShelveInstance, ShelveOffloadInstance, UnshelveInstance};
use crate::rpcapi::RpcArgs;
use novactor::rpc::RemoteFailure;
use novactor::service::{Call, Response};

impl ComputeManager {
    /// `shelve_instance` (cast).
    pub(super) fn shelve_instance(&mut self, call: Call) -> Response {
        let parsed = ShelveInstance::from_call(&call);
        let image_id = parsed.as_ref().ok().and_then(|args| args.image_id.clone());
        let parsed = parsed.and_then(|a| {
            if image_id.is_none() {
                // Nova's api sends none only for a volume-backed server, which it offloads
                // instead (`shelve_offload_instance`); novactor has no volumes.
                return Err(RemoteFailure::value_error(
                    "shelve_instance without an image_id (a volume-backed server) is not served by this compute",
                ));
            }
            instance_from(&a.instance)
        });
        let image_id = image_id.unwrap_or_default();
        self.reported_operation(
            call.context,
            parsed,
            "compute_shelve_instance",
            move |flows, ctx, instance| async move {
                flows.shelve_instance(&ctx, instance, &image_id).await
            },
        )
    }

    /// `shelve_offload_instance` (cast).
    pub(super) fn shelve_offload_instance(&mut self, call: Call) -> Response {
        let parsed =
            ShelveOffloadInstance::from_call(&call).and_then(|a| instance_from(&a.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_shelve_offload_instance",
            |flows, ctx, instance| async move { flows.shelve_offload_instance(&ctx, instance).await },
        )
    }

    /// `unshelve_instance` (cast): the host the conductor's scheduling chose.
    pub(super) fn unshelve_instance(&mut self, call: Call) -> Response {
        let parsed = UnshelveInstance::from_call(&call).and_then(|a| {
            let instance = instance_from(&a.instance)?;
            let image_id = match &a.image {
                None => None,
                Some(image) => Some(
                    image
                        .get("id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            RemoteFailure::value_error("unshelve_instance: the image has no id")
                        })?,
                ),
            };
            let limits = a
                .filter_properties
                .as_ref()
                .and_then(|fp| fp.get("limits"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            Ok((instance, UnshelveRequest { image_id, limits }))
        });
        let (parsed, request) = match parsed {
            Ok((instance, request)) => (Ok(instance), request),
            Err(failure) => (Err(failure), UnshelveRequest::default()),
        };
        self.reported_operation(
            call.context,
            parsed,
            "compute_unshelve_instance",
            move |flows, ctx, instance| async move {
                flows.unshelve_instance(&ctx, instance, request).await
            },
        )
    }

    /// Periodic `_poll_shelved_instances`.
    pub(super) fn poll_shelved_instances(&mut self, call: Call) -> Response {
        let flows = Arc::clone(self.flows());
        Response::later(async move {
            flows
                .poll_shelved_instances(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}
