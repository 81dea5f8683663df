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

mod cell;
mod context;
mod definition;
mod periodic_task;
mod spec;

pub(crate) use cell::{CellCall, CellHandle, Hook, PanicSink};
pub use cell::{CellGauges, InFlight};
pub use context::{ExitHandle, ExitReason, ServiceContext};
pub(crate) use definition::instance_name;
pub use definition::{define, definition, ServiceDefinition};
pub use periodic_task::{PeriodicTask, Spacing};
pub use spec::{RestartType, ServiceSpec};

use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::rpc::{RemoteFailure, RequestContext, Version};

/// What a handler, hook or periodic task returns.
pub enum Response {
    /// Finished inside the handler.
    Ready(Result<Value, RemoteFailure>),
    /// Finishes later; the future runs without borrowing the manager, so the actor takes
    /// its next message meanwhile.
    Later(LocalBoxFuture<'static, Result<Value, RemoteFailure>>),
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ready(outcome) => f.debug_tuple("Ready").field(outcome).finish(),
            Self::Later(_) => f.write_str("Later(..)"),
        }
    }
}

impl Response {
    /// A successful result.
    pub fn ok(value: impl Into<Value>) -> Self {
        Self::Ready(Ok(value.into()))
    }

    /// Success without a value (`None` in Python).
    pub fn done() -> Self {
        Self::Ready(Ok(Value::Null))
    }

    /// A failure.
    pub fn err(failure: RemoteFailure) -> Self {
        Self::Ready(Err(failure))
    }

    /// Work that finishes later.
    pub fn later(
        future: impl std::future::Future<Output = Result<Value, RemoteFailure>> + 'static,
    ) -> Self {
        Self::Later(Box::pin(future))
    }
}

impl From<Result<Value, RemoteFailure>> for Response {
    fn from(outcome: Result<Value, RemoteFailure>) -> Self {
        Self::Ready(outcome)
    }
}

/// One RPC invocation as a handler sees it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method name.
    pub method: String,
    /// The caller's context.
    pub context: RequestContext,
    /// Keyword arguments.
    pub args: Map<String, Value>,
}

impl Call {
    /// A required keyword argument; missing or of the wrong type is the `TypeError` /
    /// `ValueError` a Python endpoint would raise.
    pub fn arg<T: DeserializeOwned>(&self, name: &str) -> Result<T, RemoteFailure> {
        let value = self.args.get(name).ok_or_else(|| {
            RemoteFailure::type_error(format!(
                "{}() missing 1 required positional argument: '{name}'",
                self.method
            ))
        })?;
        serde_json::from_value(value.clone()).map_err(|e| {
            RemoteFailure::value_error(format!(
                "{}(): bad value for argument '{name}': {e}",
                self.method
            ))
        })
    }

    /// An optional keyword argument (absent or null ⇒ `None`).
    pub fn opt_arg<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, RemoteFailure> {
        match self.args.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.arg(name).map(Some),
        }
    }
}

/// A handler: runs on the actor with exclusive access to its state.
pub type MethodFn<S> = fn(&mut S, Call) -> Response;

/// One named RPC method of an endpoint.
pub struct Method<S> {
    /// Name on the wire.
    pub name: &'static str,
    /// The handler.
    pub run: MethodFn<S>,
    /// Acknowledge after handling (at-least-once) rather than before dispatch.
    pub at_least_once: bool,
}

impl<S> std::fmt::Debug for Method<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Method")
            .field("name", &self.name)
            .field("at_least_once", &self.at_least_once)
            .finish()
    }
}

/// One RPC endpoint: oslo's `target = Target(namespace=…, version=…)` plus its methods.
pub struct Endpoint<S> {
    /// `None` is the null namespace.
    pub namespace: Option<&'static str>,
    /// The version this endpoint implements.
    pub version: Version,
    /// Its methods.
    pub methods: Vec<Method<S>>,
}

impl<S> std::fmt::Debug for Endpoint<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("namespace", &self.namespace)
            .field("version", &self.version)
            .field("methods", &self.methods)
            .finish()
    }
}

impl<S> Endpoint<S> {
    /// An endpoint without methods yet.
    pub fn new(namespace: Option<&'static str>, version: Version) -> Self {
        Self {
            namespace,
            version,
            methods: Vec::new(),
        }
    }

    /// Add a method, delivered at most once as oslo does (acked before dispatch).
    pub fn method(mut self, name: &'static str, run: MethodFn<S>) -> Self {
        self.methods.push(Method {
            name,
            run,
            at_least_once: false,
        });
        self
    }

    /// Add a method delivered at least once: its message is acknowledged only after the
    /// handler finished, and goes back to the queue if the actor crashes meanwhile. The
    /// handler must tolerate running twice (a crash after its effects, before the ack).
    pub fn method_at_least_once(mut self, name: &'static str, run: MethodFn<S>) -> Self {
        self.methods.push(Method {
            name,
            run,
            at_least_once: true,
        });
        self
    }
}

/// The manager of one service (Nova: `nova/manager.py` Manager). See the module doc for
/// the hooks' failure semantics.
pub trait ServiceManager: Sized + Unpin + 'static {
    /// RPC endpoints in dispatch order; empty for a service that consumes no topic.
    fn endpoints() -> Vec<Endpoint<Self>>;

    /// Periodic tasks; their timers belong to the supervisor.
    fn periodic_tasks() -> Vec<PeriodicTask<Self>> {
        Vec::new()
    }

    /// Nova `init_host`: first start phase.
    fn init_host(&mut self) -> Response {
        Response::done()
    }

    /// Nova `pre_start_hook`: before the RPC consumers start.
    fn pre_start_hook(&mut self) -> Response {
        Response::done()
    }

    /// Nova `post_start_hook`: after the RPC consumers started.
    fn post_start_hook(&mut self) -> Response {
        Response::done()
    }

    /// Nova `cleanup_host`: last stop phase, after in-flight handlers finished.
    fn cleanup_host(&mut self) -> Response {
        Response::done()
    }

    /// Nova `reset`: SIGHUP, after mutable options were re-read.
    fn reset(&mut self) -> Response {
        Response::done()
    }
}
