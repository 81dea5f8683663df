//! Client side of `nova-scheduler` (Nova: `nova/scheduler/rpcapi.py` SchedulerAPI), used by
//! the conductor (placement) and the computes (instance-info fanouts).
//!
//! Version history kept by novactor (Nova's numbering): baseapi 1.0–1.1; 4.0 base;
//! 4.2 `update_instance_info` / `delete_instance_info` / `sync_instance_info` as fanout
//! casts; 4.5 `select_destinations` with `return_objects` and `return_alternates`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::baserpc::BaseApi;
use crate::objects::{RequestSpec, Selection, TypedObject};
use novactor::rpc::{CallError, RemoteFailure, RequestContext, RpcClient, Target};

/// Nova `SchedulerAPI` on topic `scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerApi {
    client: RpcClient,
}

impl SchedulerApi {
    /// The target every `SchedulerApi` sends to: topic `scheduler`.
    pub fn target() -> Target {
        Target::topic("scheduler")
    }

    /// Wrap a client made for [`Self::target`].
    pub fn new(client: RpcClient) -> Self {
        Self { client }
    }

    /// `baseapi.ping` on any scheduler host.
    pub async fn ping(&self, ctx: &RequestContext, arg: Value) -> Result<Value, CallError> {
        BaseApi::new(&self.client).ping(ctx, arg, None).await
    }

    /// This proxy addressed to one host.
    pub fn with_server(&self, host: &str) -> Self {
        Self::new(self.client.with_server(host))
    }

    /// `select_destinations` (4.5), a call with `timeout = long_rpc_timeout` and
    /// `call_monitor_timeout = rpc_response_timeout` as Nova sends it. Returns one list per
    /// instance: the chosen host first, then alternates.
    pub async fn select_destinations(
        &self,
        ctx: &RequestContext,
        spec: &RequestSpec,
        instance_uuids: &[String],
        long_timeout: Duration,
        call_monitor_timeout: Duration,
    ) -> Result<Vec<Vec<Selection>>, CallError> {
        let reply = self
            .client
            .with_version("4.5")
            .with_timeout(long_timeout)
            .with_call_monitor_timeout(call_monitor_timeout)
            // The conductor handles NoValidHost (the instance goes to ERROR), as Nova does.
            .with_expected_failures(super::SELECT_DESTINATIONS_EXPECTED)
            .call(
                ctx,
                "select_destinations",
                json!({"spec_obj": spec.to_primitive(), "instance_uuids": instance_uuids, "return_objects": true, "return_alternates": true}),
            )
            .await?;
        let lists = reply
            .as_array()
            .ok_or_else(|| bad_reply("not a list of host lists"))?;
        lists
            .iter()
            .map(|list| {
                list.as_array()
                    .ok_or_else(|| bad_reply("a host list is not a list"))?
                    .iter()
                    .map(|selection| {
                        Selection::from_primitive(selection).map_err(|e| bad_reply(&e.to_string()))
                    })
                    .collect()
            })
            .collect()
    }

    /// `update_instance_info` (4.2), fanout: `instances` are `Instance` primitives of `host_name`.
    pub async fn update_instance_info(
        &self,
        ctx: &RequestContext,
        host_name: &str,
        instances: Vec<Value>,
    ) -> Result<(), CallError> {
        let instance_info = json!({
            "nova_object.name": "InstanceList", "nova_object.namespace": "nova",
            "nova_object.version": crate::objects::versions::INSTANCE_LIST,
            "nova_object.data": {"objects": instances}, "nova_object.changes": ["objects"],
        });
        self.client
            .with_version("4.2")
            .with_fanout()
            .cast(
                ctx,
                "update_instance_info",
                json!({"host_name": host_name, "instance_info": instance_info}),
            )
            .await
    }

    /// `delete_instance_info` (4.2), fanout.
    pub async fn delete_instance_info(
        &self,
        ctx: &RequestContext,
        host_name: &str,
        instance_uuid: &str,
    ) -> Result<(), CallError> {
        self.client
            .with_version("4.2")
            .with_fanout()
            .cast(
                ctx,
                "delete_instance_info",
                json!({"host_name": host_name, "instance_uuid": instance_uuid}),
            )
            .await
    }

    /// `sync_instance_info` (4.2), fanout: every instance uuid `host_name` has.
    pub async fn sync_instance_info(
        &self,
        ctx: &RequestContext,
        host_name: &str,
        instance_uuids: &[String],
    ) -> Result<(), CallError> {
        self.client
            .with_version("4.2")
            .with_fanout()
            .cast(
                ctx,
                "sync_instance_info",
                json!({"host_name": host_name, "instance_uuids": instance_uuids}),
            )
            .await
    }
}

fn bad_reply(problem: &str) -> CallError {
    CallError::Remote(RemoteFailure::runtime_error(format!(
        "select_destinations answered with {problem}"
    )))
}
