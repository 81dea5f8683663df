//! Where option values come from, lowest priority first: registry defaults < config files
//! (`--config-file` in order, then each `--config-dir`'s `*.conf` sorted by name, or else the
//! first of `default_search` that exists) < `OS_<GROUP>__<OPTION>` environment variables <
//! command-line overrides. This file reads every layer into one map of raw strings that
//! remembers each value's origin; typing and validation are left to `option_groups.rs`.
//!
//! INI files are read as oslo.config's `iniparser.py` reads them, with the `rust-ini` crate:
//! - lines are right-stripped; a blank line ends a value; `#`/`;` start a comment only in
//!   column 0;
//! - `key = value` and `key: value` (the first `=` or `:` splits), value stripped; a value that
//!   starts and ends with the same quote loses the pair (first line only);
//! - a line indented with spaces or tabs continues the previous value: the value is its lines
//!   joined with `\n`, each stripped (so `key =` followed by indented lines starts with `\n`,
//!   and an indented `# text` line is part of the value, not a comment);
//! - an indented line after a header, a comment or a blank line is an error ("Unexpected
//!   continuation line"), as is a line without `=`/`:`, an empty key, a header not ending in `]`,
//!   `[]`, and an option before any header; every error names the file and the line;
//! - a section may appear any number of times: its blocks merge, the last value of a key wins;
//! - `\` is an ordinary character;
//! - section names are oslo's normalized ones: `[DEFAULT]` exactly is DEFAULT, any other name is
//!   lowercased (so `[default]` is a group of its own, and `[Libvirt]` is `[libvirt]`); option
//!   names keep their case (`Debug` is not `debug`).
//!
//! `rust-ini` (multi-line values on, quotes off) reads the values; a first pass over the lines
//! (`scan_like_oslo`) applies the rules `rust-ini` has no option for: it raises oslo's errors
//! (`rust-ini` would glue such lines onto the next key), keeps section names unstripped, and
//! records which values start with an empty line (`rust-ini` drops the leading `\n`).

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
    /// Empty by default; [`ConfigSources::for_project`] fills it with two of the places
    /// oslo.config's `project` argument searches (docs/DEVIATIONS.md D-CONF-1).
    pub default_search: Vec<PathBuf>,
    /// Environment variables (name, value); only `OS_<GROUP>__<OPTION>` ones are options,
    /// `XDG_STATE_HOME`/`HOME` pick the default state directory.
    pub env: Vec<(String, String)>,
    /// Command-line overrides, highest priority.
    pub cli: Vec<CliOverride>,
}

impl ConfigSources {
    /// No files given yet, and a default search for `project`: `./<project>.conf`, then
    /// `/etc/<project>/<project>.conf` (the first that exists is read). oslo.config also looks
    /// in `~/.<project>/`, `~/` and `/etc/` (docs/DEVIATIONS.md D-CONF-1).
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
    // thousands of unknown options stays linear (found by tests/fuzz/config.rs).
    let mut seen = std::collections::HashSet::new();
    unknown.retain(|item| seen.insert(item.clone()));
    let count = unknown.len();
    let noun = if count == 1 { "option" } else { "options" };
    let place = match origin {
        ValueOrigin::Environment(_) => "in the environment".to_owned(),
        other => other.to_string(),
    };
    let hint = if unknown.iter().any(|item| item.starts_with("[default] ")) {
        " ([default] is not [DEFAULT]: oslo.config reads only the upper-case name)"
    } else {
        ""
    };
    warnings.push(format!(
        "ignoring {count} {noun} novactor does not read {place}: {}{hint}",
        unknown.join(", ")
    ));
}

/// oslo's section name as option lookups see it (`cfg.py` `_normalize_group_name`):
/// `DEFAULT` exactly, else lowercased.
pub(crate) fn oslo_group(section: &str) -> String {
    if section == "DEFAULT" {
        section.to_owned()
    } else {
        section.to_lowercase()
    }
}

/// One `key = value` line as oslo's `iniparser.py` sees it.
#[derive(Debug)]
struct OsloAssignment {
    /// 1-based line of the key.
    line: usize,
    /// The section as written between the brackets (not stripped, not normalized).
    section: String,
    /// The key, stripped.
    key: String,
    /// The key line's value is empty and indented lines follow: oslo's value starts with `\n`.
    leading_newline: bool,
}

