//! Shared by the fuzz targets (issue 8, "Bad input"): each target's corpus in
//! `tests/corpus/<target>/`, byte- and JSON-level mutations of its seeds, and a proptest
//! runner bounded in cases and in wall-clock time, whose failures persist in
//! `proptest-regressions/tests/fuzz_<target>.txt` (named after the targets' old test
//! binaries, kept so the saved seeds still replay).
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

mod bytes;
mod json;
mod mutation;
mod runner;

pub use bytes::*;
pub use json::*;
pub use mutation::*;
pub use runner::*;
