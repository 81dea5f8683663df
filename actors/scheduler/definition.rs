//! How the supervisor hosts `nova-scheduler`: `[scheduler] workers` incarnations on one
//! database, deciding with one [`SchedulerState`] shared by all of them.

use std::sync::Arc;

use super::manager::SchedulerManager;
use super::scheduler_options::SchedulerOptions;
use super::scheduler_state::SchedulerState;
use crate::conf::NovaConfig;
use crate::db::NovaDb;
use crate::NovaService;
use novactor::service::{define, ServiceDefinition};

/// The scheduler service as the supervisor hosts it, on `db`, with fresh state.
pub fn definition(config: &NovaConfig, db: &NovaDb) -> Arc<ServiceDefinition> {
    definition_with_state(config, db, SchedulerState::new())
}

/// [`definition`] deciding with `state`, which the caller may keep to observe it (tests).
pub fn definition_with_state(
    config: &NovaConfig,
    db: &NovaDb,
    state: SchedulerState,
) -> Arc<ServiceDefinition> {
    let mut spec = NovaService::Scheduler.spec(config);
    spec.instances = config.scheduler.workers;
    let db = db.clone();
    let options = SchedulerOptions::from_config(config);
    define(spec, move |_| {
        SchedulerManager::new(db.clone(), state.clone(), options.clone())
    })
}
