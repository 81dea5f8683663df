//! Nova 34's default rules (`nova/policies/*.py`) for the APIs novactor serves, under Nova's
//! names, so a `policy.yaml` written for Nova overrides them here too. The base rules first
//! (`nova/policies/base.py`), then one line per enforced rule with the file it comes from.

/// `(name, check)` for every rule novactor knows.
pub static DEFAULT_RULES: &[(&str, &str)] = &[
    // nova/policies/base.py
    ("context_is_admin", "role:admin"),
    (
        "admin_or_owner",
        "is_admin:True or project_id:%(project_id)s",
    ),
    ("admin_api", "is_admin:True"),
    (
        "project_manager_api",
        "role:manager and project_id:%(project_id)s",
    ),
    (
        "project_member_api",
        "role:member and project_id:%(project_id)s",
    ),
    (
        "project_reader_api",
        "role:reader and project_id:%(project_id)s",
    ),
    ("service_api", "role:service"),
    (
        "project_manager_or_admin",
        "rule:project_manager_api or rule:context_is_admin",
    ),
    (
        "project_member_or_admin",
        "rule:project_member_api or rule:context_is_admin",
    ),
    (
        "project_reader_or_admin",
        "rule:project_reader_api or rule:context_is_admin",
    ),
    (
        "service_or_admin",
        "rule:service_api or rule:context_is_admin",
    ),
    // nova/policies/servers.py
    (SERVERS_INDEX, "rule:project_reader_or_admin"),
    (SERVERS_DETAIL, "rule:project_reader_or_admin"),
    (SERVERS_INDEX_ALL_TENANTS, "rule:context_is_admin"),
    (SERVERS_DETAIL_ALL_TENANTS, "rule:context_is_admin"),
    (SERVERS_ALLOW_ALL_FILTERS, "rule:context_is_admin"),
    (SERVERS_SHOW, "rule:project_reader_or_admin"),
    (SERVERS_SHOW_HOST_STATUS, "rule:context_is_admin"),
    (
        SERVERS_SHOW_FLAVOR_EXTRA_SPECS,
        "rule:project_reader_or_admin",
    ),
    (SERVERS_CREATE, "rule:project_member_or_admin"),
    (FLAVOR_EXTRA_SPECS_INDEX, "rule:project_reader_or_admin"),
    (SERVERS_DELETE, "rule:project_member_or_admin"),
    (SERVERS_REBOOT, "rule:project_member_or_admin"),
    (SERVERS_START, "rule:project_member_or_admin"),
    (SERVERS_STOP, "rule:project_member_or_admin"),
    // nova/policies/extended_server_attributes.py
    (EXTENDED_SERVER_ATTRIBUTES, "rule:context_is_admin"),
    // nova/policies/services.py
    (SERVICES_LIST, "rule:context_is_admin"),
    (SERVICES_UPDATE, "rule:context_is_admin"),
    // nova/policies/hypervisors.py
    (HYPERVISORS_LIST, "rule:context_is_admin"),
    (HYPERVISORS_LIST_DETAIL, "rule:context_is_admin"),
    (HYPERVISORS_SHOW, "rule:context_is_admin"),
    (HYPERVISORS_UPTIME, "rule:context_is_admin"),
    // nova/policies/aggregates.py
    (AGGREGATES_INDEX, "rule:context_is_admin"),
    // nova/policies/server_groups.py
    (SERVER_GROUPS_CREATE, "rule:project_member_or_admin"),
    (SERVER_GROUPS_DELETE, "rule:project_member_or_admin"),
    (SERVER_GROUPS_INDEX, "rule:project_reader_or_admin"),
    (SERVER_GROUPS_INDEX_ALL_PROJECTS, "rule:context_is_admin"),
    (SERVER_GROUPS_SHOW, "rule:project_reader_or_admin"),
];

