//! The `instances` table (Nova `instance_create`, `instance_get_by_uuid`,
//! `instance_update_and_get`, `instance_destroy`, `instance_get_all_by_host`). Updates take a
//! JSON map of column → value, checked against a whitelist, and are made conditional on the
//! expected task/vm state in a single UPDATE, as Nova's `update_on_match` does.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::lab_network_ports::RELEASE_INSTANCE_PORTS;
use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;
use novactor::db::SqlValue;

const TABLE: &str = "instances";

pub(super) const COLUMNS: &str = "id, uuid, display_name, display_description, hostname, user_id, \
     project_id, image_ref, instance_type_id, memory_mb, vcpus, root_gb, ephemeral_gb, swap, \
     flavor, vm_state, task_state, power_state, host, node, compute_id, launched_on, \
     launched_at, terminated_at, availability_zone, reservation_id, launch_index, key_name, \
     key_data, keypairs, user_data, config_drive, locked_by, progress, metadata, system_metadata, access_ip_v4, \
     access_ip_v6, auto_disk_config, network_info, created_at, updated_at, deleted_at, deleted";

/// Nova's task state of an instance being deleted (`nova/compute/task_states.py`).
const DELETING: &str = "deleting";

/// Columns `instance_create` and `instance_update_and_get` accept (`id`, `uuid` after
/// creation, timestamps of the row and the soft-delete pair are the database layer's).
pub const INSTANCE_UPDATABLE_COLUMNS: &[&str] = &[
    "display_name",
    "display_description",
    "hostname",
    "user_id",
    "project_id",
    "image_ref",
    "instance_type_id",
    "memory_mb",
    "vcpus",
    "root_gb",
    "ephemeral_gb",
    "swap",
    "flavor",
    "vm_state",
    "task_state",
    "power_state",
    "host",
    "node",
    "compute_id",
    "launched_on",
    "launched_at",
    "terminated_at",
    // Set while the row lives by a soft delete (`SOFT_DELETED`), cleared by a restore.
    "deleted_at",
    "availability_zone",
    "reservation_id",
    "launch_index",
    "key_name",
    // The booted key pair's public key and Nova's KeyPairList primitive (JSON text).
    "key_data",
    "keypairs",
    "user_data",
    "config_drive",
    "locked_by",
    "progress",
    "metadata",
    "system_metadata",
    "access_ip_v4",
    "access_ip_v6",
    "auto_disk_config",
    "network_info",
];

/// How a column's JSON value becomes a bind parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Timestamp,
    /// Any JSON, stored as its text (`flavor`, `metadata`).
    Json,
    /// A boolean (`auto_disk_config`).
    Bool,
}

fn kind_of(column: &str) -> Kind {
    match column {
        "instance_type_id" | "memory_mb" | "vcpus" | "root_gb" | "ephemeral_gb" | "swap"
        | "power_state" | "compute_id" | "launch_index" | "progress" => Kind::Int,
        "launched_at" | "terminated_at" | "deleted_at" => Kind::Timestamp,
        "flavor" | "metadata" | "system_metadata" | "network_info" | "keypairs" => Kind::Json,
        "auto_disk_config" => Kind::Bool,
        _ => Kind::Text,
    }
}

/// One row of `instances`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/main/models.py Instance.
pub struct InstanceRow {
    pub id: i64,
    pub uuid: String,
    pub display_name: Option<String>,
    pub display_description: Option<String>,
    pub hostname: Option<String>,
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    pub image_ref: Option<String>,
    pub instance_type_id: Option<i64>,
    pub memory_mb: Option<i64>,
    pub vcpus: Option<i64>,
    pub root_gb: Option<i64>,
    pub ephemeral_gb: Option<i64>,
    pub swap: Option<i64>,
    /// Flavor snapshot, JSON text (see [`InstanceRow::flavor_json`]).
    pub flavor: Option<String>,
    pub vm_state: Option<String>,
    pub task_state: Option<String>,
    pub power_state: Option<i64>,
    pub host: Option<String>,
    pub node: Option<String>,
    pub compute_id: Option<i64>,
    pub launched_on: Option<String>,
    pub launched_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub availability_zone: Option<String>,
    pub reservation_id: Option<String>,
    pub launch_index: Option<i64>,
    pub key_name: Option<String>,
    /// The public key of the key pair the instance booted (or was rebuilt) with.
    pub key_data: Option<String>,
    /// Nova's `KeyPairList` primitive of that key pair, JSON text (Nova's
    /// `instance_extra.keypairs`).
    pub keypairs: Option<String>,
    pub user_data: Option<String>,
    pub config_drive: Option<String>,
    pub locked_by: Option<String>,
    pub progress: Option<i64>,
    /// User metadata, JSON text (see [`InstanceRow::metadata_json`]).
    pub metadata: Option<String>,
    /// Nova's system metadata (lock reason, password, …), JSON text (see
    /// [`InstanceRow::system_metadata_json`]).
    pub system_metadata: Option<String>,
    pub access_ip_v4: Option<String>,
    pub access_ip_v6: Option<String>,
    pub auto_disk_config: Option<bool>,
    /// Nova's `NetworkInfo` of the instance's lab network port, JSON text (the
    /// `info_cache.network_info` objects carry; `None`: no network).
    pub network_info: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted: i64,
}

