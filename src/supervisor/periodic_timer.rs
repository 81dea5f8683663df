//! One timer per periodic task, owned by the supervisor (oslo.service runs all due tasks
//! in one loop; here a slow task never delays another). A tick that finds the previous
//! run unfinished is skipped and counted; a failure is logged and counted.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::snapshot::PeriodicTaskSnapshot;
use crate::service::{CellCall, CellHandle};

/// A task's counters, kept across incarnations of its actor.
#[derive(Debug, Default)]
pub(crate) struct PeriodicStatus(Mutex<PeriodicTaskSnapshot>);

impl PeriodicStatus {
    pub(crate) fn new(name: &str) -> Arc<Self> {
        Arc::new(Self(Mutex::new(PeriodicTaskSnapshot {
            name: name.to_owned(),
            ..Default::default()
        })))
    }

    fn update<R>(&self, change: impl FnOnce(&mut PeriodicTaskSnapshot) -> R) -> R {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn snapshot(&self) -> PeriodicTaskSnapshot {
        self.update(|s| s.clone())
    }
}

/// Settings of one timer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimerPlan {
    pub(crate) initial_delay: Duration,
    pub(crate) run_immediately: bool,
    /// Fraction of the spacing added at random to each interval.
    pub(crate) jitter: f64,
}

/// A running timer; aborted when dropped.
pub(crate) struct PeriodicTimer {
    spacing: watch::Sender<Option<Duration>>,
    task: JoinHandle<()>,
}

impl Drop for PeriodicTimer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PeriodicTimer {
    /// Change the interval; the timer re-arms from now.
    pub(crate) fn respace(&self, spacing: Option<Duration>) {
        self.spacing.send_if_modified(|current| {
            let changed = *current != spacing;
            *current = spacing;
            changed
        });
    }

    pub(crate) fn start(
        actor: String,
        status: Arc<PeriodicStatus>,
        cell: Arc<dyn CellHandle>,
        index: usize,
        spacing: Option<Duration>,
        plan: TimerPlan,
    ) -> Self {
        let (sender, receiver) = watch::channel(spacing);
        let task = tokio::spawn(run_timer(actor, status, cell, index, receiver, plan));
        Self {
            spacing: sender,
            task,
        }
    }
}

async fn run_timer(
    actor: String,
    status: Arc<PeriodicStatus>,
    cell: Arc<dyn CellHandle>,
    index: usize,
    mut spacing_changes: watch::Receiver<Option<Duration>>,
    plan: TimerPlan,
) {
    let mut first = true;
    loop {
        let spacing = *spacing_changes.borrow_and_update();
        status.update(|s| s.spacing_secs = spacing.map(|d| d.as_secs_f64()));
        let Some(spacing) = spacing else {
            status.update(|s| s.next_run_at = None);
            if spacing_changes.changed().await.is_err() {
                return;
            }
            continue;
        };
        let delay = if first {
            plan.initial_delay
                + if plan.run_immediately {
                    Duration::ZERO
                } else {
                    spacing
                }
        } else {
            let extra = rand::rng().random_range(0.0..=plan.jitter.clamp(0.0, 1.0));
            spacing.mul_f64(1.0 + extra)
        };
        status.update(|s| {
            s.next_run_at = chrono::Duration::from_std(delay)
                .ok()
                .map(|d| Utc::now() + d);
        });
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            changed = spacing_changes.changed() => {
                if changed.is_err() {
                    return;
                }
                first = false;
                continue;
            }
        }
        first = false;
        let already_running = status.update(|s| {
            if s.running {
                s.skipped += 1;
            }
            std::mem::replace(&mut s.running, true)
        });
        if already_running {
            tracing::warn!(actor = %actor, task = %status.snapshot().name,
                "periodic task still running from the last tick; skipping this one");
            continue;
        }
        let run = cell.call(CellCall::Periodic(index));
        let status = Arc::clone(&status);
        let actor = actor.clone();
        tokio::spawn(async move {
            let started_at = Utc::now();
            let started = Instant::now();
            let outcome = run.await;
            let elapsed = started.elapsed();
            status.update(|s| {
                s.running = false;
                s.runs += 1;
                s.last_run_at = Some(started_at);
                s.last_duration_secs = Some(elapsed.as_secs_f64());
                if let Err(failure) = &outcome {
                    s.failures += 1;
                    s.last_error = Some(failure.failure().message.clone());
                    tracing::warn!(actor = %actor, task = %s.name, failure = %failure.failure().message, "periodic task failed");
                }
            });
        });
    }
}
