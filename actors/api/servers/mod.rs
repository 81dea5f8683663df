//! `/v2.1/servers` (Nova: `api/openstack/compute/servers.py`, `views/servers.py`,
//! `schemas/servers.py`), one request kind per file, on top of
//! [`compute_api`](super::compute_api):
//!
//! ```text
//! list.rs           GET /servers, GET /servers/detail: query filters and paging
//! show.rs           GET /servers/{id}
//! create.rs         POST /servers
//! create_schema.rs  the create body as Nova's schema reads it
//! create_details.rs metadata, user_data, config_drive: read as Nova's schema, kept per instance
//! create_fields.rs  the create fields novactor cannot honour yet: a 400 naming each
//! create_hints.rs   the scheduler hints: same_host, different_host, group; others refused
//! delete.rs         DELETE /servers/{id}
//! actions.rs        POST /servers/{id}/action: os-stop, os-start, reboot
//! views.rs          the brief and detail views at each microversion
//! lookup.rs         the reads handlers share: a visible instance, the detail view's extras
//! ```

pub mod actions;
pub mod create;
pub mod create_details;
pub mod create_fields;
pub mod create_hints;
pub mod create_schema;
pub mod delete;
pub mod list;
pub mod lookup;
pub mod show;
pub mod views;
