//! The operator commands (nova-manage / nova-status): `db sync`, `service list|disable|
//! enable|force-down`, `status`. Each returns its output and exit code; the binary prints.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::conf::{NovaConfig, ServiceZones};
use crate::db::{service_is_up, NovaDb, NovaDbError, ServiceChanges, ServiceKey, ServiceRow};
use novactor::db::Database;

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    /// Process exit code.
    pub code: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

impl Outcome {
    fn ok(stdout: String) -> Self {
        Self {
            code: 0,
            stdout,
            stderr: String::new(),
        }
    }

    fn error(code: i32, message: String) -> Self {
        Self {
            code,
            stdout: String::new(),
            stderr: message,
        }
    }

    /// Prints stdout and stderr (`novactor: error: …`) and returns the exit code.
    pub fn finish(&self) -> std::process::ExitCode {
        print!("{}", self.stdout);
        if !self.stderr.is_empty() {
            eprintln!("novactor: error: {}", self.stderr);
        }
        std::process::ExitCode::from(u8::try_from(self.code).unwrap_or(1))
    }
}

/// Exit code when the database cannot be used (unreachable, outdated schema).
pub const EXIT_DATABASE: i32 = 1;

async fn connect(config: &NovaConfig) -> Result<NovaDb, NovaDbError> {
    Ok(NovaDb::new(
        Database::connect(&config.runtime().database, &config.service.state_path).await?,
    ))
}

/// `novactor db sync`: apply the schema migrations the database lacks (idempotent).
pub async fn db_sync(config: &NovaConfig) -> Outcome {
    let db = match connect(config).await {
        Ok(db) => db,
        Err(error) => return Outcome::error(EXIT_DATABASE, error.to_string()),
    };
    match db.sync().await {
        Ok(()) => Outcome::ok(format!(
            "database {} is at the current schema\n",
            db.database().masked_url()
        )),
        Err(error) => Outcome::error(EXIT_DATABASE, error.to_string()),
    }
}

/// An opened, schema-checked database for the service commands.
async fn ready_db(config: &NovaConfig) -> Result<NovaDb, Outcome> {
    let db = connect(config)
        .await
        .map_err(|e| Outcome::error(EXIT_DATABASE, e.to_string()))?;
    db.check_schema()
        .await
        .map_err(|e| Outcome::error(EXIT_DATABASE, e.to_string()))?;
    Ok(db)
}

/// `openstack compute service list`'s columns for one row.
fn columns(row: &ServiceRow, service_down_time: Duration, zones: &ServiceZones) -> [String; 7] {
    let up = service_is_up(row, service_down_time, Utc::now());
    [
        row.uuid.clone(),
        row.binary.clone(),
        row.host.clone(),
        zones.of(&row.binary).to_owned(),
        if row.disabled { "disabled" } else { "enabled" }.to_owned(),
        if up { "up" } else { "down" }.to_owned(),
        row.updated_at
            .or(row.created_at)
            .map_or_else(String::new, |t| {
                t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
            }),
    ]
}

/// A table in the style of the OpenStack client.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule = format!(
        "+{}+\n",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("+")
    );
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect();
        format!("|{}|\n", padded.join("|"))
    };
    let mut out = rule.clone();
    out.push_str(&line(headers.to_vec()));
    out.push_str(&rule);
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push_str(&rule);
    out
}

/// Output format of `service list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table like `openstack compute service list`.
    Table,
    /// A JSON list of objects.
    Json,
}

/// `novactor service list`.
pub async fn service_list(
    config: &NovaConfig,
    host: Option<&str>,
    binary: Option<&str>,
    format: Format,
) -> Outcome {
    let db = match ready_db(config).await {
        Ok(db) => db,
        Err(outcome) => return outcome,
    };
    let rows = match db.service_list(host, binary).await {
        Ok(rows) => rows,
        Err(error) => return Outcome::error(EXIT_DATABASE, error.to_string()),
    };
    let down_time = config.service.service_down_time;
    let zones = config.compute.service_zones();
    match format {
        Format::Table => {
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| columns(r, down_time, &zones).to_vec())
                .collect();
            Outcome::ok(table(
                &[
                    "ID",
                    "Binary",
                    "Host",
                    "Zone",
                    "Status",
                    "State",
                    "Updated At",
                ],
                &body,
            ))
        }
        Format::Json => {
            let items: Vec<_> = rows
                .iter()
                .map(|r| {
                    let [id, binary, host, zone, status, state, updated_at] =
                        columns(r, down_time, &zones);
                    json!({"ID": id, "Binary": binary, "Host": host, "Zone": zone, "Status": status, "State": state,
                           "Updated At": updated_at, "Disabled Reason": r.disabled_reason, "Forced Down": r.forced_down})
                })
                .collect();
            Outcome::ok(format!("{}\n", serde_json::Value::Array(items)))
        }
    }
}

/// What `service disable|enable|force-down` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAction {
    /// Disable, with an optional reason.
    Disable(Option<String>),
    /// Enable (clears the reason).
    Enable,
    /// Force down (`true`) or clear it (`false`).
    ForceDown(bool),
}

