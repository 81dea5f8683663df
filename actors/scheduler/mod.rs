//! `nova-scheduler` as an actor: the manager, its endpoints and its lifecycle (Nova:
//! `nova/scheduler/manager.py` `SchedulerManager`, `target = Target(version='4.5')`).
//!
//! ```text
//! mod.rs            SchedulerManager: endpoint (null namespace 4.5 + baseapi), handlers
//! host_manager.rs   HostState / HostManager: refresh from rows, select + consume
//! host_rows.rs      reading compute_nodes + services: all, or what changed since
//! filters.rs        ComputeFilter, RamFilter, DiskFilter, CoreFilter, ignore_hosts
//! weights.rs        RAMWeigher, Nova's normalization
//! instance_info.rs  per-host instance view kept by the compute fanouts
//! rpcapi.rs         the client side (SchedulerAPI)
//! ```
//!
//! ## Why concurrent requests never double-book
//!
//! `select_destinations` must not block the actor while it reads the database, yet two
//! requests in flight must not both take the last room on a host. The handler therefore
//! works in two steps: (1) an `await`ed read of the `compute_nodes` and `nova-compute`
//! `services` rows, which any number of requests may do at once, then (2) one synchronous
//! section that takes the [`SchedulerState`] lock, refreshes the host states from those
//! rows, filters, weighs, picks and consumes, and releases the lock — never held across an
//! `await`. A request whose rows are older than another's consumption does not undo it:
//! a host state is only rebuilt from a row newer than the state (see `host_manager.rs`).
//! So the decisions are serialized exactly as Nova's single-threaded `_schedule` is,
//! while the I/O overlaps.
//!
//! The state is shared by every worker (`[scheduler] workers`) and every incarnation of
//! this definition: it is a cache of the database plus what this process placed since the
//! computes last reported, and dropping it on a restart would only forget consumptions
//! (Nova loses them too when its process restarts). A panic while the lock is held would
//! leave it half-updated, so a poisoned lock is cleared and the state reset to empty; the
//! next request rebuilds it from the database.
//!
//! The per-host instance view (`instance_info.rs`) lives under the same lock; nothing in the
//! slice reads it for placement (no affinity filters), it is kept for Nova parity and so
//! `sync_instance_info` behaves as Nova's.

pub mod filters;
pub mod host_manager;
pub mod host_rows;
pub mod instance_info;
pub mod rpcapi;
pub mod weights;

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use self::host_manager::{HostManager, SchedulerOptions, SelectRequest};
use self::instance_info::{Applied, HostInstances, InstanceInfo};
use crate::api::compute_api::MAX_INSTANCES_PER_REQUEST;
use crate::baserpc::{self, BaseRpc};
use crate::conf::NovaConfig;
use crate::db::{NovaDb, NovaDbError};
use crate::exception;
use crate::objects::{NovaObject, RequestSpec, Selection, TypedObject};
use crate::NovaService;
use novactor::rpc::{FailureClass, RemoteFailure, Version};
use novactor::service::{define, Call, Endpoint, Response, ServiceDefinition, ServiceManager};

/// Nova `SchedulerManager.target` (null namespace).
pub const MANAGER_VERSION: Version = Version::new(4, 5);

/// `nova.exception.NoValidHost`: the failure class `select_destinations` answers when no
/// host fits (message `"No valid host was found. <reason>"`).
pub use crate::exception::class::NO_VALID_HOST;

/// Nova `SchedulerManager.select_destinations`:
/// `@messaging.expected_exceptions(exception.NoValidHost)`.
pub const SELECT_DESTINATIONS_EXPECTED: &[FailureClass] = &[exception::expected(NO_VALID_HOST)];

#[derive(Debug, Default)]
struct SchedulerInner {
    hosts: HostManager,
    instance_info: InstanceInfo,
}

/// The scheduler's in-memory state: host states with their consumption and the per-host
/// instance view, shared by the workers of one definition (see the module doc). Cheap to
/// clone; clones share.
#[derive(Debug, Clone, Default)]
pub struct SchedulerState {
    inner: Arc<Mutex<SchedulerInner>>,
}

