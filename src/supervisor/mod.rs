//! The supervisor: one per process, replacing oslo.service's ProcessLauncher forking.
//!
//! Guarantees, in plain sentences:
//! - **Order.** Actors start one after another in the order given (start phases in Nova's
//!   order: `init_host` → `pre_start_hook` → RPC consumers on `topic`, `topic.<host>` and
//!   fanout → `post_start_hook` → heartbeat → periodic tasks) and stop in reverse
//!   (periodic tasks and heartbeat, stop consuming, drain in-flight handlers, `cleanup_host`).
//! - **Failure.** A panic anywhere in a manager (handler, hook, async part), a failed start
//!   phase, or an [`ExitReason::Error`] ends the incarnation. A call whose handler panicked
//!   gets a failure reply at once. Queued messages of the dead incarnation get failure
//!   replies; messages still in the broker wait for the next incarnation.
//! - **Restart.** Per [`RestartType`] (table in `service/spec.rs`), after an exponential
//!   backoff with jitter; more than `restart_intensity` restarts within `restart_period`
//!   isolates the actor (stopped, state `isolated`, readiness false) while the process and
//!   the other actors go on — or, with `escalate`, ends the process with exit code 1.
//!   A run of `restart_stable_period` without failure forgets earlier failures.
//! - **Address.** An actor's address is its RPC target; the queues stay declared across
//!   restarts and the new incarnation consumes them.
//! - **Drain.** Shutdown stops consumption, lets running handlers finish until the
//!   `graceful_shutdown_timeout` deadline, and reports what did not finish.

mod heartbeat;
mod periodic_timer;
mod restart_policy;

pub use crate::snapshot::{
    ActorSnapshot, ActorState, HeartbeatSnapshot, InFlightSnapshot, PeriodicTaskSnapshot, Snapshot,
    SupervisorSettings,
};
pub use restart_policy::{backoff, RestartDecision, RestartHistory, RestartLimits};

use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix::prelude::*;
use futures::future::BoxFuture;
use futures::FutureExt;
use rand::Rng;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::heartbeat::{Heartbeat, HeartbeatStatus, Reporter};
use self::periodic_timer::{PeriodicStatus, PeriodicTimer, TaskControls, TimerPlan};
use crate::config::Config;
use crate::metrics::{HandlerMetrics, HandlerOutcome, RuntimeMetrics};
use crate::rpc::{
    ClientShared, HandlerError, MethodId, RequestHandler, RpcServer, ServerTarget, Transport,
};
use crate::service::{
    Call, CellCall, CellHandle, ChildExited, ChildPanicked, ExitHandle, ExitReason, Hook,
    PanicSink, RestartType, ServiceContext, ServiceDefinition,
};
use crate::servicegroup::ServiceGroup;

/// What every actor of the process shares.
pub struct RuntimeEnv {
    config: RwLock<Arc<Config>>,
    /// The transport all RPC goes over.
    pub transport: Arc<dyn Transport>,
    /// Client state shared by every RPC client of the process (one reply queue).
    pub rpc: Arc<ClientShared>,
    /// Service liveness driver.
    pub servicegroup: Arc<dyn ServiceGroup>,
    /// Cancelled when an isolated actor escalates: the process must end with exit code 1.
    pub escalation: CancellationToken,
    /// Cancelled when an operator asks the process to drain: it then shuts down as on
    /// SIGTERM.
    pub drain: CancellationToken,
    /// The process's Prometheus series.
    pub metrics: Arc<RuntimeMetrics>,
}

impl std::fmt::Debug for RuntimeEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeEnv")
            .field("transport", &self.transport.scheme())
            .finish_non_exhaustive()
    }
}

impl RuntimeEnv {
    /// An environment over `transport` and `servicegroup` for `config`.
    pub fn new(
        config: Arc<Config>,
        transport: Arc<dyn Transport>,
        servicegroup: Arc<dyn ServiceGroup>,
    ) -> Arc<Self> {
        let metrics = Arc::new(RuntimeMetrics::new());
        let rpc = ClientShared::instrumented(
            Arc::clone(&transport),
            config.default.control_exchange.clone(),
            Some(Arc::clone(&metrics) as Arc<dyn crate::rpc::ClientObserver>),
        );
        Arc::new(Self {
            config: RwLock::new(config),
            transport,
            rpc,
            servicegroup,
            escalation: CancellationToken::new(),
            drain: CancellationToken::new(),
            metrics,
        })
    }

