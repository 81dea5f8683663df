//! Bad input, target 4: the configuration parser, through the very path `Config::load`
//! takes for `novactor --config-file F`: the INI text of a nova.conf file (read from disk as
//! oslo.config's `iniparser.py` reads it, multi-line values included), `OS_<GROUP>__<OPTION>` environment
//! values and command-line overrides, `$option` / `${group.option}` substitution, typing
//! and validation; then, for what loads, the `transport_url` as the RabbitMQ transport
//! parses it (`RabbitUrl::parse`, `RabbitOptions::with_url_query`). Any bytes give `Ok` or
//! a typed `ConfigError`, never a panic or a hang.
//!
//! Corpus `tests/corpus/config/`: the shipped sample `conf/nova.conf`, the two
//! `conf/examples/`, a devstack-style nova.conf (with options novactor ignores), and files
//! for substitution, clustered TLS RabbitMQ URLs, multi-line values (`[pci] alias` JSON,
//! `[filter_scheduler] enabled_filters` over indented lines) and the INI oddities oslo accepts; every
//! `invalid_*` file must be refused. Mutations are line-level (drop, duplicate, swap,
//! indent, comment out, new `name = value` lines for registry options with boundary
//! values, new sections) and byte-level; a second property builds webs of options
//! referring to each other (cycles, long chains, fan-out).

use std::path::Path;
use std::time::Duration;

use crate::support::*;
use novactor::config::{CliOverride, ConfigError, ConfigSources};
use novactor::rpc::transport::amqp::RabbitUrl;
use novactor_nova::conf::{registry, NovaConfig};
use proptest::prelude::*;
use proptest::sample::Index;

const TARGET: &str = "config";

/// Values worth trying for any option: boundaries of every option kind, references,
/// URLs, and text INI parsers trip on.
const VALUES: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "-1",
    "65535",
    "65536",
    "2147483647",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1e309",
    "-0",
    "0.0",
    "1.5",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "true",
    "False",
    "yes",
    "off",
    "2",
    "a,b,,c",
    ",",
    "k:v,k:w",
    "k:v,novalue",
    ":",
    "$host",
    "$$",
    "$",
    "${",
    "${}",
    "${.}",
    "${DEFAULT.host}",
    "${nosuch.option}",
    "$state_path/x",
    "${oslo_messaging_rabbit.ssl}",
    "rabbit://nova:secret@127.0.0.1:5672/",
    "rabbit://u:p@h1:5672,u:p@[::1]:5671/vhost?rabbit_qos_prefetch_count=10&ssl=true",
    "rabbit://u:p@h:99999/",
    "rabbit://u:p@[::1/",
    "rabbit://%zz@h/",
    "rabbit://u:p@h/%FF",
    "amqps://h?heartbeat_timeout_threshold=-1&heartbeat_timeout_threshold=2",
    "rabbit://@:/",
    "memory://",
    "kafka://h",
    "postgresql://nova:secret@127.0.0.1:5432/nova",
    "mysql+pymysql://root:pw@127.0.0.1/nova?charset=utf8",
    "sqlite:////tmp/x.sqlite",
    "sqlite://",
    "/dev/null",
    "relative/path",
    "h\u{e9}llo \u{2603}",
    "\u{0}",
    "a\\nb",
    "\\",
    "# not a comment",
    "; nor this",
    "[section]",
    "value = with = equals",
    "osapi_compute,\n    metadata,",
    "\n  compute:transient,\n  api : temporary",
    "{\n    \"name\": \"a1\",\n  }",
    "a\n\n  b",
    "\"quoted\"\n  \"next\"",
    "rabbit://u:p%2Fa%3Fb%23c%2Cd@h1,u:p@h2/v?password=x",
    "rabbit://u:p/a?b#c,d@h/",
    "mysql://u:p@h1,u:p@h2/nova?auth_token=t",
];