impl SchedulerState {
    /// Empty: hosts are read on the first request, instance lists on the first fanout.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lock, recovering from a panic of an earlier holder by starting over empty.
    fn lock(&self) -> MutexGuard<'_, SchedulerInner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                self.inner.clear_poison();
                let mut guard = poisoned.into_inner();
                *guard = SchedulerInner::default();
                tracing::warn!("scheduler state was poisoned by a panic; rebuilt from scratch");
                guard
            }
        }
    }

    /// The instance uuids the scheduler believes `host_name` runs (`None`: not known yet).
    pub fn host_instances(&self, host_name: &str) -> Option<HostInstances> {
        self.lock().instance_info.host(host_name).cloned()
    }

    /// How often a host's instance list was rebuilt from the database.
    pub fn instance_info_recreated(&self) -> u64 {
        self.lock().instance_info.recreated()
    }

    /// How many `sync_instance_info` calls disagreed with the view.
    pub fn sync_mismatches(&self) -> u64 {
        self.lock().instance_info.sync_mismatches()
    }

    /// Compute nodes known after the last request.
    pub fn host_count(&self) -> usize {
        self.lock().hosts.hosts().count()
    }
}

/// Nova `SchedulerManager`.
#[derive(Debug)]
pub struct SchedulerManager {
    db: NovaDb,
    state: SchedulerState,
    options: SchedulerOptions,
}

fn db_failure(error: &NovaDbError) -> RemoteFailure {
    match error.nova_class() {
        Some(class) => exception::failure(class, error.to_string()),
        None => RemoteFailure::runtime_error(error.to_string()),
    }
}

/// The `uuid` of every `Instance` in an `InstanceList` primitive.
fn instance_uuids_of(instance_list: &Value) -> Result<Vec<String>, RemoteFailure> {
    let bad = |what: String| {
        RemoteFailure::value_error(format!("update_instance_info(): instance_info {what}"))
    };
    let list = NovaObject::from_primitive(instance_list).map_err(|e| bad(e.to_string()))?;
    let objects = match list.get("objects") {
        Value::Array(objects) => objects,
        Value::Null => return Ok(Vec::new()),
        _ => return Err(bad("has no list of objects".into())),
    };
    objects
        .iter()
        .map(|object| {
            let instance = NovaObject::from_primitive(object).map_err(|e| bad(e.to_string()))?;
            instance
                .get("uuid")
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad("holds an Instance without a uuid".into()))
        })
        .collect()
}

impl SchedulerManager {
    /// A scheduler over `db`, deciding with `state` (shared with the other workers).
    pub fn new(db: NovaDb, state: SchedulerState, options: SchedulerOptions) -> Self {
        Self { db, state, options }
    }

    /// `select_destinations(spec_obj, instance_uuids, return_objects, return_alternates)`.
    fn select_destinations(&mut self, call: Call) -> Response {
        let parsed = (|| {
            let spec_obj = call.arg::<Value>("spec_obj")?;
            let spec = RequestSpec::from_primitive(&spec_obj).map_err(|e| {
                RemoteFailure::value_error(format!(
                    "select_destinations(): spec_obj is not a RequestSpec: {e}"
                ))
            })?;
            let request = SelectRequest {
                spec,
                instance_uuids: call
                    .opt_arg::<Vec<String>>("instance_uuids")?
                    .unwrap_or_default(),
                return_alternates: call.opt_arg::<bool>("return_alternates")?.unwrap_or(false),
            };
            // The placement loop (synchronous, under the state lock) runs once per
            // instance: a count from the wire beyond what the API ever asks for is refused,
            // not looped over (found by tests/fuzz_nova_objects.rs: `num_instances` near
            // 2^63 panicked allocating, and a flavor that always fits would spin forever).
            let wanted = request.num_instances();
            if wanted > MAX_INSTANCES_PER_REQUEST as usize {
                return Err(RemoteFailure::value_error(format!(
                    "select_destinations(): {wanted} instances in one request; at most {MAX_INSTANCES_PER_REQUEST}"
                )));
            }
            Ok::<_, RemoteFailure>((
                request,
                call.opt_arg::<bool>("return_objects")?.unwrap_or(false),
            ))
        })();
        let (request, return_objects) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        let db = self.db.clone();
        let state = self.state.clone();
        let options = self.options.clone();
        Response::later(async move {
            // Step 1: read, concurrently with other requests (no lock held).
            let read_started = chrono::Utc::now();
            let plan = state.lock().hosts.read_plan(read_started);
            let rows = host_rows::read(&db, plan)
                .await
                .map_err(|e| db_failure(&e))?;
            // Step 2: decide and consume in one synchronous section.
            let now = chrono::Utc::now();
            let outcome = {
                let mut inner = state.lock();
                inner.hosts.refresh(rows, read_started, now, &options);
                inner
                    .hosts
                    .select(&request, &options, now, &mut rand::rng())
            };
            let lists = outcome.map_err(|e| exception::failure(NO_VALID_HOST, e.to_string()))?;
            tracing::debug!(
                instance_uuid = %request.spec.instance_uuid,
                hosts = ?lists.iter().map(|l| l.first().map(|s| s.service_host.as_str())).collect::<Vec<_>>(),
                "selected hosts"
            );
            Ok(if return_objects {
                Value::Array(
                    lists
                        .iter()
                        .map(|list| {
                            Value::Array(list.iter().map(Selection::to_primitive).collect())
                        })
                        .collect(),
                )
            } else {
                legacy_dicts(&lists)
            })
        })
    }

