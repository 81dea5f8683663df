//! `nova-conductor`'s RPC face: [`ConductorManager`] with its endpoints — null namespace
//! 3.0 (`object_action`, `object_class_action_versions`: `objects.rs` runs them), namespace
//! `compute_task` 1.26 (`schedule_and_build_instances`, `build_instances`: `tasks.rs` runs
//! them; `rebuild_instance`: `rebuild.rs`; `migrate_server`: `migrate.rs`) and `baseapi`. Each handler decodes its method's struct (`rpcapi/conductor.rs`,
//! `rpcapi/compute_task.rs`) and returns the work as a future.

use serde_json::{Map, Value};

use super::objects;
use super::tasks::{self, TaskDeps, COMPUTE_TASK_VERSION};
use crate::db::NovaDb;
use crate::exception::NovaException;
use crate::objects::NovaObject;
use crate::rpcapi::baseapi::{self, BaseRpc};
use crate::rpcapi::compute_live_migration::LiveMigrateInstance;
use crate::rpcapi::compute_rebuild::RebuildInstanceTask;
use crate::rpcapi::compute_resize::MigrateServer;
use crate::rpcapi::compute_shelve::UnshelveInstanceTask;
use crate::rpcapi::compute_task::{
    BuildInstances, ScheduleAndBuildInstances, COMPUTE_TASK_NAMESPACE,
};
use crate::rpcapi::conductor::{ObjectAction, ObjectClassActionVersions};
use crate::rpcapi::RpcArgs;
use novactor::rpc::{FailureClass, RemoteFailure, Version};
use novactor::service::{Call, Endpoint, Response, ServiceManager};

/// Nova `ComputeTaskManager.migrate_server`'s `@messaging.expected_exceptions(...,
/// exception.NoValidHost, ...)`: a move nowhere to go is the caller's concern.
const MIGRATE_SERVER_EXPECTED: &[FailureClass] = &[NovaException::NoValidHost.expected()];

/// Nova `ConductorManager.target` (null namespace).
pub const MANAGER_VERSION: Version = Version::new(3, 0);

/// Nova `ConductorManager`: the database's front door for services without one.
#[derive(Debug)]
pub struct ConductorManager {
    db: NovaDb,
    /// Clients for the multi-service flows; `None` when built with [`ConductorManager::new`]
    /// (object indirection only).
    tasks: Option<TaskDeps>,
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
    pub fn with_tasks(deps: TaskDeps) -> Self {
        Self {
            db: deps.db.clone(),
            tasks: Some(deps),
        }
    }

    fn task_deps(&self) -> Result<TaskDeps, RemoteFailure> {
        self.tasks.clone().ok_or_else(|| {
            RemoteFailure::runtime_error("this conductor runs no compute_task flows")
        })
    }

