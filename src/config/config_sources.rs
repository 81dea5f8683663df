//! Where option values come from, lowest priority first: registry defaults < config files
//! (`--config-file` in order, then each `--config-dir`'s `*.conf` sorted by name, or else the
//! first of `default_search` that exists) < `OS_<GROUP>__<OPTION>` environment variables <
//! command-line overrides. This file reads every layer into one map of raw strings that
//! remembers each value's origin; typing and validation are left to `option_groups.rs`.
//!
//! INI files are parsed with the `config` crate, one file at a time, with three oslo-compatible
//! corrections (`config` 0.15 with rust-ini 0.21 differs from oslo.config's parser):
//! - a section that appears twice keeps only its last block in `config`; oslo merges them. We
//!   hand `config` one section block at a time, so every block counts.
//! - rust-ini treats `\` as an escape (`\n`, `\x41`, `\W` → `W`); oslo keeps it literal. We
//!   double every backslash before parsing, so values arrive verbatim.
//! - rust-ini silently glues a line without `=`/`:` (and an indented comment) onto the next
//!   key. We reject the former with its line number, as oslo does, and drop the latter.
//!
//! `config` keeps section and key case as written; we treat `[DEFAULT]`/`[default]` as one
//! section, keep other section names verbatim, and lowercase option names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::config_error::{ConfigError, ValueOrigin};
use super::option_registry::OptionRegistry;
use super::option_spec::OptionDefault;

/// One command-line override, e.g. `--host node7` ⇒ `CliOverride::new("DEFAULT", "host", "node7")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliOverride {
    /// Section (`DEFAULT` in any case, or a group name).
    pub group: String,
    /// Option name (any case; stored lowercase).
    pub name: String,
    /// Raw value, parsed like a file value.
    pub value: String,
}

