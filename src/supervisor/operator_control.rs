//! Operators' commands (the dashboard's operations): restart, stop or start an actor
//! instance, and pause, resume, run now or re-space one of its periodic tasks. A restart or
//! stop drains the running incarnation in the background first; an operator's restart is
//! not counted against the restart intensity, and an operator's start forgives earlier
//! failures.

use std::time::Duration;

use actix::prelude::*;
use tokio::time::Instant;

use super::drain::retire;
use super::restart_policy::RestartHistory;
use super::stop_reason::{AfterStop, StopReason};
use super::supervisor_actor::Supervisor;
use crate::snapshot::{ActorSnapshot, ActorState, PeriodicTaskSnapshot};

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
        self.pool.release(incarnation.thread);
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
                // The restart table's operator column (always "stays stopped").
                match StopReason::Operator.after_stop(child.factory.spec().restart) {
                    AfterStop::StayStopped => {
                        child.state = ActorState::Stopped;
                        child.operator_stopped = true;
                    }
                    AfterStop::Restart => self.start_child(msg.child, ctx),
                }
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
