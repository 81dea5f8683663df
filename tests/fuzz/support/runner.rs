//! A fuzz target's run: its corpus read from `tests/corpus/<target>/`, replayed verbatim,
//! then generated cases under a [`Budget`] of cases and wall-clock time, with a watchdog
//! ending the process on a hang and proptest's failure persistence.
#![allow(dead_code, unreachable_pub)]

use std::cell::Cell;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};

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