    /// `update_instance_info(host_name, instance_info)` (fanout).
    fn update_instance_info(&mut self, call: Call) -> Response {
        let parsed = (|| {
            Ok::<_, RemoteFailure>((
                call.arg::<String>("host_name")?,
                instance_uuids_of(&call.arg::<Value>("instance_info")?)?,
            ))
        })();
        let (host_name, uuids) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        if !self.options.track_instance_changes {
            return Response::done();
        }
        let applied = self.state.lock().instance_info.update(&host_name, &uuids);
        self.after(host_name, applied)
    }

    /// `delete_instance_info(host_name, instance_uuid)` (fanout).
    fn delete_instance_info(&mut self, call: Call) -> Response {
        let parsed = (|| {
            Ok::<_, RemoteFailure>((
                call.arg::<String>("host_name")?,
                call.arg::<String>("instance_uuid")?,
            ))
        })();
        let (host_name, uuid) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        if !self.options.track_instance_changes {
            return Response::done();
        }
        let applied = self.state.lock().instance_info.delete(&host_name, &uuid);
        self.after(host_name, applied)
    }

    /// `sync_instance_info(host_name, instance_uuids)` (fanout).
    fn sync_instance_info(&mut self, call: Call) -> Response {
        let parsed = (|| {
            Ok::<_, RemoteFailure>((
                call.arg::<String>("host_name")?,
                call.arg::<Vec<String>>("instance_uuids")?,
            ))
        })();
        let (host_name, uuids) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        if !self.options.track_instance_changes {
            return Response::done();
        }
        let applied = self.state.lock().instance_info.sync(&host_name, &uuids);
        if applied == Applied::Updated {
            tracing::debug!("Successfully synced instances from host '{host_name}'.");
        }
        self.after(host_name, applied)
    }

    /// Nova `_recreate_instance_info` when a fanout asked for it: read the host's instances
    /// (no lock held), then replace its entry in one step.
    fn after(&self, host_name: String, applied: Applied) -> Response {
        let Applied::Recreate { reason } = applied else {
            return Response::done();
        };
        let db = self.db.clone();
        let state = self.state.clone();
        Response::later(async move {
            let rows = db
                .instance_get_all_by_host(&host_name)
                .await
                .map_err(|e| db_failure(&e))?;
            state
                .lock()
                .instance_info
                .recreate(&host_name, rows.into_iter().map(|row| row.uuid));
            tracing::info!("{}", reason.describe(&host_name));
            Ok(Value::Null)
        })
    }
}

/// Nova's answer when `return_objects` is false: the chosen host of each instance as
/// `Selection.to_dict()`, `{"host", "nodename", "limits"}`, without alternates.
fn legacy_dicts(lists: &[Vec<Selection>]) -> Value {
    Value::Array(
        lists
            .iter()
            .filter_map(|list| list.first())
            .map(|s| {
                serde_json::json!({
                    "host": s.service_host,
                    "nodename": s.nodename,
                    "limits": s.limits.clone().unwrap_or_default(),
                })
            })
            .collect(),
    )
}

impl BaseRpc for SchedulerManager {
    fn service_name(&self) -> &'static str {
        "scheduler"
    }
}

impl ServiceManager for SchedulerManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![
            Endpoint::new(None, MANAGER_VERSION)
                .method("select_destinations", Self::select_destinations)
                .expected_exceptions(SELECT_DESTINATIONS_EXPECTED)
                .method("update_instance_info", Self::update_instance_info)
                .method("delete_instance_info", Self::delete_instance_info)
                .method("sync_instance_info", Self::sync_instance_info),
            baserpc::endpoint(),
        ]
    }
}

/// The scheduler service as the supervisor hosts it, on `db`, with fresh state.
pub fn definition(config: &NovaConfig, db: &NovaDb) -> Arc<ServiceDefinition> {
    definition_with_state(config, db, SchedulerState::new())
}

/// [`definition`] deciding with `state`, which the caller may keep to observe it (tests).
pub fn definition_with_state(
    config: &NovaConfig,
    db: &NovaDb,
    state: SchedulerState,
) -> Arc<ServiceDefinition> {
    let mut spec = NovaService::Scheduler.spec(config);
    spec.instances = config.scheduler.workers;
    let db = db.clone();
    let options = SchedulerOptions::from_config(config);
    define(spec, move |_| {
        SchedulerManager::new(db.clone(), state.clone(), options.clone())
    })
}
