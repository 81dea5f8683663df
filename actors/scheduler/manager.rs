//! `nova-scheduler`'s RPC face (Nova: `nova/scheduler/manager.py` `SchedulerManager`,
//! `target = Target(version='4.5')`): [`SchedulerManager`] with its endpoint (null
//! namespace 4.5 + baseapi) and one handler per method, each decoding its method's struct
//! (`rpcapi/scheduler.rs`). `select_destinations` reads rows without the state lock, then
//! decides in one section under it (see `mod.rs`).

use serde_json::Value;

use super::host_manager::SelectRequest;
use super::host_rows;
use super::instance_info::Applied;
use super::instance_placement::InstancePlacement;
use super::scheduler_options::SchedulerOptions;
use super::scheduler_state::SchedulerState;
use crate::db::NovaDb;
use crate::exception::NovaException;
use crate::objects::limits::MAX_INSTANCES_PER_REQUEST;
use crate::objects::{NovaObject, RequestSpec, Selection, TypedObject};
use crate::rpcapi::baseapi::{self, BaseRpc};
use crate::rpcapi::scheduler::{
    DeleteInstanceInfo, SelectDestinations, SyncInstanceInfo, UpdateInstanceInfo,
    SELECT_DESTINATIONS_EXPECTED,
};
use crate::rpcapi::RpcArgs;
use novactor::rpc::{RemoteFailure, Version};
use novactor::service::{Call, Endpoint, Response, ServiceManager};

/// Nova `SchedulerManager.target` (null namespace).
pub const MANAGER_VERSION: Version = Version::new(4, 5);

/// `nova.exception.NoValidHost`: the failure class `select_destinations` answers when no
/// host fits (message `"No valid host was found. <reason>"`).
pub const NO_VALID_HOST: &str = NovaException::NoValidHost.class_name();

/// Nova `SchedulerManager`.
#[derive(Debug)]
pub struct SchedulerManager {
    db: NovaDb,
    state: SchedulerState,
    options: SchedulerOptions,
}

/// The `uuid` of every `Instance` in an `InstanceList` primitive.
fn instance_uuids_of(instance_list: &Value) -> Result<Vec<String>, RemoteFailure> {
    let bad = |what: String| {
        RemoteFailure::value_error(format!(
            "{}(): instance_info {what}",
            UpdateInstanceInfo::METHOD
        ))
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
        const METHOD: &str = SelectDestinations::METHOD;
        let parsed = SelectDestinations::from_call(&call).and_then(|args| {
            let spec = RequestSpec::from_primitive(&args.spec_obj).map_err(|e| {
                RemoteFailure::value_error(format!(
                    "{METHOD}(): spec_obj is not a RequestSpec: {e}"
                ))
            })?;
            let request = SelectRequest {
                spec,
                instance_uuids: args.instance_uuids.unwrap_or_default(),
                return_alternates: args.return_alternates.unwrap_or(false),
                placement: InstancePlacement::default(),
            };
            // The placement loop (synchronous, under the state lock) runs once per
            // instance: a count from the wire beyond what the API ever asks for is refused,
            // not looped over (found by tests/fuzz/nova_objects: `num_instances` near
            // 2^63 panicked allocating, and a flavor that always fits would spin forever).
            let wanted = request.num_instances();
            if wanted > MAX_INSTANCES_PER_REQUEST as usize {
                return Err(RemoteFailure::value_error(format!(
                    "{METHOD}(): {wanted} instances in one request; at most {MAX_INSTANCES_PER_REQUEST}"
                )));
            }
            Ok((request, args.return_objects.unwrap_or(false)))
        });
        let (mut request, return_objects) = match parsed {
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
                .map_err(|e| e.to_failure())?;
            // Where the instances the hints and the group name run (none: no query).
            let named = InstancePlacement::wanted(&request.spec);
            if !named.is_empty() {
                let hosts = db
                    .instance_hosts_of(&named)
                    .await
                    .map_err(|e| e.to_failure())?;
                request.placement =
                    InstancePlacement::from_hosts(hosts.into_iter().map(|r| (r.uuid, r.host)));
            }
            // Step 2: decide and consume in one synchronous section.
            let now = chrono::Utc::now();
            let outcome = {
                let mut inner = state.lock();
                inner.hosts.refresh(rows, read_started, now, &options);
                inner
                    .hosts
                    .select(&request, &options, now, &mut rand::rng())
            };
            let lists = outcome.map_err(|e| NovaException::NoValidHost.failure(e.to_string()))?;
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
        let parsed = UpdateInstanceInfo::from_call(&call)
            .and_then(|args| Ok((args.host_name, instance_uuids_of(&args.instance_info)?)));
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
        let parsed =
            DeleteInstanceInfo::from_call(&call).map(|args| (args.host_name, args.instance_uuid));
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
        let parsed =
            SyncInstanceInfo::from_call(&call).map(|args| (args.host_name, args.instance_uuids));
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
                .map_err(|e| e.to_failure())?;
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
                .method(SelectDestinations::METHOD, Self::select_destinations)
                .expected_exceptions(SELECT_DESTINATIONS_EXPECTED)
                .method(UpdateInstanceInfo::METHOD, Self::update_instance_info)
                .method(DeleteInstanceInfo::METHOD, Self::delete_instance_info)
                .method(SyncInstanceInfo::METHOD, Self::sync_instance_info),
            baseapi::endpoint(),
        ]
    }
}
