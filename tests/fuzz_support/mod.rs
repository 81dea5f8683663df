//! Shared by the `fuzz_*` tests (issue 8, "Bad input"): each target's corpus in
//! `tests/corpus/<target>/`, byte- and JSON-level mutations of its seeds, and a proptest
//! runner bounded in cases and in wall-clock time, whose failures persist in
//! `proptest-regressions/tests/<test file>.txt`.
//!
//! A target first replays every corpus file verbatim ([`replay`]), then runs generated
//! cases ([`fuzz`]): a [`Mutation`] picks a corpus file and applies random JSON edits
//! (replace a node with another type, delete, insert keys, duplicate, nest deeply, long
//! strings, raw tokens such as `1e999`) and byte edits (flip, set, insert, delete,
//! truncate, splice in part of another seed, repeat, dictionary tokens such as invalid
//! UTF-8).
//!
//! Knobs (environment variables):
//! - `NOVACTOR_FUZZ_CASES=N`: N generated cases per property instead of its CI default;
//!   the time budget is then off unless `NOVACTOR_FUZZ_SECONDS` is set too.
//! - `NOVACTOR_FUZZ_SECONDS=S`: wall-clock budget of each property's generated cases
//!   (without `NOVACTOR_FUZZ_CASES`, each property's own CI default, at most 20 s); cases
//!   past it are skipped and counted.
//! - `NOVACTOR_FUZZ_SEED=N` (u64): the RNG seed; random by default, printed by every run,
//!   so a failure found in CI replays exactly.
#![allow(dead_code, unreachable_pub)]

use std::cell::Cell;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};
use serde_json::{Map, Value};

/// One corpus file.
#[derive(Debug, Clone)]
pub struct Seed {
    /// File name inside the target's corpus directory.
    pub name: String,
    /// Its bytes, verbatim.
    pub bytes: Vec<u8>,
}

/// `tests/corpus/<target>`.
pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("tests/corpus")
        .join(target)
}

/// Every file of `tests/corpus/<target>/` (but `README.md`), sorted by name.
///
/// # Panics
/// If the directory is missing or empty: a target without seeds fuzzes nothing useful.
pub fn corpus(target: &str) -> Vec<Seed> {
    let dir = corpus_dir(target);
    let mut seeds: Vec<Seed> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file() && path.file_name().is_some_and(|n| n != "README.md"))
        .map(|path| Seed {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        })
        .collect();
    seeds.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!seeds.is_empty(), "corpus {} is empty", dir.display());
    seeds
}

/// `bytes` for a failure message: the text when it is short UTF-8, else escaped and cut.
pub fn show(bytes: &[u8]) -> String {
    const MAX: usize = 4000;
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.escape_ascii().to_string(),
    };
    if text.len() <= MAX {
        text
    } else {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}… ({} bytes in all)", &text[..cut], bytes.len())
    }
}

/// Cases and time of one property, from the environment (see the module doc).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Generated cases to run.
    pub cases: u32,
    /// Wall-clock budget of the generated cases, if any.
    pub time: Option<Duration>,
    /// RNG seed.
    pub seed: u64,
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={text:?} is not a whole number"),
    }
}

impl Budget {
    /// The CI defaults (`default_cases` within `default_time`), or what the environment
    /// asks for.
    pub fn from_env(default_cases: u32, default_time: Duration) -> Self {
        let cases = env_number("NOVACTOR_FUZZ_CASES");
        let seconds = env_number("NOVACTOR_FUZZ_SECONDS");
        let time = match (cases, seconds) {
            (_, Some(s)) => Some(Duration::from_secs(s)),
            (Some(_), None) => None,
            (None, None) => Some(default_time),
        };
        Self {
            cases: cases.map_or(default_cases, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            time,
            seed: env_number("NOVACTOR_FUZZ_SEED").unwrap_or_else(rand::random),
        }
    }
}

#[derive(Debug, Default)]
struct WatchState {
    started: Option<Instant>,
    input: Vec<u8>,
}

/// What a case is working on, for the hang watchdog of [`fuzz`].
#[derive(Debug, Clone)]
pub struct Watch {
    state: Arc<Mutex<WatchState>>,
}

impl Watch {
    /// A watch no watchdog looks at (for replaying the corpus outside [`fuzz`]).
    pub fn detached() -> Self {
        Self {
            state: Arc::new(Mutex::new(WatchState::default())),
        }
    }

