//! One timer per periodic task, owned by the supervisor (oslo.service runs all due tasks
//! in one loop; here a slow task never delays another). A tick that finds the previous
//! run unfinished is skipped and counted; a failure is logged and counted.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use prometheus::Histogram;
use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::service::{CellCall, CellHandle};
use crate::snapshot::PeriodicTaskSnapshot;

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

    /// Record the operator's controls, shown with the counters, and the spacing now in
    /// force when a timer runs (`None`: no timer, leave it to the next start).
    pub(crate) fn set_controls(&self, controls: &TaskControls, in_force: Option<Option<Duration>>) {
        self.update(|s| {
            s.paused = controls.paused;
            s.spacing_overridden = controls.spacing.is_some();
            if let Some(spacing) = in_force {
                s.spacing_secs = spacing.map(|d| d.as_secs_f64());
            }
        });
    }
}

/// An operator's controls of one task; they outlive incarnations and SIGHUP.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct TaskControls {
    /// Timer stopped (run-now still works).
    pub(crate) paused: bool,
    /// Spacing set by the operator instead of the configured one.
    pub(crate) spacing: Option<Duration>,
}

impl TaskControls {
    /// The spacing the timer should use, given the configured one.
    pub(crate) fn effective(&self, configured: Option<Duration>) -> Option<Duration> {
        if self.paused {
            None
        } else {
            self.spacing.or(configured)
        }
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
    run_now: Arc<Notify>,
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

    /// Run the task once now (unless a run is in progress), then keep the spacing.
    pub(crate) fn run_now(&self) {
        self.run_now.notify_one();
    }

    pub(crate) fn start(
        actor: String,
        status: Arc<PeriodicStatus>,
        cell: Arc<dyn CellHandle>,
        index: usize,
        spacing: Option<Duration>,
        plan: TimerPlan,
        duration: Histogram,
    ) -> Self {
        let (sender, receiver) = watch::channel(spacing);
        let run_now = Arc::new(Notify::new());
        let timer = TimerTask {
            actor,
            status,
            cell,
            index,
            duration,
        };
        let task = tokio::spawn(run_timer(timer, receiver, Arc::clone(&run_now), plan));
        Self {
            spacing: sender,
            run_now,
            task,
        }
    }
}

/// What a timer runs and where it records the outcome.
struct TimerTask {
    actor: String,
    status: Arc<PeriodicStatus>,
    cell: Arc<dyn CellHandle>,
    index: usize,
    duration: Histogram,
}

impl TimerTask {
    /// Start one run in the background; false when the previous one still runs.
    fn fire(&self) -> bool {
        let already_running = self.status.update(|s| {
            if s.running {
                s.skipped += 1;
            }
            std::mem::replace(&mut s.running, true)
        });
        if already_running {
            tracing::warn!(actor = %self.actor, task = %self.status.snapshot().name,
                "periodic task still running from the last tick; skipping this one");
            return false;
        }
        let run = self.cell.call(CellCall::Periodic(self.index));
        let status = Arc::clone(&self.status);
        let actor = self.actor.clone();
        let duration = self.duration.clone();
        tokio::spawn(async move {
            let started_at = Utc::now();
            let started = Instant::now();
            let outcome = run.await;
            let elapsed = started.elapsed();
            duration.observe(elapsed.as_secs_f64());
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
        true
    }
}

async fn run_timer(
    timer: TimerTask,
    mut spacing_changes: watch::Receiver<Option<Duration>>,
    run_now: Arc<Notify>,
    plan: TimerPlan,
) {
    let status = &timer.status;
    let mut first = true;
    loop {
        let spacing = *spacing_changes.borrow_and_update();
        status.update(|s| s.spacing_secs = spacing.map(|d| d.as_secs_f64()));
        let delay = match spacing {
            None => None,
            Some(spacing) if first => Some(
                plan.initial_delay
                    + if plan.run_immediately {
                        Duration::ZERO
                    } else {
                        spacing
                    },
            ),
            Some(spacing) => {
                let extra = rand::rng().random_range(0.0..=plan.jitter.clamp(0.0, 1.0));
                Some(spacing.mul_f64(1.0 + extra))
            }
        };
        status.update(|s| {
            s.next_run_at = delay
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| Utc::now() + d);
        });
        // Disabled or paused: wait for a new spacing or a run-now, forever.
        let sleep = async {
            match delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            changed = spacing_changes.changed() => {
                if changed.is_err() {
                    return;
                }
                first = false;
                continue;
            }
            _ = run_now.notified() => {
                tracing::info!(actor = %timer.actor, task = %status.snapshot().name, "periodic task run on request");
            }
        }
        first = false;
        timer.fire();
    }
}
