//! Nova's database: the slice's schema (`migrations/<dialect>/`, embedded) and typed
//! repository functions over it, in the spirit of `nova/db/main/api.py`. The pool, the SQL
//! dialects and migration mechanics are the runtime's ([`novactor::db`]); table and column
//! names live only here.
//!
//! ```text
//! nova_db.rs          NovaDb (sync, check_schema, soft delete), open() for a service process
//! schema.rs           MIGRATIONS: the embedded migrations, one migrator per dialect
//! nova_db_error.rs    NovaDbError: nova.exception messages and classes, so a failure can be
//!                     replied as is
//! services.rs         services table, Nova's service_is_up rule, SERVICE_VERSION
//! db_servicegroup.rs  DbServiceGroup: the servicegroup DB driver over services.rs
//! compute_nodes.rs    compute_nodes table
//! instances.rs        instances table, the conditional instance_update_and_get; destroy
//!                     releases the instance's lab network ports in the same transaction
//! instance_list.rs    one page of instances: filters, sort keys, marker, all in SQL
//! list_extras.rs      what a page's detail view needs (faults, services, flavors), batched
//! lab_network_ports.rs lab_network_ports: the [lab_network] ports, allocated under unique keys
//! instance_faults.rs  instance_faults table
//! flavors.rs          flavors table (seeded with m1.tiny … m1.xlarge)
//! request_specs.rs    request_specs table (JSON blob)
//! instance_actions.rs instance_actions + instance_actions_events (2.58 paging)
//! instance_tags.rs    tags table (server tags)
//! instance_groups.rs  instance_groups + instance_group_policy + instance_group_member
//! migration_records.rs migrations: resize and cold migration records (os-migrations)
//! key_pairs.rs        key_pairs: a user's public keys by name (os-keypairs)
//! images.rs           novactor_images: the image catalog of the /image stand-in (D-IMAGE)
//! image_query.rs      Glance v2's list rules (visibility, filters, sort, marker) on its rows
//! ```
//!
//! Every table file adds its functions to [`NovaDb`] and depends on `nova_db.rs` and
//! `nova_db_error.rs` only (plus `services.rs` for the servicegroup driver, and
//! `lab_network_ports.rs` for the destroy that releases ports).
//!
//! Every write stamps `updated_at`/`created_at` with a UTC time from this process; soft
//! delete sets `deleted = id` and `deleted_at`, and reads skip rows with `deleted != 0`.

mod compute_nodes;
mod db_servicegroup;
mod flavors;
mod image_query;
mod images;
mod instance_actions;
mod instance_faults;
mod instance_groups;
mod instance_list;
mod instance_tags;
mod instances;
mod key_pairs;
mod lab_network_ports;
mod list_extras;
mod migration_records;
mod nova_db;
mod nova_db_error;
mod request_specs;
mod schema;
mod services;

pub use compute_nodes::{ComputeNodeRow, ComputeNodeValues};
pub use db_servicegroup::DbServiceGroup;
pub use flavors::FlavorRow;
pub use image_query::{select_images, ImageQuery, ImageQueryError, ImageViewer, IMAGE_SORT_KEYS};
pub use images::{ImageRow, ImageUpload, NewImage};
pub use instance_actions::{ActionsPage, InstanceActionEventRow, InstanceActionRow};
pub use instance_faults::InstanceFaultRow;
pub use instance_groups::{InstanceGroupRow, InstanceHostRow};
pub use instance_list::{
    ColumnFilter, ColumnMatch, Deletion, InstanceListQuery, SortColumn, SortKey, TagFilters,
};
pub use instance_tags::MAX_TAG_COUNT;
pub use instances::{InstanceRow, INSTANCE_UPDATABLE_COLUMNS};
pub use key_pairs::{KeyPairListError, KeyPairRow, NewKeyPair, KEY_PAIR_TYPES};
pub use lab_network_ports::{LabPortError, LabPortRow, PortAddresses};
pub use migration_records::{
    MigrationChanges, MigrationFilters, MigrationRow, NewMigration, MIGRATION_DONE_STATUSES,
    MIGRATION_TYPES,
};
pub use nova_db::{open, NovaDb};
pub use nova_db_error::NovaDbError;
pub use request_specs::RequestSpecRow;
pub use schema::MIGRATIONS;
pub use services::{service_is_up, ServiceChanges, ServiceKey, ServiceRow, SERVICE_VERSION};
