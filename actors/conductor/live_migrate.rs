//! The conductor's `live_migrate_instance` (Nova: `ComputeTaskManager._live_migrate` and
//! `conductor/tasks/live_migrate.py` `LiveMigrationTask`): a `live-migration` record in
//! `accepted`, the checks (the guest running or paused, the source up), the destination —
//! the scheduler's (the source ignored; a host the API named but did not force must be
//! among the hosts that pass the filters) or the forced host (not the source, up, with the
//! memory) — `check_can_live_migrate_destination` on it, the record's nodes saved, and the
//! `live_migration` cast to the source, which runs the migration. A failed check puts
//! the instance back in its vm state without a task, with a fault, and the record in
//! `error`, as Nova's `_set_vm_state` does; the whole is the `conductor_live_migrate_instance`
//! event of the request's action.

use chrono::Utc;
use serde_json::{json, Value};

use super::objects::migration_primitive;
use super::tasks::{instance_arg, TaskDeps};
use crate::db::{service_is_up, InstanceRow, MigrationChanges, MigrationRow, NewMigration};
use crate::objects::instance::instance_primitive;
use crate::objects::{RequestSpec, Selection, TypedObject};
use crate::rpcapi::compute_live_migration::{
    CheckCanLiveMigrateDestination, LiveMigrateInstance, LiveMigration,
};
use novactor::rpc::{RemoteFailure, RequestContext};

/// Why a live migration did not start, with Nova's exception texts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveMigrateError {
    /// Nova `InstanceInvalidState` (the guest is neither running nor paused).
    #[error("Instance {uuid} in power_state {state}. Cannot live migrate while the instance is in this state.")]
    NotRunning {
        /// The instance.
        uuid: String,
        /// Nova's `STATE_MAP` name of its power state.
        state: &'static str,
    },
    /// Nova `ComputeServiceUnavailable`.
    #[error("Compute service of {0} is unavailable at this time.")]
    HostDown(String),
    /// Nova `UnableToMigrateToSelf`.
    #[error("Unable to migrate instance ({uuid}) to current host ({host}).")]
    ToSelf {
        /// The instance.
        uuid: String,
        /// Its host.
        host: String,
    },
    /// Nova `MigrationPreCheckError`.
    #[error("Migration pre-check error: {0}")]
    PreCheck(String),
    /// Nova `NoValidHost`.
    #[error("No valid host was found. {0}")]
    NoValidHost(String),
    /// Nova `MigrationError`: anything unexpected (the instance goes to ERROR).
    #[error("Migration error: {0}")]
    Unexpected(String),
}

impl LiveMigrateError {
    /// Nova's expected exceptions leave the vm state alone; others set ERROR.
    fn vm_state_kept(&self) -> bool {
        !matches!(self, Self::Unexpected(_))
    }
}

/// Nova `power_state.STATE_MAP`.
fn power_state_name(code: i64) -> &'static str {
    match code {
        1 => "running",
        3 => "paused",
        4 => "shutdown",
        6 => "crashed",
        7 => "suspended",
        _ => "pending",
    }
}

