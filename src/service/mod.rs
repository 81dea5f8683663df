//! What a service actor is: a Nova-style *manager* (plain Rust state + handlers) that the
//! runtime hosts in an actix actor, under the supervisor.
//!
//! A manager declares, as data, its RPC endpoints (namespace, version, methods), its
//! periodic tasks and its lifecycle hooks. The runtime owns everything else: the actix
//! cell that runs handlers one at a time (state changes stay serialized) and catches their
//! panics, the RPC server feeding it, timers, heartbeats and restarts.
//!
//! Hooks and what their failure does (each returns a [`Response`]):
//!
//! | hook | when | an error or panic … |
//! |---|---|---|
//! | `init_host` | first start phase | fails the start: the supervisor restarts the actor per its policy |
//! | `pre_start_hook` | before RPC consumers exist | same |
//! | `post_start_hook` | after consumers, before heartbeat and periodic tasks | same |
//! | a method | per RPC message | error: failure reply; panic: failure reply *and* restart |
//! | a periodic task | per timer tick | error: logged and counted; panic: counted *and* restart |
//! | `reset` | SIGHUP | logged; a panic restarts the actor |
//! | `cleanup_host` | last stop phase | logged; the stop goes on |
//!
//! | file | its one job |
//! |---|---|
//! | `manager.rs` | `ServiceManager`: endpoints, periodic tasks and hooks of a manager |
//! | `endpoint.rs` | `Endpoint`, `Method`: the RPC surface as data |
//! | `call.rs` | `Call`: one invocation and its keyword arguments |
//! | `response.rs` | `Response`: a handler's result, now or later |
//! | `periodic_task.rs` | `PeriodicTask`, `Spacing`: oslo.service periodic tasks |
//! | `spec.rs` | `ServiceSpec`, `RestartType`: identity and start options |
//! | `context.rs` | `ServiceContext`, `ExitHandle`: what a manager is built with |
//! | `definition.rs` | `ServiceDefinition`: a manager type erased, startable again and again |
//! | `cell.rs` | the actix actor hosting a manager; panics caught and reported |
//! | `child_event.rs` | what a cell or manager tells its supervisor: panicked, exited, `ExitReason` |

mod call;
mod cell;
mod child_event;
mod context;
mod definition;
mod endpoint;
mod manager;
mod periodic_task;
mod response;
mod spec;

pub use call::Call;
pub(crate) use cell::{CellCall, CellHandle, Hook, PanicSink};
pub use cell::{CellGauges, InFlight};
pub use child_event::{ChildExited, ChildPanicked, ExitReason};
pub use context::{ExitHandle, ServiceContext};
pub(crate) use definition::instance_name;
pub use definition::{define, definition, ServiceDefinition};
pub use endpoint::{Endpoint, Method, MethodFn};
pub use manager::ServiceManager;
pub use periodic_task::{PeriodicTask, Spacing};
pub use response::Response;
pub use spec::{RestartType, ServiceSpec};
