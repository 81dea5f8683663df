//! `novactor run`: the process that hosts the chosen Nova services. In order: configuration,
//! logging, signal handlers, the dashboard's port, the database (only for services that use
//! it), the service definitions, the supervisor, the dashboard, then signals until the end.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use novactor::config::CliOverride;
use novactor::dashboard::{DashboardParts, DatabaseCheck, ReadinessCheck};
use novactor::node::NodeError;
use novactor::servicegroup::{MemoryServiceGroup, ServiceGroup};
use novactor::signals::{serve_signals, ReloadContext, Signals};
use novactor::Node;

use super::command_config::{sources, EXIT_CONFIG};
use crate::api::exposure::{exposure_text, noauth_beyond_loopback, NoauthOnNetwork};
use crate::cli::{Cli, RunArgs};
use crate::conf::{NovaConfig, FAKE_COMPUTE_DRIVER};
use crate::NovaService;

/// `Err` is a configuration problem (exit 2); everything after start-up is an exit code.
pub(super) fn run(cli: &Cli, run: &RunArgs) -> anyhow::Result<ExitCode> {
    let mut overrides = Vec::new();
    if let Some(host) = &run.host {
        overrides.push(CliOverride::new("DEFAULT", "host", host));
    }
    if run.debug {
        overrides.push(CliOverride::new("DEFAULT", "debug", "true"));
    }
    if let Some(path) = &run.log_file {
        overrides.push(CliOverride::new(
            "DEFAULT",
            "log_file",
            path.display().to_string(),
        ));
    }
    let sources = sources(cli, overrides);
    let loaded = NovaConfig::load(&sources)?;
    let selected = if run.actors.is_empty() {
        NovaService::ALL.to_vec()
    } else {
        run.actors.clone()
    };
    let binary = match selected.as_slice() {
        [one] => one.binary(),
        _ => "novactor",
    };
    let config = loaded.config;
    // Running the fake driver where another was configured would pass for that hypervisor.
    if selected.contains(&NovaService::Compute)
        && config.compute.compute_driver != FAKE_COMPUTE_DRIVER
    {
        anyhow::bail!(
            "[DEFAULT] compute_driver = {}: novactor's compute actors run Nova's fake driver \
             only (compute_driver = {FAKE_COMPUTE_DRIVER}); run the other services here \
             (--actors conductor,scheduler,api) or Nova's own nova-compute for that driver",
            config.compute.compute_driver
        );
    }
    let api_listen = config.api.osapi_compute_listen.clone();
    let api_exposed = selected.contains(&NovaService::Api) && noauth_beyond_loopback(&config.api);
    if api_exposed && !config.api.allow_noauth_on_network {
        anyhow::bail!(
            "{}; listen on a loopback address, or set [api] allow_noauth_on_network = true \
             for a lab network",
            exposure_text(&api_listen)
        );
    }
    let runtime = config.runtime();
    let log = novactor::logging::init(
        runtime.default.debug,
        runtime.default.log_path(binary).as_deref(),
        runtime.default.use_json,
    )
    .context("setting up logging")?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    if api_exposed {
        tracing::warn!(
            "{}; allowed by [api] allow_noauth_on_network",
            exposure_text(&api_listen)
        );
    }
    // Nova's nova-api rule: with no API enabled there is nothing to serve; exit 1.
    if selected.contains(&NovaService::Api)
        && !config.api.enabled_apis.iter().any(|a| a == "osapi_compute")
    {
        tracing::error!(enabled_apis = ?config.api.enabled_apis, "no API to start: enabled_apis lacks osapi_compute");
        eprintln!(
            "novactor: error: no API to start: [DEFAULT] enabled_apis = {} lacks osapi_compute",
            config.api.enabled_apis.join(",")
        );
        return Ok(ExitCode::from(1));
    }
    let reload = ReloadContext {
        sources,
        log: Some(log),
        check: Some(Arc::new(NovaConfig::check)),
    };
    let files = loaded.files;
    let code = actix_rt::System::new().block_on(serve(config, selected, files, reload));
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// Starts everything and serves signals until the process should end; returns its exit code.
async fn serve(
    config: NovaConfig,
    selected: Vec<NovaService>,
    files: Vec<std::path::PathBuf>,
    reload: ReloadContext,
) -> i32 {
    // First: a signal during start-up is then held and served, not fatal. "novactor
    // starting" comes after, so whoever waits for it may signal the process at once (a
    // SIGINT before the handlers are installed would kill it with the default action).
    let signals = match Signals::install() {
        Ok(signals) => signals,
        Err(error) => {
            tracing::error!(%error, "cannot install signal handlers");
            return 1;
        }
    };
    let names: Vec<&str> = selected.iter().map(|s| s.name()).collect();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), actors = ?names, host = %config.host(),
        transport = %novactor::config::mask_url(config.runtime().default.transport_url_or_memory()), files = ?files, "novactor starting");
    // Bound first: a taken port stops the process before it touches anything.
    let dashboard_listener = match novactor::dashboard::bind(&config.runtime().dashboard) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, "cannot start the dashboard");
            eprintln!("novactor: error: {error}");
            return 1;
        }
    };
    // Only services with database access open one: a compute-only process has none.
    let db = if selected.iter().any(|s| s.needs_database()) {
        match crate::db::open(&config).await {
            Ok(db) => Some(db),
            Err(error) => {
                tracing::error!(%error, "cannot use the database");
                eprintln!("novactor: error: {error}");
                return if error.is_unavailable() {
                    1
                } else {
                    i32::from(EXIT_CONFIG)
                };
            }
        }
    } else {
        None
    };
    let definitions = match crate::definitions(&config, &selected, db.as_ref()) {
        Ok(definitions) => definitions,
        Err(error) => {
            tracing::error!(%error, "cannot define the services");
            return 1;
        }
    };
    let mut readiness: Vec<Arc<dyn ReadinessCheck>> = Vec::new();
    let api_listen = &config.api.osapi_compute_listen;
    // Reaching here with noauth2 beyond loopback means [api] allow_noauth_on_network allowed it.
    if selected.contains(&NovaService::Api) && noauth_beyond_loopback(&config.api) {
        readiness.push(Arc::new(NoauthOnNetwork::new(api_listen)));
    }
    let mut records: Option<Arc<dyn ServiceGroup>> = None;
    let servicegroup: Arc<dyn ServiceGroup> = match db {
        Some(db) => {
            readiness.push(Arc::new(DatabaseCheck::new(db.database().clone())));
            let group = Arc::new(crate::db::DbServiceGroup::new(
                db,
                crate::db::SERVICE_VERSION,
            ));
            records = Some(group.clone());
            group
        }
        None => Arc::new(MemoryServiceGroup::default()),
    };
    let dashboard_options = config.runtime().dashboard.clone();
    let names: Vec<&str> = selected.iter().map(|s| s.name()).collect();
    // Signals are served from here on, also while actors are still starting.
    let node = match Node::environment_with(Arc::clone(config.runtime()), servicegroup)
        .map(|env| Node::spawn_with(env, definitions))
    {
        Ok(node) => node,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            eprintln!("novactor: error: {error}");
            // A URL this build cannot serve is a configuration error.
            let permanent = matches!(&error, NodeError::Transport(e) if !e.is_recoverable());
            return if permanent { i32::from(EXIT_CONFIG) } else { 1 };
        }
    };
    let parts = DashboardParts {
        services: records,
        checks: readiness,
        description: format!("novactor {}", names.join(",")),
        service_down_time: config.service.service_down_time,
    };
    let dashboard = match dashboard_listener
        .map(|listener| novactor::dashboard::start(listener, &dashboard_options, &node, parts))
        .transpose()
    {
        Ok(dashboard) => dashboard,
        Err(error) => {
            tracing::error!(%error, "cannot start the dashboard");
            eprintln!("novactor: error: {error}");
            let _ = node.shutdown().await;
            return 1;
        }
    };
    actix_rt::spawn(novactor::systemd::watch(node.clone()));
    let code = serve_signals(node, reload, signals).await;
    if let Some(dashboard) = dashboard {
        dashboard.stop().await;
    }
    code
}
