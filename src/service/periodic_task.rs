//! Periodic task declarations (oslo.service: `periodic_task.py` `@periodic_task`).

use std::time::Duration;

use super::endpoint::MethodFn;
use crate::config::Config;

/// oslo: a spacing of 0 means `DEFAULT_INTERVAL`, 60 s.
pub(crate) const DEFAULT_SPACING: Duration = Duration::from_secs(60);

/// Where a task's spacing comes from. Read again on SIGHUP, so an option-driven spacing
/// is mutable.
#[derive(Debug, Clone, PartialEq)]
pub enum Spacing {
    /// A fixed number of seconds (0 ⇒ 60 s, negative ⇒ disabled).
    Seconds(f64),
    /// A configuration option holding seconds, and the value to use when it is unset.
    Option {
        /// Option group, e.g. `DEFAULT`.
        group: &'static str,
        /// Option name, e.g. `sync_power_state_interval`.
        name: &'static str,
        /// Seconds when the option is unset.
        default: f64,
    },
}

impl Spacing {
    /// Seconds as configured (before the 0 / negative rules).
    pub fn seconds(&self, config: &Config) -> Result<f64, String> {
        match self {
            Self::Seconds(secs) => Ok(*secs),
            Self::Option {
                group,
                name,
                default,
            } => match config.raw(group, name) {
                None => Ok(*default),
                Some(text) => text.trim().parse::<f64>().map_err(|_| {
                    format!(
                        "periodic spacing [{group}] {name} = {text:?} is not a number of seconds"
                    )
                }),
            },
        }
    }

    /// The interval between runs; `None` when the task is disabled.
    pub fn resolve(&self, config: &Config) -> Result<Option<Duration>, String> {
        let secs = self.seconds(config)?;
        Ok(if secs < 0.0 || !secs.is_finite() {
            None
        } else if secs == 0.0 {
            Some(DEFAULT_SPACING)
        } else {
            Some(Duration::from_secs_f64(secs))
        })
    }
}

/// One periodic task of a manager.
pub struct PeriodicTask<S> {
    /// Name shown in reports.
    pub name: &'static str,
    /// How often it runs.
    pub spacing: Spacing,
    /// Run at the first tick instead of one spacing later.
    pub run_immediately: bool,
    /// The task body; gets an empty [`super::Call`] named after the task.
    pub run: MethodFn<S>,
}

impl<S> std::fmt::Debug for PeriodicTask<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeriodicTask")
            .field("name", &self.name)
            .field("spacing", &self.spacing)
            .field("run_immediately", &self.run_immediately)
            .finish()
    }
}

impl<S> PeriodicTask<S> {
    /// A task `name` running `run` every `spacing`.
    pub fn new(name: &'static str, spacing: Spacing, run: MethodFn<S>) -> Self {
        Self {
            name,
            spacing,
            run_immediately: false,
            run,
        }
    }

    /// Make the first run happen at the first tick.
    pub fn run_immediately(mut self) -> Self {
        self.run_immediately = true;
        self
    }
}

/// What the supervisor needs to know of a task to own its timer.
#[derive(Debug, Clone)]
pub(crate) struct PeriodicTaskInfo {
    pub(crate) name: &'static str,
    pub(crate) spacing: Spacing,
    pub(crate) run_immediately: bool,
}

impl<S> From<&PeriodicTask<S>> for PeriodicTaskInfo {
    fn from(task: &PeriodicTask<S>) -> Self {
        Self {
            name: task.name,
            spacing: task.spacing.clone(),
            run_immediately: task.run_immediately,
        }
    }
}
