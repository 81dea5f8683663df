//! The query parameters of `GET /servers` (Nova 34 `schemas/servers.py` `index_query*`): which
//! exist at which microversion, which a project member may use (Nova's
//! `_get_server_search_options`; the rest need `os_compute_api:servers:allow_all_filters`),
//! and how each becomes a database filter (`compute/api.py` `get_all`'s remapping, the
//! database's exact or regular-expression match). Nova drops an admin-only filter a member
//! sends; novactor answers 403 naming it (docs/DEVIATIONS.md D-LIST-FILTERS).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::api::api_fault::ApiFault;
use crate::db::ColumnMatch;
use novactor::db::SqlValue;

/// What a filter parameter does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exact text match on the column (`IN` for several values).
    Exact(&'static str),
    /// Regular-expression match on the column.
    Regex(&'static str),
    /// Exact integer match (Nova matches these integer columns by regex, which
    /// PostgreSQL cannot apply to an integer; an integer is what they hold).
    Int(&'static str),
    /// Exact instant (Nova matches these timestamps by regex on the server's text form,
    /// which differs per database; the instant is what they mean).
    Time(&'static str),
    /// Boolean match (oslo's `bool_from_string`) on the column.
    Bool(&'static str),
    /// Regular-expression match on an address of the server's lab network ports (Nova
    /// matches the info cache's fixed addresses; `ipv4_address` or `ipv6_address`).
    PortAddress(&'static str),
    /// A column Nova has and the slice never fills: no instance matches a value.
    Unfilled,
    /// Handled by the list itself (status, flavor, projects, deletion, times, tags…).
    Special,
    /// Paging and sorting (`limit`, `marker`, `sort_key`, `sort_dir`).
    Paging,
}

/// Who may use a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A project member, from microversion 2.`n`.
    MembersFrom(u32),
    /// Only a caller `allow_all_filters` allows.
    AdminOnly,
}

/// One query parameter of the server list.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name in the query string.
    pub name: &'static str,
    /// The first microversion (2.`n`) whose schema has it.
    pub since: u32,
    /// What it filters.
    pub kind: Kind,
    /// Who may use it.
    pub audience: Audience,
}

const fn p(name: &'static str, since: u32, kind: Kind, audience: Audience) -> Param {
    Param {
        name,
        since,
        kind,
        audience,
    }
}

use Audience::{AdminOnly, MembersFrom};
use Kind::{Bool, Exact, Int, Paging, PortAddress, Regex, Special, Time, Unfilled};

/// Nova 34's `index_query` properties, with the versions that add them.
pub const PARAMS: &[Param] = &[
    p("user_id", 1, Exact("user_id"), MembersFrom(83)),
    p("project_id", 1, Special, AdminOnly),
    p("tenant_id", 1, Special, AdminOnly),
    p("launch_index", 1, Int("launch_index"), AdminOnly),
    p("image_ref", 1, Exact("image_ref"), AdminOnly),
    p("image", 1, Exact("image_ref"), MembersFrom(1)),
    p("kernel_id", 1, Unfilled, AdminOnly),
    p("ramdisk_id", 1, Unfilled, AdminOnly),
    p("hostname", 1, Regex("hostname"), MembersFrom(90)),
    p("key_name", 1, Regex("key_name"), MembersFrom(83)),
    p("power_state", 1, Int("power_state"), MembersFrom(83)),
    p("vm_state", 1, Exact("vm_state"), MembersFrom(83)),
    p("task_state", 1, Exact("task_state"), MembersFrom(83)),
    p("host", 1, Exact("host"), AdminOnly),
    p("node", 1, Regex("node"), AdminOnly),
    p("flavor", 1, Special, MembersFrom(1)),
    p("reservation_id", 1, Regex("reservation_id"), MembersFrom(1)),
    p("launched_at", 1, Time("launched_at"), MembersFrom(83)),
    p("terminated_at", 1, Time("terminated_at"), MembersFrom(83)),
    p(
        "availability_zone",
        1,
        Regex("availability_zone"),
        MembersFrom(83),
    ),
    p("name", 1, Regex("display_name"), MembersFrom(1)),
    p("display_name", 1, Regex("display_name"), AdminOnly),
    p("description", 1, Regex("display_description"), AdminOnly),
    p(
        "display_description",
        1,
        Regex("display_description"),
        AdminOnly,
    ),
    p("locked_by", 1, Regex("locked_by"), AdminOnly),
    p("uuid", 1, Exact("uuid"), AdminOnly),
    p("root_device_name", 1, Unfilled, AdminOnly),
    p("config_drive", 1, Regex("config_drive"), MembersFrom(83)),
    p("access_ip_v4", 1, Regex("access_ip_v4"), AdminOnly),
    p("access_ip_v6", 1, Regex("access_ip_v6"), AdminOnly),
    p("auto_disk_config", 1, Bool("auto_disk_config"), AdminOnly),
    p("progress", 1, Int("progress"), MembersFrom(83)),
    p("sort_key", 1, Paging, MembersFrom(1)),
    p("sort_dir", 1, Paging, MembersFrom(1)),
    p("limit", 1, Paging, MembersFrom(1)),
    p("marker", 1, Paging, MembersFrom(1)),
    p("all_tenants", 1, Special, MembersFrom(1)),
    p("soft_deleted", 1, Special, AdminOnly),
    p("deleted", 1, Special, AdminOnly),
    p("status", 1, Special, MembersFrom(1)),
    p("changes-since", 1, Special, MembersFrom(1)),
    p("ip", 1, PortAddress("ipv4_address"), MembersFrom(1)),
    p("ip6", 1, PortAddress("ipv6_address"), MembersFrom(5)),
    p("created_at", 1, Time("created_at"), MembersFrom(83)),
    p("tags", 26, Special, MembersFrom(26)),
    p("tags-any", 26, Special, MembersFrom(26)),
    p("not-tags", 26, Special, MembersFrom(26)),
    p("not-tags-any", 26, Special, MembersFrom(26)),
    p("changes-before", 66, Special, MembersFrom(66)),
    p("locked", 73, Special, MembersFrom(73)),
];

/// Nova's joined-table parameters (`JOINED_TABLE_QUERY_PARAMS_SERVERS`): in the schema only
/// to be refused with 400.
const JOINED_TABLE_PARAMS: &[&str] = &[
    "block_device_mapping",
    "services",
    "metadata",
    "system_metadata",
    "info_cache",
    "security_groups",
    "pci_devices",
];

/// The parameter `name` at microversion 2.`minor`: 400 for Nova's joined-table names and
/// `_internal` ones ("Invalid filter field"), and for a name the schema of that version
/// does not have. (Nova before 2.75 lets unknown names through and ignores them; novactor
/// refuses them at every version, D-LIST-FILTERS.)
pub fn lookup(name: &str, minor: u32) -> Result<&'static Param, ApiFault> {
    if JOINED_TABLE_PARAMS.contains(&name) || name.starts_with('_') {
        return Err(ApiFault::bad_request(format!(
            "Invalid filter field: {name}."
        )));
    }
    PARAMS
        .iter()
        .find(|p| p.name == name && minor >= p.since)
        .ok_or_else(|| {
            ApiFault::bad_request(format!(
                "Additional properties are not allowed ('{name}' was unexpected)"
            ))
        })
}

/// Whether a project member may use `param` at microversion 2.`minor`.
pub fn members_may_use(param: &Param, minor: u32) -> bool {
    matches!(param.audience, MembersFrom(since) if minor >= since)
}

/// The 400 of a query value that fails its schema, in Nova's words.
pub fn invalid_value(name: &str, value: &str, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for query parameters {name}. Value: {value}. {why}"
    ))
}