    /// Record the input the running case sends to the code under test: printed if the case
    /// hangs.
    pub fn input(&self, bytes: &[u8]) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.input.clear();
        state.input.extend_from_slice(bytes);
    }

    fn begin(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.started = Some(Instant::now());
        state.input.clear();
    }

    fn end(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .started = None;
    }
}

/// A thread that ends the whole test process (exit 1, with the input) when one case runs
/// longer than `limit`: a hang cannot be caught like a panic.
fn watchdog(name: String, limit: Duration) -> (Watch, Arc<AtomicBool>) {
    let watch = Watch {
        state: Arc::new(Mutex::new(WatchState::default())),
    };
    let done = Arc::new(AtomicBool::new(false));
    let (state, stop) = (Arc::clone(&watch.state), Arc::clone(&done));
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let state = state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.started.is_some_and(|t| t.elapsed() > limit) {
                eprintln!(
                    "{name}: one case has run for more than {limit:?}: a hang. Input:\n{}",
                    show(&state.input)
                );
                std::process::exit(1);
            }
        }
    });
    (watch, done)
}

/// Runs `test` on every corpus seed verbatim; panics listing every seed that failed.
pub fn replay(target: &str, seeds: &[Seed], test: impl Fn(&Seed) -> Result<(), String>) {
    let mut failures = Vec::new();
    for seed in seeds {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(seed)))
            .unwrap_or_else(|panic| {
                Err(format!(
                    "panicked: {}",
                    panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("?")
                ))
            });
        if let Err(problem) = outcome {
            failures.push(format!("{}: {problem}", seed.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: corpus seeds failed:\n{}",
        failures.join("\n")
    );
}

/// Runs `test` on `strategy`'s cases: as many as the [`Budget`] says (in CI
/// `default_cases` within `default_time`), a case running longer than `case_limit` ending
/// the process as a hang. `regressions` names the file under `proptest-regressions/tests/`
/// where proptest keeps the seeds of failures (commit it), replayed first by every run.
///
/// # Panics
/// On a failure, with the minimal failing value and how to replay it.
pub fn fuzz<S>(
    property: &str,
    regressions: &str,
    default_cases: u32,
    default_time: Duration,
    case_limit: Duration,
    strategy: S,
    test: impl Fn(S::Value, &Watch) -> Result<(), String>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let budget = Budget::from_env(default_cases, default_time);
    let persistence: &'static str = Box::leak(
        format!(
            "{}/proptest-regressions/tests/{regressions}.txt",
            concat!(env!("CARGO_MANIFEST_DIR"), "/..")
        )
        .into_boxed_str(),
    );
    let config = Config {
        cases: budget.cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(persistence))),
        rng_seed: RngSeed::Fixed(budget.seed),
        // Shrinking re-runs the property: bounded so a failure reports within a minute.
        max_shrink_time: 60_000,
        max_shrink_iters: 2_000,
        max_global_rejects: budget.cases.saturating_mul(4).max(1024),
        ..Config::default()
    };
    let (watch, done) = watchdog(property.to_owned(), case_limit);
    let started = Instant::now();
    let deadline = budget.time.map(|t| started + t);
    let (ran, skipped) = (Cell::new(0u64), Cell::new(0u64));
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |value| {
        if deadline.is_some_and(|d| Instant::now() > d) {
            skipped.set(skipped.get() + 1);
            return Ok(());
        }
        ran.set(ran.get() + 1);
        watch.begin();
        let outcome = test(value, &watch);
        watch.end();
        outcome.map_err(TestCaseError::fail)
    });
    done.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    match result {
        Ok(()) => eprintln!(
            "{property}: {} cases in {:.1} s, {} skipped past the time budget (NOVACTOR_FUZZ_SEED={})",
            ran.get(),
            elapsed.as_secs_f64(),
            skipped.get(),
            budget.seed
        ),
        Err(TestError::Fail(reason, value)) => panic!(
            "{property}: {reason}\nminimal failing case: {value:#?}\n\
             replay: NOVACTOR_FUZZ_SEED={} (the seed is also saved in {persistence}); \
             once fixed, add the input to the corpus as the regression",
            budget.seed
        ),
        Err(TestError::Abort(reason)) => panic!("{property}: aborted: {reason}"),
    }
}