    /// The current effective configuration.
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(
            &self
                .config
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn set_config(&self, config: Arc<Config>) {
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
    }
}

/// Start every child in order; resolves when each is running or has failed its start.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct StartAll;

#[derive(Message)]
#[rtype(result = "()")]
struct StartChild(usize);

/// Stop every child in reverse order, draining in-flight work until `timeout`
/// (`None`: wait as long as it takes).
#[derive(Message, Debug)]
#[rtype(result = "ShutdownReport")]
pub struct Shutdown {
    /// `graceful_shutdown_timeout`.
    pub timeout: Option<Duration>,
}

/// The outcome of a shutdown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShutdownReport {
    /// Actors whose in-flight handlers did not finish before the deadline.
    pub unfinished: Vec<String>,
}

/// Apply a re-read configuration: re-space periodic tasks, call every actor's `reset`.
#[derive(Message, Debug)]
#[rtype(result = "Vec<String>")]
pub struct Reload(pub Arc<Config>);

/// Take a [`Snapshot`].
#[derive(Message, Debug)]
#[rtype(result = "Snapshot")]
pub struct GetSnapshot;

/// An operator's command to one actor instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorCommand {
    /// Drain the running incarnation and start a new one (not counted against the
    /// restart intensity).
    Restart,
    /// Drain the running incarnation and keep the instance stopped.
    Stop,
    /// Start a stopped or isolated instance with a fresh restart history.
    Start,
}

/// Apply an [`ActorCommand`] to the instance `actor`.
#[derive(Message, Debug)]
#[rtype(result = "Result<ActorSnapshot, ControlError>")]
pub struct ControlActor {
    /// Instance name.
    pub actor: String,
    /// What to do.
    pub command: ActorCommand,
}

/// An operator's command to one periodic task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TaskCommand {
    /// Stop the timer.
    Pause,
    /// Re-arm it.
    Resume,
    /// Run once now.
    RunNow,
    /// Use this spacing; `None` returns to the configured one.
    Spacing(Option<Duration>),
}

/// Apply a [`TaskCommand`] to `task` of the instance `actor`.
#[derive(Message, Debug)]
#[rtype(result = "Result<PeriodicTaskSnapshot, ControlError>")]
pub struct ControlTask {
    /// Instance name.
    pub actor: String,
    /// Task name.
    pub task: String,
    /// What to do.
    pub command: TaskCommand,
}

/// Why an operator's command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No instance by that name.
    #[error("no actor named '{name}'; actors: {known}")]
    NoSuchActor {
        /// The name asked for.
        name: String,
        /// Every instance name.
        known: String,
    },
    /// The instance has no task by that name.
    #[error("actor {actor} has no periodic task '{task}'; tasks: {known}")]
    NoSuchTask {
        /// Instance.
        actor: String,
        /// The name asked for.
        task: String,
        /// Its tasks.
        known: String,
    },
    /// The command does not fit the instance's state.
    #[error("{0}")]
    Conflict(String),
}

/// One running incarnation.
struct Incarnation {
    cell: Arc<dyn CellHandle>,
    /// Where its heartbeats go.
    servicegroup: Arc<dyn ServiceGroup>,
    rpc: Option<RpcServer>,
    timers: Vec<PeriodicTimer>,
    heartbeat: Option<Heartbeat>,
}

struct Child {
    name: String,
    /// Stopped on an operator's word; stays stopped until started.
    operator_stopped: bool,
    /// The operator's controls of each periodic task (index as in `factory.periodic_tasks`).
    task_controls: Vec<TaskControls>,
    instance: usize,
    factory: Arc<ServiceDefinition>,
    state: ActorState,
    incarnation: u64,
    running: Option<Incarnation>,
    /// A panic arrived while the start phases ran.
    failed_while_starting: Option<String>,
    history: RestartHistory,
    restarts: u64,
    last_error: Option<String>,
    backoff: Option<Duration>,
    ready_at: Option<Instant>,
    periodic: Vec<Arc<PeriodicStatus>>,
    heartbeat: Arc<HeartbeatStatus>,
    limiter: Arc<Semaphore>,
}

