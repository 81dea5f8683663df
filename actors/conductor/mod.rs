//! `nova-conductor` as an actor: the manager, its endpoints and its lifecycle.
//! Its manager endpoints (namespace None 3.0: `object_action`, …; `compute_task` 1.x) come with
//! the database and Nova-flow issues.

pub mod objects;
pub mod rpcapi;
pub mod tasks;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::baserpc::{self, BaseRpc};
use crate::conf::NovaConfig;
use crate::db::NovaDb;
use crate::objects::NovaObject;
use crate::NovaService;
use novactor::rpc::{RemoteFailure, Version};
use novactor::service::{define, Call, Endpoint, Response, ServiceDefinition, ServiceManager};

/// Nova `ConductorManager.target` (null namespace).
pub const MANAGER_VERSION: Version = Version::new(3, 0);

/// Nova `ConductorManager`: the database's front door for services without one.
#[derive(Debug)]
pub struct ConductorManager {
    db: NovaDb,
    /// Clients for the multi-service flows; `None` when built with [`ConductorManager::new`]
    /// (object indirection only).
    tasks: Option<tasks::TaskDeps>,
}

fn list_arg(call: &Call, name: &str) -> Result<Vec<Value>, RemoteFailure> {
    Ok(call.opt_arg::<Vec<Value>>(name)?.unwrap_or_default())
}

fn map_arg(call: &Call, name: &str) -> Result<Map<String, Value>, RemoteFailure> {
    Ok(call
        .opt_arg::<Map<String, Value>>(name)?
        .unwrap_or_default())
}

/// Nova `ConductorManager._object_dispatch`: whatever an object method raises goes back as
/// `messaging.ExpectedException` — the caller's concern, "without spamming the conductor
/// logs".
fn expected_by_object_dispatch(failure: RemoteFailure) -> RemoteFailure {
    failure.mark_expected()
}

impl ConductorManager {
    /// A conductor serving `db`.
    pub fn new(db: NovaDb) -> Self {
        Self { db, tasks: None }
    }

    /// A conductor serving `db` and running the `compute_task` flows with `deps`.
    pub fn with_tasks(deps: tasks::TaskDeps) -> Self {
        Self {
            db: deps.db.clone(),
            tasks: Some(deps),
        }
    }

    fn task_deps(&self) -> Result<tasks::TaskDeps, RemoteFailure> {
        self.tasks.clone().ok_or_else(|| {
            RemoteFailure::runtime_error("this conductor runs no compute_task flows")
        })
    }

    /// `compute_task.schedule_and_build_instances` (cast).
    fn schedule_and_build_instances(&mut self, call: Call) -> Response {
        let parsed = (|| {
            Ok::<_, RemoteFailure>((
                self.task_deps()?,
                call.arg::<Vec<Value>>("build_requests")?,
                call.arg::<Vec<Value>>("request_specs")?,
            ))
        })();
        match parsed {
            Ok((deps, build_requests, request_specs)) => {
                Response::later(tasks::schedule_and_build_instances(
                    deps,
                    call.context,
                    build_requests,
                    request_specs,
                ))
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `compute_task.build_instances` (cast): a compute's reschedule.
    fn build_instances(&mut self, call: Call) -> Response {
        let parsed = (|| {
            Ok::<_, RemoteFailure>((
                self.task_deps()?,
                call.arg::<Vec<Value>>("instances")?,
                call.opt_arg::<Value>("request_spec")?
                    .unwrap_or(Value::Null),
                call.opt_arg::<Value>("filter_properties")?
                    .unwrap_or_else(|| Value::Object(Map::new())),
                call.opt_arg::<Vec<Vec<Value>>>("host_lists")?
                    .unwrap_or_default(),
            ))
        })();
        match parsed {
            Ok((deps, instances, spec, filter_properties, host_lists)) => {
                Response::later(tasks::build_instances(
                    deps,
                    call.context,
                    instances,
                    spec,
                    filter_properties,
                    host_lists,
                ))
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `object_class_action_versions(objname, objmethod, object_versions, args, kwargs)`.
    fn object_class_action_versions(&mut self, call: Call) -> Response {
        let parsed = (|| {
            Ok::<_, RemoteFailure>((
                call.arg::<String>("objname")?,
                call.arg::<String>("objmethod")?,
                list_arg(&call, "args")?,
                map_arg(&call, "kwargs")?,
            ))
        })();
        let (objname, objmethod, args, kwargs) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        let db = self.db.clone();
        Response::later(async move {
            objects::class_action(&db, &objname, &objmethod, &args, &kwargs)
                .await
                .map_err(expected_by_object_dispatch)
        })
    }

    /// `object_action(objinst, objmethod, args, kwargs)` → `[updates, result]`.
    fn object_action(&mut self, call: Call) -> Response {
        let parsed = (|| {
            let objinst = call.arg::<Value>("objinst")?;
            let object = NovaObject::from_primitive(&objinst)
                .map_err(|e| RemoteFailure::value_error(e.to_string()))?;
            Ok::<_, RemoteFailure>((
                object,
                call.arg::<String>("objmethod")?,
                map_arg(&call, "kwargs")?,
            ))
        })();
        let (object, objmethod, kwargs) = match parsed {
            Ok(parsed) => parsed,
            Err(failure) => return Response::err(failure),
        };
        let db = self.db.clone();
        Response::later(async move {
            objects::instance_action(&db, object, &objmethod, &kwargs)
                .await
                .map_err(expected_by_object_dispatch)
        })
    }
}

impl BaseRpc for ConductorManager {
    fn service_name(&self) -> &'static str {
        "conductor"
    }
}

impl ServiceManager for ConductorManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![
            Endpoint::new(None, MANAGER_VERSION)
                .method(
                    "object_class_action_versions",
                    Self::object_class_action_versions,
                )
                .method("object_action", Self::object_action),
            Endpoint::new(
                Some(rpcapi::COMPUTE_TASK_NAMESPACE),
                tasks::COMPUTE_TASK_VERSION,
            )
            .method(
                "schedule_and_build_instances",
                Self::schedule_and_build_instances,
            )
            .method("build_instances", Self::build_instances),
            baserpc::endpoint(),
        ]
    }
}

/// The conductor service as the supervisor hosts it, on `db`.
pub fn definition(config: &NovaConfig, db: &NovaDb) -> Arc<ServiceDefinition> {
    let mut spec = NovaService::Conductor.spec(config);
    spec.instances = config.conductor.workers;
    let db = db.clone();
    let long_timeout = config.service.long_rpc_timeout;
    define(spec, move |ctx| {
        ConductorManager::with_tasks(tasks::TaskDeps {
            db: db.clone(),
            scheduler: crate::scheduler::rpcapi::SchedulerApi::new(
                ctx.rpc_client(crate::scheduler::rpcapi::SchedulerApi::target()),
            ),
            compute: crate::compute::rpcapi::ComputeApi::new(
                ctx.rpc_client(crate::compute::rpcapi::ComputeApi::target()),
            ),
            long_timeout,
            call_monitor_timeout: ctx.config.default.rpc_response_timeout,
        })
    })
}
