//! `ConfigError`, every way loading nova.conf can fail, and `ValueOrigin`, where a value came
//! from. Each message names the source (file, environment variable or command line), the option
//! and what would have been accepted, so the operator knows what to fix.

use std::fmt;
use std::path::PathBuf;

/// Where an option's effective value came from, lowest priority first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueOrigin {
    /// The option registry's default.
    Default,
    /// A nova.conf file (given, found in a config dir, or found by the default search).
    File(PathBuf),
    /// An `OS_<GROUP>__<OPTION>` environment variable (oslo.config's convention).
    Environment(String),
    /// A command-line override (`--host`, `--debug`, `--log-file`, or a test override).
    CommandLine,
    /// A driver option in the query of `transport_url` (`rabbit://…/?rabbit_qos_prefetch_count=10`),
    /// applied by `RabbitOptions::with_url_query` over `[oslo_messaging_rabbit]`.
    TransportUrlQuery,
}

impl ValueOrigin {
    /// Short label used by `Config::show`: the path, `OS_X__Y`, `command line` or `default`.
    pub fn label(&self) -> String {
        match self {
            ValueOrigin::Default => "default".to_owned(),
            ValueOrigin::File(path) => path.display().to_string(),
            ValueOrigin::Environment(var) => format!("environment variable {var}"),
            ValueOrigin::CommandLine => "command line".to_owned(),
            ValueOrigin::TransportUrlQuery => "transport_url query".to_owned(),
        }
    }
}

/// Renders with a preposition so messages read "... in /etc/nova/nova.conf: ...".
impl fmt::Display for ValueOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueOrigin::Default => f.write_str("in the built-in defaults"),
            ValueOrigin::File(path) => write!(f, "in {}", path.display()),
            ValueOrigin::Environment(var) => write!(f, "in environment variable {var}"),
            ValueOrigin::CommandLine => f.write_str("on the command line"),
            ValueOrigin::TransportUrlQuery => f.write_str("in the transport_url query"),
        }
    }
}

/// Failure to load or validate the configuration. Unknown options are not errors (they become
/// warnings in `LoadedConfig::warnings`); everything here stops the process before it starts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file given with `--config-file` does not exist.
    #[error("config file {path} does not exist (given with --config-file)")]
    FileNotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// A directory given with `--config-dir` does not exist or is not a directory.
    #[error(
        "config directory {path} does not exist or is not a directory (given with --config-dir)"
    )]
    DirNotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// A file or directory exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error's text.
        reason: String,
    },
    /// A file is not valid INI.
    #[error("cannot parse config file {path}{}: {reason}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line, when the parser reports one.
        line: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// An option's value does not parse as its type or is out of range.
    #[error("invalid value {value:?} for option [{group}] {name} {origin}: expected {expected}")]
    InvalidValue {
        /// Option group (`DEFAULT`, `supervisor`, …).
        group: &'static str,
        /// Option name.
        name: &'static str,
        /// The offending value (secret parts masked).
        value: String,
        /// Where it came from.
        origin: ValueOrigin,
        /// What would be accepted, e.g. "an integer >= 1".
        expected: String,
    },
    /// One entry of a dict option is invalid.
    #[error("invalid entry {entry:?} in option [{group}] {name} {origin}: expected {expected}")]
    InvalidEntry {
        /// Option group.
        group: &'static str,
        /// Option name.
        name: &'static str,
        /// The offending `key:value` entry.
        entry: String,
        /// Where it came from.
        origin: ValueOrigin,
        /// What would be accepted.
        expected: String,
    },
    /// A `$option` / `${group.option}` reference cannot be substituted.
    #[error("cannot substitute {reference} in option [{group}] {name} {origin}: {reason}")]
    Interpolation {
        /// Option group.
        group: &'static str,
        /// Option name.
        name: &'static str,
        /// The reference as written, e.g. `${libvirt.images_path}`.
        reference: String,
        /// Where the value containing it came from.
        origin: ValueOrigin,
        /// Why it failed (no such option, circular reference).
        reason: String,
    },
    /// Two options are each valid but contradict each other.
    #[error(
        "option [{group}] {name} {origin} conflicts with [{other_group}] {other_name}: {reason}"
    )]
    Conflict {
        /// Option group.
        group: &'static str,
        /// Option name.
        name: &'static str,
        /// Where its value came from.
        origin: ValueOrigin,
        /// The other option's group.
        other_group: &'static str,
        /// The other option's name.
        other_name: &'static str,
        /// The rule that is broken, and how to fix it.
        reason: String,
    },
    /// A valid value that novactor does not implement (yet); refused at start so nobody
    /// believes it takes effect.
    #[error(
        "option [{group}] {name} = {value} {origin} is not supported by novactor yet: {reason}"
    )]
    Unsupported {
        /// Option group.
        group: &'static str,
        /// Option name.
        name: &'static str,
        /// The refused value.
        value: String,
        /// Where it came from.
        origin: ValueOrigin,
        /// What novactor does instead, and what to set.
        reason: String,
    },
    /// A bug in novactor: the registry and the typed view disagree about an option.
    #[error("internal error: option [{group}] {name} is not registered as {expected}")]
    RegistryMismatch {
        /// Option group.
        group: &'static str,
        /// Option name.
        name: &'static str,
        /// The kind the typed view asked for.
        expected: &'static str,
    },
}