/// Tokens a byte mutation may insert; the targets add their own.
pub const BYTE_TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\\u0000",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"-",
    b"1e999",
    b"-0",
    b"18446744073709551616",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x92",
    b"\r\n",
    b"\n",
    b" ",
    b"\t",
    b"=",
    b"%",
    b"$",
    b"${",
];

/// Raw JSON a [`JsonOp::Raw`] may put where a value was: numbers serde_json cannot hold
/// and tokens that are not JSON at all.
pub const RAW_JSON: &[&str] = &[
    "1e999",
    "-1e999",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "1.7976931348623157e309",
    "4.9e-325",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "01",
    "1.",
    ".5",
    "+1",
    "None",
    "True",
    "undefined",
    "'single'",
    "\"\\ud800\"",
    "\"\\udfff\\ud800\"",
    "\"\\u0000\"",
    "\"unterminated",
    "[",
    "{\"a\":}",
    "",
];

/// One byte-level edit. Positions are [`Index`]es, scaled to the buffer's length.
#[derive(Debug, Clone)]
pub enum ByteOp {
    /// Flip one bit.
    FlipBit(Index, u8),
    /// Overwrite one byte.
    SetByte(Index, u8),
    /// Insert random bytes.
    Insert(Index, Vec<u8>),
    /// Insert a dictionary token.
    Token(Index, Index),
    /// Delete up to 32 bytes.
    Delete(Index, u8),
    /// Cut the rest.
    Truncate(Index),
    /// Insert a slice of another seed (seed, start, length, position).
    Splice(Index, Index, u16, Index),
    /// Repeat a slice (start, length, times): long and deep inputs.
    Repeat(Index, u8, u16),
}

/// Inputs never grow past this (the API reads bodies up to 1 MiB).
const MAX_LEN: usize = 3 << 20;

fn at(index: &Index, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        index.index(len)
    }
}

/// Any [`ByteOp`].
pub fn byte_op() -> BoxedStrategy<ByteOp> {
    prop_oneof![
        3 => (any::<Index>(), 0..8u8).prop_map(|(i, b)| ByteOp::FlipBit(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteOp::SetByte(i, b)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| ByteOp::Insert(i, b)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(i, t)| ByteOp::Token(i, t)),
        3 => (any::<Index>(), 1..32u8).prop_map(|(i, n)| ByteOp::Delete(i, n)),
        1 => any::<Index>().prop_map(ByteOp::Truncate),
        2 => (any::<Index>(), any::<Index>(), 1..512u16, any::<Index>())
            .prop_map(|(s, f, n, i)| ByteOp::Splice(s, f, n, i)),
        1 => (any::<Index>(), 1..64u8, prop_oneof![4 => 2..8u16, 4 => 100..5000u16, 1 => 20_000..40_000u16])
            .prop_map(|(s, n, t)| ByteOp::Repeat(s, n, t)),
    ]
    .boxed()
}

/// Applies `ops` to `data`; `seeds` feed splices, `tokens` the token inserts.
pub fn apply_bytes(data: &mut Vec<u8>, ops: &[ByteOp], seeds: &[Seed], tokens: &[&[u8]]) {
    for op in ops {
        let len = data.len();
        match op {
            ByteOp::FlipBit(i, bit) if len > 0 => data[at(i, len)] ^= 1 << (bit % 8),
            ByteOp::SetByte(i, byte) if len > 0 => data[at(i, len)] = *byte,
            ByteOp::FlipBit(..) | ByteOp::SetByte(..) => {}
            ByteOp::Insert(i, bytes) => {
                let pos = at(i, len + 1);
                data.splice(pos..pos, bytes.iter().copied());
            }
            ByteOp::Token(i, t) => {
                let token = t.get(tokens);
                let pos = at(i, len + 1);
                data.splice(pos..pos, token.iter().copied());
            }
            ByteOp::Delete(i, n) => {
                let pos = at(i, len);
                let end = (pos + usize::from(*n)).min(len);
                data.drain(pos..end);
            }
            ByteOp::Truncate(i) => data.truncate(at(i, len)),
            ByteOp::Splice(s, from, n, i) => {
                let other = &s.get(seeds).bytes;
                let start = at(from, other.len());
                let end = (start + usize::from(*n)).min(other.len());
                let pos = at(i, len + 1);
                data.splice(pos..pos, other[start..end].iter().copied());
            }
            ByteOp::Repeat(s, n, times) if len > 0 => {
                let start = at(s, len);
                let end = (start + usize::from(*n)).min(len);
                let piece = data[start..end].to_vec();
                let total = piece.len() * usize::from(*times);
                if len + total <= MAX_LEN {
                    let repeated: Vec<u8> = piece.iter().copied().cycle().take(total).collect();
                    data.splice(end..end, repeated);
                }
            }
            ByteOp::Repeat(..) => {}
        }
        data.truncate(MAX_LEN);
    }
}

/// Strings worth trying anywhere a string goes.
pub const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "null",
    "None",
    "0",
    "-1",
    "1.5",
    "true",
    "70a599e0-31e7-49b7-b260-868f441e862b",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    " padded ",
    "h\u{e9}llo \u{2603}",
    "\u{0}",
    "\u{feff}",
    "\u{202e}rtl",
    "\u{1F4A9}",
    "../../etc/passwd",
    "%s%s%s%n",
    "${DEFAULT.host}",
    "$host",
    "'; DROP TABLE instances; --",
    "<script>",
    "\\",
    "\n",
];

