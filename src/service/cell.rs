//! The actix actor that hosts a manager: one message at a time touches its state; the
//! async part of a handler runs beside the mailbox. Every panic is caught here — actix's
//! own `Supervisor` would not restart on one — turned into a failure reply at once, and
//! reported to the supervisor, which restarts the actor.

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use actix::{Actor, ActorContext, Addr, Context, Handler, Message, Recipient, ResponseFuture};
use actix_rt::ArbiterHandle;
use futures::future::{self, BoxFuture};
use futures::FutureExt;
use serde_json::Value;

use super::call::Call;
use super::child_event::ChildPanicked;
use super::endpoint::Endpoint;
use super::manager::ServiceManager;
use super::periodic_task::PeriodicTask;
use super::response::Response;
use crate::rpc::{HandlerError, MethodId, RemoteFailure};

/// A lifecycle hook the supervisor runs on the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    InitHost,
    PreStart,
    PostStart,
    CleanupHost,
    Reset,
}

/// Work sent to a cell.
#[derive(Debug)]
pub(crate) enum CellCall {
    Rpc { method: MethodId, call: Call },
    Hook(Hook),
    Periodic(usize),
}

impl CellCall {
    fn describe(&self) -> String {
        match self {
            Self::Rpc { call, .. } => format!("RPC method {}", call.method),
            Self::Hook(hook) => format!("hook {hook:?}"),
            Self::Periodic(index) => format!("periodic task #{index}"),
        }
    }
}

impl Message for CellCall {
    type Result = Result<Value, HandlerError>;
}

/// Stop the cell now; queued messages fail with "actor restarting".
#[derive(Message)]
#[rtype(result = "()")]
struct StopCell;

/// Mailbox and handler counts of one incarnation, and what its handlers are doing now.
#[derive(Debug, Default)]
pub struct CellGauges {
    /// Sent to the actor, not yet started (mailbox depth).
    pub queued: AtomicI64,
    /// Started, not yet finished.
    pub in_flight: AtomicI64,
    /// Finished, any outcome.
    pub handled: AtomicU64,
    /// Running handlers by ticket (Nova's `_TrackingEndpointWrapper` ledger).
    running: Mutex<BTreeMap<u64, InFlight>>,
    next_ticket: AtomicU64,
}

/// One handler running now.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlight {
    /// RPC method, `periodic <task>` or `hook <name>`.
    pub method: String,
    /// The caller's `request_id`, when it sent one.
    pub request_id: Option<String>,
    /// When it started.
    pub started: Instant,
}

