//! A destination that refuses a resize hands it back to the conductor, which tries the
//! next alternate on the same migration record (Nova's `_reschedule_resize_or_reraise` →
//! `migrate_server(host_list=…)` → `MigrationTask._reschedule`) — or, with none left, fails
//! it as `MaxRetriesExceeded` and the server stays as it was. The test sends what a Nova
//! conductor sends when its api allows a resize to the same host but the compute does not
//! (`allow_resize_to_same_host` off on the computes): `prep_resize` to the source itself,
//! with retry information and the alternates.

use novactor::rpc::RequestContext;
use novactor_nova::conductor::objects::migration_primitive;
use novactor_nova::db::{InstanceRow, MigrationFilters, NewMigration};
use novactor_nova::objects::{Flavor, RequestSpec, Selection, TypedObject};
use novactor_nova::rpcapi::compute_resize::PrepResize;
use serde_json::{json, Map, Value};

use super::world::*;

/// A server built on `host` with flavor 1, ACTIVE.
async fn active_on(world: &World, name: &str, host: &str) -> (InstanceRow, Flavor) {
    let flavor = Flavor::from_row(&world.db.flavor_get_by_flavor_id("1").await.unwrap());
    let values = json!({
        "display_name": name, "vm_state": "building", "task_state": "scheduling",
        "power_state": 0, "host": host, "node": host, "instance_type_id": flavor.id,
        "flavor": serde_json::to_string(&flavor).unwrap(), "memory_mb": flavor.memory_mb,
        "vcpus": flavor.vcpus, "root_gb": flavor.root_gb, "ephemeral_gb": 0, "swap": 0,
        "project_id": "p1", "user_id": "u1",
    });
    let row = world
        .db
        .instance_create(values.as_object().unwrap())
        .await
        .unwrap();
    let instance = world.primitive(&row.uuid).await;
    world
        .compute()
        .build_and_run_instance(
            &RequestContext::new(),
            host,
            instance,
            Value::Null,
            Map::new(),
            host,
            Some(Map::new()),
            Vec::new(),
            Vec::new(),
        )
        .await
        .unwrap();
    (world.wait_state(&row.uuid, "active", None).await, flavor)
}

/// `prep_resize` of `row` to the bigger flavor 2, sent to its own host with `retry` and
/// `alternates`, as a conductor whose api allows the same host sends it.
async fn resize_to_own_host(world: &World, row: &InstanceRow, alternates: Vec<Value>) -> i64 {
    let host = row.host.clone().unwrap();
    let new_flavor = Flavor::from_row(&world.db.flavor_get_by_flavor_id("2").await.unwrap());
    let migration = world
        .db
        .migration_create(&NewMigration {
            instance_uuid: row.uuid.clone(),
            migration_type: "resize".into(),
            status: "pre-migrating".into(),
            source_compute: row.host.clone(),
            source_node: row.node.clone(),
            dest_compute: None,
            dest_node: None,
            old_instance_type_id: row.instance_type_id,
            new_instance_type_id: Some(new_flavor.id),
            user_id: row.user_id.clone(),
            project_id: row.project_id.clone(),
        })
        .await
        .unwrap();
    world
        .api_sets_task(&row.uuid, "resize_prep", Some(vec![None]))
        .await;
    let spec = RequestSpec {
        instance_uuid: row.uuid.clone(),
        num_instances: 1,
        flavor: new_flavor.clone(),
        image: Map::new(),
        availability_zone: None,
        ignore_hosts: None,
        requested_destination: None,
        force_hosts: None,
        force_nodes: None,
        project_id: row.project_id.clone(),
        user_id: row.user_id.clone(),
        scheduler_hints: Map::new(),
        instance_group: None,
    };
    let args = PrepResize {
        instance: world.primitive(&row.uuid).await,
        flavor: new_flavor.to_primitive(),
        image: Some(json!({})),
        request_spec: Some(spec.to_primitive()),
        filter_properties: Some(json!({
            "limits": {},
            "retry": {"num_attempts": 1, "hosts": [[host, host]]},
        })),
        node: Some(host.clone()),
        migration: migration_primitive(&migration).unwrap(),
        clean_shutdown: Some(true),
        host_list: Some(Value::Array(alternates)),
    };
    world
        .compute()
        .prep_resize(&RequestContext::new(), &host, args)
        .await
        .unwrap();
    migration.id
}

fn selection(host: &str, node_uuid: &str) -> Value {
    Selection {
        service_host: host.into(),
        nodename: host.into(),
        compute_node_uuid: node_uuid.into(),
        cell_uuid: None,
        limits: None,
        availability_zone: Some("nova".into()),
    }
    .to_primitive()
}

async fn faults(world: &World, uuid: &str) -> Vec<String> {
    world
        .db
        .instance_fault_get_by_instance_uuid(uuid)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|f| f.message)
        .collect()
}

#[actix_rt::test]
async fn a_refused_resize_goes_to_the_next_alternate_on_the_same_migration() {
    let world = world(&[("DEFAULT", "host", "h"), ("compute", "fake_hosts", "2")]).await;
    world.ready("h-1").await;
    let other = world.ready("h-2").await;
    let (row, _) = active_on(&world, "moved", "h-1").await;
    let migration = resize_to_own_host(&world, &row, vec![selection("h-2", &other.uuid)]).await;
    let resized = world.wait_state(&row.uuid, "resized", None).await;
    assert_eq!(resized.host.as_deref(), Some("h-2"));
    let record = world.db.migration_get(migration).await.unwrap();
    assert_eq!(record.status.as_deref(), Some("finished"));
    assert_eq!(record.dest_compute.as_deref(), Some("h-2"));
    let all = world
        .db
        .migration_get_all_by_filters(&MigrationFilters {
            instance_uuid: Some(row.uuid.clone()),
            ..MigrationFilters::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "the reschedule kept the one record: {all:?}");
    let refused = faults(&world, &row.uuid).await;
    assert!(
        refused
            .iter()
            .any(|m| m.contains("Unable to migrate instance") && m.contains("h-1")),
        "the refusal stays as a fault: {refused:?}"
    );
}

#[actix_rt::test]
async fn a_refused_resize_without_alternates_fails_and_the_server_stays() {
    let world = world(&[("DEFAULT", "host", "h"), ("compute", "fake_hosts", "2")]).await;
    world.ready("h-1").await;
    world.ready("h-2").await;
    let (row, flavor) = active_on(&world, "stays", "h-1").await;
    let migration = resize_to_own_host(&world, &row, Vec::new()).await;
    let record = crate::common::wait_until(
        std::time::Duration::from_secs(15),
        "the migration to fail",
        || async {
            let record = world.db.migration_get(migration).await.ok()?;
            (record.status.as_deref() == Some("error")).then_some(record)
        },
    )
    .await;
    assert_eq!(record.dest_compute, None);
    let stays = world.wait_state(&row.uuid, "active", None).await;
    assert_eq!(stays.host.as_deref(), Some("h-1"));
    assert_eq!(stays.instance_type_id, Some(flavor.id));
    let refused = faults(&world, &row.uuid).await;
    assert!(
        refused
            .iter()
            .any(|m| m.contains("Exhausted all hosts available")),
        "{refused:?}"
    );
}
