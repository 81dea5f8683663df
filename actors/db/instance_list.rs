//! One page of instances, filtered and sorted in SQL (Nova `instance_get_all_by_filters_sort`
//! with oslo.db's `paginate_query`): exact and regular-expression column filters, the
//! deleted / soft-deleted rules, `changes-since` / `changes-before`, tag filters over the
//! `tags` table, several sort keys, and keyset paging after a marker instance. The page is
//! the only thing read: `LIMIT` is in the statement, and the marker is one row by uuid.
//!
//! NULLs sort as each server does natively (smallest on SQLite and MySQL, largest on
//! PostgreSQL), so the sort indexes stay usable; the marker predicate follows the same rule,
//! so paging never skips nor repeats a row on any backend.

use chrono::{DateTime, Utc};
use novactor::db::{Dialect, SqlValue};

use super::instances::{InstanceRow, COLUMNS};
use super::nova_db::NovaDb;
use super::nova_db_error::NovaDbError;

/// How a filter matches its column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnMatch {
    /// The column equals one of these values (Nova's exact-match filters; a list is `IN`).
    AnyOf(Vec<SqlValue>),
    /// The column matches this regular expression (PostgreSQL `~`, MySQL and SQLite
    /// `REGEXP`), as Nova's `_regex_instance_filter`.
    Regex(String),
    /// One of the instance's lab network ports has an address in `column` (`ipv4_address`
    /// or `ipv6_address`) matching `pattern` (Nova's `ip` / `ip6` filters).
    PortAddress {
        /// The `lab_network_ports` column; from code, never from input.
        column: &'static str,
        /// The regular expression.
        pattern: String,
    },
    /// The column is NULL on every instance of this deployment (a column Nova has and the
    /// slice does not fill): nothing can match a value.
    Nothing,
}

/// One column filter. `column` is `'static`: it comes from code, never from input.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnFilter {
    /// The `instances` column.
    pub column: &'static str,
    /// How it must match.
    pub matching: ColumnMatch,
}

/// Which rows by their deletion (Nova's `deleted` and `soft_deleted` filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Live rows, soft-deleted ones (vm_state `soft-delete`) only with `soft_deleted`.
    Live {
        /// Include `soft-delete` instances.
        soft_deleted: bool,
    },
    /// Deleted rows, plus the soft-deleted ones unless `soft_deleted` is false.
    Deleted {
        /// Include `soft-delete` instances.
        soft_deleted: bool,
    },
    /// No filter on deletion (`changes-since` without `deleted`).
    Any,
}

/// Nova's tag filters (`tags`, `tags-any`, `not-tags`, `not-tags-any`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilters {
    /// Every one of these tags.
    pub all: Vec<String>,
    /// At least one of these tags.
    pub any: Vec<String>,
    /// Not every one of these tags.
    pub not_all: Vec<String>,
    /// None of these tags.
    pub not_any: Vec<String>,
}

/// A sort key: an `instances` column, or Nova's `locked` (a lock holder is set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// A column of `instances`.
    Column(&'static str),
    /// `locked_by IS NOT NULL`.
    Locked,
}

/// One key of the order, with its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// What to order by.
    pub column: SortColumn,
    /// Descending.
    pub descending: bool,
}

/// Everything one list request asks of the database.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceListQuery {
    /// Column filters, all of which must hold.
    pub filters: Vec<ColumnFilter>,
    /// The flavor's API id (`flavors.flavorid`), matched through `instance_type_id`.
    pub flavorid: Option<String>,
    /// Deleted or live rows.
    pub deletion: Deletion,
    /// `updated_at >= changes-since`.
    pub changes_since: Option<DateTime<Utc>>,
    /// `updated_at <= changes-before`.
    pub changes_before: Option<DateTime<Utc>>,
    /// Locked (`locked_by` set) or not.
    pub locked: Option<bool>,
    /// Tag filters.
    pub tags: TagFilters,
    /// The order; the caller ends it with a unique key (Nova appends `created_at`, `id`).
    pub sort: Vec<SortKey>,
    /// At most this many rows.
    pub limit: u64,
    /// The uuid of the last instance of the previous page (deleted ones included).
    pub marker: Option<String>,
}