/// `value` of a simple column filter as the database match it asks for.
pub fn column_match(param: &Param, value: &str) -> Result<Option<ColumnMatch>, ApiFault> {
    Ok(Some(match param.kind {
        Exact(_) => ColumnMatch::AnyOf(vec![SqlValue::from(value)]),
        Regex(_) => {
            regex::Regex::new(value).map_err(|_| {
                invalid_value(param.name, value, &format!("'{value}' is not a 'regex'"))
            })?;
            ColumnMatch::Regex(value.to_owned())
        }
        Int(_) => {
            let number: i64 = value.trim().parse().map_err(|_| {
                invalid_value(param.name, value, &format!("'{value}' is not an integer"))
            })?;
            ColumnMatch::AnyOf(vec![SqlValue::from(number)])
        }
        Time(_) => {
            let instant = parse_time(value).ok_or_else(|| {
                invalid_value(
                    param.name,
                    value,
                    &format!("'{value}' is not a 'date-time'"),
                )
            })?;
            ColumnMatch::AnyOf(vec![SqlValue::from(instant)])
        }
        Bool(_) => {
            let wanted = match value.to_ascii_lowercase().as_str() {
                "1" | "t" | "true" | "on" | "y" | "yes" => true,
                "0" | "f" | "false" | "off" | "n" | "no" => false,
                _ => {
                    return Err(invalid_value(
                        param.name,
                        value,
                        &format!("'{value}' is not a boolean"),
                    ))
                }
            };
            ColumnMatch::AnyOf(vec![SqlValue::Bool(Some(wanted))])
        }
        PortAddress(column) => {
            regex::Regex::new(value).map_err(|_| {
                invalid_value(param.name, value, &format!("'{value}' is not a 'regex'"))
            })?;
            ColumnMatch::PortAddress {
                column,
                pattern: value.to_owned(),
            }
        }
        Unfilled => ColumnMatch::Nothing,
        Special | Paging => return Ok(None),
    }))
}

/// The column a simple filter matches.
pub fn column_of(param: &Param) -> Option<&'static str> {
    match param.kind {
        Exact(c) | Regex(c) | Int(c) | Time(c) | Bool(c) => Some(c),
        // The ports are matched by instance uuid.
        PortAddress(_) => Some("uuid"),
        // Any column: `Nothing` never reads it.
        Unfilled => Some("uuid"),
        _ => None,
    }
}

