//! The `novactor` command: clap parsing, then one call into Nova's composition root
//! (`novactor_nova::app`). Invoked through a link named `nova-compute`, `nova-conductor`,
//! `nova-scheduler` or `nova-api`, it runs that one service.

use std::process::ExitCode;

use novactor_nova::cli::Cli;

fn main() -> ExitCode {
    match Cli::from_args(std::env::args_os().collect()) {
        Ok(cli) => novactor_nova::app::execute(cli),
        Err(usage) => usage,
    }
}