impl SortColumn {
    fn sql(self) -> &'static str {
        match self {
            SortColumn::Column(column) => column,
            SortColumn::Locked => "(locked_by IS NOT NULL)",
        }
    }

    /// The marker instance's value of this key.
    fn value_of(self, row: &InstanceRow) -> SqlValue {
        let text = |v: &Option<String>| SqlValue::Text(v.clone());
        let int = |v: Option<i64>| SqlValue::Int(v);
        let time = |v: Option<DateTime<Utc>>| SqlValue::Timestamp(v);
        let SortColumn::Column(column) = self else {
            return SqlValue::Bool(Some(row.locked_by.is_some()));
        };
        match column {
            "id" => int(Some(row.id)),
            "uuid" => SqlValue::Text(Some(row.uuid.clone())),
            "display_name" => text(&row.display_name),
            "display_description" => text(&row.display_description),
            "hostname" => text(&row.hostname),
            "user_id" => text(&row.user_id),
            "project_id" => text(&row.project_id),
            "image_ref" => text(&row.image_ref),
            "instance_type_id" => int(row.instance_type_id),
            "memory_mb" => int(row.memory_mb),
            "vcpus" => int(row.vcpus),
            "root_gb" => int(row.root_gb),
            "ephemeral_gb" => int(row.ephemeral_gb),
            "vm_state" => text(&row.vm_state),
            "task_state" => text(&row.task_state),
            "power_state" => int(row.power_state),
            "host" => text(&row.host),
            "node" => text(&row.node),
            "launched_on" => text(&row.launched_on),
            "launched_at" => time(row.launched_at),
            "terminated_at" => time(row.terminated_at),
            "availability_zone" => text(&row.availability_zone),
            "reservation_id" => text(&row.reservation_id),
            "launch_index" => int(row.launch_index),
            "key_name" => text(&row.key_name),
            "config_drive" => text(&row.config_drive),
            "locked_by" => text(&row.locked_by),
            "progress" => int(row.progress),
            "created_at" => time(row.created_at),
            "updated_at" => time(row.updated_at),
            "deleted_at" => time(row.deleted_at),
            "deleted" => int(Some(row.deleted)),
            // Only the columns above are ever named by the API layer; an unknown one
            // compares as NULL, which keeps the order total through the last key.
            _ => SqlValue::Text(None),
        }
    }
}

/// A WHERE clause being built: conditions ANDed, parameters in order.
#[derive(Default)]
struct Where {
    conditions: Vec<String>,
    params: Vec<SqlValue>,
}

impl Where {
    fn push(&mut self, condition: impl Into<String>, params: impl IntoIterator<Item = SqlValue>) {
        self.conditions.push(condition.into());
        self.params.extend(params);
    }
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn regex_operator(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "~",
        Dialect::MySql | Dialect::Sqlite => "REGEXP",
    }
}

fn column_filter(filter: &ColumnFilter, dialect: Dialect, clause: &mut Where) {
    let column = filter.column;
    match &filter.matching {
        ColumnMatch::AnyOf(values) if values.is_empty() => clause.push("1 = 0", []),
        ColumnMatch::AnyOf(values) => clause.push(
            format!("\"{column}\" IN ({})", marks(values.len())),
            values.iter().cloned(),
        ),
        ColumnMatch::Regex(pattern) => clause.push(
            format!("\"{column}\" {} ?", regex_operator(dialect)),
            [SqlValue::from(pattern.as_str())],
        ),
        ColumnMatch::PortAddress { column, pattern } => clause.push(
            format!(
                "uuid IN (SELECT instance_uuid FROM lab_network_ports WHERE \"{column}\" {} ?)",
                regex_operator(dialect)
            ),
            [SqlValue::from(pattern.as_str())],
        ),
        ColumnMatch::Nothing => clause.push("1 = 0", []),
    }
}

