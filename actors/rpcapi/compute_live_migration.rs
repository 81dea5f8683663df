//! Live migration on the wire (Nova: `nova/conductor/rpcapi.py` ComputeTaskAPI
//! `live_migrate_instance` 1.15 and `nova/compute/rpcapi.py`
//! `check_can_live_migrate_destination`, `check_can_live_migrate_source`, `live_migration`,
//! `pre_live_migration`, `post_live_migration_at_destination`,
//! `rollback_live_migration_at_destination`, `live_migration_force_complete`,
//! `live_migration_abort`, all at 6.0): the argument struct of each, in the order Nova's
//! proxies write the keyword arguments, and the proxy methods that send them. As Nova 34,
//! `live_migration`, `pre_live_migration`, `post_live_migration_at_destination` and
//! `rollback_live_migration_at_destination` go to topic `compute-alt.<host>`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::compute::ComputeApi;
use super::compute_task::ComputeTaskApi;
use super::rpc_args::{self, RpcArgs, Unread};
use novactor::rpc::{CallError, RequestContext};

/// Conductor `live_migrate_instance(instance, scheduler_hint, block_migration,
/// disk_over_commit, request_spec)` (1.15, cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveMigrateInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// `{"host": <forced destination or null>}`.
    pub scheduler_hint: Option<Value>,
    /// True, false or null (2.25 `auto`).
    pub block_migration: Option<bool>,
    /// Before 2.25 only.
    pub disk_over_commit: Option<bool>,
    /// The `RequestSpec` primitive (with `requested_destination` for a host checked by the
    /// scheduler).
    pub request_spec: Option<Value>,
}

impl RpcArgs for LiveMigrateInstance {
    const METHOD: &'static str = "live_migrate_instance";
}

/// Compute `check_can_live_migrate_destination(instance, block_migration,
/// disk_over_commit, migration, limits)` (call, to the destination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckCanLiveMigrateDestination {
    /// An `Instance` primitive.
    pub instance: Value,
    /// True, false or null.
    pub block_migration: Option<bool>,
    /// True, false or null.
    pub disk_over_commit: Option<bool>,
    /// The `Migration` primitive.
    pub migration: Unread,
    /// Scheduler limits (no NUMA claim in the fake driver).
    pub limits: Unread,
}

impl RpcArgs for CheckCanLiveMigrateDestination {
    const METHOD: &'static str = "check_can_live_migrate_destination";
}

/// Compute `check_can_live_migrate_source(instance, dest_check_data)` (call, to the
/// source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckCanLiveMigrateSource {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The destination's `LiveMigrateData` primitive.
    pub dest_check_data: Option<Value>,
}

impl RpcArgs for CheckCanLiveMigrateSource {
    const METHOD: &'static str = "check_can_live_migrate_source";
}

/// Compute `live_migration(instance, dest, block_migration, migrate_data, migration)`
/// (cast, to the source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveMigration {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The destination host.
    pub dest: String,
    /// True, false or null.
    pub block_migration: Option<bool>,
    /// The `LiveMigrateData` primitive the checks returned.
    pub migrate_data: Option<Value>,
    /// The `Migration` primitive.
    pub migration: Value,
}

impl RpcArgs for LiveMigration {
    const METHOD: &'static str = "live_migration";
}

/// Compute `pre_live_migration(instance, disk, migrate_data)` (6.0 call, to the
/// destination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreLiveMigration {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The source's disk info (null without block migration).
    pub disk: Unread,
    /// The `LiveMigrateData` primitive.
    pub migrate_data: Option<Value>,
}

impl RpcArgs for PreLiveMigration {
    const METHOD: &'static str = "pre_live_migration";
}

/// Compute `post_live_migration_at_destination(instance, block_migration)` (call, to the
/// destination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostLiveMigrationAtDestination {
    /// An `Instance` primitive.
    pub instance: Value,
    /// True, false or null.
    pub block_migration: Unread,
}

impl RpcArgs for PostLiveMigrationAtDestination {
    const METHOD: &'static str = "post_live_migration_at_destination";
}

/// Compute `rollback_live_migration_at_destination(instance, destroy_disks,
/// migrate_data)` (cast, to the destination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackLiveMigrationAtDestination {
    /// An `Instance` primitive.
    pub instance: Value,
    /// Whether the destination's disks go too.
    pub destroy_disks: Unread,
    /// The `LiveMigrateData` primitive.
    pub migrate_data: Unread,
}

impl RpcArgs for RollbackLiveMigrationAtDestination {
    const METHOD: &'static str = "rollback_live_migration_at_destination";
}

/// Compute `live_migration_force_complete(instance)` (cast, to the source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveMigrationForceComplete {
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for LiveMigrationForceComplete {
    const METHOD: &'static str = "live_migration_force_complete";
}

/// Compute `live_migration_abort(instance, migration_id)` (cast, to the source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveMigrationAbort {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The migration record's id.
    pub migration_id: i64,
}

impl RpcArgs for LiveMigrationAbort {
    const METHOD: &'static str = "live_migration_abort";
}

