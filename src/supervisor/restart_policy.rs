//! Restart intensity and backoff (OTP's `intensity`/`period`, plus exponential backoff with
//! jitter that resets after a stable period).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Limits from `[supervisor]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartLimits {
    /// More than this many restarts within `period` isolates the actor.
    pub intensity: u32,
    /// The sliding window for `intensity`.
    pub period: Duration,
    /// Delay before the first restart.
    pub backoff_initial: Duration,
    /// Upper bound of the delay.
    pub backoff_max: Duration,
    /// Running this long without failure forgets earlier failures.
    pub stable_period: Duration,
}

/// The decision after a failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RestartDecision {
    /// Restart after this delay.
    RestartAfter(Duration),
    /// Too many restarts: stop trying.
    GiveUp {
        /// Restarts counted in the window.
        restarts: u32,
    },
}

/// One actor's failure history.
#[derive(Debug, Clone, Default)]
pub struct RestartHistory {
    restarts: VecDeque<Instant>,
    /// Failures since the last stable period, driving the backoff exponent.
    streak: u32,
}

impl RestartHistory {
    /// Record a failure at `now` of an incarnation that started at `started_at`, and decide.
    /// `jitter` in [0, 1) spreads the delay by up to +20 %.
    pub fn on_failure(
        &mut self,
        limits: &RestartLimits,
        now: Instant,
        started_at: Option<Instant>,
        jitter: f64,
    ) -> RestartDecision {
        if started_at.is_some_and(|at| now.duration_since(at) >= limits.stable_period) {
            self.restarts.clear();
            self.streak = 0;
        }
        while self
            .restarts
            .front()
            .is_some_and(|at| now.duration_since(*at) > limits.period)
        {
            self.restarts.pop_front();
        }
        let in_window = u32::try_from(self.restarts.len()).unwrap_or(u32::MAX);
        if in_window >= limits.intensity {
            return RestartDecision::GiveUp {
                restarts: in_window,
            };
        }
        self.restarts.push_back(now);
        self.streak = self.streak.saturating_add(1);
        RestartDecision::RestartAfter(backoff(limits, self.streak, jitter))
    }

    /// Restarts inside the current window.
    pub fn recent(&self) -> usize {
        self.restarts.len()
    }
}

/// `initial × 2^(n-1)`, capped at `max`, stretched by up to 20 % jitter (still capped).
pub fn backoff(limits: &RestartLimits, attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let base = limits.backoff_initial.as_secs_f64() * f64::from(1u32 << exponent);
    let capped = base.min(limits.backoff_max.as_secs_f64());
    let stretched = capped * (1.0 + 0.2 * jitter.clamp(0.0, 1.0));
    Duration::from_secs_f64(stretched.min(limits.backoff_max.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RestartLimits {
        RestartLimits {
            intensity: 3,
            period: Duration::from_secs(10),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            stable_period: Duration::from_secs(30),
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let l = limits();
        assert_eq!(backoff(&l, 1, 0.0), Duration::from_millis(100));
        assert_eq!(backoff(&l, 2, 0.0), Duration::from_millis(200));
        assert_eq!(backoff(&l, 3, 0.0), Duration::from_millis(400));
        assert_eq!(backoff(&l, 10, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(&l, 10, 0.99), Duration::from_secs(1));
        let jittered = backoff(&l, 1, 0.5);
        assert!(jittered > Duration::from_millis(100) && jittered <= Duration::from_millis(120));
    }

    #[test]
    fn more_than_intensity_restarts_in_the_period_gives_up() {
        let l = limits();
        let mut history = RestartHistory::default();
        let t0 = Instant::now();
        for i in 0..3 {
            let decision = history.on_failure(&l, t0 + Duration::from_secs(i), Some(t0), 0.0);
            assert!(
                matches!(decision, RestartDecision::RestartAfter(_)),
                "{i}: {decision:?}"
            );
        }
        assert_eq!(
            history.on_failure(&l, t0 + Duration::from_secs(3), Some(t0), 0.0),
            RestartDecision::GiveUp { restarts: 3 }
        );
    }

    #[test]
    fn failures_older_than_the_period_do_not_count() {
        let l = limits();
        let mut history = RestartHistory::default();
        let t0 = Instant::now();
        for i in 0..3 {
            history.on_failure(&l, t0 + Duration::from_secs(i), Some(t0), 0.0);
        }
        let later = t0 + Duration::from_secs(15);
        assert!(matches!(
            history.on_failure(&l, later, Some(later - Duration::from_secs(1)), 0.0),
            RestartDecision::RestartAfter(_)
        ));
        assert_eq!(history.recent(), 1);
    }

    #[test]
    fn a_stable_run_resets_the_backoff() {
        let l = limits();
        let mut history = RestartHistory::default();
        let t0 = Instant::now();
        history.on_failure(&l, t0, Some(t0), 0.0);
        assert_eq!(
            history.on_failure(&l, t0 + Duration::from_secs(1), Some(t0), 0.0),
            RestartDecision::RestartAfter(Duration::from_millis(200))
        );
        let start = t0 + Duration::from_secs(2);
        assert_eq!(
            history.on_failure(&l, start + Duration::from_secs(31), Some(start), 0.0),
            RestartDecision::RestartAfter(Duration::from_millis(100))
        );
    }

    #[test]
    fn intensity_zero_never_restarts() {
        let l = RestartLimits {
            intensity: 0,
            ..limits()
        };
        let t0 = Instant::now();
        assert_eq!(
            RestartHistory::default().on_failure(&l, t0, Some(t0), 0.0),
            RestartDecision::GiveUp { restarts: 0 }
        );
    }
}
