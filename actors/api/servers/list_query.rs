//! A server list request read into one database query (Nova `servers.py` `_get_servers`,
//! `common.get_limit_and_marker`, `common.get_sort_params`, `remove_invalid_sort_keys`, and
//! the database's `process_sort_params`): the caller's project or all of them, every
//! filter, the sort keys with their directions, the page size and the marker.

use crate::api::api_fault::ApiFault;
use crate::api::auth::Ctx;
use crate::api::policy::defaults as policy;
use crate::db::{
    ColumnFilter, ColumnMatch, Deletion, InstanceListQuery, SortColumn, SortKey, TagFilters,
};
use novactor::db::SqlValue;

use super::list_filters::{
    column_match, column_of, invalid_value, lenient_bool, lookup, members_may_use, parse_time,
    states_from_statuses, strict_bool,
};

/// What a list request asks for.
#[derive(Debug)]
pub enum ListPlan {
    /// Run this query.
    Query(Box<InstanceListQuery>),
    /// Nova answers an empty list without asking the database (an unknown status before
    /// 2.38).
    Empty,
}

/// Sort keys Nova accepts and ignores (`SERVER_LIST_IGNORE_SORT_KEY`); from 2.73 `locked`
/// is a real key, from 2.75 the rest are refused.
const IGNORED_SORT_KEYS: &[&str] = &[
    "architecture",
    "cell_name",
    "cleaned",
    "default_ephemeral_device",
    "default_swap_device",
    "deleted",
    "deleted_at",
    "disable_terminate",
    "ephemeral_gb",
    "ephemeral_key_uuid",
    "id",
    "key_data",
    "launched_on",
    "locked",
    "memory_mb",
    "os_type",
    "reservation_id",
    "root_gb",
    "shutdown_terminate",
    "user_data",
    "vcpus",
    "vm_mode",
];

/// Nova's `VALID_SORT_KEYS` (besides the ignored ones).
const SORT_KEYS: &[&str] = &[
    "access_ip_v4",
    "access_ip_v6",
    "auto_disk_config",
    "availability_zone",
    "config_drive",
    "created_at",
    "display_description",
    "display_name",
    "host",
    "hostname",
    "image_ref",
    "instance_type_id",
    "kernel_id",
    "key_name",
    "launch_index",
    "launched_at",
    "locked_by",
    "node",
    "power_state",
    "progress",
    "project_id",
    "ramdisk_id",
    "root_device_name",
    "task_state",
    "terminated_at",
    "updated_at",
    "user_id",
    "uuid",
    "vm_state",
];

/// Sort keys naming columns Nova has and the slice never fills: every instance has the same
/// (no) value, so ordering by them changes nothing and they are left out of the SQL.
const UNFILLED_SORT_KEYS: &[&str] = &[
    "access_ip_v4",
    "access_ip_v6",
    "auto_disk_config",
    "kernel_id",
    "ramdisk_id",
    "root_device_name",
];

/// Every value of `key`, in order.
fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The last value of `key` (what Nova's `search_opts.update(req.GET)` keeps).
fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `limit` as Nova reads it: a non-negative integer, capped by `max_limit`.
pub fn page_size(pairs: &[(String, String)], max_limit: usize) -> Result<usize, ApiFault> {
    match last(pairs, "limit") {
        None => Ok(max_limit),
        // Digits only (Nova's '^[0-9]*$'); a number past usize is still "more than max".
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(text.parse::<usize>().unwrap_or(usize::MAX).min(max_limit))
        }
        Some(text) => Err(invalid_value(
            "limit",
            text,
            &format!("'{text}' does not match '^[0-9]*$'"),
        )),
    }
}

