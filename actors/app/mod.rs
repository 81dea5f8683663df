//! The composition root: what each `novactor` subcommand does, put together from the
//! runtime (`novactor`) and Nova's services. `main.rs` parses the command line and makes
//! one call here, [`execute`].
//!
//! ```text
//! app/mod.rs             execute: config, db, service, status and rpc subcommands
//! app/command_config.rs  what every subcommand loads first: sources, config; exit code 2
//! app/run.rs             `novactor run`: logging, dashboard, database, services, signals
//! ```

mod command_config;
mod run;

pub use command_config::EXIT_CONFIG;

use std::process::ExitCode;

use self::command_config::{load_for_command, sources};
use crate::cli::{Cli, Command, ConfigAction, DbAction, RpcArgs, RpcKind, ServiceCommand};
use crate::conf::{self, NovaConfig};
use crate::manage::{self, ServiceAction};

/// Runs `cli`'s subcommand to its end and returns the process's exit code.
pub fn execute(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("novactor: error: {error:#}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// `Err` is a configuration or argument problem (exit 2); runtime outcomes are exit codes.
fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Config {
            action: ConfigAction::Sample,
        } => {
            print!("{}", conf::sample());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            action: ConfigAction::Show,
        } => {
            let config = load_for_command(&cli)?;
            print!("{}", config.runtime().show());
            Ok(ExitCode::SUCCESS)
        }
        Command::Db { action } => {
            let config = load_for_command(&cli)?;
            let outcome = actix_rt::System::new().block_on(async move {
                match action {
                    DbAction::Sync => manage::db_sync(&config).await,
                }
            });
            Ok(outcome.finish())
        }
        Command::Service { action } => {
            let config = load_for_command(&cli)?;
            let outcome = actix_rt::System::new().block_on(service_command(&config, action));
            Ok(outcome.finish())
        }
        Command::Status => {
            let config = load_for_command(&cli)?;
            let outcome = actix_rt::System::new().block_on(manage::status(&config));
            Ok(outcome.finish())
        }
        Command::Rpc { kind } => Ok(rpc_command(&cli, kind)),
        Command::Run(run) => run::run(&cli, run),
    }
}

async fn service_command(config: &NovaConfig, action: &ServiceCommand) -> manage::Outcome {
    match action {
        ServiceCommand::List {
            host,
            binary,
            format,
        } => manage::service_list(config, host.as_deref(), binary.as_deref(), *format).await,
        ServiceCommand::Disable {
            host,
            binary,
            reason,
        } => {
            let action = ServiceAction::Disable(reason.clone());
            manage::service_set(config, host, binary, action).await
        }
        ServiceCommand::Enable { host, binary } => {
            manage::service_set(config, host, binary, ServiceAction::Enable).await
        }
        ServiceCommand::ForceDown { host, binary, up } => {
            manage::service_set(config, host, binary, ServiceAction::ForceDown(!*up)).await
        }
    }
}

/// `novactor rpc call|cast`: exit codes follow sysexits (see `novactor::rpc_cli`).
fn rpc_command(cli: &Cli, kind: &RpcKind) -> ExitCode {
    let (call, rpc): (bool, &RpcArgs) = match kind {
        RpcKind::Call(rpc) => (true, rpc),
        RpcKind::Cast(rpc) => (false, rpc),
    };
    let usage = |message: String| {
        eprintln!("novactor: error: {message}");
        ExitCode::from(novactor::rpc_cli::EXIT_USAGE as u8)
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
    let loaded = match NovaConfig::load(&sources(cli, Vec::new())) {
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
        actix_rt::System::new().block_on(novactor::rpc_cli::send(request, loaded.config.runtime()));
    if let Some(text) = &outcome.stdout {
        println!("{text}");
    }
    if let Some(text) = &outcome.stderr {
        eprintln!("{text}");
    }
    ExitCode::from(u8::try_from(outcome.code).unwrap_or(1))
}