/// One pass over the (right-stripped) lines with oslo's `BaseParser.parse` rules: its errors as
/// `(line, reason)`, else every assignment in file order.
fn scan_like_oslo(lines: &[&str]) -> Result<Vec<OsloAssignment>, (usize, &'static str)> {
    let mut assignments: Vec<OsloAssignment> = Vec::new();
    let mut section: Option<&str> = None;
    // Whether the last non-blank line was a key or its continuation (oslo's `key` is set).
    let mut open_key = false;
    // Whether that key's own line had an empty value and no continuation was seen yet.
    let mut empty_first = false;
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        if line.is_empty() {
            open_key = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if !open_key {
                return Err((
                    number,
                    "unexpected continuation line: an indented line continues the value of \
                     the option above it; remove the indentation",
                ));
            }
            if empty_first {
                if let Some(last) = assignments.last_mut() {
                    last.leading_newline = true;
                }
                empty_first = false;
            }
            continue;
        }
        open_key = false;
        if let Some(inner) = line.strip_prefix('[') {
            let name = inner
                .strip_suffix(']')
                .ok_or((number, "section header must end with ']'"))?;
            if name.is_empty() {
                return Err((number, "empty section name: write [DEFAULT] or [group]"));
            }
            section = Some(name);
        } else if !line.starts_with(['#', ';']) {
            let split = line.find(['=', ':']).ok_or((
                number,
                "expected `name = value`, a [section] header or a # comment",
            ))?;
            let key = line[..split].trim();
            if key.is_empty() {
                return Err((number, "the option name before `=` or `:` is empty"));
            }
            let section = section.ok_or((
                number,
                "option outside any section: add a [DEFAULT] header above it",
            ))?;
            assignments.push(OsloAssignment {
                line: number,
                section: section.to_owned(),
                key: key.to_owned(),
                leading_newline: false,
            });
            open_key = true;
            empty_first = line[split + 1..].trim().is_empty();
        }
    }
    Ok(assignments)
}

/// oslo strips one pair of quotes around a value's first line: `"a"` → `a`, `'` → `` (a lone
/// quote is its own pair).
fn strip_quotes(first_line: &str) -> &str {
    let mut chars = first_line.chars();
    match (chars.next(), first_line.chars().next_back()) {
        (Some(open @ ('"' | '\'')), Some(close)) if open == close => {
            chars.as_str().strip_suffix(close).unwrap_or_default()
        }
        _ => first_line,
    }
}

/// Reads one INI file into (group, name, value) triples in file order, as oslo reads it (see
/// the module doc).
fn read_ini_file(path: &Path) -> Result<Vec<(String, String, String)>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let parse_error = |line: Option<usize>, reason: &str| ConfigError::Parse {
        path: path.to_owned(),
        line,
        reason: reason.to_owned(),
    };

    // Python reads the file with universal newlines (`\r\n` and a lone `\r` end a line too) and
    // oslo right-strips every line before looking at it; doing both here also spares rust-ini
    // whitespace-only lines, which it would glue onto the next key.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let assignments =
        scan_like_oslo(&lines).map_err(|(line, reason)| parse_error(Some(line), reason))?;

    // rust-ini reads `\` as an escape (`\n`, `\x41`, `\` + newline); oslo keeps it: doubled
    // here, every backslash comes back as itself.
    let mut ini_text = String::with_capacity(text.len() + 1);
    for line in &lines {
        ini_text.push_str(&line.replace('\\', "\\\\"));
        ini_text.push('\n');
    }
    let options = ini::ParseOption {
        enabled_quote: false,
        enabled_escape: true,
        enabled_indented_mutiline_value: true,
        enabled_preserve_key_leading_whitespace: false,
    };
    let ini = ini::Ini::load_from_str_opt(&ini_text, options)
        .map_err(|e| parse_error(Some(e.line), &e.msg))?;

    let mut read = ini.iter().flat_map(|(_, properties)| properties.iter());
    let mut entries = Vec::with_capacity(assignments.len());
    for assignment in assignments {
        let disagree = || {
            parse_error(
                Some(assignment.line),
                "novactor's INI reader and its oslo rules disagree about this line (a \
                 novactor bug: please report it with the file)",
            )
        };
        let (key, value) = read.next().ok_or_else(disagree)?;
        if key != assignment.key {
            return Err(disagree());
        }
        let value = match value.split_once('\n') {
            _ if assignment.leading_newline => format!("\n{value}"),
            Some((first, rest)) => format!("{}\n{rest}", strip_quotes(first)),
            None => strip_quotes(value).to_owned(),
        };
        entries.push((oslo_group(&assignment.section), assignment.key, value));
    }
    if read.next().is_some() {
        return Err(parse_error(
            None,
            "novactor's INI reader found an option its oslo rules did not (a novactor bug: \
             please report it with the file)",
        ));
    }
    Ok(entries)
}