/// `novactor service disable|enable|force-down HOST BINARY`.
pub async fn service_set(
    config: &NovaConfig,
    host: &str,
    binary: &str,
    action: ServiceAction,
) -> Outcome {
    let db = match ready_db(config).await {
        Ok(db) => db,
        Err(outcome) => return outcome,
    };
    let changes = match &action {
        ServiceAction::Disable(reason) => ServiceChanges {
            disabled: Some(true),
            disabled_reason: Some(reason.clone()),
            forced_down: None,
        },
        ServiceAction::Enable => ServiceChanges {
            disabled: Some(false),
            disabled_reason: Some(None),
            forced_down: None,
        },
        ServiceAction::ForceDown(down) => ServiceChanges {
            forced_down: Some(*down),
            ..ServiceChanges::default()
        },
    };
    match db
        .service_set(ServiceKey::HostBinary { host, binary }, &changes)
        .await
    {
        Ok(row) => {
            let body = vec![vec![
                row.host.clone(),
                row.binary.clone(),
                if row.disabled { "disabled" } else { "enabled" }.to_owned(),
                row.disabled_reason.clone().unwrap_or_default(),
                row.forced_down.to_string(),
            ]];
            Outcome::ok(table(
                &["Host", "Binary", "Status", "Disabled Reason", "Forced Down"],
                &body,
            ))
        }
        // An unknown host/binary is the operator's mistake: say so, exit 2.
        Err(
            error @ (NovaDbError::ServiceNotFound { .. } | NovaDbError::HostBinaryNotFound { .. }),
        ) => Outcome::error(2, error.to_string()),
        Err(error) => Outcome::error(EXIT_DATABASE, error.to_string()),
    }
}

/// One nova-status check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Success,
    Warning,
    Failure,
}

/// `novactor status` (nova-status upgrade check style): DB reachable and migrated, broker
/// reachable, at least one conductor up. Exit 0 all good, 1 a warning, 2 a failure.
pub async fn status(config: &NovaConfig) -> Outcome {
    let mut results: Vec<(&str, Verdict, String)> = Vec::new();
    let db = match connect(config).await {
        Ok(db) => match db.check_schema().await {
            Ok(()) => {
                results.push((
                    "Database",
                    Verdict::Success,
                    format!("{} is at the current schema", db.database().masked_url()),
                ));
                Some(db)
            }
            Err(error) => {
                results.push(("Database", Verdict::Failure, error.to_string()));
                None
            }
        },
        Err(error) => {
            results.push(("Database", Verdict::Failure, error.to_string()));
            None
        }
    };
    results.push(broker_check(config).await);
    results.push(match &db {
        None => (
            "Conductor",
            Verdict::Failure,
            "cannot tell without the database".to_owned(),
        ),
        Some(db) => match db.service_list(None, Some("nova-conductor")).await {
            Err(error) => ("Conductor", Verdict::Failure, error.to_string()),
            Ok(rows) if rows.is_empty() => (
                "Conductor",
                Verdict::Failure,
                "no nova-conductor has registered; start one: novactor run --actors conductor"
                    .to_owned(),
            ),
            Ok(rows) => {
                let up = rows
                    .iter()
                    .filter(|r| service_is_up(r, config.service.service_down_time, Utc::now()))
                    .count();
                if up == rows.len() {
                    (
                        "Conductor",
                        Verdict::Success,
                        format!("{up} of {} nova-conductor services up", rows.len()),
                    )
                } else if up > 0 {
                    let down: Vec<&str> = rows
                        .iter()
                        .filter(|r| !service_is_up(r, config.service.service_down_time, Utc::now()))
                        .map(|r| r.host.as_str())
                        .collect();
                    (
                        "Conductor",
                        Verdict::Warning,
                        format!(
                            "{up} of {} nova-conductor services up; down on: {}",
                            rows.len(),
                            down.join(", ")
                        ),
                    )
                } else {
                    (
                        "Conductor",
                        Verdict::Failure,
                        format!(
                            "none of {} registered nova-conductor services is up",
                            rows.len()
                        ),
                    )
                }
            }
        },
    });
    let worst = results
        .iter()
        .map(|r| r.1)
        .max()
        .unwrap_or(Verdict::Success);
    let mut out = String::from("+----------------------------------------+\n| Upgrade Check Results                  |\n+----------------------------------------+\n");
    for (name, verdict, details) in &results {
        out.push_str(&format!("| Check: {name}\n| Result: {verdict:?}\n| Details: {details}\n+----------------------------------------+\n"));
    }
    Outcome {
        code: match worst {
            Verdict::Success => 0,
            Verdict::Warning => 1,
            Verdict::Failure => 2,
        },
        stdout: out,
        stderr: String::new(),
    }
}

async fn broker_check(config: &NovaConfig) -> (&'static str, Verdict, String) {
    let runtime = config.runtime();
    let url = runtime.default.transport_url_or_memory();
    let transport =
        match novactor::rpc::transport::from_url(Some(url), &runtime.oslo_messaging_rabbit) {
            Ok((transport, _)) => transport,
            Err(error) => return ("Message broker", Verdict::Failure, error.to_string()),
        };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !transport.status().connected() {
        if tokio::time::Instant::now() >= deadline {
            let detail = transport
                .status()
                .last_error
                .unwrap_or_else(|| "no answer within 5 s".into());
            return (
                "Message broker",
                Verdict::Failure,
                format!("{}: {detail}", novactor::config::mask_url(url)),
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if transport.scheme() == "memory" {
        // Nothing outside this process can reach it: not a failure, but no deployment either.
        return (
            "Message broker",
            Verdict::Warning,
            "in-process transport (memory://): no other process can reach this one's actors; \
             set [DEFAULT] transport_url to a RabbitMQ broker to run services apart"
                .to_owned(),
        );
    }
    let detail = format!("connected to {}", novactor::config::mask_url(url));
    ("Message broker", Verdict::Success, detail)
}