fn deletion_filter(deletion: Deletion, clause: &mut Where) {
    let soft = || SqlValue::from("soft-delete");
    match deletion {
        Deletion::Live { soft_deleted } => {
            clause.push("deleted = 0", []);
            if !soft_deleted {
                clause.push("(vm_state <> ? OR vm_state IS NULL)", [soft()]);
            }
        }
        Deletion::Deleted { soft_deleted: true } => {
            clause.push("(deleted = id OR vm_state = ?)", [soft()]);
        }
        Deletion::Deleted {
            soft_deleted: false,
        } => clause.push("deleted = id", []),
        Deletion::Any => {}
    }
}

fn tag_filters(tags: &TagFilters, clause: &mut Where) {
    let has = "SELECT resource_id FROM tags WHERE tag";
    for tag in &tags.all {
        clause.push(format!("uuid IN ({has} = ?)"), [SqlValue::from(tag)]);
    }
    if !tags.any.is_empty() {
        clause.push(
            format!("uuid IN ({has} IN ({}))", marks(tags.any.len())),
            tags.any.iter().map(SqlValue::from),
        );
    }
    if !tags.not_all.is_empty() {
        // Nova: NOT (T1 AND T2 …): the instances holding every one of them are left out.
        clause.push(
            format!(
                "uuid NOT IN (SELECT resource_id FROM tags WHERE tag IN ({}) \
                 GROUP BY resource_id HAVING COUNT(DISTINCT tag) = ?)",
                marks(tags.not_all.len())
            ),
            tags.not_all
                .iter()
                .map(SqlValue::from)
                .chain([SqlValue::from(distinct_count(&tags.not_all))]),
        );
    }
    if !tags.not_any.is_empty() {
        clause.push(
            format!("uuid NOT IN ({has} IN ({}))", marks(tags.not_any.len())),
            tags.not_any.iter().map(SqlValue::from),
        );
    }
}

fn distinct_count(tags: &[String]) -> i64 {
    let distinct: std::collections::HashSet<&String> = tags.iter().collect();
    i64::try_from(distinct.len()).unwrap_or(i64::MAX)
}

/// Whether NULLs come after the other values when `key` is read in its direction.
fn nulls_after(key: SortKey, dialect: Dialect) -> bool {
    let nulls_largest = dialect == Dialect::Postgres;
    key.descending != nulls_largest
}

/// oslo.db's `paginate_query` marker criteria: rows strictly after the marker's values in
/// the order `sort`, i.e. OR over i of (keys before i equal AND key i after).
fn after_marker(sort: &[SortKey], marker: &InstanceRow, dialect: Dialect, clause: &mut Where) {
    let mut alternatives = Vec::new();
    let mut params = Vec::new();
    for (i, key) in sort.iter().enumerate() {
        let mut parts = Vec::new();
        let mut part_params = Vec::new();
        for earlier in &sort[..i] {
            let value = earlier.column.value_of(marker);
            let column = earlier.column.sql();
            if value.is_null() {
                parts.push(format!("{column} IS NULL"));
            } else {
                parts.push(format!("{column} = ?"));
                part_params.push(value);
            }
        }
        let value = key.column.value_of(marker);
        let column = key.column.sql();
        let op = if key.descending { "<" } else { ">" };
        match (value.is_null(), nulls_after(*key, dialect)) {
            // Nothing comes after a NULL that sorts last.
            (true, true) => continue,
            (true, false) => parts.push(format!("{column} IS NOT NULL")),
            (false, true) => {
                parts.push(format!("({column} {op} ? OR {column} IS NULL)"));
                part_params.push(value);
            }
            (false, false) => {
                parts.push(format!("{column} {op} ?"));
                part_params.push(value);
            }
        }
        alternatives.push(format!("({})", parts.join(" AND ")));
        params.extend(part_params);
    }
    if alternatives.is_empty() {
        clause.push("1 = 0", []);
        return;
    }
    clause.push(format!("({})", alternatives.join(" OR ")), params);
    // The same bound on the first key alone, ANDed: it lets the server start the index
    // scan at the marker instead of filtering every row before it.
    if let Some(first) = sort.first() {
        let value = first.column.value_of(marker);
        if !value.is_null() {
            let op = if first.descending { "<=" } else { ">=" };
            let column = first.column.sql();
            let bound = if nulls_after(*first, dialect) {
                // NULLs follow in this direction: they are after the marker too.
                format!("({column} {op} ? OR {column} IS NULL)")
            } else {
                format!("{column} {op} ?")
            };
            clause.push(bound, [value]);
        }
    }
}

