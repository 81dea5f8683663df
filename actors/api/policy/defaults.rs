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
    (
        SERVERS_CREATE_ATTACH_NETWORK,
        "rule:project_member_or_admin",
    ),
    (SERVERS_DELETE, "rule:project_member_or_admin"),
    (SERVERS_REBOOT, "rule:project_member_or_admin"),
    (SERVERS_START, "rule:project_member_or_admin"),
    (SERVERS_STOP, "rule:project_member_or_admin"),
    (SERVERS_UPDATE, "rule:project_member_or_admin"),
    (SERVERS_REBUILD, "rule:project_member_or_admin"),
    (
        SERVERS_REBUILD_TRUSTED_CERTS,
        "rule:project_member_or_admin",
    ),
    // nova/policies/evacuate.py
    (EVACUATE, "rule:context_is_admin"),
    (SERVERS_RESIZE, "rule:project_member_or_admin"),
    (SERVERS_CONFIRM_RESIZE, "rule:project_member_or_admin"),
    (SERVERS_REVERT_RESIZE, "rule:project_member_or_admin"),
    // nova/policies/migrate_server.py
    (MIGRATE_SERVER_MIGRATE, "rule:project_manager_or_admin"),
    (MIGRATE_SERVER_MIGRATE_HOST, "rule:context_is_admin"),
    // nova/policies/instance_actions.py
    (INSTANCE_ACTIONS_LIST, "rule:project_reader_or_admin"),
    (INSTANCE_ACTIONS_SHOW, "rule:project_reader_or_admin"),
    (INSTANCE_ACTIONS_EVENTS, "rule:context_is_admin"),
    (INSTANCE_ACTIONS_EVENTS_DETAILS, "rule:context_is_admin"),
    // nova/policies/server_metadata.py
    (SERVER_METADATA_INDEX, "rule:project_reader_or_admin"),
    (SERVER_METADATA_SHOW, "rule:project_reader_or_admin"),
    (SERVER_METADATA_CREATE, "rule:project_member_or_admin"),
    (SERVER_METADATA_UPDATE_ALL, "rule:project_member_or_admin"),
    (SERVER_METADATA_UPDATE, "rule:project_member_or_admin"),
    (SERVER_METADATA_DELETE, "rule:project_member_or_admin"),
    // nova/policies/server_tags.py
    (SERVER_TAGS_INDEX, "rule:project_reader_or_admin"),
    (SERVER_TAGS_SHOW, "rule:project_reader_or_admin"),
    (SERVER_TAGS_UPDATE, "rule:project_member_or_admin"),
    (SERVER_TAGS_UPDATE_ALL, "rule:project_member_or_admin"),
    (SERVER_TAGS_DELETE, "rule:project_member_or_admin"),
    (SERVER_TAGS_DELETE_ALL, "rule:project_member_or_admin"),
    // nova/policies/server_diagnostics.py
    (SERVER_DIAGNOSTICS, "rule:context_is_admin"),
    // nova/policies/server_topology.py
    (SERVER_TOPOLOGY_INDEX, "rule:project_reader_or_admin"),
    (SERVER_TOPOLOGY_HOST_INDEX, "rule:context_is_admin"),
    (SERVERS_TRIGGER_CRASH_DUMP, "rule:project_member_or_admin"),
    // nova/policies/pause_server.py, suspend_server.py, lock_server.py, rescue.py
    (PAUSE_SERVER_PAUSE, "rule:project_member_or_admin"),
    (PAUSE_SERVER_UNPAUSE, "rule:project_member_or_admin"),
    (SUSPEND_SERVER_SUSPEND, "rule:project_member_or_admin"),
    (SUSPEND_SERVER_RESUME, "rule:project_member_or_admin"),
    (LOCK_SERVER_LOCK, "rule:project_member_or_admin"),
    (LOCK_SERVER_UNLOCK, "rule:project_member_or_admin"),
    (LOCK_SERVER_UNLOCK_OVERRIDE, "rule:context_is_admin"),
    (RESCUE, "rule:project_member_or_admin"),
    // nova/policies/deferred_delete.py
    (DEFERRED_DELETE_RESTORE, "rule:project_member_or_admin"),
    (DEFERRED_DELETE_FORCE, "rule:project_member_or_admin"),
    // nova/policies/shelve.py
    (SHELVE_SHELVE, "rule:project_member_or_admin"),
    (SHELVE_UNSHELVE, "rule:project_member_or_admin"),
    (SHELVE_UNSHELVE_TO_HOST, "rule:context_is_admin"),
    (SHELVE_OFFLOAD, "rule:context_is_admin"),
    (UNRESCUE, "rule:project_member_or_admin"),
    // nova/policies/admin_actions.py, admin_password.py, console_output.py,
    // server_password.py
    (ADMIN_ACTIONS_RESET_STATE, "rule:context_is_admin"),
    (ADMIN_ACTIONS_INJECT_NETWORK_INFO, "rule:context_is_admin"),
    // nova/policies/servers.py create_image, create_backup.py
    (SERVERS_CREATE_IMAGE, "rule:project_member_or_admin"),
    (
        SERVERS_CREATE_IMAGE_VOLUME_BACKED,
        "rule:project_member_or_admin",
    ),
    (CREATE_BACKUP, "rule:project_member_or_admin"),
    (ADMIN_PASSWORD, "rule:project_member_or_admin"),
    (CONSOLE_OUTPUT, "rule:project_member_or_admin"),
    (SERVER_PASSWORD_SHOW, "rule:project_reader_or_admin"),
    (SERVER_PASSWORD_CLEAR, "rule:project_member_or_admin"),
    // nova/policies/ips.py
    (IPS_INDEX, "rule:project_reader_or_admin"),
    (IPS_SHOW, "rule:project_reader_or_admin"),
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
    // nova/policies/migrations.py
    (MIGRATIONS_INDEX, "rule:project_manager_or_admin"),
    (MIGRATIONS_INDEX_ALL_PROJECTS, "rule:context_is_admin"),
    (MIGRATIONS_INDEX_HOST, "rule:context_is_admin"),
    // nova/policies/migrate_server.py (live)
    (MIGRATE_SERVER_MIGRATE_LIVE, "rule:project_manager_or_admin"),
    (MIGRATE_SERVER_MIGRATE_LIVE_HOST, "rule:context_is_admin"),
    // nova/policies/servers_migrations.py
    (SERVERS_MIGRATIONS_SHOW, "rule:context_is_admin"),
    (
        SERVERS_MIGRATIONS_FORCE_COMPLETE,
        "rule:project_manager_or_admin",
    ),
    (SERVERS_MIGRATIONS_DELETE, "rule:project_manager_or_admin"),
    (SERVERS_MIGRATIONS_INDEX, "rule:project_manager_or_admin"),
    (SERVERS_MIGRATIONS_INDEX_HOST, "rule:context_is_admin"),
    (SERVER_GROUPS_CREATE, "rule:project_member_or_admin"),
    (SERVER_GROUPS_DELETE, "rule:project_member_or_admin"),
    (SERVER_GROUPS_INDEX, "rule:project_reader_or_admin"),
    (SERVER_GROUPS_INDEX_ALL_PROJECTS, "rule:context_is_admin"),
    (SERVER_GROUPS_SHOW, "rule:project_reader_or_admin"),
    // nova/policies/keypairs.py
    (
        KEYPAIRS_INDEX,
        "(rule:context_is_admin) or user_id:%(user_id)s",
    ),
    (
        KEYPAIRS_CREATE,
        "(rule:context_is_admin) or user_id:%(user_id)s",
    ),
    (
        KEYPAIRS_DELETE,
        "(rule:context_is_admin) or user_id:%(user_id)s",
    ),
    (
        KEYPAIRS_SHOW,
        "(rule:context_is_admin) or user_id:%(user_id)s",
    ),
    // nova/policies/servers.py: a create's host / hypervisor_hostname (2.74)
    (
        SERVERS_CREATE_REQUESTED_DESTINATION,
        "rule:context_is_admin",
    ),
    // nova/policies/servers.py: a create's forced host (`availability_zone` az:host[:node])
    (SERVERS_CREATE_FORCED_HOST, "rule:context_is_admin"),
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
/// `POST /servers` asking for a network (`networks` other than `none`).
pub const SERVERS_CREATE_ATTACH_NETWORK: &str = "os_compute_api:servers:create:attach_network";
/// `GET /servers/{id}/ips`.
pub const IPS_INDEX: &str = "os_compute_api:ips:index";
/// `GET /servers/{id}/ips/{network_label}`.
pub const IPS_SHOW: &str = "os_compute_api:ips:show";
/// `DELETE /servers/{id}`.
pub const SERVERS_DELETE: &str = "os_compute_api:servers:delete";
/// `reboot` action.
pub const SERVERS_REBOOT: &str = "os_compute_api:servers:reboot";
/// `os-start` action.
pub const SERVERS_START: &str = "os_compute_api:servers:start";
/// `os-stop` action.
pub const SERVERS_STOP: &str = "os_compute_api:servers:stop";
/// `trigger_crash_dump` (2.17+).
pub const SERVERS_TRIGGER_CRASH_DUMP: &str = "os_compute_api:servers:trigger_crash_dump";
/// `pause`.
pub const PAUSE_SERVER_PAUSE: &str = "os_compute_api:os-pause-server:pause";
/// `unpause`.
pub const PAUSE_SERVER_UNPAUSE: &str = "os_compute_api:os-pause-server:unpause";
/// `suspend`.
pub const SUSPEND_SERVER_SUSPEND: &str = "os_compute_api:os-suspend-server:suspend";
/// `resume`.
pub const SUSPEND_SERVER_RESUME: &str = "os_compute_api:os-suspend-server:resume";
/// `lock`.
pub const LOCK_SERVER_LOCK: &str = "os_compute_api:os-lock-server:lock";
/// `unlock`.
pub const LOCK_SERVER_UNLOCK: &str = "os_compute_api:os-lock-server:unlock";
/// `unlock` of a lock the other side holds.
pub const LOCK_SERVER_UNLOCK_OVERRIDE: &str =
    "os_compute_api:os-lock-server:unlock:unlock_override";
