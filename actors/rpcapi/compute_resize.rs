//! Resize and cold migration on the wire (Nova: `nova/conductor/rpcapi.py` ComputeTaskAPI
//! `migrate_server` 1.20, `nova/compute/rpcapi.py` `prep_resize`, `resize_instance`,
//! `finish_resize`, `confirm_resize`, `revert_resize`, `finish_revert_resize`, all sent at
//! 6.0 to a current compute): one argument struct per method, in the order Nova's proxies
//! write the keyword arguments, and the proxy methods that send them.
//!
//! As Nova 34, `resize_instance`, `finish_resize` and `finish_revert_resize` go to the
//! compute's second RPC server (topic `compute-alt.<host>`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::compute::ComputeApi;
use super::compute_task::ComputeTaskApi;
use super::rpc_args::{self, RpcArgs, Unread};
use novactor::rpc::{CallError, RequestContext};

/// Conductor `migrate_server(instance, scheduler_hint, live, rebuild, flavor,
/// block_migration, disk_over_commit, reservations, clean_shutdown, request_spec,
/// host_list)` (1.20; the api casts it for a resize or cold migration, `do_cast=True`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrateServer {
    /// An `Instance` primitive.
    pub instance: Value,
    /// `{"filter_properties": {"ignore_hosts": [...]}}`.
    pub scheduler_hint: Option<Value>,
    /// Live migration (not served here: `os-migrateLive` is another flow).
    pub live: Option<bool>,
    /// Evacuation (never true for a cold migration).
    pub rebuild: Option<bool>,
    /// The new `Flavor` primitive (the current one for a cold migration).
    pub flavor: Option<Value>,
    /// Live migration only.
    pub block_migration: Unread,
    /// Live migration only.
    pub disk_over_commit: Unread,
    /// Long gone quota reservations (always null).
    pub reservations: Unread,
    /// Shut the guest down cleanly before moving it.
    pub clean_shutdown: Option<bool>,
    /// The `RequestSpec` primitive (flavor, `ignore_hosts`, `requested_destination`).
    pub request_spec: Option<Value>,
    /// A reschedule's alternates (null from the api).
    pub host_list: Unread,
}

impl RpcArgs for MigrateServer {
    const METHOD: &'static str = "migrate_server";
}

/// Compute `prep_resize(instance, flavor, image, request_spec, filter_properties, node,
/// migration, clean_shutdown, host_list)` (6.0, cast to the destination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepResize {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The new `Flavor` primitive.
    pub flavor: Value,
    /// Image metadata.
    pub image: Unread,
    /// The `RequestSpec` primitive.
    pub request_spec: Option<Value>,
    /// Legacy scheduler properties (`limits` among them).
    pub filter_properties: Option<Value>,
    /// The destination node the scheduler chose.
    pub node: Option<String>,
    /// The `Migration` primitive the conductor created.
    pub migration: Value,
    /// Shut the guest down cleanly.
    pub clean_shutdown: Option<bool>,
    /// The alternates left for a reschedule (`Selection` primitives).
    pub host_list: Option<Value>,
}

impl RpcArgs for PrepResize {
    const METHOD: &'static str = "prep_resize";
}

/// Compute `resize_instance(instance, migration, image, flavor, clean_shutdown,
/// request_spec)` (6.0, cast to the source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResizeInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `Migration` primitive (destination filled in by `prep_resize`).
    pub migration: Value,
    /// Image metadata.
    pub image: Unread,
    /// The new `Flavor` primitive.
    pub flavor: Option<Value>,
    /// Shut the guest down cleanly.
    pub clean_shutdown: Option<bool>,
    /// The `RequestSpec` primitive.
    pub request_spec: Option<Value>,
}

impl RpcArgs for ResizeInstance {
    const METHOD: &'static str = "resize_instance";
}

/// Compute `finish_resize(instance, migration, image, disk_info, request_spec)` (6.0,
/// cast to the destination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishResize {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `Migration` primitive.
    pub migration: Value,
    /// Image metadata.
    pub image: Unread,
    /// The driver's disk info from `migrate_disk_and_power_off`.
    pub disk_info: Unread,
    /// The `RequestSpec` primitive.
    pub request_spec: Option<Value>,
}

impl RpcArgs for FinishResize {
    const METHOD: &'static str = "finish_resize";
}

/// Compute `confirm_resize(instance, migration)` (6.0, cast to the source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfirmResize {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `Migration` primitive (status `confirming`).
    pub migration: Value,
}

impl RpcArgs for ConfirmResize {
    const METHOD: &'static str = "confirm_resize";
}

/// Compute `revert_resize(instance, migration, request_spec)` (6.0, cast to the
/// destination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevertResize {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `Migration` primitive (status `reverting`).
    pub migration: Value,
    /// The `RequestSpec` primitive.
    pub request_spec: Option<Value>,
}

impl RpcArgs for RevertResize {
    const METHOD: &'static str = "revert_resize";
}

/// Compute `finish_revert_resize(instance, migration, request_spec)` (6.0, cast to the
/// source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishRevertResize {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `Migration` primitive.
    pub migration: Value,
    /// The `RequestSpec` primitive.
    pub request_spec: Option<Value>,
}

impl RpcArgs for FinishRevertResize {
    const METHOD: &'static str = "finish_revert_resize";
}