    /// `compute_task.schedule_and_build_instances` (cast).
    fn schedule_and_build_instances(&mut self, call: Call) -> Response {
        // The missing flows first, then the arguments: the order the checks always had.
        let parsed = self.task_deps().and_then(|deps| {
            let args = ScheduleAndBuildInstances::from_call(&call)?;
            let files = args.injected_files.unwrap_or_default();
            Ok((deps, args.build_requests, args.request_specs, files))
        });
        match parsed {
            Ok((deps, build_requests, request_specs, files)) => {
                Response::later(tasks::schedule_and_build_instances(
                    deps,
                    call.context,
                    build_requests,
                    request_specs,
                    files,
                ))
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `compute_task.build_instances` (cast): a compute's reschedule.
    fn build_instances(&mut self, call: Call) -> Response {
        let parsed = self.task_deps().and_then(|deps| {
            let args = BuildInstances::from_call(&call)?;
            Ok((
                deps,
                args.instances,
                args.request_spec.unwrap_or(Value::Null),
                args.filter_properties
                    .unwrap_or_else(|| Value::Object(Map::new())),
                args.host_lists.unwrap_or_default(),
                args.injected_files.unwrap_or_default(),
            ))
        });
        match parsed {
            Ok((deps, instances, spec, filter_properties, host_lists, files)) => {
                Response::later(tasks::build_instances(
                    deps,
                    call.context,
                    instances,
                    spec,
                    filter_properties,
                    host_lists,
                    files,
                ))
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `compute_task.rebuild_instance` (cast): `rebuild.rs`.
    fn rebuild_instance(&mut self, call: Call) -> Response {
        let parsed = self
            .task_deps()
            .and_then(|deps| Ok((deps, RebuildInstanceTask::from_call(&call)?)));
        match parsed {
            Ok((deps, args)) => {
                Response::later(super::rebuild::rebuild_instance(deps, call.context, args))
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `compute_task.unshelve_instance` (cast): `shelve.rs`.
    fn unshelve_instance(&mut self, call: Call) -> Response {
        let parsed = self
            .task_deps()
            .and_then(|deps| Ok((deps, UnshelveInstanceTask::from_call(&call)?)));
        match parsed {
            Ok((deps, args)) => {
                Response::later(super::shelve::unshelve_instance(deps, call.context, args))
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `compute_task.migrate_server` (cast from the api for a resize or cold migration;
    /// a call replies once the destination was asked): `migrate.rs`.
    fn migrate_server(&mut self, call: Call) -> Response {
        let parsed = self
            .task_deps()
            .and_then(|deps| Ok((deps, MigrateServer::from_call(&call)?)));
        match parsed {
            Ok((deps, args)) => {
                Response::later(super::migrate::migrate_server(deps, call.context, args))
            }
            Err(failure) => Response::err(failure),
        }
    }

    /// `compute_task.live_migrate_instance` (cast): `live_migrate.rs`.
    fn live_migrate_instance(&mut self, call: Call) -> Response {
        let parsed = self
            .task_deps()
            .and_then(|deps| Ok((deps, LiveMigrateInstance::from_call(&call)?)));
        match parsed {
            Ok((deps, args)) => Response::later(super::live_migrate::live_migrate_instance(
                deps,
                call.context,
                args,
            )),
            Err(failure) => Response::err(failure),
        }
    }

    /// `object_class_action_versions(objname, objmethod, object_versions, args, kwargs)`.
    fn object_class_action_versions(&mut self, call: Call) -> Response {
        let (objname, objmethod, args, kwargs) = match ObjectClassActionVersions::from_call(&call) {
            Ok(args) => (
                args.objname,
                args.objmethod,
                args.args.unwrap_or_default(),
                args.kwargs.unwrap_or_default(),
            ),
            Err(failure) => return Response::err(failure),
        };
        let db = self.db.clone();
        let request_id = call.context.request_id().map(str::to_owned);
        Response::later(async move {
            objects::class_action(
                &db,
                request_id.as_deref(),
                &objname,
                &objmethod,
                &args,
                &kwargs,
            )
            .await
            .map_err(expected_by_object_dispatch)
        })
    }

    /// `object_action(objinst, objmethod, args, kwargs)` → `[updates, result]`.
    fn object_action(&mut self, call: Call) -> Response {
        let parsed = ObjectAction::from_call(&call).and_then(|args| {
            let object = NovaObject::from_primitive(&args.objinst)
                .map_err(|e| RemoteFailure::value_error(e.to_string()))?;
            Ok((object, args.objmethod, args.kwargs.unwrap_or_default()))
        });
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
                    ObjectClassActionVersions::METHOD,
                    Self::object_class_action_versions,
                )
                .method(ObjectAction::METHOD, Self::object_action),
            Endpoint::new(Some(COMPUTE_TASK_NAMESPACE), COMPUTE_TASK_VERSION)
                .method(
                    ScheduleAndBuildInstances::METHOD,
                    Self::schedule_and_build_instances,
                )
                .method(BuildInstances::METHOD, Self::build_instances)
                .method(RebuildInstanceTask::METHOD, Self::rebuild_instance)
                .method(UnshelveInstanceTask::METHOD, Self::unshelve_instance)
                .method(LiveMigrateInstance::METHOD, Self::live_migrate_instance)
                .method(MigrateServer::METHOD, Self::migrate_server)
                .expected_exceptions(MIGRATE_SERVER_EXPECTED),
            baseapi::endpoint(),
        ]
    }
}
