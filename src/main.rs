//! The `novactor` command: clap parsing, then one call into the library per subcommand.
//! Invoked through a link named `nova-compute`, `nova-conductor`, `nova-scheduler` or
//! `nova-api`, it runs that one service (Nova picks its service from the console script).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use novactor::actors::{self, NovaService};
use novactor::config::{CliOverride, Config, ConfigSources};
use novactor::dashboard::{DashboardParts, DatabaseCheck, ReadinessCheck};
use novactor::node::NodeError;
use novactor::signals::{serve_signals, ReloadContext, Signals};
use novactor::Node;

/// Exit code for bad configuration or arguments (clap's usage errors use it too).
const EXIT_CONFIG: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "novactor",
    version,
    propagate_version = true,
    about = "OpenStack Nova's control plane as supervised actors"
)]
struct Cli {
    /// nova.conf to read; repeatable, later files win.
    #[arg(long = "config-file", value_name = "PATH", global = true)]
    config_files: Vec<PathBuf>,
    /// Directory whose `*.conf` files are read in name order after the config files.
    #[arg(long = "config-dir", value_name = "DIR", global = true)]
    config_dirs: Vec<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Host the chosen Nova services in this process until SIGTERM/SIGINT.
    Run(RunArgs),
    /// Send one RPC, as an oslo.messaging client would: prints a call's JSON result.
    /// Exit 0 ok, 1 remote failure, 2 MessagingTimeout, 64 usage error, 69 broker unreachable.
    Rpc {
        #[command(subcommand)]
        kind: RpcKind,
    },
    /// Database schema (nova-manage db).
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// List services and change their state (openstack compute service list/set).
    Service {
        #[command(subcommand)]
        action: ServiceCommand,
    },
    /// Check the deployment like `nova-status upgrade check`: exit 0 ok, 1 warning, 2 failure.
    Status,
    /// Inspect configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Services to host, comma-separated (default: all four).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    actors: Vec<NovaService>,
    /// Host name the services run as ([DEFAULT] host).
    #[arg(long)]
    host: Option<String>,
    /// Log at debug level ([DEFAULT] debug).
    #[arg(long)]
    debug: bool,
    /// Log to this file instead of stderr ([DEFAULT] log_file).
    #[arg(long, value_name = "PATH")]
    log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum DbAction {
    /// Apply the schema migrations the database lacks (idempotent).
    Sync,
}

#[derive(Debug, Subcommand)]
enum ServiceCommand {
    /// Id, Binary, Host, Zone, Status, State, Updated At of every service.
    List {
        /// Only this host.
        #[arg(long)]
        host: Option<String>,
        /// Only this binary, e.g. nova-compute.
        #[arg(long)]
        binary: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: actors::manage::Format,
    },
    /// Stop scheduling to a service.
    Disable {
        /// Host.
        host: String,
        /// Binary, e.g. nova-compute.
        binary: String,
        /// Why (shown in the list).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Resume scheduling to a service.
    Enable {
        /// Host.
        host: String,
        /// Binary.
        binary: String,
    },
    /// Mark a service down whatever its heartbeats say (--up clears it).
    ForceDown {
        /// Host.
        host: String,
        /// Binary.
        binary: String,
        /// Clear a forced down instead.
        #[arg(long)]
        up: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RpcKind {
    /// Send and wait for the result.
    #[command(disable_version_flag = true)]
    Call(RpcArgs),
    /// Send without waiting.
    #[command(disable_version_flag = true)]
    Cast(RpcArgs),
}

#[derive(Debug, clap::Args)]
struct RpcArgs {
    /// Topic, e.g. compute.
    #[arg(long)]
    topic: String,
    /// Server (host) within the topic.
    #[arg(long)]
    server: Option<String>,
    /// Every server of the topic (casts only).
    #[arg(long)]
    fanout: bool,
    /// Exchange (default: control_exchange).
    #[arg(long)]
    exchange: Option<String>,
    /// Endpoint namespace, e.g. baseapi.
    #[arg(long)]
    namespace: Option<String>,
    /// API version, e.g. 1.1.
    #[arg(long)]
    version: Option<String>,
    /// Seconds to wait for the reply (default: rpc_response_timeout).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Request context as a JSON object (sent as _context_* keys).
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// Method name.
    #[arg(long)]
    method: String,
    /// Keyword arguments as a JSON object.
    #[arg(long, value_name = "JSON")]
    args: Option<String>,
    /// Transport URL (default: transport_url).
    #[arg(long)]
    url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Print the effective configuration, secrets masked, with where each value came from.
    Show,
    /// Print a commented nova.conf documenting every option novactor reads.
    Sample,
}

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let program = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(service) = NovaService::from_program_name(&program) {
        let rest = args.split_off(1);
        args = vec![
            "novactor".into(),
            "run".into(),
            "--actors".into(),
            service.name().into(),
        ];
        args.extend(rest);
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            // `rpc` follows sysexits: a usage error is 64; elsewhere clap's 2 stands.
            let rpc = args.get(1).is_some_and(|a| a == "rpc");
            if rpc && error.use_stderr() {
                let _ = error.print();
                return ExitCode::from(novactor::rpc_cli::EXIT_USAGE as u8);
            }
            error.exit();
        }
    };
    match execute(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("novactor: error: {error:#}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn sources(cli: &Cli, overrides: Vec<CliOverride>) -> ConfigSources {
    ConfigSources {
        config_files: cli.config_files.clone(),
        config_dirs: cli.config_dirs.clone(),
        cli: overrides,
        ..ConfigSources::default()
    }
    .with_process_env()
}

/// `Err` is a configuration or argument problem (exit 2); runtime outcomes are exit codes.
fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Config {
            action: ConfigAction::Sample,
        } => {
            print!("{}", novactor::config::sample_config());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            action: ConfigAction::Show,
        } => {
            let loaded = Config::load(&sources(&cli, Vec::new()))?;
            for warning in &loaded.warnings {
                eprintln!("novactor: warning: {warning}");
            }
            print!("{}", loaded.config.show());
            Ok(ExitCode::SUCCESS)
        }
        Command::Db { .. } | Command::Service { .. } | Command::Status => {
            let loaded = Config::load(&sources(&cli, Vec::new()))?;
            for warning in &loaded.warnings {
                eprintln!("novactor: warning: {warning}");
            }
            let config = loaded.config;
            let outcome = actix_rt::System::new().block_on(async move {
                use actors::manage::{self, ServiceAction};
                match &cli.command {
                    Command::Db {
                        action: DbAction::Sync,
                    } => manage::db_sync(&config).await,
                    Command::Service { action } => match action {
                        ServiceCommand::List {
                            host,
                            binary,
                            format,
                        } => {
                            manage::service_list(
                                &config,
                                host.as_deref(),
                                binary.as_deref(),
                                *format,
                            )
                            .await
                        }
                        ServiceCommand::Disable {
                            host,
                            binary,
                            reason,
                        } => {
                            manage::service_set(
                                &config,
                                host,
                                binary,
                                ServiceAction::Disable(reason.clone()),
                            )
                            .await
                        }
                        ServiceCommand::Enable { host, binary } => {
                            manage::service_set(&config, host, binary, ServiceAction::Enable).await
                        }
                        ServiceCommand::ForceDown { host, binary, up } => {
                            manage::service_set(
                                &config,
                                host,
                                binary,
                                ServiceAction::ForceDown(!*up),
                            )
                            .await
                        }
                    },
                    _ => manage::status(&config).await,
                }
            });
            print!("{}", outcome.stdout);
            if !outcome.stderr.is_empty() {
                eprintln!("novactor: error: {}", outcome.stderr);
            }
            Ok(ExitCode::from(u8::try_from(outcome.code).unwrap_or(1)))
        }
        Command::Rpc { kind } => {
            let (call, rpc) = match kind {
                RpcKind::Call(rpc) => (true, rpc),
                RpcKind::Cast(rpc) => (false, rpc),
            };
            let usage = |message: String| {
                eprintln!("novactor: error: {message}");
                Ok(ExitCode::from(novactor::rpc_cli::EXIT_USAGE as u8))
            };
            let timeout = match rpc.timeout {
                None => None,
                Some(secs) if secs.is_finite() && secs > 0.0 => {
                    Some(std::time::Duration::from_secs_f64(secs))
                }
                Some(secs) => {
                    return usage(format!(
                        "--timeout must be a positive number of seconds, got {secs}"
                    ))
                }
            };
            let loaded = match Config::load(&sources(&cli, Vec::new())) {
                Ok(loaded) => loaded,
                Err(error) => return usage(error.to_string()),
            };
            let request = novactor::rpc_cli::RpcRequest {
                call,
                topic: rpc.topic.clone(),
                server: rpc.server.clone(),
                fanout: rpc.fanout,
                exchange: rpc.exchange.clone(),
                namespace: rpc.namespace.clone(),
                version: rpc.version.clone(),
                timeout,
                context: rpc.context.clone(),
                method: rpc.method.clone(),
                args: rpc.args.clone(),
                url: rpc.url.clone(),
            };
            let outcome =
                actix_rt::System::new().block_on(novactor::rpc_cli::send(request, &loaded.config));
            if let Some(text) = &outcome.stdout {
                println!("{text}");
            }
            if let Some(text) = &outcome.stderr {
                eprintln!("{text}");
            }
            Ok(ExitCode::from(u8::try_from(outcome.code).unwrap_or(1)))
        }
        Command::Run(run) => {
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
            let sources = sources(&cli, overrides);
            let loaded = Config::load(&sources)?;
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
            let log = novactor::logging::init(
                config.default.debug,
                config.default.log_path(binary).as_deref(),
                config.default.use_json,
            )
            .context("setting up logging")?;
            for warning in &loaded.warnings {
                tracing::warn!("{warning}");
            }
            let names: Vec<&str> = selected.iter().map(|s| s.name()).collect();
            tracing::info!(version = env!("CARGO_PKG_VERSION"), actors = ?names, host = %config.default.host,
                transport = %novactor::config::mask_url(config.default.transport_url_or_memory()), files = ?loaded.files, "novactor starting");
            // Nova's nova-api rule: with no API enabled there is nothing to serve; exit 1.
            if selected.contains(&NovaService::Api)
                && !config.api.enabled_apis.iter().any(|a| a == "osapi_compute")
            {
                tracing::error!(enabled_apis = ?config.api.enabled_apis, "no API to start: enabled_apis lacks osapi_compute");
                eprintln!("novactor: error: no API to start: [DEFAULT] enabled_apis = {} lacks osapi_compute", config.api.enabled_apis.join(","));
                return Ok(ExitCode::from(1));
            }
            let config = Arc::new(config);
            let reload = ReloadContext {
                sources,
                log: Some(log),
            };
            let code = actix_rt::System::new().block_on(async move {
                // First: a signal during start-up is then held and served, not fatal.
                let signals = match Signals::install() {
                    Ok(signals) => signals,
                    Err(error) => {
                        tracing::error!(%error, "cannot install signal handlers");
                        return 1;
                    }
                };
                // Bound first: a taken port stops the process before it touches anything.
                let dashboard_listener = match novactor::dashboard::bind(&config.dashboard) {
                    Ok(listener) => listener,
                    Err(error) => {
                        tracing::error!(%error, "cannot start the dashboard");
                        eprintln!("novactor: error: {error}");
                        return 1;
                    }
                };
                // Only services with database access open one: a compute-only process has none.
                let db = if selected.iter().any(|s| s.needs_database()) {
                    match actors::db::open(&config).await {
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
                let definitions = match actors::definitions(&config, &selected, db.as_ref()) {
                    Ok(definitions) => definitions,
                    Err(error) => {
                        tracing::error!(%error, "cannot define the services");
                        return 1;
                    }
                };
                let mut readiness: Vec<Arc<dyn ReadinessCheck>> = Vec::new();
                let mut records: Option<Arc<dyn novactor::servicegroup::ServiceGroup>> = None;
                let servicegroup: Arc<dyn novactor::servicegroup::ServiceGroup> = match db {
                    Some(db) => {
                        readiness.push(Arc::new(DatabaseCheck::new(db.database().clone())));
                        let group = Arc::new(actors::db::DbServiceGroup::new(
                            db,
                            actors::db::SERVICE_VERSION,
                        ));
                        records = Some(group.clone());
                        group
                    }
                    None => Arc::new(novactor::servicegroup::MemoryServiceGroup::default()),
                };
                let dashboard_options = config.dashboard.clone();
                // Signals are served from here on, also while actors are still starting.
                let node = match Node::environment_with(config, servicegroup)
                    .map(|env| Node::spawn_with(env, definitions))
                {
                    Ok(node) => node,
                    Err(error) => {
                        tracing::error!(%error, "cannot start");
                        eprintln!("novactor: error: {error}");
                        // A URL this build cannot serve is a configuration error.
                        let permanent =
                            matches!(&error, NodeError::Transport(e) if !e.is_recoverable());
                        return if permanent { i32::from(EXIT_CONFIG) } else { 1 };
                    }
                };
                let parts = DashboardParts {
                    services: records,
                    checks: readiness,
                    description: format!("novactor {}", names.join(",")),
                };
                let dashboard = match dashboard_listener
                    .map(|listener| {
                        novactor::dashboard::start(listener, &dashboard_options, &node, parts)
                    })
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
            });
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