/// `live_migrate_instance(instance, scheduler_hint, block_migration, disk_over_commit,
/// request_spec)`, recorded as the `conductor_live_migrate_instance` event.
pub async fn live_migrate_instance(
    deps: TaskDeps,
    ctx: RequestContext,
    args: LiveMigrateInstance,
) -> Result<Value, RemoteFailure> {
    let (_, uuid) = instance_arg(&args.instance, "live-migrate")?;
    let row = deps
        .db
        .instance_get_by_uuid(&uuid)
        .await
        .map_err(|e| e.to_failure())?;
    let request_id = ctx.request_id().unwrap_or("-").to_owned();
    const EVENT: &str = "conductor_live_migrate_instance";
    let host = Some(deps.host.as_str());
    if let Err(error) = deps
        .db
        .action_event_start(&uuid, &request_id, EVENT, host)
        .await
    {
        tracing::debug!(instance = %uuid, %error, "live migration event not recorded");
    }
    let forced = args
        .scheduler_hint
        .as_ref()
        .and_then(|hint| hint.get("host"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let migration = deps
        .db
        .migration_create(&NewMigration {
            instance_uuid: uuid.clone(),
            migration_type: "live-migration".into(),
            status: "accepted".into(),
            source_compute: row.host.clone(),
            dest_compute: forced.clone(),
            old_instance_type_id: row.instance_type_id,
            new_instance_type_id: row.instance_type_id,
            user_id: text_of(&ctx, "user_id").or(row.user_id.clone()),
            project_id: text_of(&ctx, "project_id").or(row.project_id.clone()),
            ..NewMigration::default()
        })
        .await
        .map_err(|e| e.to_failure())?;
    let task = Task {
        deps: &deps,
        ctx: &ctx,
        row: &row,
        args: &args,
    };
    let outcome = task.execute(&migration, forced).await;
    let failure = outcome.as_ref().err().map(ToString::to_string);
    if let Err(error) = &outcome {
        tracing::warn!(instance = %uuid, %error, "live migration did not start");
        task.failed(&migration, error).await;
    }
    let (result, details) = match &failure {
        None => ("Success", None),
        Some(message) => ("Error", Some(message.as_str())),
    };
    if let Err(error) = deps
        .db
        .action_event_finish(&uuid, &request_id, EVENT, result, details, details)
        .await
    {
        tracing::debug!(instance = %uuid, %error, "live migration event not finished");
    }
    Ok(Value::Null)
}

/// The record as the `Migration` primitive the computes get.
fn primitive_of(row: &MigrationRow) -> Result<Value, LiveMigrateError> {
    migration_primitive(row).map_err(|e| LiveMigrateError::Unexpected(e.message))
}

fn text_of(ctx: &RequestContext, key: &str) -> Option<String> {
    ctx.values()
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// One `LiveMigrationTask`.
struct Task<'a> {
    deps: &'a TaskDeps,
    ctx: &'a RequestContext,
    row: &'a InstanceRow,
    args: &'a LiveMigrateInstance,
}

impl Task<'_> {
    /// `LiveMigrationTask._execute`.
    async fn execute(
        &self,
        migration: &MigrationRow,
        forced: Option<String>,
    ) -> Result<(), LiveMigrateError> {
        let uuid = &self.row.uuid;
        let power_state = self.row.power_state.unwrap_or(0);
        if power_state != 1 && power_state != 3 {
            return Err(LiveMigrateError::NotRunning {
                uuid: uuid.clone(),
                state: power_state_name(power_state),
            });
        }
        let source =
            self.row.host.clone().ok_or_else(|| {
                LiveMigrateError::Unexpected(format!("instance {uuid} has no host"))
            })?;
        self.check_host_is_up(&source).await?;
        let (destination, dest_node, migrate_data) = match forced {
            Some(destination) => {
                if destination == source {
                    return Err(LiveMigrateError::ToSelf {
                        uuid: uuid.clone(),
                        host: destination,
                    });
                }
                self.check_host_is_up(&destination).await?;
                let node = self
                    .check_destination_has_enough_memory(&destination)
                    .await?;
                let data = self.checks_on_host(&destination, migration).await?;
                (destination, node, data)
            }
            None => self.find_destination(&source, migration).await?,
        };
        let changes = MigrationChanges {
            source_node: self.row.node.clone(),
            dest_node: Some(dest_node),
            dest_compute: Some(destination.clone()),
            ..MigrationChanges::default()
        };
        let migration = self
            .deps
            .db
            .migration_update(migration.id, &changes)
            .await
            .map_err(|e| LiveMigrateError::Unexpected(e.to_string()))?;
        let cast = LiveMigration {
            instance: instance_primitive(self.row),
            dest: destination,
            block_migration: self.args.block_migration,
            migrate_data: Some(migrate_data),
            migration: primitive_of(&migration)?,
        };
        tracing::info!(instance = %uuid, %source, dest = %cast.dest, "live migration starts");
        self.deps
            .compute
            .live_migration(self.ctx, &source, &cast)
            .await
            .map_err(|e| LiveMigrateError::Unexpected(format!("could not reach {source}: {e}")))
    }

    /// `_check_host_is_up`.
    async fn check_host_is_up(&self, host: &str) -> Result<(), LiveMigrateError> {
        let service = self
            .deps
            .db
            .service_get_by_host_and_binary(host, "nova-compute")
            .await
            .map_err(|e| LiveMigrateError::Unexpected(e.to_string()))?;
        match service {
            Some(service) if service_is_up(&service, self.deps.service_down_time, Utc::now()) => {
                Ok(())
            }
            _ => Err(LiveMigrateError::HostDown(host.to_owned())),
        }
    }

    /// `_check_destination_has_enough_memory`: the node's name when it has.
    async fn check_destination_has_enough_memory(
        &self,
        destination: &str,
    ) -> Result<String, LiveMigrateError> {
        let nodes = self
            .deps
            .db
            .compute_node_get_all_by_host(destination)
            .await
            .map_err(|e| LiveMigrateError::Unexpected(e.to_string()))?;
        let node = nodes.first().ok_or_else(|| {
            LiveMigrateError::Unexpected(format!("Compute host {destination} could not be found."))
        })?;
        let total = node.memory_mb as f64;
        let avail = total * node.ram_allocation_ratio.unwrap_or(1.0) - node.memory_mb_used as f64;
        let mem_inst = self.row.memory_mb.unwrap_or(0);
        if mem_inst == 0 || avail <= mem_inst as f64 {
            return Err(LiveMigrateError::PreCheck(format!(
                "Unable to migrate {} to {destination}: Lack of memory(host:{avail} <= instance:{mem_inst})",
                self.row.uuid
            )));
        }
        Ok(node
            .hypervisor_hostname
            .clone()
            .unwrap_or_else(|| destination.to_owned()))
    }

    /// `_call_livem_checks_on_host`: the destination's `LiveMigrateData`.
    async fn checks_on_host(
        &self,
        destination: &str,
        migration: &MigrationRow,
    ) -> Result<Value, LiveMigrateError> {
        let args = CheckCanLiveMigrateDestination {
            instance: instance_primitive(self.row),
            block_migration: self.args.block_migration,
            disk_over_commit: self.args.disk_over_commit,
            migration: Some(primitive_of(migration)?),
            limits: Some(json!({})),
        };
        let timeouts = (self.deps.long_timeout, self.deps.call_monitor_timeout);
        self.deps
            .compute
            .check_can_live_migrate_destination(self.ctx, destination, &args, timeouts)
            .await
            .map_err(|e| {
                LiveMigrateError::PreCheck(format!("Unable to live migrate to {destination}: {e}"))
            })
    }

    /// `_find_destination`: the scheduler's hosts (the source ignored) in its order, the
    /// first whose checks pass; a destination the API asked for (`requested_destination`)
    /// must be among them.
    async fn find_destination(
        &self,
        source: &str,
        migration: &MigrationRow,
    ) -> Result<(String, String, Value), LiveMigrateError> {
        let primitive = self.args.request_spec.clone().unwrap_or(Value::Null);
        let mut spec = RequestSpec::from_primitive(&primitive).map_err(|e| {
            LiveMigrateError::Unexpected(format!("the request spec is unreadable: {e}"))
        })?;
        let requested = primitive
            .pointer("/nova_object.data/requested_destination/nova_object.data/host")
            .and_then(Value::as_str)
            .map(str::to_owned);
        spec.ignore_hosts = Some(vec![source.to_owned()]);
        spec.reset_forced_destinations();
        spec.num_instances = 1;
        let lists = self
            .deps
            .scheduler
            .select_destinations(
                self.ctx,
                &spec,
                std::slice::from_ref(&self.row.uuid),
                self.deps.long_timeout,
                self.deps.call_monitor_timeout,
            )
            .await
            .map_err(|e| LiveMigrateError::NoValidHost(e.to_string()))?;
        let candidates: Vec<Selection> = lists.into_iter().flatten().collect();
        let mut last_error = None;
        for candidate in candidates {
            if requested
                .as_deref()
                .is_some_and(|host| host != candidate.service_host)
            {
                continue;
            }
            match self
                .checks_on_host(&candidate.service_host, migration)
                .await
            {
                Ok(data) => return Ok((candidate.service_host, candidate.nodename, data)),
                Err(error) => {
                    tracing::info!(host = %candidate.service_host, %error, "live migration checks failed; next host");
                    last_error = Some(error.to_string());
                }
            }
        }
        Err(LiveMigrateError::NoValidHost(last_error.unwrap_or_else(
            || match requested {
                Some(host) => format!("Host {host} did not pass the scheduler's filters."),
                None => "There are not enough hosts available.".to_owned(),
            },
        )))
    }

    /// Nova's `_set_vm_state` (with a fault) and the record in `error`.
    async fn failed(&self, migration: &MigrationRow, error: &LiveMigrateError) {
        let db = &self.deps.db;
        let uuid = &self.row.uuid;
        if let Err(e) = db
            .instance_fault_create(uuid, 400, &error.to_string(), None, None)
            .await
        {
            tracing::warn!(instance = %uuid, error = %e, "could not record the fault");
        }
        let vm_state = if error.vm_state_kept() {
            json!(self.row.vm_state)
        } else {
            json!("error")
        };
        let values = json!({"vm_state": vm_state, "task_state": null})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let expected = [Some("migrating".to_owned())];
        if let Err(e) = db
            .instance_update_and_get(uuid, &values, Some(&expected), None)
            .await
        {
            tracing::warn!(instance = %uuid, error = %e, "could not reset the instance");
        }
        let changes = MigrationChanges {
            status: Some("error".into()),
            ..MigrationChanges::default()
        };
        if let Err(e) = db.migration_update(migration.id, &changes).await {
            tracing::warn!(instance = %uuid, error = %e, "could not set the migration to error");
        }
    }
}