/// `rescue`.
pub const RESCUE: &str = "os_compute_api:os-rescue";
/// `unrescue`.
pub const UNRESCUE: &str = "os_compute_api:os-unrescue";
/// `os-resetState`.
pub const ADMIN_ACTIONS_RESET_STATE: &str = "os_compute_api:os-admin-actions:reset_state";
/// `injectNetworkInfo`.
pub const ADMIN_ACTIONS_INJECT_NETWORK_INFO: &str =
    "os_compute_api:os-admin-actions:inject_network_info";
/// `createImage`.
pub const SERVERS_CREATE_IMAGE: &str = "os_compute_api:servers:create_image";
/// `createImage` of a volume-backed server (none here: every server boots from an image).
pub const SERVERS_CREATE_IMAGE_VOLUME_BACKED: &str =
    "os_compute_api:servers:create_image:allow_volume_backed";
/// `createBackup`.
pub const CREATE_BACKUP: &str = "os_compute_api:os-create-backup";
/// `changePassword`.
pub const ADMIN_PASSWORD: &str = "os_compute_api:os-admin-password";
/// `os-getConsoleOutput`.
pub const CONSOLE_OUTPUT: &str = "os_compute_api:os-console-output";
/// `GET /servers/{id}/os-server-password`.
pub const SERVER_PASSWORD_SHOW: &str = "os_compute_api:os-server-password:show";
/// `DELETE /servers/{id}/os-server-password`.
pub const SERVER_PASSWORD_CLEAR: &str = "os_compute_api:os-server-password:clear";
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
/// `PUT /servers/{id}`.
pub const SERVERS_UPDATE: &str = "os_compute_api:servers:update";
/// The `rebuild` server action.
pub const SERVERS_REBUILD: &str = "os_compute_api:servers:rebuild";
/// `os_compute_api:os-evacuate`.
pub const EVACUATE: &str = "os_compute_api:os-evacuate";
/// `rebuild` naming `trusted_image_certificates` (2.63).
pub const SERVERS_REBUILD_TRUSTED_CERTS: &str = "os_compute_api:servers:rebuild:trusted_certs";
/// The `resize` server action.
pub const SERVERS_RESIZE: &str = "os_compute_api:servers:resize";
/// The `confirmResize` server action.
pub const SERVERS_CONFIRM_RESIZE: &str = "os_compute_api:servers:confirm_resize";
/// The `revertResize` server action.
pub const SERVERS_REVERT_RESIZE: &str = "os_compute_api:servers:revert_resize";
/// The `migrate` server action without a host.
pub const MIGRATE_SERVER_MIGRATE: &str = "os_compute_api:os-migrate-server:migrate";
/// The `migrate` server action naming a host (2.56).
pub const MIGRATE_SERVER_MIGRATE_HOST: &str = "os_compute_api:os-migrate-server:migrate:host";
/// `GET /servers/{id}/os-instance-actions`.
pub const INSTANCE_ACTIONS_LIST: &str = "os_compute_api:os-instance-actions:list";
/// `GET /servers/{id}/os-instance-actions/{request_id}`.
pub const INSTANCE_ACTIONS_SHOW: &str = "os_compute_api:os-instance-actions:show";
/// An action's events with their traceback (and `host` from 2.62).
pub const INSTANCE_ACTIONS_EVENTS: &str = "os_compute_api:os-instance-actions:events";
/// The events' `details` (2.84).
pub const INSTANCE_ACTIONS_EVENTS_DETAILS: &str =
    "os_compute_api:os-instance-actions:events:details";