/// Nova's sort keys and directions, with `created_at`, `id` appended.
fn sort_keys(ctx: &Ctx, pairs: &[(String, String)]) -> Result<Vec<SortKey>, ApiFault> {
    let minor = ctx.version.minor;
    let mut keys: Vec<&str> = all(pairs, "sort_key").into_iter().map(str::trim).collect();
    let mut dirs: Vec<&str> = all(pairs, "sort_dir").into_iter().map(str::trim).collect();
    for key in &keys {
        let valid = SORT_KEYS.contains(key)
            || (minor < 75 && IGNORED_SORT_KEYS.contains(key))
            || (minor >= 73 && *key == "locked");
        if !valid {
            return Err(invalid_value(
                "sort_key",
                key,
                &format!("'{key}' is not one of the server sort keys"),
            ));
        }
    }
    if keys.is_empty() {
        keys.push("created_at");
    }
    if dirs.is_empty() {
        dirs.push("desc");
    }
    // remove_invalid_sort_keys: ignored keys go with their direction, when it has one.
    let mut i = 0;
    while i < keys.len() {
        let key = keys[i];
        let ignored = IGNORED_SORT_KEYS.contains(&key) && !(minor >= 73 && key == "locked");
        if ignored {
            if dirs.len() > i {
                dirs.remove(i);
            }
            keys.remove(i);
            continue;
        }
        if matches!(key, "host" | "node") && !ctx.is_admin {
            return Err(ApiFault::forbidden(format!(
                "Only administrators can sort servers by {key}"
            )));
        }
        i += 1;
    }
    // The database's process_sort_params.
    for dir in &dirs {
        if !matches!(*dir, "asc" | "desc") {
            return Err(ApiFault::bad_request(
                "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'",
            ));
        }
    }
    if dirs.len() > keys.len() {
        return Err(ApiFault::bad_request(
            "Invalid input received: Sort direction size exceeds sort key size",
        ));
    }
    let default_dir = dirs.first().copied().unwrap_or("desc");
    while dirs.len() < keys.len() {
        dirs.push(default_dir);
    }
    for default_key in ["created_at", "id"] {
        if !keys.contains(&default_key) {
            keys.push(default_key);
            dirs.push(default_dir);
        }
    }
    Ok(keys
        .iter()
        .zip(&dirs)
        .filter(|(key, _)| !UNFILLED_SORT_KEYS.contains(key))
        .map(|(key, dir)| SortKey {
            column: sort_column(key),
            descending: *dir == "desc",
        })
        .collect())
}

fn sort_column(key: &str) -> SortColumn {
    if key == "locked" {
        return SortColumn::Locked;
    }
    // The 'static name of a known key (validated above).
    let known = SORT_KEYS
        .iter()
        .chain(IGNORED_SORT_KEYS)
        .chain(["id"].iter())
        .find(|k| **k == key)
        .copied()
        .unwrap_or("id");
    SortColumn::Column(known)
}

/// Whether an admin-only filter asks for nothing but what every caller gets: `deleted` or
/// `soft_deleted` false (the real `openstack server list` sends `deleted=False`). A member
/// sending one is answered as if it were not there — nothing is dropped, since nothing was
/// asked.
fn asks_for_the_default(name: &str, value: &str) -> bool {
    matches!(name, "deleted" | "soft_deleted")
        && matches!(
            value.to_ascii_lowercase().as_str(),
            "0" | "f" | "false" | "off" | "n" | "no"
        )
}