/// The supervisor actor; see the module doc.
pub struct Supervisor {
    env: Arc<RuntimeEnv>,
    children: Vec<Child>,
    started: Instant,
    shutting_down: bool,
    /// Incarnations an operator's restart or stop is draining.
    retiring: TaskTracker,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.children.iter().map(|c| c.name.as_str()).collect();
        f.debug_struct("Supervisor")
            .field("children", &names)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor for `services`, each expanded into its `instances`.
    pub fn new(env: Arc<RuntimeEnv>, services: Vec<Arc<ServiceDefinition>>) -> Self {
        let pool = env.config().default.executor_thread_pool_size.max(1);
        let mut children = Vec::new();
        for factory in services {
            let spec = factory.spec().clone();
            for instance in 0..spec.instances.max(1) {
                children.push(Child {
                    name: crate::service::instance_name(&spec.name, instance, spec.instances),
                    operator_stopped: false,
                    task_controls: vec![TaskControls::default(); factory.periodic_tasks.len()],
                    instance,
                    factory: Arc::clone(&factory),
                    state: ActorState::Stopped,
                    incarnation: 0,
                    running: None,
                    failed_while_starting: None,
                    history: RestartHistory::default(),
                    restarts: 0,
                    last_error: None,
                    backoff: None,
                    ready_at: None,
                    periodic: factory
                        .periodic_tasks
                        .iter()
                        .map(|t| PeriodicStatus::new(t.name))
                        .collect(),
                    heartbeat: Arc::default(),
                    limiter: Arc::new(Semaphore::new(pool)),
                });
            }
        }
        Self {
            env,
            children,
            started: Instant::now(),
            shutting_down: false,
            retiring: TaskTracker::new(),
        }
    }

    fn limits(&self) -> RestartLimits {
        let s = &self.env.config().supervisor;
        RestartLimits {
            intensity: s.restart_intensity,
            period: s.restart_period,
            backoff_initial: s.restart_backoff_initial,
            backoff_max: s.restart_backoff_max,
            stable_period: s.restart_stable_period,
        }
    }

