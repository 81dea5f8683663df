//! `/v2.1/servers` (Nova: `api/openstack/compute/servers.py`, `views/servers.py`,
//! `schemas/servers.py`), one request kind per file, on top of
//! [`compute_api`](super::compute_api):
//!
//! ```text
//! list.rs           GET /servers, GET /servers/detail: one page read in SQL, servers_links
//! list_query.rs     the list's query string → one database query (scope, sort, page)
//! list_filters.rs   the list's filter parameters per microversion and audience
//! show.rs           GET /servers/{id}
//! create.rs         POST /servers
//! create_schema.rs  the create body as Nova's schema reads it
//! create_details.rs metadata, user_data, config_drive: read as Nova's schema, kept per instance
//! create_fields.rs  the create fields novactor cannot honour yet: a 400 naming each
//! personality.rs    `personality` (create, rebuild before 2.57): the injected files
//! create_networks.rs `networks`: the lab network's port a create asks for
//! ips.rs            GET /servers/{id}/ips[/{label}]
//! addresses.rs      a server's `addresses` from its lab network ports
//! create_hints.rs   the scheduler hints: same_host, different_host, group; others refused
//! create_key_and_host.rs  key_name; 2.74 host / hypervisor_hostname (requested_destination)
//! create_zone.rs    availability_zone, and an admin's forced host as az:host[:node]
//! delete.rs         DELETE /servers/{id}
//! actions/          POST /servers/{id}/action: one file per group of actions (see its mod.rs)
//! server_password.rs GET, DELETE /servers/{id}/os-server-password
//! views.rs          the brief and detail views at each microversion
//! lookup.rs         the reads handlers share: a visible instance, the detail view's extras
//! instance_checks.rs the sub-resources' instance checks: deleted ones (2.21), by mapping, lock and state
//! instance_actions.rs GET /servers/{id}/os-instance-actions[/{request_id}]
//! server_migrations.rs /servers/{id}/migrations[/{migration_id}[/action]]: in-progress
//!                   live migrations, force_complete, abort
//! metadata.rs       /servers/{id}/metadata[/{key}]
//! tags.rs           /servers/{id}/tags[/{tag}] (2.26+), the create field tags (2.52+)
//! update.rs         PUT /servers/{id}: name, description, hostname
//! diagnostics.rs    GET /servers/{id}/diagnostics, GET /servers/{id}/topology (2.78+)
//! ```

pub mod actions;
pub mod addresses;
pub mod create;
pub mod create_details;
pub mod create_fields;
pub mod create_hints;
pub mod create_key_and_host;
pub mod create_networks;
pub mod create_schema;
pub mod create_zone;
pub mod delete;
pub mod diagnostics;
pub mod instance_actions;
pub mod instance_checks;
pub mod ips;
pub mod list;
pub mod list_filters;
pub mod list_query;
pub mod lookup;
pub mod metadata;
pub mod personality;
pub mod server_migrations;
pub mod server_password;
pub mod show;
pub mod tags;
pub mod update;
pub mod views;