fn names() -> Vec<String> {
    let mut names: Vec<String> = registry().iter().map(|s| s.name.to_owned()).collect();
    names.extend(["nosuch", "HOST", "Host", "", " spaced ", "a.b"].map(str::to_owned));
    names
}

fn groups() -> Vec<String> {
    let mut groups: Vec<String> = registry().iter().map(|s| s.group.to_owned()).collect();
    groups.sort();
    groups.dedup();
    groups.extend(["default", "Default", "nosuch", "", "a.b", "DEFAULT "].map(str::to_owned));
    groups
}

/// A value: from [`VALUES`], random text, or random text around a known value.
fn value() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(VALUES).prop_map(str::to_owned),
        1 => "[^\n\r]{0,24}",
        1 => (prop::sample::select(VALUES), "[^\n\r]{0,4}").prop_map(|(v, t)| format!("{v}{t}")),
        1 => (1..3000usize).prop_map(|n| "9".repeat(n)),
    ]
    .boxed()
}

/// One line-level edit of an INI file.
#[derive(Debug, Clone)]
enum LineOp {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Indent(Index),
    CommentOut(Index),
    /// A new `name = value` line for a registry option (or another name).
    Option(Index, String, String, Index),
    /// A new `[group]` header.
    Section(Index, String),
    /// The value of a line replaced.
    Value(Index, String),
}

fn line_op() -> impl Strategy<Value = LineOp> {
    let name = prop::sample::select(names());
    let group = prop::sample::select(groups());
    prop_oneof![
        2 => any::<Index>().prop_map(LineOp::Delete),
        1 => any::<Index>().prop_map(LineOp::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| LineOp::Swap(a, b)),
        1 => any::<Index>().prop_map(LineOp::Indent),
        1 => any::<Index>().prop_map(LineOp::CommentOut),
        4 => (any::<Index>(), name, value(), any::<Index>())
            .prop_map(|(i, n, v, sep)| LineOp::Option(i, n, v, sep)),
        1 => (any::<Index>(), group).prop_map(|(i, g)| LineOp::Section(i, g)),
        4 => (any::<Index>(), value()).prop_map(|(i, v)| LineOp::Value(i, v)),
    ]
}