    /// Spawn a new incarnation's cell and return the future running its start phases.
    fn launch(
        &mut self,
        id: usize,
        ctx: &mut Context<Self>,
    ) -> Option<BoxFuture<'static, Result<Option<RpcServer>, String>>> {
        if self.shutting_down {
            return None;
        }
        let env = Arc::clone(&self.env);
        let config = env.config();
        let child = self.children.get_mut(id)?;
        child.incarnation += 1;
        child.state = ActorState::Starting;
        child.operator_stopped = false;
        child.failed_while_starting = None;
        child.backoff = None;
        let spec = child.factory.spec().clone();
        let context = ServiceContext {
            spec: spec.clone(),
            instance: child.instance,
            config: Arc::clone(&config),
            exit: ExitHandle {
                supervisor: ctx.address().recipient(),
                child: id,
                incarnation: child.incarnation,
            },
            rpc: Arc::clone(&env.rpc),
        };
        let panics = PanicSink {
            supervisor: ctx.address().recipient(),
            child: id,
            incarnation: child.incarnation,
        };
        let servicegroup = match &child.factory.servicegroup {
            Some(factory) => factory(&context),
            None => Arc::clone(&env.servicegroup),
        };
        let cell = (child.factory.spawn)(context, panics);
        child.running = Some(Incarnation {
            cell: Arc::clone(&cell),
            servicegroup,
            rpc: None,
            timers: Vec::new(),
            heartbeat: None,
        });
        let endpoints = child.factory.endpoints.clone();
        let limiter = Arc::clone(&child.limiter);
        let name = child.name.clone();
        let metrics = Arc::clone(&env.metrics);
        Some(
            async move {
                let hook = |hook: Hook| {
                    let cell = Arc::clone(&cell);
                    async move {
                        cell.call(CellCall::Hook(hook))
                            .await
                            .map(drop)
                            .map_err(|e| format!("{hook:?} failed: {}", e.failure().message))
                    }
                };
                hook(Hook::InitHost).await?;
                hook(Hook::PreStart).await?;
                let rpc = match &spec.topic {
                    Some(topic) => {
                        let target = ServerTarget {
                            exchange: config.default.control_exchange.clone(),
                            topic: topic.clone(),
                            server: spec.host.clone(),
                            actor: name.clone(),
                        };
                        let handler = Arc::new(CellRequests {
                            cell: Arc::clone(&cell),
                            metrics: metrics.handler(&name),
                        });
                        let dispatcher = crate::rpc::Dispatcher::new(endpoints);
                        let server = RpcServer::start(
                            Arc::clone(&env.transport),
                            target,
                            dispatcher,
                            handler,
                            limiter,
                        )
                        .await
                        .map_err(|e| format!("starting RPC consumers failed: {e}"))?;
                        Some(server)
                    }
                    None => None,
                };
                if let Err(error) = hook(Hook::PostStart).await {
                    if let Some(server) = &rpc {
                        server.stop_consuming();
                    }
                    return Err(error);
                }
                Ok(rpc)
            }
            .boxed(),
        )
    }

    fn finish_start(
        &mut self,
        id: usize,
        incarnation: u64,
        outcome: Result<Option<RpcServer>, String>,
        ctx: &mut Context<Self>,
    ) {
        let env = Arc::clone(&self.env);
        let Some(child) = self.children.get_mut(id) else {
            return;
        };
        if child.incarnation != incarnation || self.shutting_down {
            if let Ok(Some(server)) = &outcome {
                server.stop_consuming();
            }
            return;
        }
        let outcome = match (outcome, child.failed_while_starting.take()) {
            (Ok(Some(server)), Some(error)) => {
                server.stop_consuming();
                Err(error)
            }
            (Ok(None), Some(error)) => Err(error),
            (outcome, _) => outcome,
        };
        let server = match outcome {
            Ok(server) => server,
            Err(error) => {
                tracing::error!(actor = %child.name, incarnation, %error, "actor failed to start");
                self.on_failure(id, error, true, ctx);
                return;
            }
        };
        let config = env.config();
        let spec = child.factory.spec().clone();
        let Some(running) = child.running.as_mut() else {
            return;
        };
        running.rpc = server;
        if let (Some(interval), Some(topic)) = (spec.report_interval, spec.topic.clone()) {
            let reporter = Reporter {
                host: spec.host.clone(),
                binary: spec.binary.clone(),
                topic,
                interval,
            };
            running.heartbeat = Some(Heartbeat::start(
                Arc::clone(&running.servicegroup),
                reporter,
                Arc::clone(&child.heartbeat),
            ));
        }
        if spec.periodic_enable {
            let fuzzy = spec.periodic_fuzzy_delay.as_secs_f64();
            let initial_delay =
                Duration::from_secs_f64(rand::rng().random_range(0.0..=fuzzy.max(0.0)));
            for (index, task) in child.factory.periodic_tasks.iter().enumerate() {
                let configured = task.spacing.resolve(&config).unwrap_or_else(|error| {
                    tracing::error!(actor = %child.name, task = task.name, %error, "periodic task disabled");
                    None
                });
                let controls = child.task_controls[index];
                child.periodic[index].set_controls(&controls, None);
                let spacing = controls.effective(configured);
                let plan = TimerPlan {
                    initial_delay,
                    run_immediately: task.run_immediately,
                    jitter: config.supervisor.periodic_jitter,
                };
                running.timers.push(PeriodicTimer::start(
                    child.name.clone(),
                    Arc::clone(&child.periodic[index]),
                    Arc::clone(&running.cell),
                    index,
                    spacing,
                    plan,
                    env.metrics.periodic_duration(&child.name, task.name),
                ));
            }
        }
        child.state = ActorState::Running;
        child.ready_at = Some(Instant::now());
        let queues = running
            .rpc
            .as_ref()
            .map(|s| s.queues().join(", "))
            .unwrap_or_default();
        tracing::info!(actor = %child.name, host = %spec.host, incarnation, queues = %queues, "actor ready");
    }

    /// End the current incarnation and apply the restart policy.
    fn on_failure(&mut self, id: usize, error: String, abnormal: bool, ctx: &mut Context<Self>) {
        let limits = self.limits();
        let escalate = self.env.config().supervisor.escalate;
        let Some(child) = self.children.get_mut(id) else {
            return;
        };
        if let Some(incarnation) = child.running.take() {
            if let Some(server) = &incarnation.rpc {
                server.stop_consuming();
            }
            incarnation.cell.stop();
        }
        child.last_error = Some(error.clone());
        let restart_type = child.factory.spec().restart;
        let restart = match restart_type {
            RestartType::Permanent => true,
            RestartType::Transient => abnormal,
            RestartType::Temporary => false,
        };
        if !restart {
            child.state = ActorState::Stopped;
            tracing::warn!(actor = %child.name, ?restart_type, "actor ended and is not restarted");
            return;
        }
        let jitter = rand::rng().random_range(0.0..1.0);
        match child
            .history
            .on_failure(&limits, Instant::now(), child.ready_at, jitter)
        {
            RestartDecision::RestartAfter(delay) => {
                child.state = ActorState::Restarting;
                child.backoff = Some(delay);
                child.restarts += 1;
                let incarnation = child.incarnation;
                tracing::warn!(actor = %child.name, %error, backoff_ms = delay.as_millis() as u64, "restarting actor");
                ctx.run_later(delay, move |act, ctx| {
                    let due = act.children.get(id).is_some_and(|c| {
                        c.incarnation == incarnation && c.state == ActorState::Restarting
                    });
                    if due {
                        act.start_child(id, ctx);
                    }
                });
            }
            RestartDecision::GiveUp { restarts } => {
                child.state = ActorState::Isolated;
                tracing::error!(actor = %child.name, restarts, period_s = limits.period.as_secs(), %error,
                    "actor exceeded its restart intensity; isolated (the process and other actors go on)");
                if escalate {
                    tracing::error!(actor = %child.name, "[supervisor] escalate is set: ending the process");
                    self.env.escalation.cancel();
                }
            }
        }
    }

    fn start_child(&mut self, id: usize, ctx: &mut Context<Self>) {
        if let Some(phases) = self.launch(id, ctx) {
            let incarnation = self.children[id].incarnation;
            ctx.spawn(phases.into_actor(self).map(move |outcome, act, ctx| {
                act.finish_start(id, incarnation, outcome, ctx);
            }));
        }
    }

    fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        let config = self.env.config();
        let metrics = &self.env.metrics;
        let actors = self
            .children
            .iter()
            .map(|child| {
                let spec = child.factory.spec();
                let gauges = child.running.as_ref().map(|r| r.cell.gauges());
                let load =
                    |f: fn(&crate::service::CellGauges) -> i64| gauges.as_deref().map_or(0, f);
                let (messages_total, errors_total, handler_seconds_total) =
                    metrics.handler_totals(&child.name);
                let in_flight_handlers = gauges
                    .as_deref()
                    .map(|g| g.running())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|work| InFlightSnapshot {
                        method: work.method,
                        elapsed_secs: work.started.elapsed().as_secs_f64(),
                        request_id: work.request_id,
                    })
                    .collect();
                ActorSnapshot {
                    name: child.name.clone(),
                    actor: spec.name.clone(),
                    binary: spec.binary.clone(),
                    host: spec.host.clone(),
                    restart_type: format!("{:?}", spec.restart).to_lowercase(),
                    state: child.state,
                    incarnation: child.incarnation,
                    uptime_secs: (child.state == ActorState::Running)
                        .then(|| {
                            child
                                .ready_at
                                .map(|at| now.duration_since(at).as_secs_f64())
                        })
                        .flatten(),
                    restarts: child.restarts,
                    last_error: child.last_error.clone(),
                    backoff_secs: (child.state == ActorState::Restarting)
                        .then(|| child.backoff.map(|d| d.as_secs_f64()))
                        .flatten(),
                    mailbox_depth: load(|g| {
                        g.queued.load(std::sync::atomic::Ordering::Relaxed).max(0)
                    }),
                    in_flight: load(|g| {
                        g.in_flight
                            .load(std::sync::atomic::Ordering::Relaxed)
                            .max(0)
                    }),
                    in_flight_handlers,
                    handled: gauges
                        .as_deref()
                        .map_or(0, |g| g.handled.load(std::sync::atomic::Ordering::Relaxed)),
                    messages_total,
                    errors_total,
                    handler_seconds_total,
                    stopped_by_operator: child.state == ActorState::Stopped
                        && child.operator_stopped,
                    rpc_queues: child
                        .running
                        .as_ref()
                        .and_then(|r| r.rpc.as_ref())
                        .map(|s| s.queues().to_vec())
                        .unwrap_or_default(),
                    at_least_once_methods: child
                        .factory
                        .endpoints
                        .iter()
                        .flat_map(|e| e.ack_after_handling.iter().cloned())
                        .collect(),
                    periodic_tasks: child.periodic.iter().map(|p| p.snapshot()).collect(),
                    heartbeat: spec.report_interval.map(|_| child.heartbeat.snapshot()),
                }
            })
            .collect();
        let mut snapshot = Snapshot {
            version: env!("CARGO_PKG_VERSION"),
            pid: std::process::id(),
            host: config.default.host.clone(),
            taken_at: chrono::Utc::now(),
            uptime_secs: now.duration_since(self.started).as_secs_f64(),
            ready: false,
            draining: self.shutting_down || self.env.drain.is_cancelled(),
            supervisor: SupervisorSettings {
                restart_intensity: config.supervisor.restart_intensity,
                restart_period_secs: config.supervisor.restart_period.as_secs_f64(),
                escalate: config.supervisor.escalate,
            },
            transport: self.env.transport.status(),
            actors,
        };
        snapshot.ready = snapshot.ready();
        snapshot
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;
}

