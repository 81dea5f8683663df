//! Stopping the graceful way: a whole process on [`Shutdown`] (in reverse start order, within
//! `graceful_shutdown_timeout`), and one incarnation at a time ([`retire`]), which an
//! operator's restart or stop uses too.

use actix::prelude::*;
use tokio::time::Instant;

use super::child::Incarnation;
use super::messages::{Shutdown, ShutdownReport};
use super::supervisor_actor::Supervisor;
use crate::service::{CellCall, Hook};
use crate::snapshot::ActorState;

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseActFuture<Self, ShutdownReport>;

    fn handle(&mut self, msg: Shutdown, _: &mut Context<Self>) -> Self::Result {
        self.shutting_down = true;
        let deadline = msg.timeout.map(|t| Instant::now() + t);
        let mut stopping = Vec::new();
        for (id, child) in self.children.iter_mut().enumerate().rev() {
            match child.running.take() {
                Some(incarnation) => {
                    self.pool.release(incarnation.thread);
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
            // Every actor drained: the runtime threads end with them.
            act.pool.stop_and_join();
            report
        }))
    }
}

/// Stop an incarnation the graceful way: timers and heartbeat, then consumption (messages
/// not yet taken stay in the broker), then in-flight handlers until `deadline`, then
/// `cleanup_host`, then the cell. False when handlers were still running at the deadline.
pub(super) async fn retire(
    name: String,
    mut incarnation: Incarnation,
    deadline: Option<Instant>,
) -> bool {
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
