//! Client side of `nova-compute` (Nova: `nova/compute/rpcapi.py`), used by the other actors.
//!
//! Version history kept by novactor (Nova's numbering; the client sends 6.0 as Nova's does
//! unpinned): baseapi 1.0–1.1; 6.0 `build_and_run_instance`, `terminate_instance`,
//! `stop_instance`, `start_instance`, `reboot_instance`, `get_host_uptime`.

use serde_json::{json, Value};

use crate::baserpc::BaseApi;
use novactor::rpc::{CallError, RequestContext, RpcClient, Target};

/// Nova `ComputeAPI` on topic `compute`.
#[derive(Debug, Clone)]
pub struct ComputeApi {
    client: RpcClient,
}

impl ComputeApi {
    /// The target every `ComputeApi` sends to: topic `compute`.
    pub fn target() -> Target {
        Target::topic("compute")
    }

    /// Wrap a client made for [`Self::target`].
    pub fn new(client: RpcClient) -> Self {
        Self { client }
    }

    /// `baseapi.ping` on a compute host (use `with_server`).
    pub async fn ping(&self, ctx: &RequestContext, arg: Value) -> Result<Value, CallError> {
        BaseApi::new(&self.client).ping(ctx, arg, None).await
    }

    /// This proxy addressed to one host.
    pub fn with_server(&self, host: &str) -> Self {
        Self::new(self.client.with_server(host))
    }

    fn at(&self, host: &str) -> RpcClient {
        self.client.with_server(host).with_version("6.0")
    }

    /// `build_and_run_instance` (cast to `host`): `instance` is an Instance primitive,
    /// `host_list` the remaining alternates (Selection primitives).
    #[allow(clippy::too_many_arguments)]
    pub async fn build_and_run_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        request_spec: Value,
        filter_properties: Value,
        node: &str,
        limits: Value,
        host_list: Vec<Value>,
    ) -> Result<(), CallError> {
        self.at(host)
            .cast(
                ctx,
                "build_and_run_instance",
                json!({"instance": instance, "image": {}, "request_spec": request_spec,
                       "filter_properties": filter_properties, "admin_password": null,
                       "injected_files": [], "requested_networks": null, "security_groups": [],
                       "block_device_mapping": [], "node": node, "limits": limits,
                       "host_list": host_list, "accel_uuids": []}),
            )
            .await
    }

    /// `terminate_instance` (cast to the instance's host).
    pub async fn terminate_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        self.at(host)
            .cast(
                ctx,
                "terminate_instance",
                json!({"instance": instance, "bdms": []}),
            )
            .await
    }

    /// `stop_instance` (cast to the instance's host), a clean shutdown.
    pub async fn stop_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        self.at(host)
            .cast(
                ctx,
                "stop_instance",
                json!({"instance": instance, "clean_shutdown": true}),
            )
            .await
    }

    /// `start_instance` (cast to the instance's host).
    pub async fn start_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        self.at(host)
            .cast(ctx, "start_instance", json!({"instance": instance}))
            .await
    }

    /// `reboot_instance` (cast to the instance's host); `reboot_type` is `SOFT` or `HARD`.
    pub async fn reboot_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        reboot_type: &str,
    ) -> Result<(), CallError> {
        self.at(host)
            .cast(ctx, "reboot_instance", json!({"instance": instance, "block_device_info": null, "reboot_type": reboot_type}))
            .await
    }

    /// `get_host_uptime` (call to `host`): the `uptime` line of that host.
    pub async fn get_host_uptime(
        &self,
        ctx: &RequestContext,
        host: &str,
    ) -> Result<Value, CallError> {
        self.at(host).call(ctx, "get_host_uptime", json!({})).await
    }
}
