//! The `tracing` subscriber (oslo.log's `setup`): stderr or `log_file`, text or JSON,
//! `debug` switchable at run time (SIGHUP). `RUST_LOG`, when set, replaces the level filter.

use std::path::Path;
use std::sync::Arc;

use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// Changes the level filter of the installed subscriber.
#[derive(Clone)]
pub struct LogControl {
    filter: reload::Handle<EnvFilter, Registry>,
}

impl std::fmt::Debug for LogControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogControl").finish_non_exhaustive()
    }
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The log file could not be opened for appending.
    #[error("cannot open log file {path}: {source}")]
    LogFile {
        /// The path from `log_file` / `log_dir`.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A subscriber is already installed.
    #[error("logging was already initialised")]
    AlreadyInitialised,
}

fn level_filter(debug: bool) -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(if debug { "debug" } else { "info" }))
}

impl LogControl {
    /// Switch between `debug` and `info`; a `RUST_LOG` filter, when set, stays in force.
    pub fn set_debug(&self, debug: bool) {
        let filter = level_filter(debug);
        if let Err(error) = self.filter.reload(filter) {
            tracing::warn!(%error, "could not change the log level");
        }
    }
}

/// Install the process-wide subscriber.
pub fn init(debug: bool, log_file: Option<&Path>, json: bool) -> Result<LogControl, LoggingError> {
    let writer = match log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| LoggingError::LogFile {
                    path: path.display().to_string(),
                    source,
                })?;
            BoxMakeWriter::new(Arc::new(file))
        }
        None => BoxMakeWriter::new(std::io::stderr),
    };
    let ansi = log_file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (filter, handle) = reload::Layer::new(level_filter(debug));
    let registry = tracing_subscriber::registry().with(filter);
    let installed = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(writer),
            )
            .try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(ansi)
                    .with_writer(writer),
            )
            .try_init()
    };
    installed.map_err(|_| LoggingError::AlreadyInitialised)?;
    route_panics_to_tracing();
    Ok(LogControl { filter: handle })
}

/// Panics in actors are caught and turned into restarts; their message still deserves one
/// structured log line (not a raw stderr line that breaks JSON logs).
fn route_panics_to_tracing() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(target: "novactor::panic", %location, "panic: {message}");
    }));
}
