//! systemd's notify protocol (`Type=notify` units, `conf/systemd/`): `READY=1` once every
//! actor runs, `RELOADING=1` … `READY=1` around a SIGHUP reload, `STOPPING=1` when the
//! drain begins, and `WATCHDOG=1` every min(`WatchdogSec`/2, 1 s) while the supervisor
//! answers —
//! a stuck supervisor stops the pings and systemd restarts the process. Without
//! `$NOTIFY_SOCKET` every call is a no-op.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sd_notify::NotifyState;

use crate::node::Node;

/// How long the supervisor may take to answer before a watchdog ping is withheld.
const SUPERVISOR_TIMEOUT: Duration = Duration::from_secs(5);

fn send(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(%error, "sd_notify failed");
    }
}

/// `READY=1` was sent: a reload ends with it again; before it, a reload must not
/// announce a process whose actors are still starting.
static ANNOUNCED: AtomicBool = AtomicBool::new(false);

/// The process is ready.
pub fn ready(status: &str) {
    ANNOUNCED.store(true, Ordering::Relaxed);
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A reload finished (`applied`: the new configuration is in force; otherwise the old one
/// still is): ready again if it was ready before, with a status saying which.
pub fn reloaded(applied: bool) {
    let status = if applied {
        "configuration reloaded"
    } else {
        "configuration reload failed; running with the previous configuration (see the log)"
    };
    if ANNOUNCED.load(Ordering::Relaxed) {
        send(&[NotifyState::Ready, NotifyState::Status(status)]);
    }
}

/// A configuration reload begins (systemd ≥ 253 also wants the monotonic time).
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[
            NotifyState::Reloading,
            now,
            NotifyState::Status("reloading configuration"),
        ]),
        Err(_) => send(&[
            NotifyState::Reloading,
            NotifyState::Status("reloading configuration"),
        ]),
    }
}

/// The graceful shutdown begins.
pub fn stopping() {
    send(&[
        NotifyState::Stopping,
        NotifyState::Status("draining: stopping actors"),
    ]);
}

/// Watch `node` for the life of the process: `READY=1` when every actor first runs,
/// `STATUS=` on readiness changes, and `WATCHDOG=1` while the supervisor answers.
/// Not under systemd (no `$NOTIFY_SOCKET`): returns at once, costing nothing.
pub async fn watch(node: Node) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    let watchdog = sd_notify::watchdog_enabled();
    // Quick polls until READY; then only as often as the watchdog (or STATUS) needs.
    let settled = watchdog
        .map(|limit| (limit / 2).min(Duration::from_secs(1)))
        .unwrap_or(Duration::from_secs(1));
    let mut announced_ready = false;
    let mut last_status = String::new();
    loop {
        match tokio::time::timeout(SUPERVISOR_TIMEOUT, node.snapshot()).await {
            Ok(Ok(snapshot)) => {
                let running = snapshot
                    .actors
                    .iter()
                    .filter(|a| a.state == crate::snapshot::ActorState::Running)
                    .count();
                let broker = format!("{:?}", snapshot.transport.state).to_lowercase();
                let status = format!(
                    "{running}/{} actors running; broker {broker}",
                    snapshot.actors.len()
                );
                if !announced_ready && snapshot.all_running() {
                    ready(&status);
                    announced_ready = true;
                    tracing::debug!("sd_notify: READY=1");
                } else if status != last_status && announced_ready {
                    send(&[NotifyState::Status(&status)]);
                }
                last_status = status;
                if watchdog.is_some() && !snapshot.draining {
                    send(&[NotifyState::Watchdog]);
                }
            }
            Ok(Err(_)) => return,
            Err(_) => {
                tracing::error!(
                    "the supervisor did not answer within {}s; withholding the systemd watchdog ping",
                    SUPERVISOR_TIMEOUT.as_secs()
                );
            }
        }
        let period = if announced_ready {
            settled
        } else {
            settled.min(Duration::from_millis(250))
        };
        tokio::time::sleep(period).await;
    }
}