/// Feeds RPC requests to a cell and counts them.
struct CellRequests {
    cell: Arc<dyn CellHandle>,
    metrics: HandlerMetrics,
}

impl RequestHandler for CellRequests {
    fn handle(
        &self,
        method: MethodId,
        request: crate::rpc::envelope::Request,
    ) -> BoxFuture<'static, Result<Value, HandlerError>> {
        let started = std::time::Instant::now();
        let handled = self.cell.call(CellCall::Rpc {
            method,
            call: Call {
                method: request.method,
                context: request.context,
                args: request.args,
            },
        });
        let metrics = self.metrics.clone();
        async move {
            let outcome = handled.await;
            let kind = match &outcome {
                Ok(_) => HandlerOutcome::Ok,
                Err(HandlerError::Failed(_)) => HandlerOutcome::Failed,
                Err(HandlerError::Crashed(_)) => HandlerOutcome::Crashed,
            };
            metrics.observe(started.elapsed(), kind);
            outcome
        }
        .boxed()
    }
}

impl Handler<StartAll> for Supervisor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: StartAll, ctx: &mut Context<Self>) -> Self::Result {
        let me = ctx.address();
        let ids: Vec<usize> = (0..self.children.len()).collect();
        Box::pin(async move {
            for id in ids {
                // Ordered: the next actor starts only after this one's start phases ended.
                let _ = me.send(StartChild(id)).await;
            }
        })
    }
}

