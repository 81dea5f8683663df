//! Readiness checks as data: a check's verdict ([`HealthStatus`]), its entry in the health
//! document ([`CheckResult`]), and the dependencies a process adds to `/readyz` beyond
//! actors and broker ([`ReadinessCheck`], e.g. [`DatabaseCheck`]).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use crate::db::Database;

/// How long the supervisor or a dependency may take before a check fails.
pub(super) const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A check's verdict, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Healthy.
    Pass,
    /// Healthy, with something an operator should know.
    Warn,
    /// Unhealthy.
    Fail,
}

/// One entry of a check's list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// What was checked (an actor name, `rabbit`, `postgres`).
    pub component_id: String,
    /// `actor`, `datastore`, `component`.
    pub component_type: &'static str,
    /// The verdict.
    pub status: HealthStatus,
    /// What was observed (a state, a latency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_value: Option<Value>,
    /// Unit of `observed_value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_unit: Option<&'static str>,
    /// When.
    pub time: String,
    /// Why, when not `pass`.
    pub output: String,
}

impl CheckResult {
    pub(super) fn new(component_id: impl Into<String>, component_type: &'static str) -> Self {
        Self {
            component_id: component_id.into(),
            component_type,
            status: HealthStatus::Pass,
            observed_value: None,
            observed_unit: None,
            time: Utc::now().to_rfc3339(),
            output: String::new(),
        }
    }
}

/// A readiness dependency beyond the supervisor and the broker (the database, …).
#[async_trait]
pub trait ReadinessCheck: Send + Sync + 'static {
    /// The key under `checks`, e.g. `database:reachable`.
    fn name(&self) -> &'static str;
    /// Check now; the caller bounds the time it may take.
    async fn check(&self) -> CheckResult;
    /// The entry reported when [`ReadinessCheck::check`] did not answer in time.
    fn timed_out(&self) -> CheckResult;
}

/// `database:reachable`: `SELECT 1` answers.
#[derive(Debug, Clone)]
pub struct DatabaseCheck {
    database: Database,
}

impl DatabaseCheck {
    /// A check of `database`.
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    fn component(&self) -> String {
        format!("{:?}", self.database.dialect()).to_lowercase()
    }
}

#[async_trait]
impl ReadinessCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database:reachable"
    }

    async fn check(&self) -> CheckResult {
        let started = Instant::now();
        let outcome = self.database.ping().await;
        let mut result = CheckResult::new(self.component(), "datastore");
        match outcome {
            Ok(()) => {
                let millis = started.elapsed().as_secs_f64() * 1000.0;
                result.observed_value = Some(Value::from((millis * 1000.0).round() / 1000.0));
                result.observed_unit = Some("ms");
            }
            Err(error) => {
                result.status = HealthStatus::Fail;
                result.output = format!("{}: {error}", self.database.masked_url());
            }
        }
        result
    }

    fn timed_out(&self) -> CheckResult {
        let mut result = CheckResult::new(self.component(), "datastore");
        result.status = HealthStatus::Fail;
        result.output = format!(
            "{}: no answer to SELECT 1 within {}s",
            self.database.masked_url(),
            CHECK_TIMEOUT.as_secs()
        );
        result
    }
}
