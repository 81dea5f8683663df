//! A placement outage, logged once: a `warn!` when the first request finds placement (or
//! Keystone) unreachable, an `info!` with its length and the number of failed requests when
//! a request gets through again. Nova's `safe_connect` warns on every failed call; with a
//! thousand computes in one process that would be a thousand lines a minute.
//!
//! Requests overlap, so an answer to a request sent before the state last changed does not
//! flip it back: a slow success from before the outage does not end it, a slow failure from
//! before the recovery does not start a new one.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The outage in progress, if any.
#[derive(Debug, Default)]
pub(super) struct OutageLog {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Since when placement is unreachable, and how many requests failed since.
    outage: Option<(Instant, u64)>,
    /// When `outage` last changed.
    changed: Option<Instant>,
}

impl State {
    /// Whether an answer to a request sent at `sent` may change the state.
    fn current(&self, sent: Instant) -> bool {
        self.changed.is_none_or(|changed| sent >= changed)
    }
}

impl OutageLog {
    /// A request sent at `sent` found placement unreachable (`error`).
    pub(super) fn failed(&self, sent: Instant, error: &dyn std::fmt::Display) {
        let started = {
            let mut state = self.lock();
            let current = state.current(sent);
            match &mut state.outage {
                Some((_, failures)) => {
                    *failures += 1;
                    false
                }
                None if current => {
                    let now = Instant::now();
                    state.outage = Some((now, 1));
                    state.changed = Some(now);
                    true
                }
                None => false,
            }
        };
        if started {
            tracing::warn!(
                error = %error,
                "Placement API service is not responding; placement updates fail (and are \
                 retried by the next periodic run) until it answers again"
            );
        }
    }

    /// A request sent at `sent` got an answer from placement.
    pub(super) fn answered(&self, sent: Instant) {
        let ended = {
            let mut state = self.lock();
            match state.outage {
                Some((since, failures)) if state.current(sent) => {
                    let now = Instant::now();
                    state.outage = None;
                    state.changed = Some(now);
                    Some((now.duration_since(since), failures))
                }
                _ => None,
            }
        };
        if let Some((lasted, failed_requests)) = ended {
            tracing::info!(
                outage_secs = lasted.as_secs_f64(),
                failed_requests,
                "Placement API service is responding again after {:.1} s",
                lasted.as_secs_f64()
            );
        }
    }

    /// How long the current outage has lasted, if placement is unreachable.
    pub(super) fn outage(&self) -> Option<Duration> {
        self.lock().outage.map(|(since, _)| since.elapsed())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two plain fields, consistent after every statement: a panic while
        // holding the lock cannot leave it half-written, so a poisoned lock is still good.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_starts_once_and_ends_once() {
        let log = OutageLog::default();
        let before = Instant::now();
        assert_eq!(log.outage(), None);
        log.failed(Instant::now(), &"refused");
        log.failed(Instant::now(), &"refused");
        assert!(log.outage().is_some());
        // A success to a request sent before the outage began does not end it.
        log.answered(before);
        assert!(log.outage().is_some());
        log.answered(Instant::now());
        assert_eq!(log.outage(), None);
        // A failure of a request sent during the outage does not start a new one.
        log.failed(before, &"refused");
        assert_eq!(log.outage(), None);
    }
}
