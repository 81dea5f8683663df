//! The contract test's records and deferred delete (`nova_api_contract.rs`): migration
//! records under `GET /os-migrations` at every version's shape and paging, and a server
//! soft-deleted, restored and force-deleted.

use serde_json::json;

use super::{minor, Recorder, ADMIN, MEMBER};
use novactor_nova::db::{MigrationChanges, NewMigration};

/// `GET /os-migrations` over a resize and a running live migration of the server (the
/// latter carries `links` from 2.23), and a page of one with its `migrations_links`.
pub(super) async fn migration_records(rec: &mut Recorder<'_>, version: &str, id: &str) {
    for (kind, status) in [("resize", "finished"), ("live-migration", "running")] {
        let row = rec
            .cloud
            .db
            .migration_create(&NewMigration {
                instance_uuid: id.to_owned(),
                migration_type: kind.to_owned(),
                status: status.to_owned(),
                source_compute: Some(rec.cloud.host.clone()),
                source_node: Some(rec.cloud.host.clone()),
                old_instance_type_id: Some(1),
                new_instance_type_id: Some(2),
                user_id: Some("alice".to_owned()),
                project_id: Some("demo".to_owned()),
                ..NewMigration::default()
            })
            .await
            .expect("a migration record");
        let destination = MigrationChanges {
            dest_compute: Some("elsewhere".to_owned()),
            dest_node: Some("elsewhere".to_owned()),
            ..MigrationChanges::default()
        };
        rec.cloud
            .db
            .migration_update(row.id, &destination)
            .await
            .expect("the record's destination");
    }
    rec.send(ADMIN, version, "GET", "/v2.1/os-migrations", None)
        .await;
    if minor(version) >= 59 {
        rec.send(ADMIN, version, "GET", "/v2.1/os-migrations?limit=1", None)
            .await;
    }
}

/// With `reclaim_instance_interval` set: `DELETE` soft-deletes, `restore` brings the
/// server back, `DELETE` again and `forceDelete` delete it for good.
pub(super) async fn deferred_delete(rec: &mut Recorder<'_>, version: &str, id: &str) {
    let one = format!("/v2.1/servers/{id}");
    let action = format!("{one}/action");
    rec.send(MEMBER, version, "DELETE", &one, None).await;
    rec.cloud.wait_status(id, "SOFT_DELETED").await;
    rec.read(version, &one).await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"restore": null})),
    )
    .await;
    rec.cloud.wait_status(id, "ACTIVE").await;
    rec.send(MEMBER, version, "DELETE", &one, None).await;
    rec.cloud.wait_status(id, "SOFT_DELETED").await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"forceDelete": null})),
    )
    .await;
}