/// Any JSON value up to a few levels deep: leaves are boundary numbers, random numbers,
/// `strings` and random text; object keys come from `keys` or are random.
pub fn json_value(keys: Vec<String>, strings: Vec<String>) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        prop::sample::select(strings).prop_map(Value::String),
        ".{0,24}".prop_map(Value::String),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    let key = prop_oneof![3 => prop::sample::select(keys), 1 => ".{0,12}"];
    leaf.prop_recursive(3, 24, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Boundary numbers (0, ±1, 2^31, 2^32, 2^63, u64::MAX, 1e308, …), small ones and any.
pub fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        integer(),
        float(),
        Just(Value::from(u64::MAX)),
        Just(Value::from(1e19))
    ]
    .boxed()
}

/// Integers an i64 holds: boundaries, small ones, any.
pub fn integer() -> BoxedStrategy<Value> {
    prop_oneof![
        prop::sample::select(vec![
            0,
            1,
            -1,
            2,
            255,
            1000,
            1001,
            65535,
            65536,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::from(u32::MAX),
            1 << 32,
            1 << 53,
            i64::MAX,
            i64::MAX - 1023,
            i64::MIN,
            i64::MIN + 1,
        ]),
        -3..2000i64,
        any::<i64>(),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// Floats: boundaries, small ones, any finite one.
pub fn float() -> BoxedStrategy<Value> {
    prop_oneof![
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.5,
            1e308,
            -1e308,
            5e-324,
            f64::MAX,
            f64::MIN
        ]),
        0.0..16.0f64,
        any::<f64>(),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// One edit of a JSON document. Nodes are [`Index`]es into its nodes in pre-order (the
/// root is one of them).
#[derive(Debug, Clone)]
pub enum JsonOp {
    /// Put another value (often of another type) in place of a node.
    Replace(Index, Value),
    /// Remove a node from its object or array (the root becomes null).
    Remove(Index),
    /// Add a key to the nearest object at or above a node.
    InsertKey(Index, String, Value),
    /// Append a copy of a node to its array, or of an array's first element.
    Duplicate(Index),
    /// Wrap a node in `depth` arrays (or objects).
    Nest(Index, u16, bool),
    /// Replace a node with a string of `len` times `ch`.
    LongString(Index, u32, char),
    /// Replace a node with raw text from [`RAW_JSON`], which may not be JSON at all.
    Raw(Index, Index),
    /// Give a leaf another value of its own type (an integer, a float, a string or the
    /// other boolean; a null becomes the integer): the document stays well-typed, so the
    /// edit reaches past parsing into what the values mean.
    Tweak(Index, Value, Value, String),
}

fn tweak(text: impl Strategy<Value = String> + 'static) -> BoxedStrategy<JsonOp> {
    (any::<Index>(), integer(), float(), text)
        .prop_map(|(i, n, f, t)| JsonOp::Tweak(i, n, f, t))
        .boxed()
}

/// Any [`JsonOp`], with `keys` and `strings` for the values it brings in.
pub fn json_op(keys: Vec<String>, strings: Vec<String>) -> BoxedStrategy<JsonOp> {
    let value = json_value(keys.clone(), strings.clone());
    let text = prop_oneof![prop::sample::select(strings), ".{0,24}"];
    prop_oneof![
        6 => tweak(text.clone()),
        6 => (any::<Index>(), value.clone()).prop_map(|(i, v)| JsonOp::Replace(i, v)),
        3 => any::<Index>().prop_map(JsonOp::Remove),
        3 => (any::<Index>(), prop_oneof![3 => prop::sample::select(keys), 1 => ".{0,12}"], value)
            .prop_map(|(i, k, v)| JsonOp::InsertKey(i, k, v)),
        1 => any::<Index>().prop_map(JsonOp::Duplicate),
        1 => (any::<Index>(), prop_oneof![1..8u16, 120..140u16, 1000..3000u16], any::<bool>())
            .prop_map(|(i, d, a)| JsonOp::Nest(i, d, a)),
        1 => (any::<Index>(), prop_oneof![200..300u32, 60_000..70_000u32], prop::sample::select(vec!['a', ' ', '\u{e9}', '\u{0}', '"', '\\']))
            .prop_map(|(i, n, c)| JsonOp::LongString(i, n, c)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, t)| JsonOp::Raw(i, t)),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Item(usize),
}

fn node_paths(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                node_paths(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Item(index));
                node_paths(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(mut value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    for step in path {
        value = match (value, step) {
            (Value::Object(map), Step::Key(key)) => map.get_mut(key)?,
            (Value::Array(items), Step::Item(index)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(value)
}

fn pick(value: &Value, index: &Index) -> Vec<Step> {
    let mut paths = Vec::new();
    node_paths(value, &mut Vec::new(), &mut paths);
    index.get(&paths).clone()
}

/// `value` after `ops`, as JSON text ([`JsonOp::Raw`] tokens spliced in verbatim).
pub fn apply_json(mut value: Value, ops: &[JsonOp]) -> String {
    let mut raw = Vec::new();
    for op in ops {
        match op {
            JsonOp::Replace(i, new) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    *node = new.clone();
                }
            }
            JsonOp::Remove(i) => {
                let path = pick(&value, i);
                match path.split_last() {
                    None => value = Value::Null,
                    Some((last, parent)) => match (node_mut(&mut value, parent), last) {
                        (Some(Value::Object(map)), Step::Key(key)) => {
                            map.shift_remove(key);
                        }
                        (Some(Value::Array(items)), Step::Item(index)) => {
                            items.remove(*index);
                        }
                        _ => {}
                    },
                }
            }
            JsonOp::InsertKey(i, key, new) => {
                let mut path = pick(&value, i);
                loop {
                    if let Some(Value::Object(map)) = node_mut(&mut value, &path) {
                        map.insert(key.clone(), new.clone());
                        break;
                    }
                    if path.pop().is_none() {
                        break;
                    }
                }
            }
            JsonOp::Duplicate(i) => {
                let path = pick(&value, i);
                match path.split_last() {
                    Some((Step::Item(index), parent)) => {
                        if let Some(Value::Array(items)) = node_mut(&mut value, parent) {
                            let copy = items[*index].clone();
                            items.push(copy);
                        }
                    }
                    _ => {
                        if let Some(Value::Array(items)) = node_mut(&mut value, &path) {
                            if let Some(first) = items.first().cloned() {
                                items.push(first);
                            }
                        }
                    }
                }
            }
            JsonOp::Nest(i, depth, array) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    // Deep nesting is spliced in as text: serde_json's Value would recurse
                    // on drop and on serialization.
                    let inner = std::mem::take(node).to_string();
                    let (open, close) = if *array { ("[", "]") } else { ("{\"a\":", "}") };
                    let depth = usize::from(*depth);
                    raw.push(format!(
                        "{}{inner}{}",
                        open.repeat(depth),
                        close.repeat(depth)
                    ));
                    *node = Value::String(format!("\u{1}raw{}\u{1}", raw.len() - 1));
                }
            }
            JsonOp::LongString(i, len, ch) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    *node = Value::String(ch.to_string().repeat(*len as usize));
                }
            }
            JsonOp::Tweak(i, integer, float, text) => {
                // The leaves only: a tweak of the root or a container would be a replace.
                let mut paths = Vec::new();
                node_paths(&value, &mut Vec::new(), &mut paths);
                paths.retain(|p| {
                    node_mut(&mut value, p).is_some_and(|n| !(n.is_object() || n.is_array()))
                });
                if paths.is_empty() {
                    continue;
                }
                let path = i.get(&paths).clone();
                if let Some(node) = node_mut(&mut value, &path) {
                    *node = match node {
                        Value::Number(n) if n.is_f64() => float.clone(),
                        Value::Number(_) | Value::Null => integer.clone(),
                        Value::String(_) => Value::String(text.clone()),
                        Value::Bool(b) => Value::Bool(!*b),
                        _ => continue,
                    };
                }
            }
            JsonOp::Raw(i, token) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    raw.push((*token.get(RAW_JSON)).to_owned());
                    *node = Value::String(format!("\u{1}raw{}\u{1}", raw.len() - 1));
                }
            }
        }
    }
    let mut text = value.to_string();
    // Later tokens may hold earlier markers (a nest around a raw token): last first.
    for (n, token) in raw.iter().enumerate().rev() {
        text = text.replace(&format!("\"\\u0001raw{n}\\u0001\""), token);
    }
    text
}