/// `GET /servers`.
pub const SERVERS_INDEX: &str = "os_compute_api:servers:index";
/// `GET /servers/detail`.
pub const SERVERS_DETAIL: &str = "os_compute_api:servers:detail";
/// `GET /servers?all_tenants=1`.
pub const SERVERS_INDEX_ALL_TENANTS: &str = "os_compute_api:servers:index:get_all_tenants";
/// `GET /servers/detail?all_tenants=1`.
pub const SERVERS_DETAIL_ALL_TENANTS: &str = "os_compute_api:servers:detail:get_all_tenants";
/// Admin-only list filters (`host`, …).
pub const SERVERS_ALLOW_ALL_FILTERS: &str = "os_compute_api:servers:allow_all_filters";
/// `GET /servers/{id}`.
pub const SERVERS_SHOW: &str = "os_compute_api:servers:show";
/// `host_status` in server views (2.16).
pub const SERVERS_SHOW_HOST_STATUS: &str = "os_compute_api:servers:show:host_status";
/// The flavor's extra specs in a server's view (2.47+).
pub const SERVERS_SHOW_FLAVOR_EXTRA_SPECS: &str = "os_compute_api:servers:show:flavor-extra-specs";
/// A flavor's extra specs (in flavor views from 2.61).
pub const FLAVOR_EXTRA_SPECS_INDEX: &str = "os_compute_api:os-flavor-extra-specs:index";
/// `POST /servers`.
pub const SERVERS_CREATE: &str = "os_compute_api:servers:create";
/// `DELETE /servers/{id}`.
pub const SERVERS_DELETE: &str = "os_compute_api:servers:delete";
/// `reboot` action.
pub const SERVERS_REBOOT: &str = "os_compute_api:servers:reboot";
/// `os-start` action.
pub const SERVERS_START: &str = "os_compute_api:servers:start";
/// `os-stop` action.
pub const SERVERS_STOP: &str = "os_compute_api:servers:stop";
/// `OS-EXT-SRV-ATTR:*` in server views.
pub const EXTENDED_SERVER_ATTRIBUTES: &str = "os_compute_api:os-extended-server-attributes";
/// `GET /os-services`.
pub const SERVICES_LIST: &str = "os_compute_api:os-services:list";
/// `PUT /os-services/{id}` and the legacy enable/disable/force-down actions.
pub const SERVICES_UPDATE: &str = "os_compute_api:os-services:update";
/// `GET /os-hypervisors`.
pub const HYPERVISORS_LIST: &str = "os_compute_api:os-hypervisors:list";
/// `GET /os-hypervisors/detail`.
pub const HYPERVISORS_LIST_DETAIL: &str = "os_compute_api:os-hypervisors:list-detail";
/// `GET /os-hypervisors/{id}`.
pub const HYPERVISORS_SHOW: &str = "os_compute_api:os-hypervisors:show";
/// `GET /os-hypervisors/{id}/uptime`.
pub const HYPERVISORS_UPTIME: &str = "os_compute_api:os-hypervisors:uptime";
/// `GET /os-aggregates`.
pub const AGGREGATES_INDEX: &str = "os_compute_api:os-aggregates:index";
/// `POST /os-server-groups`.
pub const SERVER_GROUPS_CREATE: &str = "os_compute_api:os-server-groups:create";
/// `DELETE /os-server-groups/{id}`.
pub const SERVER_GROUPS_DELETE: &str = "os_compute_api:os-server-groups:delete";
/// `GET /os-server-groups`.
pub const SERVER_GROUPS_INDEX: &str = "os_compute_api:os-server-groups:index";
/// `GET /os-server-groups?all_projects`.
pub const SERVER_GROUPS_INDEX_ALL_PROJECTS: &str =
    "os_compute_api:os-server-groups:index:all_projects";
/// `GET /os-server-groups/{id}`.
pub const SERVER_GROUPS_SHOW: &str = "os_compute_api:os-server-groups:show";
