//! Shelving on the wire (Nova: `nova/compute/rpcapi.py` `shelve_instance`,
//! `shelve_offload_instance`, `unshelve_instance` — `_ver(ctxt, '5.13')`, sent at 6.0
//! unpinned — and `nova/conductor/rpcapi.py` ComputeTaskAPI `unshelve_instance` 1.14):
//! the argument struct of each, in the order Nova's proxies write the keyword arguments,
//! and the proxy methods the api (to the compute and the conductor) and the conductor (to
//! the compute) send them with.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::compute::ComputeApi;
use super::compute_task::ComputeTaskApi;
use super::rpc_args::{self, RpcArgs, Unread};
use novactor::rpc::{CallError, RequestContext};

/// Compute `shelve_instance(instance, image_id, clean_shutdown, accel_uuids)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShelveInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The image the shelve snapshot goes to (Nova's api creates it first).
    pub image_id: Option<String>,
    /// The fake driver powers off the same way either way.
    pub clean_shutdown: Unread,
    /// No accelerators in novactor.
    pub accel_uuids: Unread,
}

impl RpcArgs for ShelveInstance {
    const METHOD: &'static str = "shelve_instance";
}

/// Compute `shelve_offload_instance(instance, clean_shutdown, accel_uuids)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShelveOffloadInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The fake driver powers off the same way either way.
    pub clean_shutdown: Unread,
    /// No accelerators in novactor.
    pub accel_uuids: Unread,
}

impl RpcArgs for ShelveOffloadInstance {
    const METHOD: &'static str = "shelve_offload_instance";
}

/// Compute `unshelve_instance(instance, image, filter_properties, node, request_spec,
/// accel_uuids)` (cast to the host the scheduler chose).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnshelveInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The image to spawn from (the shelve snapshot); null for a volume-backed server.
    pub image: Option<Value>,
    /// Legacy scheduler dict; its `limits` are what the claim re-checks.
    pub filter_properties: Option<Map<String, Value>>,
    /// The node the scheduler chose.
    pub node: Option<String>,
    /// The `RequestSpec` primitive.
    pub request_spec: Unread,
    /// No accelerators in novactor.
    pub accel_uuids: Unread,
}

impl RpcArgs for UnshelveInstance {
    const METHOD: &'static str = "unshelve_instance";
}

/// Conductor `unshelve_instance(instance, request_spec)` (1.14, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnshelveInstanceTask {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `RequestSpec` primitive, with the zone and destination the api set.
    pub request_spec: Option<Value>,
}

impl RpcArgs for UnshelveInstanceTask {
    const METHOD: &'static str = "unshelve_instance";
}

/// Where the conductor sends an unshelve: the scheduler's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct UnshelveTarget {
    /// The compute host.
    pub host: String,
    /// Its node.
    pub node: String,
    /// The image to spawn from (null: volume-backed).
    pub image: Option<Value>,
    /// `filter_properties` with the selection's `limits`.
    pub filter_properties: Map<String, Value>,
    /// The `RequestSpec` primitive.
    pub request_spec: Value,
}

impl ComputeApi {
    /// `shelve_instance` (6.0), a cast to `host`.
    pub async fn shelve_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        image_id: &str,
    ) -> Result<(), CallError> {
        let args = ShelveInstance {
            instance,
            image_id: Some(image_id.to_owned()),
            clean_shutdown: Some(json!(true)),
            accel_uuids: Some(json!([])),
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `shelve_offload_instance` (6.0), a cast to `host`.
    pub async fn shelve_offload_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        let args = ShelveOffloadInstance {
            instance,
            clean_shutdown: Some(json!(true)),
            accel_uuids: Some(json!([])),
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `unshelve_instance` (6.0), a cast to the scheduler's host.
    pub async fn unshelve_instance(
        &self,
        ctx: &RequestContext,
        instance: Value,
        target: UnshelveTarget,
    ) -> Result<(), CallError> {
        let args = UnshelveInstance {
            instance,
            image: target.image,
            filter_properties: Some(target.filter_properties),
            node: Some(target.node),
            request_spec: Some(target.request_spec),
            accel_uuids: Some(json!([])),
        };
        rpc_args::cast(&self.at(&target.host), ctx, &args).await
    }
}

impl ComputeTaskApi {
    /// Conductor `unshelve_instance` (1.14), a cast.
    pub async fn unshelve_instance(
        &self,
        ctx: &RequestContext,
        instance: Value,
        request_spec: Value,
    ) -> Result<(), CallError> {
        let args = UnshelveInstanceTask {
            instance,
            request_spec: Some(request_spec),
        };
        rpc_args::cast(&self.versioned("1.14"), ctx, &args).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(args: &impl RpcArgs) -> Vec<String> {
        args.to_kwargs()
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn shelving_is_sent_as_novas_proxies_send_it() {
        let shelve = ShelveInstance {
            instance: json!(1),
            image_id: Some("img".into()),
            clean_shutdown: Some(json!(true)),
            accel_uuids: Some(json!([])),
        };
        assert_eq!(
            keys(&shelve),
            ["instance", "image_id", "clean_shutdown", "accel_uuids"]
        );
        let unshelve = UnshelveInstance {
            instance: json!(1),
            image: None,
            filter_properties: Some(Map::new()),
            node: Some("n".into()),
            request_spec: None,
            accel_uuids: Some(json!([])),
        };
        assert_eq!(
            keys(&unshelve),
            [
                "instance",
                "image",
                "filter_properties",
                "node",
                "request_spec",
                "accel_uuids"
            ]
        );
        let task = UnshelveInstanceTask {
            instance: json!(1),
            request_spec: Some(json!(2)),
        };
        assert_eq!(keys(&task), ["instance", "request_spec"]);
        assert_eq!(ShelveOffloadInstance::METHOD, "shelve_offload_instance");
    }
}
