//! SIGHUP: apply a re-read configuration — re-space periodic tasks (an operator's pause or
//! spacing outlives it) and run every actor's `reset` hook.

use std::sync::Arc;

use actix::prelude::*;

use super::messages::Reload;
use super::supervisor_actor::Supervisor;
use crate::service::{CellCall, Hook};

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