impl Handler<StartChild> for Supervisor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, StartChild(id): StartChild, ctx: &mut Context<Self>) -> Self::Result {
        match self.launch(id, ctx) {
            Some(phases) => {
                let incarnation = self.children[id].incarnation;
                Box::pin(phases.into_actor(self).map(move |outcome, act, ctx| {
                    act.finish_start(id, incarnation, outcome, ctx);
                }))
            }
            None => Box::pin(actix::fut::ready(())),
        }
    }
}

impl Handler<ChildPanicked> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ChildPanicked, ctx: &mut Context<Self>) {
        let Some(child) = self.children.get_mut(msg.child) else {
            return;
        };
        if child.incarnation != msg.incarnation || self.shutting_down {
            return;
        }
        let error = format!("panic in {}: {}", msg.during, msg.message);
        tracing::error!(actor = %child.name, incarnation = msg.incarnation, %error, "actor panicked");
        match child.state {
            // The start phases will see the dead cell and fail; finish_start decides.
            ActorState::Starting => child.failed_while_starting = Some(error),
            ActorState::Running => self.on_failure(msg.child, error, true, ctx),
            _ => {}
        }
    }
}

impl Handler<ChildExited> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ChildExited, ctx: &mut Context<Self>) {
        let Some(child) = self.children.get(msg.child) else {
            return;
        };
        if child.incarnation != msg.incarnation
            || self.shutting_down
            || child.state != ActorState::Running
        {
            return;
        }
        match msg.reason {
            ExitReason::Normal => self.on_failure(msg.child, "exited normally".into(), false, ctx),
            ExitReason::Error(error) => self.on_failure(msg.child, error, true, ctx),
        }
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseActFuture<Self, ShutdownReport>;

    fn handle(&mut self, msg: Shutdown, _: &mut Context<Self>) -> Self::Result {
        self.shutting_down = true;
        let deadline = msg.timeout.map(|t| Instant::now() + t);
        let mut stopping = Vec::new();
        for (id, child) in self.children.iter_mut().enumerate().rev() {
            match child.running.take() {
                Some(incarnation) => {
                    child.state = ActorState::Stopping;
                    stopping.push((id, child.name.clone(), incarnation));
                }
                None => child.state = ActorState::Stopped,
            }
        }
        let retiring = self.retiring.clone();
        retiring.close();
        let work = async move {
            let mut report = ShutdownReport::default();
            let mut stopped = Vec::new();
            let retired = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, retiring.wait())
                    .await
                    .is_ok(),
                None => {
                    retiring.wait().await;
                    true
                }
            };
            if !retired {
                report
                    .unfinished
                    .push("an actor an operator was restarting or stopping".to_owned());
            }
            for (id, name, incarnation) in stopping {
                if !retire(name.clone(), incarnation, deadline).await {
                    report.unfinished.push(name);
                }
                stopped.push(id);
            }
            (report, stopped)
        };
        Box::pin(work.into_actor(self).map(|(report, stopped), act, _| {
            for id in stopped {
                if let Some(child) = act.children.get_mut(id) {
                    child.state = ActorState::Stopped;
                }
            }
            report
        }))
    }
}

