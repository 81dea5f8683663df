//! Waiting on a condition with a deadline, never a fixed sleep: the one poll loop of the
//! tests. A condition answers `bool`, `Option<T>` (the value it waited for) or
//! `Result<T, String>` (the value, or what it saw instead, for the failure message).
//! [`wait_until`] is for async tests; [`wait_until_blocking`] for plain `#[test]`s and
//! helper threads that have no runtime.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

/// How often a condition is asked again.
const POLL: Duration = Duration::from_millis(10);

/// What a condition answered: done (with a value), or not yet (with what it saw, if it
/// says).
pub trait Settled {
    /// What the wait returns once the condition holds.
    type Value;
    /// `Ok` when the condition holds; else what was seen, for the timeout message.
    fn settled(self) -> Result<Self::Value, Option<String>>;
}

impl Settled for bool {
    type Value = ();
    fn settled(self) -> Result<(), Option<String>> {
        if self {
            Ok(())
        } else {
            Err(None)
        }
    }
}

impl<T> Settled for Option<T> {
    type Value = T;
    fn settled(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T> Settled for Result<T, String> {
    type Value = T;
    fn settled(self) -> Result<T, Option<String>> {
        self.map_err(Some)
    }
}

fn timed_out(deadline: Duration, what: &str, last: Option<String>) -> String {
    match last {
        Some(last) => format!("timed out after {deadline:?} waiting for {what}; last seen: {last}"),
        None => format!("timed out after {deadline:?} waiting for {what}"),
    }
}

/// Ask `condition` every 10 ms until it holds and return its value; panic naming `what`
/// (and the last thing seen) after `deadline`. Tokio's clock, so paused time works.
pub async fn wait_until<S: Settled>(
    deadline: Duration,
    what: &str,
    mut condition: impl AsyncFnMut() -> S,
) -> S::Value {
    let end = tokio::time::Instant::now() + deadline;
    loop {
        let last = match condition().await.settled() {
            Ok(value) => return value,
            Err(last) => last,
        };
        assert!(
            tokio::time::Instant::now() < end,
            "{}",
            timed_out(deadline, what, last)
        );
        tokio::time::sleep(POLL).await;
    }
}

/// [`wait_until`] for code without a runtime: the thread sleeps between asks.
pub fn wait_until_blocking<S: Settled>(
    deadline: Duration,
    what: &str,
    mut condition: impl FnMut() -> S,
) -> S::Value {
    let end = std::time::Instant::now() + deadline;
    loop {
        let last = match condition().settled() {
            Ok(value) => return value,
            Err(last) => last,
        };
        assert!(
            std::time::Instant::now() < end,
            "{}",
            timed_out(deadline, what, last)
        );
        std::thread::sleep(POLL);
    }
}