/// An ISO 8601 instant as oslo's `parse_isotime` reads it (a zone, or UTC when none).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(t) = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// oslo's `bool_from_string(strict=True)`: the value, or Nova's InvalidInput 400.
pub fn strict_bool(value: &str) -> Result<bool, ApiFault> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Ok(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Ok(false),
        _ => Err(ApiFault::bad_request(format!(
            "Invalid input received: Unrecognized value '{value}', acceptable values are: \
             '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'"
        ))),
    }
}

/// oslo's `bool_from_string(default=False)`: unrecognised text is false.
pub fn lenient_bool(value: &str) -> bool {
    strict_bool(value).unwrap_or(false)
}

/// Nova `common.task_and_vm_state_from_status` over `_STATE_MAP`: the vm states and task
/// states (`"default"` for "any task") whose status is one of `statuses`.
pub fn states_from_statuses(statuses: &[String]) -> (Vec<&'static str>, Vec<&'static str>) {
    const STATE_MAP: &[(&str, &str, &str)] = &[
        ("active", "default", "ACTIVE"),
        ("active", "rebooting", "REBOOT"),
        ("active", "reboot_pending", "REBOOT"),
        ("active", "reboot_started", "REBOOT"),
        ("active", "rebooting_hard", "HARD_REBOOT"),
        ("active", "reboot_pending_hard", "HARD_REBOOT"),
        ("active", "reboot_started_hard", "HARD_REBOOT"),
        ("active", "updating_password", "PASSWORD"),
        ("active", "rebuilding", "REBUILD"),
        ("active", "rebuild_block_device_mapping", "REBUILD"),
        ("active", "rebuild_spawning", "REBUILD"),
        ("active", "migrating", "MIGRATING"),
        ("active", "resize_prep", "RESIZE"),
        ("active", "resize_migrating", "RESIZE"),
        ("active", "resize_migrated", "RESIZE"),
        ("active", "resize_finish", "RESIZE"),
        ("building", "default", "BUILD"),
        ("stopped", "default", "SHUTOFF"),
        ("stopped", "resize_prep", "RESIZE"),
        ("stopped", "resize_migrating", "RESIZE"),
        ("stopped", "resize_migrated", "RESIZE"),
        ("stopped", "resize_finish", "RESIZE"),
        ("stopped", "rebuilding", "REBUILD"),
        ("stopped", "rebuild_block_device_mapping", "REBUILD"),
        ("stopped", "rebuild_spawning", "REBUILD"),
        ("resized", "default", "VERIFY_RESIZE"),
        ("resized", "resize_reverting", "REVERT_RESIZE"),
        ("paused", "default", "PAUSED"),
        ("paused", "migrating", "MIGRATING"),
        ("suspended", "default", "SUSPENDED"),
        ("rescued", "default", "RESCUE"),
        ("error", "default", "ERROR"),
        ("error", "rebuilding", "REBUILD"),
        ("error", "rebuild_block_device_mapping", "REBUILD"),
        ("error", "rebuild_spawning", "REBUILD"),
        ("deleted", "default", "DELETED"),
        ("soft-delete", "default", "SOFT_DELETED"),
        ("shelved", "default", "SHELVED"),
        ("shelved_offloaded", "default", "SHELVED_OFFLOADED"),
    ];
    let wanted: Vec<String> = statuses.iter().map(|s| s.to_ascii_lowercase()).collect();
    let mut vm_states = Vec::new();
    let mut task_states = Vec::new();
    for (vm, task, status) in STATE_MAP {
        if wanted.contains(&status.to_ascii_lowercase()) {
            vm_states.push(*vm);
            task_states.push(*task);
        }
    }
    for list in [&mut vm_states, &mut task_states] {
        list.sort_unstable();
        list.dedup();
    }
    (vm_states, task_states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_as_novas_state_map() {
        let (vm, task) = states_from_statuses(&["reboot".to_owned()]);
        assert_eq!(vm, ["active"]);
        assert_eq!(task, ["reboot_pending", "reboot_started", "rebooting"]);
        let (vm, task) = states_from_statuses(&["ACTIVE".to_owned(), "SHUTOFF".to_owned()]);
        assert_eq!(vm, ["active", "stopped"]);
        assert_eq!(task, ["default"]);
        assert_eq!(states_from_statuses(&["nope".to_owned()]), (vec![], vec![]));
    }

    #[test]
    fn params_appear_at_their_version() {
        assert!(lookup("locked", 72).is_err());
        assert!(lookup("locked", 73).is_ok());
        assert!(lookup("tags", 26).is_ok());
        assert_eq!(
            lookup("metadata", 90).unwrap_err().message,
            "Invalid filter field: metadata."
        );
        assert!(lookup("nonsense", 1).is_err());
    }

    #[test]
    fn times_read_as_oslo_does() {
        assert!(parse_time("2024-05-01T12:00:00Z").is_some());
        assert!(parse_time("2024-05-01T12:00:00.5").is_some());
        assert!(parse_time("2024-05-01").is_some());
        assert!(parse_time("yesterday").is_none());
    }
}
