//! What an option is: its place in the file, type, bounds, default and documentation. Option
//! tables (`runtime_options.rs` here; the application's own elsewhere) are slices of
//! [`OptionSpec`], built with [`OptionSpec::new`] and collected by `option_registry.rs`.

/// The type of an option's value, with its bounds (oslo.config: `oslo_config/types.py`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptionKind {
    /// Any string.
    String,
    /// A whole number, optionally bounded (inclusive).
    Integer {
        /// Smallest accepted value.
        min: Option<i64>,
        /// Largest accepted value.
        max: Option<i64>,
    },
    /// A finite decimal number, optionally bounded.
    Float {
        /// Lower bound.
        min: Option<f64>,
        /// Whether `min` itself is rejected (`> min` instead of `>= min`).
        min_exclusive: bool,
        /// Upper bound (inclusive).
        max: Option<f64>,
    },
    /// true/false, yes/no, on/off, 1/0, any case.
    Boolean,
    /// Comma-separated, items trimmed; an empty value is an empty list.
    List,
    /// `key1:value1,key2:value2`; keys and values trimmed; keys unique.
    Dict {
        /// When set, every value must be one of these.
        value_choices: Option<&'static [&'static str]>,
    },
    /// One of a fixed set of strings.
    Choices(&'static [&'static str]),
    /// A URL such as `rabbit://user:password@host:5672/`; the password is masked when shown.
    Url,
    /// A filesystem path.
    Path,
    /// A host name: non-empty, no whitespace.
    Hostname,
    /// An IPv4 or IPv6 address (oslo.config's `IPOpt`).
    IpAddress,
}

impl OptionKind {
    /// Human text for error messages and the sample: "an integer >= 1", "a boolean", ….
    pub fn expected(&self) -> String {
        match self {
            OptionKind::String => "a string".to_owned(),
            OptionKind::Integer { min, max } => match (min, max) {
                (Some(lo), Some(hi)) => format!("an integer between {lo} and {hi}"),
                (Some(lo), None) => format!("an integer >= {lo}"),
                (None, Some(hi)) => format!("an integer <= {hi}"),
                (None, None) => "an integer".to_owned(),
            },
            OptionKind::Float {
                min,
                min_exclusive,
                max,
            } => {
                let op = if *min_exclusive { ">" } else { ">=" };
                match (min, max) {
                    (Some(lo), Some(hi)) if !min_exclusive => {
                        format!("a number between {lo} and {hi}")
                    }
                    (Some(lo), Some(hi)) => format!("a number {op} {lo} and <= {hi}"),
                    (Some(lo), None) => format!("a number {op} {lo}"),
                    (None, Some(hi)) => format!("a number <= {hi}"),
                    (None, None) => "a number".to_owned(),
                }
            }
            OptionKind::Boolean => "a boolean (true/false, yes/no, on/off, 1/0)".to_owned(),
            OptionKind::List => "a comma-separated list".to_owned(),
            OptionKind::Dict {
                value_choices: None,
            } => "a dict of key:value pairs separated by commas".to_owned(),
            OptionKind::Dict {
                value_choices: Some(choices),
            } => format!(
                "a dict of key:value pairs separated by commas, each value one of {}",
                choices.join(", ")
            ),
            OptionKind::Choices(choices) => format!("one of {}", choices.join(", ")),
            OptionKind::Url => "a URL like rabbit://user:password@host:5672/".to_owned(),
            OptionKind::Path => "a path".to_owned(),
            OptionKind::IpAddress => "an IPv4 or IPv6 address".to_owned(),
            OptionKind::Hostname => "a host name (non-empty, no whitespace)".to_owned(),
        }
    }
}

/// An option's default value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionDefault {
    /// This literal (parsed like any other value, so `$state_path/x` works).
    Value(&'static str),
    /// No value: the typed view has `None` (or the documented fallback).
    Unset,
    /// The machine's host name (`hostname` crate), `localhost` if it cannot be read.
    MachineHostname,
    /// `$XDG_STATE_HOME/novactor`, else `$HOME/.local/state/novactor`, else `./novactor-state`.
    StatePath,
}

/// One option novactor reads: its place in nova.conf, type, default and documentation.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// Section: `DEFAULT` or a group name, verbatim as in nova.conf.
    pub group: &'static str,
    /// Option name, lowercase, verbatim as in nova.conf.
    pub name: &'static str,
    /// Value type and bounds.
    pub kind: OptionKind,
    /// Default value.
    pub default: OptionDefault,
    /// Help text (the sample file wraps it).
    pub help: &'static str,
    /// Re-read on SIGHUP without a restart (oslo.config `mutable=True`).
    pub mutable: bool,
    /// Never shown in full: a URL's password, or the whole value otherwise.
    pub secret: bool,
    /// Where Nova/oslo defines the option and its default, plus any deviation.
    pub source: &'static str,
}

impl OptionKind {
    /// An integer option bounded by `min` and `max` (inclusive).
    pub const fn integer(min: Option<i64>, max: Option<i64>) -> Self {
        OptionKind::Integer { min, max }
    }
}

impl OptionSpec {
    /// An immutable, non-secret option.
    pub const fn new(
        group: &'static str,
        name: &'static str,
        kind: OptionKind,
        default: OptionDefault,
        help: &'static str,
        source: &'static str,
    ) -> Self {
        OptionSpec {
            group,
            name,
            kind,
            default,
            help,
            mutable: false,
            secret: false,
            source,
        }
    }

    /// This option, re-read on SIGHUP without a restart.
    pub const fn mutable(self) -> Self {
        OptionSpec {
            mutable: true,
            ..self
        }
    }

    /// This option, never shown in full.
    pub const fn secret(self) -> Self {
        OptionSpec {
            secret: true,
            ..self
        }
    }
}