impl CliOverride {
    /// Convenience constructor.
    pub fn new(
        group: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        CliOverride {
            group: group.into(),
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Everything `Config::load` reads. The process environment is passed in, not read, so tests
/// never touch the real one; `with_process_env` fills it for `main`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSources {
    /// `--config-file`, repeatable; later files win.
    pub config_files: Vec<PathBuf>,
    /// `--config-dir`, repeatable; every `*.conf` inside, sorted by name, read after the files.
    pub config_dirs: Vec<PathBuf>,
    /// Used only when no file and no dir is given: the first of these that exists is read.
    /// Empty by default; [`ConfigSources::for_project`] fills it as oslo.config's `project`
    /// argument does.
    pub default_search: Vec<PathBuf>,
    /// Environment variables (name, value); only `OS_<GROUP>__<OPTION>` ones are options,
    /// `XDG_STATE_HOME`/`HOME` pick the default state directory.
    pub env: Vec<(String, String)>,
    /// Command-line overrides, highest priority.
    pub cli: Vec<CliOverride>,
}

impl ConfigSources {
    /// No files given yet, and the default search of `project`: `./<project>.conf`, then
    /// `/etc/<project>/<project>.conf` (the first that exists is read).
    pub fn for_project(project: &str) -> Self {
        ConfigSources {
            default_search: vec![
                PathBuf::from(format!("./{project}.conf")),
                PathBuf::from(format!("/etc/{project}/{project}.conf")),
            ],
            ..ConfigSources::default()
        }
    }

    /// The process environment as (name, value) pairs; variables that are not valid UTF-8
    /// are skipped (`std::env::vars` would panic on them).
    pub fn process_env() -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    }

    /// These sources with `env` set to the process environment.
    pub fn with_process_env(mut self) -> Self {
        self.env = Self::process_env();
        self
    }

    fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// One option's raw value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawEntry {
    pub(crate) value: String,
    pub(crate) origin: ValueOrigin,
}

/// `(group, name)` ⇒ raw value, group normalised (`DEFAULT`) and name lowercase.
pub(crate) type RawValues = BTreeMap<(String, String), RawEntry>;

/// All layers merged, before interpolation and typing.
#[derive(Debug)]
pub(crate) struct CollectedSources {
    pub(crate) values: RawValues,
    pub(crate) warnings: Vec<String>,
    pub(crate) files: Vec<PathBuf>,
}

/// `[DEFAULT]` in any case is DEFAULT; other section names stay as written (oslo).
pub(crate) fn normalize_group(group: &str) -> String {
    let group = group.trim();
    if group.eq_ignore_ascii_case("DEFAULT") {
        "DEFAULT".to_owned()
    } else {
        group.to_owned()
    }
}

/// Reads every layer of `sources`. Fails on a missing/unreadable/unparsable file; unknown
/// options only produce warnings (one line per source).
pub(crate) fn collect(
    sources: &ConfigSources,
    registry: &OptionRegistry,
) -> Result<CollectedSources, ConfigError> {
    let mut values = RawValues::new();
    let mut warnings = Vec::new();

    for spec in registry.iter() {
        if let Some(value) = default_value(spec.default, sources) {
            let key = (spec.group.to_owned(), spec.name.to_owned());
            let origin = ValueOrigin::Default;
            values.insert(key, RawEntry { value, origin });
        }
    }

    let files = files_to_read(sources)?;
    for path in &files {
        let origin = ValueOrigin::File(path.clone());
        let entries = read_ini_file(path)?;
        let mut unknown = Vec::new();
        for (group, name, value) in entries {
            note_unknown(registry, &group, &name, None, &mut unknown);
            let origin = origin.clone();
            values.insert((group, name), RawEntry { value, origin });
        }
        warn_unknown(&origin, unknown, &mut warnings);
    }

    let mut env: Vec<&(String, String)> = sources.env.iter().collect();
    env.sort();
    let mut unknown = Vec::new();
    for (var, value) in env {
        let Some((group, name)) = parse_env_name(registry, var) else {
            continue;
        };
        note_unknown(registry, &group, &name, Some(var), &mut unknown);
        let origin = ValueOrigin::Environment(var.clone());
        values.insert(
            (group, name),
            RawEntry {
                value: value.clone(),
                origin,
            },
        );
    }
    warn_unknown(
        &ValueOrigin::Environment("*".into()),
        unknown,
        &mut warnings,
    );

    let mut unknown = Vec::new();
    for cli in &sources.cli {
        let (group, name) = (normalize_group(&cli.group), cli.name.trim().to_lowercase());
        note_unknown(registry, &group, &name, None, &mut unknown);
        let entry = RawEntry {
            value: cli.value.clone(),
            origin: ValueOrigin::CommandLine,
        };
        values.insert((group, name), entry);
    }
    warn_unknown(&ValueOrigin::CommandLine, unknown, &mut warnings);

    Ok(CollectedSources {
        values,
        warnings,
        files,
    })
}

/// The default's raw text; `None` for `Unset`.
fn default_value(default: OptionDefault, sources: &ConfigSources) -> Option<String> {
    match default {
        OptionDefault::Value(text) => Some(text.to_owned()),
        OptionDefault::Unset => None,
        OptionDefault::MachineHostname => Some(
            hostname::get()
                .ok()
                .and_then(|h| h.into_string().ok())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "localhost".to_owned()),
        ),
        OptionDefault::StatePath => {
            let dir = match (sources.env_var("XDG_STATE_HOME"), sources.env_var("HOME")) {
                (Some(xdg), _) if Path::new(xdg).is_absolute() => Path::new(xdg).join("novactor"),
                (_, Some(home)) => Path::new(home).join(".local/state/novactor"),
                _ => PathBuf::from("./novactor-state"),
            };
            Some(dir.display().to_string())
        }
    }
}

/// The files to read, in order: given files, then each dir's `*.conf` sorted by name; or, if
/// neither is given, the first existing file of `default_search`.
fn files_to_read(sources: &ConfigSources) -> Result<Vec<PathBuf>, ConfigError> {
    if sources.config_files.is_empty() && sources.config_dirs.is_empty() {
        return Ok(sources
            .default_search
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .into_iter()
            .collect());
    }
    let mut files = Vec::new();
    for path in &sources.config_files {
        if !path.exists() {
            return Err(ConfigError::FileNotFound { path: path.clone() });
        }
        files.push(path.clone());
    }
    for dir in &sources.config_dirs {
        if !dir.is_dir() {
            return Err(ConfigError::DirNotFound { path: dir.clone() });
        }
        let unreadable = |e: std::io::Error| ConfigError::Unreadable {
            path: dir.clone(),
            reason: e.to_string(),
        };
        let mut confs = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            if path.extension().is_some_and(|e| e == "conf") && path.is_file() {
                confs.push(path);
            }
        }
        confs.sort();
        files.extend(confs);
    }
    Ok(files)
}

