//! The `novactor` command line (clap): what each subcommand takes. `main.rs` parses it and
//! hands it to [`crate::app::execute`], the composition root.
//!
//! Invoked through a link named `nova-compute`, `nova-conductor`, `nova-scheduler` or
//! `nova-api`, the binary runs that one service, as Nova's console scripts do.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::NovaService;

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "novactor",
    version,
    propagate_version = true,
    about = "OpenStack Nova's control plane as supervised actors"
)]
pub struct Cli {
    /// nova.conf to read; repeatable, later files win.
    #[arg(long = "config-file", value_name = "PATH", global = true)]
    pub config_files: Vec<PathBuf>,
    /// Directory whose `*.conf` files are read in name order after the config files.
    #[arg(long = "config-dir", value_name = "DIR", global = true)]
    pub config_dirs: Vec<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Host the chosen Nova services in this process until SIGTERM/SIGINT.
    Run(RunArgs),
    /// Send one RPC, as an oslo.messaging client would: prints a call's JSON result.
    /// Exit 0 ok, 1 remote failure, 2 MessagingTimeout, 64 usage error, 69 broker unreachable.
    Rpc {
        /// Call or cast.
        #[command(subcommand)]
        kind: RpcKind,
    },
    /// Database schema (nova-manage db).
    Db {
        /// The action.
        #[command(subcommand)]
        action: DbAction,
    },
    /// List services and change their state (openstack compute service list/set).
    Service {
        /// The action.
        #[command(subcommand)]
        action: ServiceCommand,
    },
    /// Check the deployment like `nova-status upgrade check`: exit 0 ok, 1 warning, 2 failure.
    Status,
    /// Inspect configuration.
    Config {
        /// The action.
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// `novactor run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Services to host, comma-separated (default: all four).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub actors: Vec<NovaService>,
    /// Host name the services run as ([DEFAULT] host).
    #[arg(long)]
    pub host: Option<String>,
    /// Log at debug level ([DEFAULT] debug).
    #[arg(long)]
    pub debug: bool,
    /// Log to this file instead of stderr ([DEFAULT] log_file).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

/// `novactor db`.
#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Apply the schema migrations the database lacks (idempotent).
    Sync,
}

/// `novactor service`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
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
        format: crate::manage::Format,
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

/// `novactor rpc`.
#[derive(Debug, Subcommand)]
pub enum RpcKind {
    /// Send and wait for the result.
    #[command(disable_version_flag = true)]
    Call(RpcArgs),
    /// Send without waiting.
    #[command(disable_version_flag = true)]
    Cast(RpcArgs),
}

/// `novactor rpc call|cast`.
#[derive(Debug, clap::Args)]
pub struct RpcArgs {
    /// Topic, e.g. compute.
    #[arg(long)]
    pub topic: String,
    /// Server (host) within the topic.
    #[arg(long)]
    pub server: Option<String>,
    /// Every server of the topic (casts only).
    #[arg(long)]
    pub fanout: bool,
    /// Exchange (default: control_exchange).
    #[arg(long)]
    pub exchange: Option<String>,
    /// Endpoint namespace, e.g. baseapi.
    #[arg(long)]
    pub namespace: Option<String>,
    /// API version, e.g. 1.1.
    #[arg(long)]
    pub version: Option<String>,
    /// Seconds to wait for the reply (default: rpc_response_timeout).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Request context as a JSON object (sent as _context_* keys).
    #[arg(long, value_name = "JSON")]
    pub context: Option<String>,
    /// Method name.
    #[arg(long)]
    pub method: String,
    /// Keyword arguments as a JSON object.
    #[arg(long, value_name = "JSON")]
    pub args: Option<String>,
    /// Transport URL (default: transport_url).
    #[arg(long)]
    pub url: Option<String>,
}

/// `novactor config`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the effective configuration, secrets masked, with where each value came from.
    Show,
    /// Print a commented nova.conf documenting every option novactor reads.
    Sample,
}

impl Cli {
    /// Parses the process's arguments; a program name such as `nova-compute` becomes
    /// `novactor run --actors compute`. `Err` is the exit code of a usage error, already
    /// printed (clap's 2; sysexits' 64 for `rpc`, whose exit codes follow sysexits).
    pub fn from_args(mut args: Vec<OsString>) -> Result<Cli, ExitCode> {
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
        Cli::try_parse_from(&args).map_err(|error| {
            let rpc = args.get(1).is_some_and(|a| a == "rpc");
            let _ = error.print();
            if rpc && error.use_stderr() {
                ExitCode::from(novactor::rpc_cli::EXIT_USAGE as u8)
            } else {
                // clap's own: 0 for --help/--version, 2 for a usage error.
                ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
            }
        })
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
