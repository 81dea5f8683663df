//! `GET /v2.1/os-migrations` over migration records in the database: the record's shape at
//! 2.1, 2.23 (type, links of a live migration in progress), 2.59 (uuid, newest first,
//! `limit`/`marker` paging with `migrations_links`) and 2.80 (owner, filtered by it);
//! Nova's filters; hidden records never shown; the policy (admins only by default) and the
//! query schema's 400s.

use novactor_nova::db::{MigrationChanges, MigrationRow, NewMigration};
use serde_json::Value;

use crate::cloud::*;

async fn at(cloud: &Cloud, token: &str, version: &str, path: &str) -> Reply {
    let header = format!("compute {version}");
    cloud
        .send(
            "GET",
            path,
            &[
                ("X-Auth-Token", token),
                ("OpenStack-API-Version", header.as_str()),
            ],
            None,
        )
        .await
}

async fn record(
    cloud: &Cloud,
    kind: &str,
    instance: &str,
    source: &str,
    project: &str,
) -> MigrationRow {
    let row = cloud
        .db
        .migration_create(&NewMigration {
            instance_uuid: instance.to_owned(),
            migration_type: kind.to_owned(),
            status: "migrating".to_owned(),
            source_compute: Some(source.to_owned()),
            source_node: Some(source.to_owned()),
            old_instance_type_id: Some(1),
            new_instance_type_id: Some(2),
            user_id: Some("u1".to_owned()),
            project_id: Some(project.to_owned()),
            ..NewMigration::default()
        })
        .await
        .unwrap();
    cloud
        .db
        .migration_update(
            row.id,
            &MigrationChanges {
                dest_compute: Some("dest".to_owned()),
                dest_node: Some("dest".to_owned()),
                ..MigrationChanges::default()
            },
        )
        .await
        .unwrap()
}

fn keys(migration: &Value) -> Vec<String> {
    let mut keys: Vec<String> = migration.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn ids(reply: &Reply) -> Vec<i64> {
    reply.body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[actix_rt::test]
async fn the_migration_list_shows_each_versions_shape_filters_and_pages() {
    let cloud = cloud().await;
    let i1 = "11111111-1111-4111-8111-111111111111";
    let i2 = "22222222-2222-4222-8222-222222222222";
    // The oldest is hidden: Nova drops it after reading a page.
    let cold = record(&cloud, "migration", i1, "h3", "p1").await;
    let resize = record(&cloud, "resize", i1, "h1", "p1").await;
    let live = record(&cloud, "live-migration", i2, "h2", "p2").await;
    // A live migration in progress (Nova links only those).
    let running = MigrationChanges {
        status: Some("running".to_owned()),
        ..MigrationChanges::default()
    };
    let live = cloud.db.migration_update(live.id, &running).await.unwrap();
    cloud
        .db
        .database()
        .execute(
            "UPDATE migrations SET hidden = ? WHERE id = ?",
            &[true.into(), cold.id.into()],
        )
        .await
        .unwrap();

    let v21 = at(&cloud, "admin:admin", "2.1", "/v2.1/os-migrations").await;
    assert_eq!(v21.status, 200, "{v21:?}");
    assert_eq!(
        ids(&v21).len(),
        2,
        "the hidden record is not shown: {v21:?}"
    );
    let first = &v21.body["migrations"][0];
    assert_eq!(
        keys(first),
        [
            "created_at",
            "dest_compute",
            "dest_host",
            "dest_node",
            "id",
            "instance_uuid",
            "new_instance_type_id",
            "old_instance_type_id",
            "source_compute",
            "source_node",
            "status",
            "updated_at",
        ]
    );
    assert!(v21.body.get("migrations_links").is_none());

    let v223 = at(
        &cloud,
        "admin:admin",
        "2.23",
        "/v2.1/os-migrations?migration_type=live-migration",
    )
    .await;
    assert_eq!(ids(&v223), [live.id], "{v223:?}");
    let shown = &v223.body["migrations"][0];
    assert_eq!(shown["migration_type"], "live-migration");
    assert_eq!(shown["source_compute"], "h2");
    assert_eq!(shown["dest_compute"], "dest");
    let link = shown["links"][0]["href"].as_str().unwrap();
    assert!(
        link.ends_with(&format!("/v2.1/servers/{i2}/migrations/{}", live.id)),
        "{link}"
    );

    let by_host = at(&cloud, "admin:admin", "2.23", "/v2.1/os-migrations?host=h1").await;
    assert_eq!(ids(&by_host), [resize.id]);
    assert!(
        by_host.body["migrations"][0].get("links").is_none(),
        "a resize has no links"
    );
    let by_instance = at(
        &cloud,
        "admin:admin",
        "2.1",
        &format!("/v2.1/os-migrations?instance_uuid={i2}"),
    )
    .await;
    assert_eq!(ids(&by_instance), [live.id]);

    let page = at(&cloud, "admin:admin", "2.59", "/v2.1/os-migrations?limit=1").await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(ids(&page), [live.id], "newest first");
    assert_eq!(
        page.body["migrations"][0]["uuid"],
        live.uuid.clone().unwrap()
    );
    let next = page.body["migrations_links"][0]["href"]
        .as_str()
        .unwrap_or_else(|| panic!("no next link: {page:?}"));
    let next_path = &next[next.find("/v2.1/").unwrap()..];
    assert!(
        next_path.contains(&format!("marker={}", live.uuid.clone().unwrap())),
        "{next_path}"
    );
    let rest = at(&cloud, "admin:admin", "2.59", next_path).await;
    assert_eq!(ids(&rest), [resize.id], "{rest:?}");
    let unknown = at(
        &cloud,
        "admin:admin",
        "2.59",
        "/v2.1/os-migrations?marker=nope",
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.body["badRequest"]["message"],
        "Marker nope could not be found."
    );
    let extra = at(
        &cloud,
        "admin:admin",
        "2.59",
        "/v2.1/os-migrations?user_id=u1",
    )
    .await;
    assert_eq!(extra.status, 400, "user_id is 2.80's: {extra:?}");
    let negative = at(
        &cloud,
        "admin:admin",
        "2.59",
        "/v2.1/os-migrations?limit=-1",
    )
    .await;
    assert_eq!(negative.status, 400);

    let owned = at(
        &cloud,
        "admin:admin",
        "2.80",
        "/v2.1/os-migrations?project_id=p1",
    )
    .await;
    assert_eq!(ids(&owned), [resize.id], "{owned:?}");
    assert_eq!(owned.body["migrations"][0]["project_id"], "p1");
    assert_eq!(owned.body["migrations"][0]["user_id"], "u1");

    let member = at(
        &cloud,
        "demo:p1",
        "2.80",
        "/v2.1/os-migrations?project_id=p1",
    )
    .await;
    assert_eq!(member.status, 403, "{member:?}");
    assert_eq!(
        member.body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:os-migrations:index to be performed."
    );
}
