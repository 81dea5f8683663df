//! The [`ComputeManager`] handlers of live migration's RPC methods (Nova:
//! `ComputeManager.check_can_live_migrate_destination` … `live_migration_abort`, each
//! `@wrap_instance_event(prefix='compute')`): each decodes its arguments
//! (`rpcapi/compute_live_migration.rs`) at once and returns the flow
//! (`instance_live_migration.rs`) as a later response, recorded as its `compute_<method>`
//! event. `live_migration`'s event covers queueing only, as Nova's covers the submission;
//! the migration then runs in the same future, the actor free meanwhile.

use std::sync::Arc;

use serde_json::Value;

use super::flows::uuid_of;
use super::instance_live_migration::LiveMigrationJob;
use super::manager::ComputeManager;
use crate::objects::NovaObject;
use crate::rpcapi::compute::instance_from;
use crate::rpcapi::compute_live_migration::{
    CheckCanLiveMigrateDestination, CheckCanLiveMigrateSource, LiveMigration, LiveMigrationAbort,
    LiveMigrationForceComplete, PostLiveMigrationAtDestination, PreLiveMigration,
    RollbackLiveMigrationAtDestination,
};
use crate::rpcapi::RpcArgs;
use novactor::rpc::RemoteFailure;
use novactor::service::{Call, Response};

fn object_of(value: &Value, what: &str) -> Result<NovaObject, RemoteFailure> {
    NovaObject::from_primitive(value)
        .map_err(|e| RemoteFailure::value_error(format!("{what} is not an object: {e}")))
}

impl ComputeManager {
    /// `check_can_live_migrate_destination` (call): the `LiveMigrateData`.
    pub(super) fn check_can_live_migrate_destination(&mut self, call: Call) -> Response {
        let parsed = CheckCanLiveMigrateDestination::from_call(&call).and_then(|args| {
            Ok((
                instance_from(&args.instance)?,
                args.block_migration,
                args.disk_over_commit,
            ))
        });
        let (instance, block, over) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        let flows = Arc::clone(self.flows());
        let ctx = call.context;
        Response::later(async move {
            let uuid = uuid_of(&instance);
            let check = flows.check_can_live_migrate_destination(&ctx, &instance, block, over);
            flows
                .reported(
                    &ctx,
                    &uuid,
                    "compute_check_can_live_migrate_destination",
                    check,
                )
                .await
                .map_err(|e| e.to_failure())
        })
    }

    /// `check_can_live_migrate_source` (call): the destination's data, accepted as is
    /// (the fake's storage is shared).
    pub(super) fn check_can_live_migrate_source(&mut self, call: Call) -> Response {
        let parsed = CheckCanLiveMigrateSource::from_call(&call).and_then(|args| {
            Ok((
                instance_from(&args.instance)?,
                args.dest_check_data.unwrap_or(Value::Null),
            ))
        });
        let (instance, data) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        let flows = Arc::clone(self.flows());
        let ctx = call.context;
        Response::later(async move {
            let uuid = uuid_of(&instance);
            let check = async { Ok::<Value, RemoteFailure>(data) };
            flows
                .reported(&ctx, &uuid, "compute_check_can_live_migrate_source", check)
                .await
        })
    }

    /// `live_migration` (cast to the source).
    pub(super) fn live_migration(&mut self, call: Call) -> Response {
        let parsed = LiveMigration::from_call(&call).and_then(|args| {
            Ok(LiveMigrationJob {
                instance: instance_from(&args.instance)?,
                dest: args.dest,
                block_migration: args.block_migration,
                migrate_data: args.migrate_data.unwrap_or(Value::Null),
                migration: object_of(&args.migration, "migration")?,
            })
        });
        let mut job = match parsed {
            Ok(job) => job,
            Err(failure) => return Response::err(failure),
        };
        let flows = Arc::clone(self.flows());
        let ctx = call.context;
        Response::later(async move {
            let uuid = uuid_of(&job.instance);
            let queued = flows.queue_live_migration(&ctx, &mut job);
            let handle = flows
                .reported(&ctx, &uuid, "compute_live_migration", queued)
                .await
                .map_err(|e| e.to_failure())?;
            flows.do_live_migration(&ctx, job, handle).await;
            Ok(Value::Null)
        })
    }

    /// `pre_live_migration` (call to the destination): the `LiveMigrateData` back.
    pub(super) fn pre_live_migration(&mut self, call: Call) -> Response {
        let parsed = PreLiveMigration::from_call(&call).and_then(|args| {
            Ok((
                instance_from(&args.instance)?,
                args.migrate_data.unwrap_or(Value::Null),
            ))
        });
        let (instance, data) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        let flows = Arc::clone(self.flows());
        let ctx = call.context;
        Response::later(async move {
            let uuid = uuid_of(&instance);
            let prepare = flows.pre_live_migration(&instance, data);
            flows
                .reported(&ctx, &uuid, "compute_pre_live_migration", prepare)
                .await
                .map_err(|e| e.to_failure())
        })
    }

    /// `post_live_migration_at_destination` (call to the destination).
    pub(super) fn post_live_migration_at_destination(&mut self, call: Call) -> Response {
        let parsed = PostLiveMigrationAtDestination::from_call(&call)
            .and_then(|args| instance_from(&args.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_post_live_migration_at_destination",
            |flows, ctx, instance| async move {
                flows
                    .post_live_migration_at_destination(&ctx, instance)
                    .await
            },
        )
    }

    /// `rollback_live_migration_at_destination` (cast to the destination).
    pub(super) fn rollback_live_migration_at_destination(&mut self, call: Call) -> Response {
        let parsed = RollbackLiveMigrationAtDestination::from_call(&call)
            .and_then(|args| instance_from(&args.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_rollback_live_migration_at_destination",
            |flows, _ctx, instance| async move {
                flows.rollback_live_migration_at_destination(&instance);
                Ok(())
            },
        )
    }

    /// `live_migration_force_complete` (cast to the source).
    pub(super) fn live_migration_force_complete(&mut self, call: Call) -> Response {
        let parsed = LiveMigrationForceComplete::from_call(&call)
            .and_then(|args| instance_from(&args.instance));
        self.reported_operation(
            call.context,
            parsed,
            "compute_live_migration_force_complete",
            |flows, _ctx, instance| async move { flows.live_migration_force_complete(&instance) },
        )
    }

    /// `live_migration_abort` (cast to the source).
    pub(super) fn live_migration_abort(&mut self, call: Call) -> Response {
        let parsed = LiveMigrationAbort::from_call(&call)
            .and_then(|args| Ok((instance_from(&args.instance)?, args.migration_id)));
        let (instance, migration_id) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        self.reported_operation(
            call.context,
            Ok(instance),
            "compute_live_migration_abort",
            move |flows, _ctx, instance| async move {
                flows.live_migration_abort(&instance, migration_id)
            },
        )
    }
}