impl CellGauges {
    fn started(&self, work: InFlight) -> u64 {
        self.queued.fetch_sub(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        self.ledger().insert(ticket, work);
        ticket
    }

    fn finished(&self, ticket: u64) {
        self.ledger().remove(&ticket);
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.handled.fetch_add(1, Ordering::Relaxed);
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, InFlight>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The handlers running now, oldest first.
    pub fn running(&self) -> Vec<InFlight> {
        self.ledger().values().cloned().collect()
    }
}

/// Where a cell reports a panic.
#[derive(Clone)]
pub(crate) struct PanicSink {
    pub(crate) supervisor: Recipient<ChildPanicked>,
    pub(crate) child: usize,
    pub(crate) incarnation: u64,
}

impl PanicSink {
    fn report(&self, during: String, message: String) {
        self.supervisor.do_send(ChildPanicked {
            child: self.child,
            incarnation: self.incarnation,
            during,
            message,
        });
    }
}

pub(crate) struct ServiceCell<S: ServiceManager> {
    manager: S,
    endpoints: Vec<Endpoint<S>>,
    tasks: Vec<PeriodicTask<S>>,
    name: String,
    gauges: Arc<CellGauges>,
    panics: PanicSink,
}

impl<S: ServiceManager> ServiceCell<S> {
    fn new(manager: S, name: String, panics: PanicSink, gauges: Arc<CellGauges>) -> Self {
        Self {
            manager,
            endpoints: S::endpoints(),
            tasks: S::periodic_tasks(),
            name,
            gauges,
            panics,
        }
    }

    /// What `call` is, for the in-flight ledger.
    fn in_flight(&self, call: &CellCall) -> InFlight {
        let (method, request_id) = match call {
            CellCall::Rpc { call, .. } => (
                call.method.clone(),
                call.context.request_id().map(str::to_owned),
            ),
            CellCall::Periodic(index) => (
                format!(
                    "periodic {}",
                    self.tasks.get(*index).map_or("?", |task| task.name)
                ),
                None,
            ),
            CellCall::Hook(hook) => (format!("hook {hook:?}"), None),
        };
        InFlight {
            method,
            request_id,
            started: Instant::now(),
        }
    }

    fn run(&mut self, call: CellCall) -> Response {
        match call {
            CellCall::Rpc { method, call } => {
                let handler = self
                    .endpoints
                    .get(method.endpoint)
                    .and_then(|e| e.methods.get(method.method))
                    .map(|m| (m.run, m.expected_exceptions));
                match handler {
                    Some((run, expected)) => run(&mut self.manager, call).expecting(expected),
                    None => Response::err(RemoteFailure::no_such_method(&call.method)),
                }
            }
            CellCall::Periodic(index) => match self.tasks.get(index) {
                Some(task) => {
                    let call = Call {
                        method: task.name.to_owned(),
                        context: crate::rpc::RequestContext::new(),
                        args: Default::default(),
                    };
                    (task.run)(&mut self.manager, call)
                }
                None => Response::err(RemoteFailure::runtime_error(format!(
                    "no periodic task #{index}"
                ))),
            },
            CellCall::Hook(hook) => match hook {
                Hook::InitHost => self.manager.init_host(),
                Hook::PreStart => self.manager.pre_start_hook(),
                Hook::PostStart => self.manager.post_start_hook(),
                Hook::CleanupHost => self.manager.cleanup_host(),
                Hook::Reset => self.manager.reset(),
            },
        }
    }
}

impl<S: ServiceManager> Actor for ServiceCell<S> {
    type Context = Context<Self>;
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

fn panicked_failure(actor: &str, during: &str, message: &str) -> RemoteFailure {
    RemoteFailure::runtime_error(format!(
        "{during} of actor {actor} panicked: {message}; the actor is being restarted"
    ))
}

impl<S: ServiceManager> Handler<CellCall> for ServiceCell<S> {
    type Result = ResponseFuture<Result<Value, HandlerError>>;

    fn handle(&mut self, message: CellCall, ctx: &mut Self::Context) -> Self::Result {
        let ticket = self.gauges.started(self.in_flight(&message));
        let during = message.describe();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.run(message)));
        let gauges = Arc::clone(&self.gauges);
        match outcome {
            Ok(Response::Ready(result)) => {
                gauges.finished(ticket);
                Box::pin(future::ready(result.map_err(HandlerError::answered)))
            }
            Ok(Response::Later(work)) => {
                let panics = self.panics.clone();
                let actor = self.name.clone();
                Box::pin(async move {
                    let result = AssertUnwindSafe(work).catch_unwind().await;
                    gauges.finished(ticket);
                    match result {
                        Ok(outcome) => outcome.map_err(HandlerError::answered),
                        Err(payload) => {
                            let message = panic_message(payload.as_ref());
                            panics.report(during.clone(), message.clone());
                            Err(HandlerError::Crashed(panicked_failure(
                                &actor, &during, &message,
                            )))
                        }
                    }
                })
            }
            Err(payload) => {
                gauges.finished(ticket);
                let message = panic_message(payload.as_ref());
                self.panics.report(during.clone(), message.clone());
                // The state may be half-updated: take no further message.
                ctx.stop();
                Box::pin(future::ready(Err(HandlerError::Crashed(panicked_failure(
                    &self.name, &during, &message,
                )))))
            }
        }
    }
}

impl<S: ServiceManager> Handler<StopCell> for ServiceCell<S> {
    type Result = ();

    fn handle(&mut self, _: StopCell, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

/// The supervisor's type-erased view of a running cell.
pub(crate) trait CellHandle: Send + Sync {
    /// Run `call` on the actor. Resolves with a failure if the actor is gone.
    fn call(&self, call: CellCall) -> BoxFuture<'static, Result<Value, HandlerError>>;
    /// Stop the actor.
    fn stop(&self);
    /// Its gauges.
    fn gauges(&self) -> Arc<CellGauges>;
}

pub(crate) struct CellAddr<S: ServiceManager> {
    pub(crate) addr: Addr<ServiceCell<S>>,
    pub(crate) gauges: Arc<CellGauges>,
    pub(crate) name: String,
}

impl<S: ServiceManager + Send> CellAddr<S> {
    /// Start a cell hosting `manager` on `arbiter`: every message to it is handled on that
    /// arbiter's thread, one at a time.
    pub(crate) fn start_on(
        arbiter: &ArbiterHandle,
        manager: S,
        name: String,
        panics: PanicSink,
    ) -> Self {
        let gauges = Arc::new(CellGauges::default());
        let cell_gauges = Arc::clone(&gauges);
        let cell_name = name.clone();
        let addr = ServiceCell::start_in_arbiter(arbiter, move |_| {
            ServiceCell::new(manager, cell_name, panics, cell_gauges)
        });
        Self { addr, gauges, name }
    }
}

impl<S: ServiceManager> CellHandle for CellAddr<S> {
    fn call(&self, call: CellCall) -> BoxFuture<'static, Result<Value, HandlerError>> {
        self.gauges.queued.fetch_add(1, Ordering::Relaxed);
        let request = self.addr.send(call);
        let gauges = Arc::clone(&self.gauges);
        let name = self.name.clone();
        async move {
            request.await.unwrap_or_else(|_| {
                // Never started: undo the mailbox count.
                gauges.queued.fetch_sub(1, Ordering::Relaxed);
                Err(HandlerError::Crashed(RemoteFailure::runtime_error(format!(
                    "actor {name} stopped before handling the message (it is restarting or shutting down)"
                ))))
            })
        }
        .boxed()
    }

    fn stop(&self) {
        self.addr.do_send(StopCell);
    }

    fn gauges(&self) -> Arc<CellGauges> {
        Arc::clone(&self.gauges)
    }
}