impl NovaDb {
    /// Nova `instance_get_all_by_filters_sort`: at most `query.limit` instances matching
    /// `query`, in its order, after its marker. An unknown marker is
    /// [`NovaDbError::InstanceNotFound`] naming the marker (the API's `MarkerNotFound`).
    pub async fn instance_get_all_by_filters_sort(
        &self,
        query: &InstanceListQuery,
    ) -> Result<Vec<InstanceRow>, NovaDbError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let dialect = self.db.dialect();
        let mut clause = Where::default();
        for filter in &query.filters {
            column_filter(filter, dialect, &mut clause);
        }
        if let Some(flavorid) = &query.flavorid {
            clause.push(
                "instance_type_id IN (SELECT id FROM flavors WHERE flavorid = ?)",
                [SqlValue::from(flavorid)],
            );
        }
        deletion_filter(query.deletion, &mut clause);
        if let Some(since) = query.changes_since {
            clause.push("updated_at >= ?", [SqlValue::from(since)]);
        }
        if let Some(before) = query.changes_before {
            clause.push("updated_at <= ?", [SqlValue::from(before)]);
        }
        match query.locked {
            Some(true) => clause.push("locked_by IS NOT NULL", []),
            Some(false) => clause.push("locked_by IS NULL", []),
            None => {}
        }
        tag_filters(&query.tags, &mut clause);
        if let Some(marker) = &query.marker {
            let row = self.instance_get_by_uuid_read_deleted(marker).await?;
            after_marker(&query.sort, &row, dialect, &mut clause);
        }
        let order: Vec<String> = query
            .sort
            .iter()
            .map(|k| {
                format!(
                    "{} {}",
                    k.column.sql(),
                    if k.descending { "DESC" } else { "ASC" }
                )
            })
            .collect();
        let mut sql = format!("SELECT {COLUMNS} FROM instances");
        if !clause.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clause.conditions.join(" AND "));
        }
        if !order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&order.join(", "));
        }
        sql.push_str(" LIMIT ?");
        clause.params.push(SqlValue::Int(Some(
            i64::try_from(query.limit).unwrap_or(i64::MAX),
        )));
        let rows: Vec<InstanceRow> = self.db.fetch_all(&sql, &clause.params).await?;
        self.count_rows_read(rows.len());
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(column: &'static str, descending: bool) -> SortKey {
        SortKey {
            column: SortColumn::Column(column),
            descending,
        }
    }

    #[test]
    fn nulls_sort_as_each_server_does() {
        assert!(nulls_after(key("x", true), Dialect::Sqlite));
        assert!(!nulls_after(key("x", false), Dialect::MySql));
        assert!(!nulls_after(key("x", true), Dialect::Postgres));
        assert!(nulls_after(key("x", false), Dialect::Postgres));
    }

    #[test]
    fn not_all_tags_counts_distinct_tags() {
        let mut clause = Where::default();
        let tags = TagFilters {
            not_all: vec!["a".into(), "b".into(), "a".into()],
            ..TagFilters::default()
        };
        tag_filters(&tags, &mut clause);
        assert_eq!(clause.params.last(), Some(&SqlValue::Int(Some(2))));
    }

    #[test]
    fn empty_lists_match_nothing() {
        let mut clause = Where::default();
        let filter = ColumnFilter {
            column: "host",
            matching: ColumnMatch::AnyOf(Vec::new()),
        };
        column_filter(&filter, Dialect::Sqlite, &mut clause);
        assert_eq!(clause.conditions, ["1 = 0"]);
    }
}