/// Stop an incarnation the graceful way: timers and heartbeat, then consumption (messages
/// not yet taken stay in the broker), then in-flight handlers until `deadline`, then
/// `cleanup_host`, then the cell. False when handlers were still running at the deadline.
async fn retire(name: String, mut incarnation: Incarnation, deadline: Option<Instant>) -> bool {
    incarnation.timers.clear();
    incarnation.heartbeat = None;
    let mut finished = true;
    if let Some(server) = &incarnation.rpc {
        tracing::info!(actor = %name, "draining: consumption stopped, waiting for in-flight handlers");
        if !server.drain(deadline).await {
            tracing::error!(actor = %name, "graceful_shutdown_timeout passed with handlers still running");
            finished = false;
        }
    }
    let cleanup = incarnation.cell.call(CellCall::Hook(Hook::CleanupHost));
    let cleaned = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, cleanup).await.ok(),
        None => Some(cleanup.await),
    };
    match cleaned {
        Some(Ok(_)) => {}
        Some(Err(failure)) => tracing::warn!(actor = %name, %failure, "cleanup_host failed"),
        None => tracing::warn!(actor = %name, "cleanup_host did not finish before the deadline"),
    }
    incarnation.cell.stop();
    tracing::info!(actor = %name, "actor stopped");
    finished
}

impl Supervisor {
    fn find(&self, name: &str) -> Result<usize, ControlError> {
        self.children
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| ControlError::NoSuchActor {
                name: name.to_owned(),
                known: self
                    .children
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Drain the running incarnation of `id` in the background, then restart or keep it
    /// stopped.
    fn retire_then(&mut self, id: usize, command: ActorCommand, ctx: &mut Context<Self>) {
        let deadline = self
            .env
            .config()
            .default
            .graceful_shutdown_timeout
            .map(|t| Instant::now() + t);
        let Some(child) = self.children.get_mut(id) else {
            return;
        };
        let Some(incarnation) = child.running.take() else {
            return;
        };
        child.state = ActorState::Stopping;
        let incarnation_number = child.incarnation;
        let name = child.name.clone();
        // Tracked, so a shutdown that starts meanwhile waits for this drain too.
        let drained = self
            .retiring
            .track_future(retire(name, incarnation, deadline));
        let me = ctx.address();
        actix::spawn(async move {
            drained.await;
            me.do_send(Retired {
                child: id,
                incarnation: incarnation_number,
                command,
            });
        });
    }

    fn control_actor(
        &mut self,
        id: usize,
        command: ActorCommand,
        ctx: &mut Context<Self>,
    ) -> Result<(), ControlError> {
        if self.shutting_down {
            return Err(ControlError::Conflict(
                "the process is shutting down".to_owned(),
            ));
        }
        let child = &mut self.children[id];
        let (name, state) = (child.name.clone(), child.state);
        let busy = || {
            ControlError::Conflict(format!(
                "actor {name} is {state}; try again when it has settled"
            ))
        };
        match (command, state) {
            (_, ActorState::Starting | ActorState::Stopping) => return Err(busy()),
            (ActorCommand::Restart, ActorState::Running) => {
                child.restarts += 1;
                self.retire_then(id, ActorCommand::Restart, ctx);
            }
            (ActorCommand::Restart | ActorCommand::Start, _) => {
                if command == ActorCommand::Start && state == ActorState::Running {
                    return Err(ControlError::Conflict(format!(
                        "actor {name} is already running"
                    )));
                }
                if command == ActorCommand::Restart {
                    child.restarts += 1;
                }
                // An operator's start is a fresh beginning: earlier failures are forgiven.
                child.history = RestartHistory::default();
                self.start_child(id, ctx);
            }
            (ActorCommand::Stop, ActorState::Running) => {
                self.retire_then(id, ActorCommand::Stop, ctx)
            }
            (ActorCommand::Stop, ActorState::Restarting | ActorState::Isolated) => {
                // No incarnation runs; a pending restart sees the state and does nothing.
                child.state = ActorState::Stopped;
                child.operator_stopped = true;
                child.backoff = None;
            }
            (ActorCommand::Stop, ActorState::Stopped) => {
                return Err(ControlError::Conflict(format!(
                    "actor {name} is already stopped"
                )))
            }
        }
        tracing::info!(actor = %name, ?command, "operator command applied");
        Ok(())
    }

    fn control_task(&mut self, msg: &ControlTask) -> Result<PeriodicTaskSnapshot, ControlError> {
        if self.shutting_down {
            return Err(ControlError::Conflict(
                "the process is shutting down".to_owned(),
            ));
        }
        let id = self.find(&msg.actor)?;
        let config = self.env.config();
        let child = &mut self.children[id];
        let tasks = &child.factory.periodic_tasks;
        let index = tasks
            .iter()
            .position(|t| t.name == msg.task)
            .ok_or_else(|| ControlError::NoSuchTask {
                actor: child.name.clone(),
                task: msg.task.clone(),
                known: tasks.iter().map(|t| t.name).collect::<Vec<_>>().join(", "),
            })?;
        let configured = tasks[index].spacing.resolve(&config).ok().flatten();
        let timer = child.running.as_ref().and_then(|r| r.timers.get(index));
        let controls = &mut child.task_controls[index];
        match msg.command {
            TaskCommand::Pause => controls.paused = true,
            TaskCommand::Resume => controls.paused = false,
            TaskCommand::Spacing(spacing) => controls.spacing = spacing,
            TaskCommand::RunNow => match timer {
                Some(timer) => timer.run_now(),
                None if child.state == ActorState::Running => {
                    return Err(ControlError::Conflict(format!(
                        "periodic tasks of actor {} do not run here (periodic_enable = false)",
                        child.name
                    )))
                }
                None => {
                    return Err(ControlError::Conflict(format!(
                        "actor {} is {}; its tasks run only while it runs",
                        child.name, child.state
                    )))
                }
            },
        }
        let in_force = controls.effective(configured);
        child.periodic[index].set_controls(controls, timer.map(|_| in_force));
        if let Some(timer) = timer {
            timer.respace(in_force);
        }
        tracing::info!(actor = %child.name, task = %msg.task, command = ?msg.command, "operator command applied to a periodic task");
        Ok(child.periodic[index].snapshot())
    }
}

/// An operator's restart or stop finished draining the old incarnation.
#[derive(Message, Debug)]
#[rtype(result = "()")]
struct Retired {
    child: usize,
    incarnation: u64,
    command: ActorCommand,
}

impl Handler<Retired> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: Retired, ctx: &mut Context<Self>) {
        let Some(child) = self.children.get_mut(msg.child) else {
            return;
        };
        if self.shutting_down
            || child.incarnation != msg.incarnation
            || child.state != ActorState::Stopping
        {
            return;
        }
        match msg.command {
            ActorCommand::Restart => self.start_child(msg.child, ctx),
            ActorCommand::Stop | ActorCommand::Start => {
                child.state = ActorState::Stopped;
                child.operator_stopped = true;
            }
        }
    }
}