/// `OS_<GROUP>__<OPTION>` ⇒ (group, option): group matched case-insensitively against known
/// groups (else lowercased), option lowercased. Other variables ⇒ `None`.
fn parse_env_name(registry: &OptionRegistry, var: &str) -> Option<(String, String)> {
    let (group, name) = var.strip_prefix("OS_")?.split_once("__")?;
    if group.is_empty() || name.is_empty() {
        return None;
    }
    let group = registry
        .groups()
        .into_iter()
        .find(|g| g.eq_ignore_ascii_case(group))
        .map_or_else(|| group.to_lowercase(), str::to_owned);
    Some((group, name.to_lowercase()))
}

fn note_unknown(
    registry: &OptionRegistry,
    group: &str,
    name: &str,
    var: Option<&str>,
    unknown: &mut Vec<String>,
) {
    if registry.spec(group, name).is_none() {
        let item = match var {
            Some(var) => format!("[{group}] {name} ({var})"),
            None => format!("[{group}] {name}"),
        };
        unknown.push(item);
    }
}

fn warn_unknown(origin: &ValueOrigin, mut unknown: Vec<String>, warnings: &mut Vec<String>) {
    if unknown.is_empty() {
        return;
    }
    // Each once, in order of appearance; a set, not `Vec::contains`, so a file with tens of
    // thousands of unknown options stays linear (found by tests/fuzz_config.rs).
    let mut seen = std::collections::HashSet::new();
    unknown.retain(|item| seen.insert(item.clone()));
    let count = unknown.len();
    let noun = if count == 1 { "option" } else { "options" };
    let place = match origin {
        ValueOrigin::Environment(_) => "in the environment".to_owned(),
        other => other.to_string(),
    };
    warnings.push(format!(
        "ignoring {count} {noun} novactor does not read {place}: {}",
        unknown.join(", ")
    ));
}

/// Reads one INI file into (group, name, value) triples in file order (see the module doc
/// for the corrections applied around the `config` crate).
fn read_ini_file(path: &Path) -> Result<Vec<(String, String, String)>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let parse_error = |line: usize, reason: &str| ConfigError::Parse {
        path: path.to_owned(),
        line: Some(line),
        reason: reason.to_owned(),
    };

    // Split into section blocks (first line number, text), checking each line on the way.
    let mut blocks: Vec<(usize, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if !trimmed.ends_with(']') {
                return Err(parse_error(number, "section header must end with ']'"));
            }
            blocks.push((number, String::new()));
        } else if !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';')) {
            if !trimmed.contains(['=', ':']) {
                return Err(parse_error(
                    number,
                    "expected `name = value`, a [section] header or a # comment",
                ));
            }
            if blocks.is_empty() {
                return Err(parse_error(
                    number,
                    "option outside any section: add a [DEFAULT] header above it",
                ));
            }
        }
        if let Some((_, block)) = blocks.last_mut() {
            block.push_str(&line.replace('\\', "\\\\"));
            block.push('\n');
        }
    }

    let mut entries = Vec::new();
    for (first_line, block) in blocks {
        let table =
            config::Source::collect(&config::File::from_str(&block, config::FileFormat::Ini))
                .map_err(|e| {
                    let (line, reason) = split_ini_error(&e.to_string());
                    ConfigError::Parse {
                        path: path.to_owned(),
                        line: line.map(|l| l + first_line - 1),
                        reason,
                    }
                })?;
        for (section, value) in table {
            let group = normalize_group(&section);
            let Ok(options) = value.into_table() else {
                continue; // unreachable: every block starts with its header
            };
            let mut options: Vec<_> = options.into_iter().collect();
            options.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, value) in options {
                // An indented comment line ends up in front of the next key: keep the key.
                let name = key
                    .rsplit('\n')
                    .next()
                    .unwrap_or(&key)
                    .trim()
                    .to_lowercase();
                let value = value.into_string().unwrap_or_default();
                entries.push((group.clone(), name, value));
            }
        }
    }
    Ok(entries)
}

/// rust-ini errors read `"<line>:<col> <message>"`; split off the line when present.
fn split_ini_error(text: &str) -> (Option<usize>, String) {
    let parsed = text.split_once(' ').and_then(|(position, rest)| {
        let (line, _col) = position.split_once(':')?;
        Some((line.parse().ok()?, rest.to_owned()))
    });
    match parsed {
        Some((line, rest)) => (Some(line), rest),
        None => (None, text.to_owned()),
    }
}
