//! What every subcommand loads first: the configuration sources the command line names (plus
//! the process environment), the loaded configuration, and the exit code of a configuration
//! problem.

use novactor::config::{CliOverride, ConfigSources};

use crate::cli::Cli;
use crate::conf::{self, NovaConfig};

/// Exit code for bad configuration or arguments (clap's usage errors use it too).
pub const EXIT_CONFIG: u8 = 2;

/// The configuration sources the command line names, plus the process environment.
pub(super) fn sources(cli: &Cli, overrides: Vec<CliOverride>) -> ConfigSources {
    ConfigSources {
        config_files: cli.config_files.clone(),
        config_dirs: cli.config_dirs.clone(),
        cli: overrides,
        ..conf::sources()
    }
    .with_process_env()
}

/// Loads the configuration for a one-shot command; its warnings go to stderr.
pub(super) fn load_for_command(cli: &Cli) -> anyhow::Result<NovaConfig> {
    let loaded = NovaConfig::load(&sources(cli, Vec::new()))?;
    for warning in &loaded.warnings {
        eprintln!("novactor: warning: {warning}");
    }
    Ok(loaded.config)
}