/// Attempts of a conditional instance update whose conflict a re-read cannot explain: the
/// first and Nova's five retries (`_retry_instance_update`, oslo.db `max_retries=5`).
const INSTANCE_UPDATE_ATTEMPTS: usize = 6;

impl InstanceRow {
    /// The flavor snapshot parsed (`Null` when unset).
    pub fn flavor_json(&self) -> Result<Value, NovaDbError> {
        self.json("flavor", self.flavor.as_deref())
    }

    /// The metadata parsed (`Null` when unset).
    pub fn metadata_json(&self) -> Result<Value, NovaDbError> {
        self.json("metadata", self.metadata.as_deref())
    }

    /// The system metadata parsed (`Null` when unset).
    pub fn system_metadata_json(&self) -> Result<Value, NovaDbError> {
        self.json("system_metadata", self.system_metadata.as_deref())
    }

    fn json(&self, column: &'static str, text: Option<&str>) -> Result<Value, NovaDbError> {
        text.map_or(Ok(Value::Null), |t| {
            serde_json::from_str(t).map_err(|source| NovaDbError::CorruptJson {
                table: TABLE,
                column,
                key: self.uuid.clone(),
                source,
            })
        })
    }
}

/// `values` as (whitelisted column, typed value) pairs; anything else is refused before
/// any SQL is built, so a key can never reach the statement text.
fn typed_values(values: &Map<String, Value>) -> Result<Vec<(&'static str, SqlValue)>, NovaDbError> {
    values
        .iter()
        .map(|(key, value)| {
            let column = INSTANCE_UPDATABLE_COLUMNS
                .iter()
                .copied()
                .find(|c| c == key)
                .ok_or_else(|| NovaDbError::UnknownColumn {
                    table: TABLE,
                    column: key.clone(),
                })?;
            Ok((column, typed_value(column, value)?))
        })
        .collect()
}

fn typed_value(column: &'static str, value: &Value) -> Result<SqlValue, NovaDbError> {
    let kind = kind_of(column);
    let invalid = |expected: &'static str| NovaDbError::InvalidValue {
        table: TABLE,
        column: column.to_owned(),
        expected,
        got: value.to_string(),
    };
    Ok(match (kind, value) {
        (Kind::Text, Value::Null) => SqlValue::Text(None),
        (Kind::Text, Value::String(s)) => s.as_str().into(),
        (Kind::Text, _) => return Err(invalid("a string or null")),
        (Kind::Int, Value::Null) => SqlValue::Int(None),
        (Kind::Int, Value::Number(n)) => n.as_i64().ok_or_else(|| invalid("an integer"))?.into(),
        (Kind::Int, _) => return Err(invalid("an integer or null")),
        (Kind::Timestamp, Value::Null) => SqlValue::Timestamp(None),
        (Kind::Timestamp, Value::String(s)) => parse_time(s)
            .ok_or_else(|| invalid("a UTC time like 2024-05-01T12:00:00.000000"))?
            .into(),
        (Kind::Timestamp, _) => return Err(invalid("a time string or null")),
        (Kind::Bool, Value::Null) => SqlValue::Bool(None),
        (Kind::Bool, Value::Bool(b)) => SqlValue::Bool(Some(*b)),
        (Kind::Bool, _) => return Err(invalid("a boolean or null")),
        (Kind::Json, Value::Null) => SqlValue::Text(None),
        (Kind::Json, other) => other.to_string().into(),
    })
}

/// RFC 3339, or Nova's naive UTC forms (`2024-05-01T12:00:00.000000`, space or `T`).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}

/// `column IN (?, …)` over the non-NULL values, `OR column IS NULL` if `None` is expected.
fn expected_clause(
    column: &str,
    expected: &[Option<String>],
    params: &mut Vec<SqlValue>,
) -> String {
    let values: Vec<&String> = expected.iter().flatten().collect();
    let mut parts = Vec::new();
    if !values.is_empty() {
        parts.push(format!(
            "{column} IN ({})",
            vec!["?"; values.len()].join(", ")
        ));
        params.extend(values.into_iter().map(SqlValue::from));
    }
    if expected.iter().any(Option::is_none) {
        parts.push(format!("{column} IS NULL"));
    }
    if parts.is_empty() {
        // Nothing is expected, so nothing can match (Nova: `actual not in []`).
        return "1 = 0".to_owned();
    }
    format!("({})", parts.join(" OR "))
}