impl Handler<ControlActor> for Supervisor {
    type Result = Result<ActorSnapshot, ControlError>;

    fn handle(&mut self, msg: ControlActor, ctx: &mut Context<Self>) -> Self::Result {
        let id = self.find(&msg.actor)?;
        self.control_actor(id, msg.command, ctx)?;
        let snapshot = self.snapshot();
        snapshot
            .actors
            .into_iter()
            .nth(id)
            .ok_or_else(|| ControlError::Conflict(format!("actor {} vanished", msg.actor)))
    }
}

impl Handler<ControlTask> for Supervisor {
    type Result = Result<PeriodicTaskSnapshot, ControlError>;

    fn handle(&mut self, msg: ControlTask, _: &mut Context<Self>) -> Self::Result {
        self.control_task(&msg)
    }
}

impl Handler<Reload> for Supervisor {
    type Result = Vec<String>;

    fn handle(&mut self, Reload(config): Reload, _: &mut Context<Self>) -> Vec<String> {
        self.env.set_config(Arc::clone(&config));
        let mut changes = Vec::new();
        for child in &self.children {
            let Some(running) = &child.running else {
                continue;
            };
            for (index, task) in child.factory.periodic_tasks.iter().enumerate() {
                let Some(timer) = running.timers.get(index) else {
                    continue;
                };
                match task.spacing.resolve(&config) {
                    Ok(configured) => {
                        // An operator's pause or spacing outlives a reload.
                        let spacing = child.task_controls[index].effective(configured);
                        let before = child.periodic[index].snapshot().spacing_secs;
                        let after = spacing.map(|d| d.as_secs_f64());
                        if before != after {
                            changes.push(format!(
                                "{} {}: spacing {:?}s -> {:?}s",
                                child.name, task.name, before, after
                            ));
                        }
                        timer.respace(spacing);
                    }
                    Err(error) => {
                        tracing::error!(actor = %child.name, task = task.name, %error, "keeping the old spacing")
                    }
                }
            }
            let reset = running.cell.call(CellCall::Hook(Hook::Reset));
            let name = child.name.clone();
            actix::spawn(async move {
                if let Err(failure) = reset.await {
                    tracing::warn!(actor = %name, %failure, "reset failed");
                }
            });
        }
        changes
    }
}

impl Handler<GetSnapshot> for Supervisor {
    type Result = MessageResult<GetSnapshot>;

    fn handle(&mut self, _: GetSnapshot, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.snapshot())
    }
}