impl ComputeTaskApi {
    /// Conductor `live_migrate_instance` (1.15), a cast (Nova's API casts from 2.34 on).
    pub async fn live_migrate_instance(
        &self,
        ctx: &RequestContext,
        args: LiveMigrateInstance,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.versioned("1.15"), ctx, &args).await
    }
}

impl ComputeApi {
    /// `check_can_live_migrate_destination` (call to `destination`, `long_rpc_timeout`
    /// with the call monitor at `rpc_response_timeout`): the `LiveMigrateData` primitive.
    pub async fn check_can_live_migrate_destination(
        &self,
        ctx: &RequestContext,
        destination: &str,
        args: &CheckCanLiveMigrateDestination,
        timeouts: (Duration, Duration),
    ) -> Result<Value, CallError> {
        let (long_timeout, call_monitor_timeout) = timeouts;
        let client = self
            .at(destination)
            .with_timeout(long_timeout)
            .with_call_monitor_timeout(call_monitor_timeout);
        rpc_args::call(&client, ctx, args).await
    }

    /// `check_can_live_migrate_source` (call to the instance's host).
    pub async fn check_can_live_migrate_source(
        &self,
        ctx: &RequestContext,
        source: &str,
        instance: Value,
        dest_check_data: Value,
    ) -> Result<Value, CallError> {
        let args = CheckCanLiveMigrateSource {
            instance,
            dest_check_data: Some(dest_check_data),
        };
        rpc_args::call(&self.at(source), ctx, &args).await
    }

    /// `live_migration` (cast to the source).
    pub async fn live_migration(
        &self,
        ctx: &RequestContext,
        source: &str,
        args: &LiveMigration,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at_alt(source), ctx, args).await
    }

    /// `pre_live_migration` (6.0 call to the destination): the `LiveMigrateData` back.
    pub async fn pre_live_migration(
        &self,
        ctx: &RequestContext,
        destination: &str,
        instance: Value,
        migrate_data: Value,
    ) -> Result<Value, CallError> {
        let args = PreLiveMigration {
            instance,
            disk: None,
            migrate_data: Some(migrate_data),
        };
        rpc_args::call(&self.at_alt(destination), ctx, &args).await
    }

    /// `post_live_migration_at_destination` (call to the destination).
    pub async fn post_live_migration_at_destination(
        &self,
        ctx: &RequestContext,
        destination: &str,
        instance: Value,
        block_migration: Option<bool>,
    ) -> Result<(), CallError> {
        let args = PostLiveMigrationAtDestination {
            instance,
            block_migration: Some(json!(block_migration)),
        };
        rpc_args::call(&self.at_alt(destination), ctx, &args).await?;
        Ok(())
    }

    /// `rollback_live_migration_at_destination` (cast to the destination).
    pub async fn rollback_live_migration_at_destination(
        &self,
        ctx: &RequestContext,
        destination: &str,
        instance: Value,
        migrate_data: Value,
    ) -> Result<(), CallError> {
        let args = RollbackLiveMigrationAtDestination {
            instance,
            destroy_disks: Some(json!(true)),
            migrate_data: Some(migrate_data),
        };
        rpc_args::cast(&self.at_alt(destination), ctx, &args).await
    }

    /// `live_migration_force_complete` (cast to the migration's source).
    pub async fn live_migration_force_complete(
        &self,
        ctx: &RequestContext,
        source: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        let args = LiveMigrationForceComplete { instance };
        rpc_args::cast(&self.at(source), ctx, &args).await
    }

    /// `live_migration_abort` (cast to the instance's host).
    pub async fn live_migration_abort(
        &self,
        ctx: &RequestContext,
        source: &str,
        instance: Value,
        migration_id: i64,
    ) -> Result<(), CallError> {
        let args = LiveMigrationAbort {
            instance,
            migration_id,
        };
        rpc_args::cast(&self.at(source), ctx, &args).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(args: &impl RpcArgs) -> Vec<String> {
        match args.to_kwargs().unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn the_live_migration_methods_carry_novas_keyword_arguments() {
        let task = LiveMigrateInstance {
            instance: json!(1),
            scheduler_hint: Some(json!({"host": null})),
            block_migration: None,
            disk_over_commit: None,
            request_spec: None,
        };
        let mut expected = vec![
            "block_migration",
            "disk_over_commit",
            "instance",
            "request_spec",
            "scheduler_hint",
        ];
        let mut got = keys(&task);
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
        let migrate = LiveMigration {
            instance: json!(1),
            dest: "b".into(),
            block_migration: Some(false),
            migrate_data: None,
            migration: json!(2),
        };
        let mut got = keys(&migrate);
        got.sort();
        assert_eq!(
            got,
            [
                "block_migration",
                "dest",
                "instance",
                "migrate_data",
                "migration"
            ]
        );
        let abort = LiveMigrationAbort {
            instance: json!(1),
            migration_id: 7,
        };
        assert_eq!(abort.to_kwargs().unwrap()["migration_id"], 7);
        assert_eq!(PreLiveMigration::METHOD, "pre_live_migration");
    }
}