impl NovaDb {
    /// Nova `instance_create`: a new row from `values` (whitelisted columns, plus an
    /// optional `uuid`; one is generated otherwise).
    pub async fn instance_create(
        &self,
        values: &Map<String, Value>,
    ) -> Result<InstanceRow, NovaDbError> {
        let mut values = values.clone();
        let uuid = match values.remove("uuid") {
            Some(Value::String(uuid)) => uuid,
            None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
            Some(other) => {
                return Err(NovaDbError::InvalidValue {
                    table: TABLE,
                    column: "uuid".to_owned(),
                    expected: "a uuid string",
                    got: other.to_string(),
                })
            }
        };
        let mut columns = typed_values(&values)?;
        columns.push(("uuid", uuid.as_str().into()));
        columns.push(("created_at", utc_now().into()));
        columns.push(("deleted", 0i64.into()));
        self.db.insert(TABLE, &columns).await?;
        self.instance_get_by_uuid(&uuid).await
    }

    /// Nova `instance_get_by_uuid`: a live instance.
    pub async fn instance_get_by_uuid(&self, uuid: &str) -> Result<InstanceRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM instances WHERE uuid = ? AND deleted = 0");
        self.db
            .fetch_optional(&sql, &[uuid.into()])
            .await?
            .ok_or_else(|| NovaDbError::InstanceNotFound {
                uuid: uuid.to_owned(),
            })
    }

    /// Nova `instance_get_by_uuid` with `read_deleted="yes"`: the instance, deleted or not.
    pub async fn instance_get_by_uuid_read_deleted(
        &self,
        uuid: &str,
    ) -> Result<InstanceRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM instances WHERE uuid = ?");
        self.db
            .fetch_optional(&sql, &[uuid.into()])
            .await?
            .ok_or_else(|| NovaDbError::InstanceNotFound {
                uuid: uuid.to_owned(),
            })
    }

    /// Nova `instance_get_all_by_host`: live instances on `host`, by id.
    pub async fn instance_get_all_by_host(
        &self,
        host: &str,
    ) -> Result<Vec<InstanceRow>, NovaDbError> {
        let sql =
            format!("SELECT {COLUMNS} FROM instances WHERE host = ? AND deleted = 0 ORDER BY id");
        Ok(self.db.fetch_all(&sql, &[host.into()]).await?)
    }

    /// Nova `instance_update_and_get`: sets `values` (whitelisted columns) and `updated_at`
    /// in ONE conditional UPDATE — only if the instance is live and, when given, its
    /// `task_state` is one of `expected_task_state` (`None` in the list = no task) and its
    /// `vm_state` one of `expected_vm_state`. Of concurrent callers expecting the same
    /// state exactly one wins. When nothing matched, a re-read tells why:
    /// [`NovaDbError::InstanceNotFound`], [`NovaDbError::UnexpectedDeletingTaskState`]
    /// (found `deleting`), [`NovaDbError::UnexpectedTaskState`],
    /// [`NovaDbError::UnexpectedVmState`].
    pub async fn instance_update_and_get(
        &self,
        uuid: &str,
        values: &Map<String, Value>,
        expected_task_state: Option<&[Option<String>]>,
        expected_vm_state: Option<&[String]>,
    ) -> Result<InstanceRow, NovaDbError> {
        let columns = typed_values(values)?;
        let mut set: Vec<String> = columns
            .iter()
            .map(|(c, _)| format!("\"{c}\" = ?"))
            .collect();
        set.push("updated_at = ?".to_owned());
        let mut params: Vec<SqlValue> = columns.into_iter().map(|(_, v)| v).collect();
        params.push(utc_now().into());
        params.push(uuid.into());
        let mut conditions = vec!["uuid = ?".to_owned(), "deleted = 0".to_owned()];
        if let Some(expected) = expected_task_state {
            conditions.push(expected_clause("task_state", expected, &mut params));
        }
        let expected_vm: Option<Vec<Option<String>>> =
            expected_vm_state.map(|states| states.iter().cloned().map(Some).collect());
        if let Some(expected) = &expected_vm {
            conditions.push(expected_clause("vm_state", expected, &mut params));
        }
        let sql = format!(
            "UPDATE instances SET {} WHERE {}",
            set.join(", "),
            conditions.join(" AND ")
        );
        // Nova `_retry_instance_update`: when nothing matched yet the re-read shows the
        // expected states, a concurrent writer came and went between the two statements
        // (e.g. a compute ending its task as the API claims one); try again, as Nova
        // does five times. Each statement is its own transaction here, so no pause is
        // needed for a fresh read view (oslo.db's retry interval is there for MySQL's).
        for _ in 0..INSTANCE_UPDATE_ATTEMPTS {
            if self.db.execute(&sql, &params).await? > 0 {
                return self.instance_get_by_uuid(uuid).await;
            }
            // Nothing matched: find out why, task state first (as Nova does).
            let found = self.instance_get_by_uuid(uuid).await?;
            if let Some(expected) = expected_task_state {
                if !expected.contains(&found.task_state) {
                    if found.task_state.as_deref() == Some(DELETING) {
                        return Err(NovaDbError::UnexpectedDeletingTaskState {
                            uuid: uuid.to_owned(),
                            expected: expected.to_vec(),
                        });
                    }
                    return Err(NovaDbError::UnexpectedTaskState {
                        uuid: uuid.to_owned(),
                        expected: expected.to_vec(),
                        actual: found.task_state,
                    });
                }
            }
            if let Some(expected) = &expected_vm {
                if !expected.contains(&found.vm_state) {
                    return Err(NovaDbError::UnexpectedVmState {
                        uuid: uuid.to_owned(),
                        expected: expected.clone(),
                        actual: found.vm_state,
                    });
                }
            }
        }
        Err(NovaDbError::UnknownInstanceUpdateConflict {
            uuid: uuid.to_owned(),
        })
    }

    /// Nova `instance_destroy`: soft delete (`deleted = id`, `deleted_at = now`) and, in the
    /// same transaction, the release of its lab network ports (their addresses are free
    /// again); returns the row as it was. Later reads by uuid find nothing.
    pub async fn instance_destroy(&self, uuid: &str) -> Result<InstanceRow, NovaDbError> {
        let row = self.instance_get_by_uuid(uuid).await?;
        let now = utc_now();
        let soft_delete = "UPDATE instances SET deleted = id, deleted_at = ?, updated_at = ? \
                           WHERE uuid = ? AND deleted = 0";
        let affected = self
            .db
            .execute_in_transaction(&[
                (soft_delete, &[now.into(), now.into(), uuid.into()]),
                (RELEASE_INSTANCE_PORTS, &[uuid.into()]),
            ])
            .await?;
        if affected.first().copied().unwrap_or(0) == 0 {
            // Deleted by someone else between the read and the update.
            return Err(NovaDbError::InstanceNotFound {
                uuid: uuid.to_owned(),
            });
        }
        // Nova's instance_destroy hard-deletes the instance's tags.
        self.tag_delete_all(uuid).await?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn unknown_or_protected_columns_are_refused_before_any_sql() {
        for key in [
            "id",
            "uuid",
            "deleted",
            "updated_at",
            "x = 1; DROP TABLE instances; --",
        ] {
            let err = typed_values(&map(json!({ key: "v" }))).unwrap_err();
            assert!(
                matches!(err, NovaDbError::UnknownColumn { .. }),
                "{key}: {err}"
            );
        }
    }

    #[test]
    fn values_must_fit_their_column() {
        assert!(typed_values(&map(json!({"vcpus": "two"}))).is_err());
        assert!(typed_values(&map(json!({"vm_state": 3}))).is_err());
        assert!(typed_values(&map(json!({"launched_at": "yesterday"}))).is_err());
        let ok = typed_values(&map(json!({
            "vcpus": 2, "vm_state": null, "launched_at": "2024-05-01T12:00:00.000000",
            "metadata": {"k": "v"}
        })))
        .unwrap();
        assert_eq!(ok.len(), 4);
    }

    #[test]
    fn task_state_expectations_become_in_or_is_null() {
        let mut params = Vec::new();
        let clause = expected_clause(
            "task_state",
            &[None, Some("spawning".to_owned())],
            &mut params,
        );
        assert_eq!(clause, "(task_state IN (?) OR task_state IS NULL)");
        assert_eq!(params.len(), 1);
        assert_eq!(expected_clause("task_state", &[], &mut params), "1 = 0");
    }

    #[test]
    fn messages_are_novas() {
        let e = NovaDbError::UnexpectedTaskState {
            uuid: "u".into(),
            expected: vec![None],
            actual: Some("spawning".into()),
        };
        assert_eq!(
            e.to_string(),
            "Unexpected task state: expecting {'task_state': [None]} but the actual state is \
             {'task_state': 'spawning'}"
        );
    }
}
