//! Process signals (oslo.service's handlers, without the "only when daemonized" SIGHUP
//! quirk): SIGTERM / SIGINT drain and exit, a second one exits at once; SIGHUP re-reads the
//! configuration files and applies mutable options; SIGUSR2 writes the state report.

use std::sync::Arc;

use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::config::{Config, ConfigError, ConfigSources};
use crate::logging::LogControl;
use crate::node::Node;

/// What SIGHUP needs to re-read and re-apply the configuration.
#[derive(Clone)]
pub struct ReloadContext {
    /// The sources the configuration was first read from.
    pub sources: ConfigSources,
    /// The log level switch.
    pub log: Option<LogControl>,
    /// The application's own checks of a re-read configuration (its cross-option rules and
    /// notes), as at start: `Err` keeps the running configuration; `Ok` lists warnings.
    pub check: Option<ConfigCheck>,
}

impl std::fmt::Debug for ReloadContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadContext")
            .field("sources", &self.sources)
            .field("log", &self.log)
            .field("check", &self.check.is_some())
            .finish()
    }
}

/// An application's checks of a freshly loaded configuration (see [`ReloadContext::check`]).
pub type ConfigCheck =
    std::sync::Arc<dyn Fn(&mut Config) -> Result<Vec<String>, ConfigError> + Send + Sync>;

/// The process's signal handlers. Installing them early means a signal that arrives while
/// the process is still starting (opening the database, waiting for a conductor) is held
/// and served, instead of killing the process with the default action.
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    interrupt: Signal,
    hangup: Signal,
    report: Signal,
}

impl Signals {
    /// Install handlers for SIGTERM, SIGINT, SIGHUP and SIGUSR2.
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
            report: signal(SignalKind::user_defined2())?,
        })
    }
}

/// Serve signals until a graceful shutdown finished; returns the exit code.
pub async fn run_with_signals(node: Node, reload: ReloadContext) -> std::io::Result<i32> {
    Ok(serve_signals(node, reload, Signals::install()?).await)
}

/// [`run_with_signals`] with handlers installed earlier.
pub async fn serve_signals(node: Node, reload: ReloadContext, signals: Signals) -> i32 {
    let Signals {
        mut term,
        mut interrupt,
        mut hangup,
        mut report,
    } = signals;
    let mut current = node.env().config();
    let escalation = node.env().escalation.clone();
    let drain = node.env().drain.clone();
    let escalated = loop {
        tokio::select! {
            _ = term.recv() => { tracing::info!("SIGTERM: graceful shutdown"); break false }
            _ = interrupt.recv() => { tracing::info!("SIGINT: graceful shutdown"); break false }
            _ = escalation.cancelled() => break true,
            _ = drain.cancelled() => { tracing::info!("drain requested by an operator: graceful shutdown"); break false }
            _ = hangup.recv() => current = reload_config(&node, &reload, current).await,
            _ = report.recv() => write_report(&node).await,
        }
    };
    crate::systemd::stopping();
    let shutdown = node.shutdown();
    tokio::pin!(shutdown);
    let outcome = tokio::select! {
        outcome = &mut shutdown => outcome,
        _ = term.recv() => second_signal(),
        _ = interrupt.recv() => second_signal(),
    };
    match outcome {
        Ok(report) if report.unfinished.is_empty() && !escalated => {
            tracing::info!("all actors stopped; exiting");
            0
        }
        Ok(report) => {
            if !report.unfinished.is_empty() {
                tracing::error!(unfinished = ?report.unfinished, "exiting with handlers still running");
            }
            1
        }
        Err(error) => {
            tracing::error!(%error, "shutdown failed");
            1
        }
    }
}

/// SIGUSR2: the state report goes to stderr, as oslo.reports writes it.
async fn write_report(node: &Node) {
    tracing::debug!("SIGUSR2: writing the state report to stderr");
    match node.report().await {
        Ok(text) => eprintln!("{text}"),
        Err(error) => tracing::error!(%error, "cannot build the state report"),
    }
}

fn second_signal() -> ! {
    tracing::warn!("second signal during shutdown: exiting immediately");
    eprintln!("novactor: second signal during shutdown, exiting immediately");
    std::process::exit(1)
}

/// SIGHUP: re-read, log the diff, apply. A configuration that no longer parses is
/// reported and the running one kept.
async fn reload_config(node: &Node, reload: &ReloadContext, current: Arc<Config>) -> Arc<Config> {
    crate::systemd::reloading();
    let (config, applied) = apply_reload(node, reload, current).await;
    crate::systemd::reloaded(applied);
    config
}

/// The configuration now in force, and whether the re-read one was applied.
async fn apply_reload(
    node: &Node,
    reload: &ReloadContext,
    current: Arc<Config>,
) -> (Arc<Config>, bool) {
    let loaded = Config::load(&reload.sources, current.registry()).and_then(|mut loaded| {
        if let Some(check) = &reload.check {
            let warnings = check(&mut loaded.config)?;
            loaded.warnings.extend(warnings);
        }
        Ok(loaded)
    });
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!(%error, "SIGHUP: configuration not reloaded; keeping the running one");
            return (current, false);
        }
    };
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let new = loaded.config;
    let mutable = current.mutable_changes(&new);
    for change in &mutable {
        tracing::info!(option = %format!("[{}] {}", change.group, change.name),
            old = change.old.as_deref().unwrap_or("<unset>"), new = change.new.as_deref().unwrap_or("<unset>"),
            "SIGHUP: option changed");
    }
    for change in current.immutable_changes(&new) {
        tracing::warn!(option = %format!("[{}] {}", change.group, change.name),
            old = change.old.as_deref().unwrap_or("<unset>"), new = change.new.as_deref().unwrap_or("<unset>"),
            "SIGHUP: option changed but only takes effect after a restart");
    }
    if let Some(log) = &reload.log {
        log.set_debug(new.default.debug);
    }
    let applied = match node.reload(new).await {
        Ok(respaced) => {
            for change in respaced {
                tracing::info!("SIGHUP: {change}");
            }
            tracing::info!(changed = mutable.len(), "SIGHUP: configuration reloaded");
            true
        }
        Err(error) => {
            tracing::error!(%error, "SIGHUP: could not apply the configuration");
            false
        }
    };
    (node.env().config(), applied)
}