/// The query of `GET /servers[/detail]` for `ctx` with `pairs`, pages of at most
/// `max_limit`. `detail` picks the all-tenants rule.
pub fn plan(
    ctx: &Ctx,
    pairs: &[(String, String)],
    max_limit: usize,
    detail: bool,
) -> Result<ListPlan, ApiFault> {
    let minor = ctx.version.minor;
    let all_filters = ctx.can(policy::SERVERS_ALLOW_ALL_FILTERS, &ctx.project_id);
    let mut query = InstanceListQuery {
        filters: Vec::new(),
        flavorid: None,
        deletion: Deletion::Live {
            soft_deleted: false,
        },
        changes_since: None,
        changes_before: None,
        locked: None,
        tags: TagFilters::default(),
        sort: Vec::new(),
        limit: 0,
        marker: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        let param = lookup(name, minor)?;
        let value = last(pairs, name).unwrap_or_default();
        if !all_filters && !members_may_use(param, minor) && !asks_for_the_default(name, value) {
            return Err(ApiFault::forbidden(format!(
                "Only administrators may filter servers by {name} (policy {} does not \
                 allow this caller).",
                policy::SERVERS_ALLOW_ALL_FILTERS
            )));
        }
        if let (Some(matching), Some(column)) = (column_match(param, value)?, column_of(param)) {
            query.filters.push(ColumnFilter { column, matching });
        }
    }
    if let Some(flavor) = last(pairs, "flavor") {
        regex::Regex::new(flavor).map_err(|_| {
            invalid_value("flavor", flavor, &format!("'{flavor}' is not a 'regex'"))
        })?;
        query.flavorid = Some(flavor.to_owned());
    }
    let statuses: Vec<String> = all(pairs, "status")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut vm_state_is_deleted = false;
    if !statuses.is_empty() {
        let (vm_states, task_states) = states_from_statuses(&statuses);
        if vm_states.is_empty() && task_states.is_empty() {
            if ctx.version.at_least(38) {
                return Err(ApiFault::bad_request("Invalid status value"));
            }
            return Ok(ListPlan::Empty);
        }
        vm_state_is_deleted = vm_states == ["deleted"];
        // The status replaces vm_state / task_state parameters, as in Nova.
        query
            .filters
            .retain(|f| !matches!(f.column, "vm_state" | "task_state"));
        let values = |states: &[&str]| states.iter().map(|s| SqlValue::from(*s)).collect();
        query.filters.push(ColumnFilter {
            column: "vm_state",
            matching: ColumnMatch::AnyOf(values(&vm_states)),
        });
        if !task_states.contains(&"default") {
            query.filters.push(ColumnFilter {
                column: "task_state",
                matching: ColumnMatch::AnyOf(values(&task_states)),
            });
        }
    }
    let time = |name: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiFault> {
        last(pairs, name)
            .map(|text| {
                parse_time(text).ok_or_else(|| {
                    invalid_value(name, text, &format!("'{text}' is not a 'date-time'"))
                })
            })
            .transpose()
    };
    query.changes_since = time("changes-since")?;
    query.changes_before = time("changes-before")?;
    if let (Some(since), Some(before)) = (query.changes_since, query.changes_before) {
        if before < since {
            return Err(ApiFault::bad_request(
                "The value of changes-since must be less than or equal to changes-before.",
            ));
        }
    }
    let deleted = match last(pairs, "deleted") {
        Some(text) => Some(lenient_bool(text)),
        None if query.changes_since.is_some() || query.changes_before.is_some() => None,
        None => Some(false),
    };
    let deleted = if vm_state_is_deleted {
        if !ctx.is_admin {
            return Err(ApiFault::forbidden(
                "Only administrators may list deleted instances",
            ));
        }
        Some(true)
    } else {
        deleted
    };
    let soft_deleted = last(pairs, "soft_deleted").map(lenient_bool);
    query.deletion = match deleted {
        Some(true) => Deletion::Deleted {
            soft_deleted: soft_deleted.unwrap_or(true),
        },
        Some(false) => Deletion::Live {
            soft_deleted: soft_deleted.unwrap_or(false),
        },
        None => Deletion::Any,
    };
    let split = |name: &str| -> Vec<String> {
        last(pairs, name)
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    query.tags = TagFilters {
        all: split("tags"),
        any: split("tags-any"),
        not_all: split("not-tags"),
        not_any: split("not-tags-any"),
    };
    query.locked = last(pairs, "locked").map(strict_bool).transpose()?;
    project_scope(ctx, pairs, detail, &mut query)?;
    query.sort = sort_keys(ctx, pairs)?;
    query.limit = u64::try_from(page_size(pairs, max_limit)?).unwrap_or(u64::MAX);
    query.marker = last(pairs, "marker").map(str::to_owned);
    Ok(ListPlan::Query(Box::new(query)))
}

/// The caller's project (or user, for a token without one), or every project with
/// `all_tenants` when the policy allows it, optionally narrowed to `project_id` /
/// `tenant_id`. Without `all_tenants` Nova quietly overrides those two with the caller's
/// own project; novactor refuses them (D-LIST-FILTERS).
fn project_scope(
    ctx: &Ctx,
    pairs: &[(String, String)],
    detail: bool,
    query: &mut InstanceListQuery,
) -> Result<(), ApiFault> {
    let all_tenants = match last(pairs, "all_tenants") {
        None => false,
        Some("") => true,
        Some(text) => strict_bool(text)?,
    };
    let asked_project = last(pairs, "tenant_id").or_else(|| last(pairs, "project_id"));
    if all_tenants {
        ctx.authorize_own(if detail {
            policy::SERVERS_DETAIL_ALL_TENANTS
        } else {
            policy::SERVERS_INDEX_ALL_TENANTS
        })?;
        if let Some(project) = asked_project {
            query.filters.push(ColumnFilter {
                column: "project_id",
                matching: ColumnMatch::AnyOf(vec![SqlValue::from(project)]),
            });
        }
        return Ok(());
    }
    if let Some(name) = ["project_id", "tenant_id"]
        .into_iter()
        .find(|name| last(pairs, name).is_some())
    {
        return Err(ApiFault::bad_request(format!(
            "The {name} filter needs all_tenants=1: without it the list is the caller's \
             own project."
        )));
    }
    let (column, value) = if ctx.project_id.is_empty() {
        ("user_id", ctx.user_id.as_str())
    } else {
        ("project_id", ctx.project_id.as_str())
    };
    query.filters.push(ColumnFilter {
        column,
        matching: ColumnMatch::AnyOf(vec![SqlValue::from(value)]),
    });
    Ok(())
}
