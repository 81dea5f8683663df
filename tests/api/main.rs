//! Nova's compute REST API (actors/api): versions, microversions, errors and auth, flavors,
//! servers, their sub-resources (actions, metadata, tags, update, diagnostics), personality
//! files (create and rebuild before 2.57, shown in the console log), server lists
//! (filters, sorting, paging in SQL, also on PostgreSQL and MariaDB), the legacy project-id
//! prefix, the lab network's addresses, server groups and scheduler hints (two fake hosts),
//! key pairs and the key pair and named host of a create (three fake hosts),
//! snapshots, backups and the image catalog, evacuation (three fake hosts),
//! services and hypervisors, against a whole cloud in this process (`cloud`: memory
//! transport, SQLite, the API on a free port); random bodies never get a 500; and
//! the real python-openstackclient (`scripts/osc-venv.sh`) against `novactor run`, embedded
//! and over RabbitMQ + PostgreSQL.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

mod cloud;

mod flavors;
mod keypairs;
mod keypairs_at_boot;
mod lab_network;
mod migrations_list;
mod osc_client;
mod osc_drives_the_compute_api;
mod osc_evacuate;
mod osc_image;
mod osc_keypairs;
mod osc_live_migration;
mod osc_more_actions;
mod osc_resize;
mod osc_shelve;
mod project_id_prefix;
mod random_bodies_never_get_a_500;
mod server_actions;
mod server_evacuate;
mod server_groups;
mod server_images;
mod server_lists;
mod server_live_migration;
mod server_personality;
mod server_rebuild_shelve;
mod server_resize;
mod server_shelve;
mod server_soft_delete_and_images;
mod server_subresources;
mod servers;
mod services_and_hypervisors;
mod versions_microversions_errors_and_auth;