/// What the api asks the conductor to move.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveRequest {
    /// The `Instance` primitive (task state `resize_prep` saved).
    pub instance: Value,
    /// The `Flavor` primitive to move to (the current one for a cold migration).
    pub flavor: Value,
    /// Hosts the scheduler must not pick (the source unless `allow_resize_to_same_host`).
    pub ignore_hosts: Vec<String>,
    /// The `RequestSpec` primitive (flavor, `ignore_hosts`, `requested_destination` set).
    pub request_spec: Value,
}

/// Nova's conductor `resize_instance(...)` proxy: `migrate_server` with `live` and
/// `rebuild` false, a clean shutdown, and the scheduler hint's `filter_properties`.
fn cold_move(
    instance: Value,
    flavor: Value,
    request_spec: Option<Value>,
    filter_properties: Value,
    host_list: Option<Value>,
) -> MigrateServer {
    MigrateServer {
        instance,
        scheduler_hint: Some(json!({ "filter_properties": filter_properties })),
        live: Some(false),
        rebuild: Some(false),
        flavor: Some(flavor),
        block_migration: None,
        disk_over_commit: None,
        reservations: None,
        clean_shutdown: Some(true),
        request_spec,
        host_list,
    }
}

impl ComputeTaskApi {
    /// Conductor `migrate_server` (1.20), a cast (Nova's `resize_instance(do_cast=True)`).
    pub async fn migrate_server(
        &self,
        ctx: &RequestContext,
        request: MoveRequest,
    ) -> Result<(), CallError> {
        let args = cold_move(
            request.instance,
            request.flavor,
            Some(request.request_spec),
            json!({ "ignore_hosts": request.ignore_hosts }),
            None,
        );
        rpc_args::cast(&self.versioned("1.20"), ctx, &args).await
    }

    /// Conductor `migrate_server` (1.20) as a destination's reschedule sends it: a call
    /// (Nova's `resize_instance(do_cast=False)`) with the failed attempt's
    /// `filter_properties` (its `retry`) and the alternates left (`host_list`).
    pub async fn reschedule_resize(
        &self,
        ctx: &RequestContext,
        request: RescheduleRequest,
    ) -> Result<(), CallError> {
        let args = cold_move(
            request.instance,
            request.flavor,
            request.request_spec,
            Value::Object(request.filter_properties),
            Some(Value::Array(request.host_list)),
        );
        rpc_args::call(&self.versioned("1.20"), ctx, &args).await?;
        Ok(())
    }
}

/// What a destination that cannot take a move hands back to the conductor.
#[derive(Debug, Clone, PartialEq)]
pub struct RescheduleRequest {
    /// The `Instance` primitive (task state `resize_prep` saved).
    pub instance: Value,
    /// The `Flavor` primitive the move is to.
    pub flavor: Value,
    /// The `RequestSpec` primitive the destination got.
    pub request_spec: Option<Value>,
    /// `filter_properties` with `retry` counting this host.
    pub filter_properties: Map<String, Value>,
    /// The alternates left (`Selection` primitives).
    pub host_list: Vec<Value>,
}

impl ComputeApi {
    /// `prep_resize` (6.0), a cast to the destination `host`.
    pub async fn prep_resize(
        &self,
        ctx: &RequestContext,
        host: &str,
        args: PrepResize,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `resize_instance` (6.0), a cast to the source `host`.
    pub async fn resize_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        args: ResizeInstance,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at_alt(host), ctx, &args).await
    }

    /// `finish_resize` (6.0), a cast to the destination `host`.
    pub async fn finish_resize(
        &self,
        ctx: &RequestContext,
        host: &str,
        args: FinishResize,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at_alt(host), ctx, &args).await
    }

    /// `confirm_resize` (6.0), a cast to the source `host`.
    pub async fn confirm_resize(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        migration: Value,
    ) -> Result<(), CallError> {
        let args = ConfirmResize {
            instance,
            migration,
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `revert_resize` (6.0), a cast to the destination `host`.
    pub async fn revert_resize(
        &self,
        ctx: &RequestContext,
        host: &str,
        args: RevertResize,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `finish_revert_resize` (6.0), a cast to the source `host`.
    pub async fn finish_revert_resize(
        &self,
        ctx: &RequestContext,
        host: &str,
        args: FinishRevertResize,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at_alt(host), ctx, &args).await
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
    fn the_move_methods_carry_novas_keyword_arguments() {
        let migrate = MigrateServer {
            instance: json!(1),
            scheduler_hint: None,
            live: Some(false),
            rebuild: Some(false),
            flavor: None,
            block_migration: None,
            disk_over_commit: None,
            reservations: None,
            clean_shutdown: Some(true),
            request_spec: None,
            host_list: None,
        };
        assert_eq!(
            keys(&migrate),
            [
                "instance",
                "scheduler_hint",
                "live",
                "rebuild",
                "flavor",
                "block_migration",
                "disk_over_commit",
                "reservations",
                "clean_shutdown",
                "request_spec",
                "host_list"
            ]
        );
        let prep = PrepResize {
            instance: json!(1),
            flavor: json!(2),
            image: None,
            request_spec: None,
            filter_properties: None,
            node: None,
            migration: json!(3),
            clean_shutdown: None,
            host_list: None,
        };
        assert_eq!(
            keys(&prep),
            [
                "instance",
                "flavor",
                "image",
                "request_spec",
                "filter_properties",
                "node",
                "migration",
                "clean_shutdown",
                "host_list"
            ]
        );
        let finish = FinishResize {
            instance: json!(1),
            migration: json!(2),
            image: None,
            disk_info: None,
            request_spec: None,
        };
        assert_eq!(
            keys(&finish),
            [
                "instance",
                "migration",
                "image",
                "disk_info",
                "request_spec"
            ]
        );
    }
}