/// A generated input: a corpus file with JSON edits (when it is JSON) then byte edits.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// Which corpus file.
    pub seed: Index,
    /// JSON edits, applied first.
    pub json: Vec<JsonOp>,
    /// Byte edits, applied to the result.
    pub bytes: Vec<ByteOp>,
}

impl Mutation {
    /// The name of the seed this starts from.
    pub fn seed<'a>(&self, seeds: &'a [Seed]) -> &'a Seed {
        self.seed.get(seeds)
    }

    /// The input: the seed with the JSON edits (if it parses as JSON) and the byte edits.
    pub fn apply(&self, seeds: &[Seed], tokens: &[&[u8]]) -> Vec<u8> {
        let seed = &self.seed(seeds).bytes;
        let mut data = match serde_json::from_slice::<Value>(seed) {
            Ok(value) if !self.json.is_empty() => apply_json(value, &self.json).into_bytes(),
            _ => seed.clone(),
        };
        apply_bytes(&mut data, &self.bytes, seeds, tokens);
        data
    }
}

/// Mutations of corpus seeds: mostly JSON edits (structure-aware, some only same-type
/// value changes), some byte edits on top or alone.
pub fn mutation(keys: &[&str], strings: &[&str]) -> impl Strategy<Value = Mutation> {
    let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    let strings: Vec<String> = STRINGS
        .iter()
        .chain(strings)
        .map(|s| (*s).to_owned())
        .collect();
    let text = prop_oneof![prop::sample::select(strings.clone()), ".{0,24}"];
    let op = json_op(keys, strings);
    let bytes = prop::collection::vec(byte_op(), 1..5);
    prop_oneof![
        4 => (any::<Index>(), prop::collection::vec(op.clone(), 1..5), Just(Vec::new())),
        // Many same-type edits at once: still parses, means something else.
        2 => (any::<Index>(), prop::collection::vec(tweak(text), 1..12), Just(Vec::new())),
        2 => (any::<Index>(), Just(Vec::new()), bytes.clone()),
        1 => (any::<Index>(), prop::collection::vec(op, 1..4), bytes),
    ]
    .prop_map(|(seed, json, bytes)| Mutation { seed, json, bytes })
}

/// Mutations that only change values, keeping each one's type ([`JsonOp::Tweak`]): the
/// input still parses, so they test what the values mean.
pub fn tweaks(strings: &[&str]) -> impl Strategy<Value = Mutation> {
    let strings: Vec<String> = STRINGS
        .iter()
        .chain(strings)
        .map(|s| (*s).to_owned())
        .collect();
    let text = prop_oneof![prop::sample::select(strings), ".{0,24}"];
    (any::<Index>(), prop::collection::vec(tweak(text), 1..12)).prop_map(|(seed, json)| Mutation {
        seed,
        json,
        bytes: Vec::new(),
    })
}

/// A JSON object from a seed's bytes (for targets whose seeds are JSON).
pub fn json_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}