/// `GET /servers/{id}/metadata`.
pub const SERVER_METADATA_INDEX: &str = "os_compute_api:server-metadata:index";
/// `GET /servers/{id}/metadata/{key}`.
pub const SERVER_METADATA_SHOW: &str = "os_compute_api:server-metadata:show";
/// `POST /servers/{id}/metadata`.
pub const SERVER_METADATA_CREATE: &str = "os_compute_api:server-metadata:create";
/// `PUT /servers/{id}/metadata`.
pub const SERVER_METADATA_UPDATE_ALL: &str = "os_compute_api:server-metadata:update_all";
/// `PUT /servers/{id}/metadata/{key}`.
pub const SERVER_METADATA_UPDATE: &str = "os_compute_api:server-metadata:update";
/// `DELETE /servers/{id}/metadata/{key}`.
pub const SERVER_METADATA_DELETE: &str = "os_compute_api:server-metadata:delete";
/// `GET /servers/{id}/tags`.
pub const SERVER_TAGS_INDEX: &str = "os_compute_api:os-server-tags:index";
/// `GET /servers/{id}/tags/{tag}`.
pub const SERVER_TAGS_SHOW: &str = "os_compute_api:os-server-tags:show";
/// `PUT /servers/{id}/tags/{tag}`.
pub const SERVER_TAGS_UPDATE: &str = "os_compute_api:os-server-tags:update";
/// `PUT /servers/{id}/tags`.
pub const SERVER_TAGS_UPDATE_ALL: &str = "os_compute_api:os-server-tags:update_all";
/// `DELETE /servers/{id}/tags/{tag}`.
pub const SERVER_TAGS_DELETE: &str = "os_compute_api:os-server-tags:delete";
/// `DELETE /servers/{id}/tags`.
pub const SERVER_TAGS_DELETE_ALL: &str = "os_compute_api:os-server-tags:delete_all";
/// `GET /servers/{id}/diagnostics`.
pub const SERVER_DIAGNOSTICS: &str = "os_compute_api:os-server-diagnostics";
/// `GET /servers/{id}/topology`.
pub const SERVER_TOPOLOGY_INDEX: &str = "compute:server:topology:index";
/// The host's side of the topology (`host_node`, `cpu_pinning`).
pub const SERVER_TOPOLOGY_HOST_INDEX: &str = "compute:server:topology:host:index";
/// `GET /os-migrations` (without hosts).
pub const MIGRATIONS_INDEX: &str = "os_compute_api:os-migrations:index";
/// `GET /os-migrations` of all or another project.
pub const MIGRATIONS_INDEX_ALL_PROJECTS: &str = "os_compute_api:os-migrations:index:all_projects";
/// `GET /os-migrations` with the hosts.
pub const MIGRATIONS_INDEX_HOST: &str = "os_compute_api:os-migrations:index:host";
/// `os-migrateLive` without a host.
pub const MIGRATE_SERVER_MIGRATE_LIVE: &str = "os_compute_api:os-migrate-server:migrate_live";
/// `os-migrateLive` to a named host.
pub const MIGRATE_SERVER_MIGRATE_LIVE_HOST: &str =
    "os_compute_api:os-migrate-server:migrate_live:host";
