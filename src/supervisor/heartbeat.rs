//! The service heartbeat (Nova: servicegroup `join` + `_report_state` timer): the service
//! row is created or updated at once, the first report follows after
//! `INITIAL_REPORTING_DELAY`, then every `report_interval`. A failure is logged once
//! per outage, counted, and never stops the timer.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;

use crate::servicegroup::{ServiceGroup, ServiceGroupError};
use crate::snapshot::HeartbeatSnapshot;

/// Nova `servicegroup.api.INITIAL_REPORTING_DELAY`.
pub(crate) const INITIAL_REPORTING_DELAY: Duration = Duration::from_secs(5);

/// Heartbeat counters, kept across incarnations.
#[derive(Debug, Default)]
pub(crate) struct HeartbeatStatus(Mutex<HeartbeatSnapshot>);

impl HeartbeatStatus {
    fn update<R>(&self, change: impl FnOnce(&mut HeartbeatSnapshot) -> R) -> R {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn snapshot(&self) -> HeartbeatSnapshot {
        self.update(|s| s.clone())
    }
}

/// A running heartbeat; stops when dropped.
pub(crate) struct Heartbeat(JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Who is reporting.
#[derive(Debug, Clone)]
pub(crate) struct Reporter {
    pub(crate) host: String,
    pub(crate) binary: String,
    pub(crate) topic: String,
    pub(crate) interval: Duration,
}

impl Heartbeat {
    pub(crate) fn start(
        group: Arc<dyn ServiceGroup>,
        reporter: Reporter,
        status: Arc<HeartbeatStatus>,
    ) -> Self {
        Self(tokio::spawn(async move {
            let first = INITIAL_REPORTING_DELAY.min(reporter.interval);
            let mut ticks =
                tokio::time::interval_at(tokio::time::Instant::now() + first, reporter.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // Nova creates or updates the service row as the service starts; the first
            // report follows INITIAL_REPORTING_DELAY later. A failed join is retried with
            // each report.
            let join_limit = reporter.interval.max(Duration::from_secs(1));
            let mut joined = matches!(
                tokio::time::timeout(
                    join_limit,
                    group.join(&reporter.host, &reporter.binary, &reporter.topic)
                )
                .await,
                Ok(Ok(()))
            );
            loop {
                ticks.tick().await;
                let report = async {
                    if !joined {
                        group
                            .join(&reporter.host, &reporter.binary, &reporter.topic)
                            .await?;
                        joined = true;
                    }
                    group.report_state(&reporter.host, &reporter.binary).await
                };
                // A report that outlasts the interval is a failure, not a stalled heartbeat.
                let limit = reporter.interval.max(Duration::from_secs(1));
                let outcome = match tokio::time::timeout(limit, report).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(ServiceGroupError::Unavailable(format!(
                        "no answer within {limit:?}"
                    ))),
                };
                status.update(|s| match outcome {
                    Ok(()) => {
                        if s.in_outage {
                            tracing::info!(binary = %reporter.binary, host = %reporter.host, "service heartbeat recovered");
                        }
                        s.in_outage = false;
                        s.reports += 1;
                        s.last_report_at = Some(Utc::now());
                    }
                    Err(error) => {
                        if !s.in_outage {
                            tracing::error!(binary = %reporter.binary, host = %reporter.host, %error,
                                "service heartbeat failed; will keep trying every report_interval");
                        }
                        s.in_outage = true;
                        s.failures += 1;
                    }
                });
            }
        }))
    }
}