fn apply_lines(text: &str, ops: &[LineOp]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
    for op in ops {
        let len = lines.len();
        match op {
            LineOp::Delete(i) if len > 0 => {
                lines.remove(at(i, len));
            }
            LineOp::Duplicate(i) if len > 0 => {
                let line = lines[at(i, len)].clone();
                lines.insert(at(i, len), line);
            }
            LineOp::Swap(a, b) if len > 0 => lines.swap(at(a, len), at(b, len)),
            LineOp::Indent(i) if len > 0 => {
                let i = at(i, len);
                lines[i] = format!("    {}", lines[i]);
            }
            LineOp::CommentOut(i) if len > 0 => {
                let i = at(i, len);
                lines[i] = format!("#{}", lines[i]);
            }
            LineOp::Option(i, name, value, sep) => {
                let sep = *sep.get(&[" = ", "=", ": ", ":", " =", "\t=\t"]);
                lines.insert(at(i, len + 1), format!("{name}{sep}{value}"));
            }
            LineOp::Section(i, group) => lines.insert(at(i, len + 1), format!("[{group}]")),
            LineOp::Value(i, value) if len > 0 => {
                let i = at(i, len);
                if let Some((name, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{name}= {value}");
                }
            }
            _ => {}
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A generated configuration: a mutated corpus file, environment variables and
/// command-line overrides.
#[derive(Debug, Clone)]
struct ConfigCase {
    seed: Index,
    lines: Vec<LineOp>,
    bytes: Vec<ByteOp>,
    env: Vec<(Index, Index, bool, String)>,
    cli: Vec<(Index, Index, String)>,
}

fn config_case() -> impl Strategy<Value = ConfigCase> {
    (
        any::<Index>(),
        prop::collection::vec(line_op(), 0..8),
        prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(byte_op(), 1..4)],
        prop::collection::vec(
            (any::<Index>(), any::<Index>(), any::<bool>(), value()),
            0..4,
        ),
        prop::collection::vec((any::<Index>(), any::<Index>(), value()), 0..3),
    )
        .prop_map(|(seed, lines, bytes, env, cli)| ConfigCase {
            seed,
            lines,
            bytes,
            env,
            cli,
        })
}

/// Loads `file` with `env` and `cli` as `novactor --config-file` would, then what the
/// transport reads from the result. `Err` only for a problem in novactor.
fn load(
    file: &Path,
    text: &[u8],
    env: Vec<(String, String)>,
    cli: Vec<CliOverride>,
) -> Result<Result<(), ConfigError>, String> {
    std::fs::write(file, text).map_err(|e| format!("cannot write the case: {e}"))?;
    let sources = ConfigSources {
        config_files: vec![file.to_owned()],
        config_dirs: Vec::new(),
        default_search: Vec::new(),
        env,
        cli,
    };
    let loaded = match NovaConfig::load(&sources) {
        Ok(loaded) => loaded,
        Err(error) => {
            let text = error.to_string();
            if text.is_empty() {
                return Err(format!("{error:?} has no message"));
            }
            // rust-ini and the oslo rules around it must agree on every file.
            if text.contains("a novactor bug") {
                return Err(text);
            }
            return Ok(Err(error));
        }
    };
    let config = loaded.config;
    // What `novactor config show`, SIGHUP and the transport do with a loaded config.
    let _ = config.show();
    let _ = config.mutable_changes(&NovaConfig::default_for_tests());
    let _ = config.immutable_changes(&NovaConfig::default_for_tests());
    if let Some(url) = config.default.transport_url.as_ref() {
        if let Ok(parsed) = RabbitUrl::parse(url.expose()) {
            let _ = config.oslo_messaging_rabbit.with_url_query(&parsed.query);
        }
    }
    Ok(Ok(()))
}

/// `(name, value)` of `OS_<GROUP>__<OPTION>` variables, and the overrides.
fn env_and_cli(case: &ConfigCase) -> (Vec<(String, String)>, Vec<CliOverride>) {
    let (names, groups) = (names(), groups());
    let env = case
        .env
        .iter()
        .map(|(group, name, upper, value)| {
            let group = group.get(&groups);
            let name = name.get(&names);
            let var = format!("OS_{group}__{name}");
            (if *upper { var.to_uppercase() } else { var }, value.clone())
        })
        .collect();
    let cli = case
        .cli
        .iter()
        .map(|(group, name, value)| {
            CliOverride::new(
                group.get(&groups).clone(),
                name.get(&names).clone(),
                value.clone(),
            )
        })
        .collect();
    (env, cli)
}

#[test]
fn every_corpus_file_loads_and_every_invalid_one_is_a_config_error() {
    let seeds = corpus(TARGET);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("nova.conf");
    replay(TARGET, &seeds, |seed| {
        let outcome = load(&file, &seed.bytes, Vec::new(), Vec::new())?;
        match (seed.name.starts_with("invalid_"), outcome) {
            (false, Ok(())) | (true, Err(_)) => Ok(()),
            (false, Err(error)) => Err(format!("refused: {error}")),
            (true, Ok(())) => Err("an invalid file loaded".to_owned()),
        }
    });
}

#[test]
fn mutated_files_environment_and_overrides_load_or_are_a_config_error() {
    // The huge regression files are replayed, not mutated: each case would spend its time
    // on their 20 000 lines.
    let mut seeds = corpus(TARGET);
    seeds.retain(|seed| seed.bytes.len() < 64 << 10);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("nova.conf");
    let tokens = {
        let mut tokens = BYTE_TOKENS.to_vec();
        tokens.extend_from_slice(&[
            b"[DEFAULT]\n",
            b"\n[",
            b"]\n",
            b" = ",
            b"\n    ",
            b"#",
            b";",
        ]);
        tokens
    };
    fuzz(
        "config: mutated files, environment and overrides",
        "fuzz_config",
        3000,
        Duration::from_secs(15),
        Duration::from_secs(10),
        config_case(),
        |case, watch| {
            let seed = case.seed.get(&seeds);
            let text = String::from_utf8_lossy(&seed.bytes);
            let mut bytes = apply_lines(&text, &case.lines).into_bytes();
            apply_bytes(&mut bytes, &case.bytes, &seeds, &tokens);
            watch.input(&bytes);
            let (env, cli) = env_and_cli(&case);
            load(&file, &bytes, env.clone(), cli.clone())
                .map(drop)
                .map_err(|e| {
                    format!(
                        "{e}\nfile ({}):\n{}\nenv: {env:?}\ncli: {cli:?}",
                        seed.name,
                        show(&bytes)
                    )
                })
        },
    );
}

/// Options referring to each other: `[DEFAULT]` options (known and unknown) whose values
/// are references to others, in cycles, chains and fan-outs.
#[derive(Debug, Clone)]
struct Web {
    /// How many options; option `i` is named after [`names`] or `opt<i>`.
    size: usize,
    /// Per option: the options its value refers to (as `$name` or `${DEFAULT.name}`).
    refs: Vec<Vec<(Index, bool)>>,
    /// A chain `o0 → o1 → … → o<n>` on top, as long as this.
    chain: usize,
    /// Every option refers to the next one twice (`$next$next`): output doubles per level.
    doubling: bool,
}

fn web() -> impl Strategy<Value = Web> {
    (
        1..40usize,
        prop::collection::vec(
            prop::collection::vec((any::<Index>(), any::<bool>()), 0..4),
            40,
        ),
        prop_oneof![3 => Just(0usize), 1 => 1..200usize, 1 => 200..3000usize],
        prop::bool::weighted(0.2),
    )
        .prop_map(|(size, refs, chain, doubling)| Web {
            size,
            refs,
            chain,
            doubling,
        })
}

impl Web {
    fn text(&self) -> String {
        let known: Vec<&str> = registry()
            .iter()
            .filter(|s| s.group == "DEFAULT")
            .map(|s| s.name)
            .collect();
        let name = |i: usize| match known.get(i) {
            Some(name) if i % 2 == 0 => (*name).to_owned(),
            _ => format!("opt{i}"),
        };
        let mut text = String::from("[DEFAULT]\n");
        for i in 0..self.size {
            let mut value = String::new();
            for (target, braced) in &self.refs[i] {
                let target = name(target.index(self.size));
                value.push_str(&if *braced {
                    format!("${{DEFAULT.{target}}}")
                } else {
                    format!("${target}-")
                });
            }
            if self.doubling && i + 1 < self.size {
                let next = name(i + 1);
                value.push_str(&format!("${next}${next}"));
            }
            text.push_str(&format!("{} = {value}\n", name(i)));
        }
        if self.chain > 0 {
            text.push_str("host = $chain0\n");
            for i in 0..self.chain {
                text.push_str(&format!("chain{i} = $chain{}\n", i + 1));
            }
            text.push_str(&format!("chain{} = end\n", self.chain));
        }
        text
    }
}

#[test]
fn webs_of_references_load_or_are_a_config_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("nova.conf");
    fuzz(
        "config: webs of references",
        "fuzz_config",
        1000,
        Duration::from_secs(10),
        Duration::from_secs(10),
        web(),
        |web, watch| {
            let text = web.text();
            watch.input(text.as_bytes());
            load(&file, text.as_bytes(), Vec::new(), Vec::new())
                .map(drop)
                .map_err(|e| format!("{e}\nfile:\n{}", show(text.as_bytes())))
        },
    );
}