/// `GET /servers/{id}/migrations/{migration_id}`.
pub const SERVERS_MIGRATIONS_SHOW: &str = "os_compute_api:servers:migrations:show";
/// `POST /servers/{id}/migrations/{migration_id}/action` (force_complete).
pub const SERVERS_MIGRATIONS_FORCE_COMPLETE: &str =
    "os_compute_api:servers:migrations:force_complete";
/// `DELETE /servers/{id}/migrations/{migration_id}` (abort).
pub const SERVERS_MIGRATIONS_DELETE: &str = "os_compute_api:servers:migrations:delete";
/// `GET /servers/{id}/migrations`.
pub const SERVERS_MIGRATIONS_INDEX: &str = "os_compute_api:servers:migrations:index";
/// `GET /servers/{id}/migrations` with the hosts.
pub const SERVERS_MIGRATIONS_INDEX_HOST: &str = "os_compute_api:servers:migrations:index:host";
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
/// `restore`.
pub const DEFERRED_DELETE_RESTORE: &str = "os_compute_api:os-deferred-delete:restore";
/// `forceDelete`.
pub const DEFERRED_DELETE_FORCE: &str = "os_compute_api:os-deferred-delete:force";
/// `shelve`.
pub const SHELVE_SHELVE: &str = "os_compute_api:os-shelve:shelve";
/// `unshelve`.
pub const SHELVE_UNSHELVE: &str = "os_compute_api:os-shelve:unshelve";
/// `unshelve` naming a `host` (2.91).
pub const SHELVE_UNSHELVE_TO_HOST: &str = "os_compute_api:os-shelve:unshelve_to_host";
/// `shelveOffload`.
pub const SHELVE_OFFLOAD: &str = "os_compute_api:os-shelve:shelve_offload";
/// `GET /os-keypairs`.
pub const KEYPAIRS_INDEX: &str = "os_compute_api:os-keypairs:index";
/// `POST /os-keypairs`.
pub const KEYPAIRS_CREATE: &str = "os_compute_api:os-keypairs:create";
/// `DELETE /os-keypairs/{name}`.
pub const KEYPAIRS_DELETE: &str = "os_compute_api:os-keypairs:delete";
/// `GET /os-keypairs/{name}`.
pub const KEYPAIRS_SHOW: &str = "os_compute_api:os-keypairs:show";
/// `POST /servers` with `host` or `hypervisor_hostname` (2.74).
pub const SERVERS_CREATE_REQUESTED_DESTINATION: &str =
    "compute:servers:create:requested_destination";
/// `POST /servers` with `availability_zone` naming a host or node (skips the filters).
pub const SERVERS_CREATE_FORCED_HOST: &str = "os_compute_api:servers:create:forced_host";
