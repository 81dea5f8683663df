//! `nova-scheduler`'s RPC API (Nova: `nova/scheduler/rpcapi.py` SchedulerAPI): the target,
//! the argument struct of each method (encoded by [`SchedulerApi`], decoded by the
//! scheduler's handlers) and the proxy the conductor (placement) and the computes
//! (instance-info fanouts) use.
//!
//! Version history kept by novactor (Nova's numbering): baseapi 1.0–1.1; 4.0 base;
//! 4.2 `update_instance_info` / `delete_instance_info` / `sync_instance_info` as fanout
//! casts; 4.5 `select_destinations` with `return_objects` and `return_alternates`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::baseapi::BaseApi;
use super::rpc_args::{self, RpcArgs};
use crate::exception::NovaException;
use crate::objects::instance::instance_list_primitive;
use crate::objects::{RequestSpec, Selection, TypedObject};
use novactor::rpc::{CallError, FailureClass, RemoteFailure, RequestContext, RpcClient, Target};

/// Nova `SchedulerManager.select_destinations`:
/// `@messaging.expected_exceptions(exception.NoValidHost)` — declared by the manager and
/// handled by its caller, the conductor (the instance goes to ERROR), as in Nova.
pub const SELECT_DESTINATIONS_EXPECTED: &[FailureClass] = &[NovaException::NoValidHost.expected()];

/// `select_destinations(spec_obj, instance_uuids, return_objects, return_alternates)` (4.5,
/// call) → one host list per instance, the chosen host first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectDestinations {
    /// A `RequestSpec` primitive.
    pub spec_obj: Value,
    /// The instances (absent or empty: `spec_obj.num_instances` of them).
    pub instance_uuids: Option<Vec<String>>,
    /// `Selection` primitives rather than legacy dicts (absent: false).
    pub return_objects: Option<bool>,
    /// Alternates after each chosen host (absent: false).
    pub return_alternates: Option<bool>,
}

impl RpcArgs for SelectDestinations {
    const METHOD: &'static str = "select_destinations";
}

/// `update_instance_info(host_name, instance_info)` (4.2, fanout cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateInstanceInfo {
    /// The compute host.
    pub host_name: String,
    /// An `InstanceList` primitive of instances on that host.
    pub instance_info: Value,
}

impl RpcArgs for UpdateInstanceInfo {
    const METHOD: &'static str = "update_instance_info";
}

/// `delete_instance_info(host_name, instance_uuid)` (4.2, fanout cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteInstanceInfo {
    /// The compute host.
    pub host_name: String,
    /// The instance gone from it.
    pub instance_uuid: String,
}

impl RpcArgs for DeleteInstanceInfo {
    const METHOD: &'static str = "delete_instance_info";
}

/// `sync_instance_info(host_name, instance_uuids)` (4.2, fanout cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncInstanceInfo {
    /// The compute host.
    pub host_name: String,
    /// Every instance uuid the host has.
    pub instance_uuids: Vec<String>,
}

impl RpcArgs for SyncInstanceInfo {
    const METHOD: &'static str = "sync_instance_info";
}

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

    /// The instance-info methods: 4.2, to every scheduler.
    fn fanout(&self) -> RpcClient {
        self.client.with_version("4.2").with_fanout()
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
        let client = self
            .client
            .with_version("4.5")
            .with_timeout(long_timeout)
            .with_call_monitor_timeout(call_monitor_timeout)
            .with_expected_failures(SELECT_DESTINATIONS_EXPECTED);
        let args = SelectDestinations {
            spec_obj: spec.to_primitive(),
            instance_uuids: Some(instance_uuids.to_vec()),
            return_objects: Some(true),
            return_alternates: Some(true),
        };
        let reply = rpc_args::call(&client, ctx, &args).await?;
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
        let instance_info = instance_list_primitive(instances);
        let args = UpdateInstanceInfo {
            host_name: host_name.to_owned(),
            instance_info,
        };
        rpc_args::cast(&self.fanout(), ctx, &args).await
    }

    /// `delete_instance_info` (4.2), fanout.
    pub async fn delete_instance_info(
        &self,
        ctx: &RequestContext,
        host_name: &str,
        instance_uuid: &str,
    ) -> Result<(), CallError> {
        let args = DeleteInstanceInfo {
            host_name: host_name.to_owned(),
            instance_uuid: instance_uuid.to_owned(),
        };
        rpc_args::cast(&self.fanout(), ctx, &args).await
    }

    /// `sync_instance_info` (4.2), fanout: every instance uuid `host_name` has.
    pub async fn sync_instance_info(
        &self,
        ctx: &RequestContext,
        host_name: &str,
        instance_uuids: &[String],
    ) -> Result<(), CallError> {
        let args = SyncInstanceInfo {
            host_name: host_name.to_owned(),
            instance_uuids: instance_uuids.to_vec(),
        };
        rpc_args::cast(&self.fanout(), ctx, &args).await
    }
}

fn bad_reply(problem: &str) -> CallError {
    CallError::Remote(RemoteFailure::runtime_error(format!(
        "{} answered with {problem}",
        SelectDestinations::METHOD
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(args: &impl RpcArgs) -> String {
        serde_json::to_string(&args.to_kwargs().unwrap()).unwrap()
    }

    #[test]
    fn the_scheduler_methods_are_sent_as_novas_proxy_sends_them() {
        let select = SelectDestinations {
            spec_obj: json!({"s": 1}),
            instance_uuids: Some(vec!["u1".into()]),
            return_objects: Some(true),
            return_alternates: Some(true),
        };
        assert_eq!(
            wire(&select),
            r#"{"spec_obj":{"s":1},"instance_uuids":["u1"],"return_objects":true,"return_alternates":true}"#
        );
        let update = UpdateInstanceInfo {
            host_name: "h".into(),
            instance_info: json!({"l": 1}),
        };
        assert_eq!(
            wire(&update),
            r#"{"host_name":"h","instance_info":{"l":1}}"#
        );
        let delete = DeleteInstanceInfo {
            host_name: "h".into(),
            instance_uuid: "u".into(),
        };
        assert_eq!(wire(&delete), r#"{"host_name":"h","instance_uuid":"u"}"#);
        let sync = SyncInstanceInfo {
            host_name: "h".into(),
            instance_uuids: vec!["u".into()],
        };
        assert_eq!(wire(&sync), r#"{"host_name":"h","instance_uuids":["u"]}"#);
    }
}
