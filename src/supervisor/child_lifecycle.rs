//! One incarnation's life: launch (a fresh cell, then the start phases), ready (RPC server,
//! heartbeat, periodic timers), failure (a panic, an exit, a failed start) and the restart
//! policy's answer — after a backoff, or isolation past the restart intensity.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use rand::Rng;
use tokio::time::Instant;

use super::child::Incarnation;
use super::heartbeat::{Heartbeat, Reporter};
use super::messages::{StartAll, StartChild};
use super::periodic_timer::{PeriodicTimer, TimerPlan};
use super::restart_policy::RestartDecision;
use super::start_phases::{StartError, StartPlan};
use super::stop_reason::{AfterStop, StopReason};
use super::supervisor_actor::Supervisor;
use crate::rpc::RpcServer;
use crate::service::{ChildExited, ChildPanicked, ExitHandle, PanicSink, ServiceContext};
use crate::snapshot::ActorState;

impl Supervisor {
    /// Spawn a new incarnation's cell and return the future running its start phases.
    fn launch(
        &mut self,
        id: usize,
        ctx: &mut Context<Self>,
    ) -> Option<BoxFuture<'static, Result<Option<RpcServer>, StartError>>> {
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
        let placement = self.pool.place();
        let cell = (child.factory.spawn)(context, panics, &placement.arbiter);
        child.running = Some(Incarnation {
            cell: Arc::clone(&cell),
            thread: placement.thread,
            servicegroup,
            rpc: None,
            timers: Vec::new(),
            heartbeat: None,
        });
        let plan = StartPlan {
            cell,
            spec,
            config,
            transport: Arc::clone(&env.transport),
            endpoints: child.factory.endpoints.clone(),
            limiter: Arc::clone(&child.limiter),
            metrics: env.metrics.handler(&child.name),
            name: child.name.clone(),
        };
        // The phases run on the incarnation's thread, so its RPC server's consumers — which
        // decode each message, dispatch it and encode and publish the reply — run there
        // too: beside the actor, off the main thread, in parallel with other actors'.
        Some(plan.run_on(placement.arbiter).boxed())
    }

    /// The start phases of incarnation `incarnation` of `id` ended: serve, or fail.
    fn finish_start(
        &mut self,
        id: usize,
        incarnation: u64,
        outcome: Result<Option<RpcServer>, StartError>,
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
        // A panic during the start wins over a start that went through; a failed phase
        // (which the panic may have caused) wins over the panic.
        let outcome = match (outcome, child.failed_while_starting.take()) {
            (Ok(Some(server)), Some(panicked)) => {
                server.stop_consuming();
                Err(panicked)
            }
            (Ok(None), Some(panicked)) => Err(panicked),
            (outcome, _) => outcome.map_err(StopReason::from),
        };
        let server = match outcome {
            Ok(server) => server,
            Err(reason) => {
                tracing::error!(actor = %child.name, incarnation, error = %reason, "actor failed to start");
                self.on_failure(id, reason, ctx);
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

    /// End the current incarnation for `reason` and apply the restart policy.
    fn on_failure(&mut self, id: usize, reason: StopReason, ctx: &mut Context<Self>) {
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
            self.pool.release(incarnation.thread);
        }
        let restart_type = child.factory.spec().restart;
        let after = reason.after_stop(restart_type);
        let error = reason.to_string();
        if reason.is_failure_record() {
            child.last_error = Some(reason);
        }
        match after {
            AfterStop::Restart => {}
            AfterStop::StayStopped => {
                child.state = ActorState::Stopped;
                tracing::warn!(actor = %child.name, ?restart_type, "actor ended and is not restarted");
                return;
            }
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

    /// Launch a new incarnation of `id` in the background.
    pub(super) fn start_child(&mut self, id: usize, ctx: &mut Context<Self>) {
        if let Some(phases) = self.launch(id, ctx) {
            let incarnation = self.children[id].incarnation;
            ctx.spawn(phases.into_actor(self).map(move |outcome, act, ctx| {
                act.finish_start(id, incarnation, outcome, ctx);
            }));
        }
    }
}

/// The most actors of one service whose start phases run at once: 1,000 fake computes
/// start in 1.9 s instead of 2.6 s one by one, for 1 MiB more at their peak (64: no faster,
/// 5 MiB more; docs/BENCHMARKS.md).
const START_TOGETHER: usize = 16;

/// The children in start order, cut into services: each run of consecutive children of
/// one binary (a definition's instances, a node's fake computes) is one service.
fn services_in_order(children: &[super::child::Child]) -> Vec<Vec<usize>> {
    let binary = |id: usize| children[id].factory.spec().binary.as_str();
    let ids: Vec<usize> = (0..children.len()).collect();
    ids.chunk_by(|&a, &b| binary(a) == binary(b))
        .map(<[usize]>::to_vec)
        .collect()
}

impl Handler<StartAll> for Supervisor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: StartAll, ctx: &mut Context<Self>) -> Self::Result {
        let me = ctx.address();
        let services = services_in_order(&self.children);
        Box::pin(async move {
            for actors in services {
                // Ordered between services: the next one starts once every actor of this
                // one ended its start phases. Within a service, up to START_TOGETHER at a
                // time, as Nova's workers and separate compute processes start.
                futures::stream::iter(actors)
                    .for_each_concurrent(START_TOGETHER, |id| {
                        let me = me.clone();
                        async move {
                            let _ = me.send(StartChild(id)).await;
                        }
                    })
                    .await;
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
        let reason = StopReason::Panicked {
            during: msg.during,
            message: msg.message,
        };
        tracing::error!(actor = %child.name, incarnation = msg.incarnation, error = %reason, "actor panicked");
        match child.state {
            // The start phases will see the dead cell and fail; finish_start decides.
            ActorState::Starting => child.failed_while_starting = Some(reason),
            ActorState::Running => self.on_failure(msg.child, reason, ctx),
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
        self.on_failure(msg.child, StopReason::from(msg.reason), ctx);
    }
}
