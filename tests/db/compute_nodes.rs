//! Nova's `compute_nodes` table, per backend: created, read, updated, listed by host.

use novactor_nova::db::{ComputeNodeValues, NovaDbError};
use serde_json::json;

use crate::common::*;
use crate::scenario::{synced, with_db};

async fn compute_nodes_are_created_read_updated_and_listed_by_host(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let fake = ComputeNodeValues {
            vcpus: Some(1000),
            memory_mb: Some(800_000),
            local_gb: Some(600_000),
            hypervisor_type: Some("fake".into()),
            hypervisor_version: Some(1000),
            cpu_info: Some(json!({"arch": "x86_64", "model": "Nehalem"}).to_string()),
            disk_available_least: Some(0),
            cpu_allocation_ratio: Some(16.0),
            ..Default::default()
        };
        let node = db.compute_node_create("c1", "c1", &fake).await.unwrap();
        assert_eq!(
            (node.vcpus, node.memory_mb, node.vcpus_used),
            (1000, 800_000, 0)
        );
        assert_eq!(node.stats.as_deref(), Some("{}"));
        assert_eq!(node.cpu_allocation_ratio, Some(16.0));
        let found = db
            .compute_node_get_by_host_and_nodename("c1", "c1")
            .await
            .unwrap();
        assert_eq!(found, node);

        let audit = ComputeNodeValues {
            vcpus_used: Some(2),
            memory_mb_used: Some(1024),
            running_vms: Some(1),
            free_ram_mb: Some(798_976),
            ..Default::default()
        };
        let updated = db.compute_node_update(node.id, &audit).await.unwrap();
        assert_eq!(
            (
                updated.vcpus_used,
                updated.memory_mb_used,
                updated.running_vms
            ),
            (2, 1024, Some(1))
        );
        assert_eq!(updated.vcpus, 1000, "fields not given are kept");
        assert!(updated.updated_at.is_some());

        db.compute_node_create("c1", "c1-second", &fake)
            .await
            .unwrap();
        assert_eq!(
            db.compute_node_get_all_by_host("c1").await.unwrap().len(),
            2
        );
        let none = db.compute_node_get_all_by_host("c9").await.unwrap_err();
        assert_eq!(none.to_string(), "Compute host c9 could not be found.");
        assert_eq!(none.nova_class(), Some("ComputeHostNotFound"));
        assert!(matches!(
            db.compute_node_get_by_host_and_nodename("c1", "other")
                .await,
            Err(NovaDbError::ComputeHostNotFound { .. })
        ));
        assert!(
            db.compute_node_create("c1", "c1", &fake).await.is_err(),
            "(host, node) is unique"
        );
        db.compute_node_delete(node.id).await.unwrap();
        assert_eq!(db.compute_node_get_all().await.unwrap().len(), 1);
    })
    .await;
}

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        compute_nodes_are_created_read_updated_and_listed_by_host,
    ]
}
