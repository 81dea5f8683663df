//! Server groups (migration 0009: `instance_groups`, `instance_group_policy`,
//! `instance_group_member`) per backend: a group round-trips its policy and rules, members
//! join and leave, the group of an instance and the hosts of live members are found, the
//! project count and list, and a delete takes the policy and member rows with it.

use novactor_nova::db::NovaDb;
use serde_json::{json, Map, Value};

use crate::common::*;
use crate::scenario::{synced, values, with_db};

async fn instance_on(db: &NovaDb, host: Option<&str>) -> String {
    db.instance_create(&values(json!({
        "project_id": "p", "user_id": "u", "vm_state": "active", "host": host,
    })))
    .await
    .unwrap()
    .uuid
}

fn rules(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

async fn a_group_keeps_its_policy_rules_and_members_until_it_is_deleted(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let two = rules(json!({"max_server_per_host": 2}));
        let group = db
            .instance_group_create("g-1", "web", "u", "p", "anti-affinity", &two)
            .await
            .unwrap();
        db.instance_group_create("g-2", "db", "u", "p", "affinity", &Map::new())
            .await
            .unwrap();
        db.instance_group_create("g-3", "other", "v", "q", "soft-affinity", &Map::new())
            .await
            .unwrap();
        let (a, b, c) = (
            instance_on(&db, Some("h1")).await,
            instance_on(&db, None).await,
            instance_on(&db, Some("h2")).await,
        );
        for uuid in [&a, &b, &c] {
            db.instance_group_add_member(group.id, uuid).await.unwrap();
        }
        db.instance_group_remove_members(group.id, std::slice::from_ref(&c))
            .await
            .unwrap();
        let read = db.instance_group_get_by_uuid("g-1").await.unwrap().unwrap();
        assert_eq!(read.policy.as_deref(), Some("anti-affinity"));
        assert_eq!(read.rules, two);
        assert_eq!(read.members, [a.clone(), b.clone()]);
        assert_eq!(read.project_id.as_deref(), Some("p"));
        let by_instance = db
            .instance_group_get_by_instance(&b)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_instance.uuid, "g-1");
        assert_eq!(
            db.instance_group_uuids_of_instance(&a).await.unwrap(),
            ["g-1"]
        );
        assert!(db
            .instance_group_get_by_instance(&c)
            .await
            .unwrap()
            .is_none());

        // Where the live members run: a destroyed instance is gone, an unplaced one has no host.
        db.instance_destroy(&a).await.unwrap();
        let mut hosts = db.instance_hosts_of(&[a, b.clone(), c]).await.unwrap();
        hosts.sort_by(|x, y| x.uuid.cmp(&y.uuid));
        assert_eq!(hosts.len(), 2);
        assert!(hosts.iter().any(|h| h.uuid == b && h.host.is_none()));
        assert!(hosts.iter().any(|h| h.host.as_deref() == Some("h2")));

        assert_eq!(db.instance_group_count("p").await.unwrap(), 2);
        let mine: Vec<String> = db
            .instance_group_list(Some("p"))
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.uuid)
            .collect();
        assert_eq!(mine, ["g-1", "g-2"]);
        assert_eq!(db.instance_group_list(None).await.unwrap().len(), 3);

        assert!(db.instance_group_delete("g-1").await.unwrap());
        assert!(!db.instance_group_delete("g-1").await.unwrap());
        assert!(db
            .instance_group_get_by_uuid("g-1")
            .await
            .unwrap()
            .is_none());
        assert!(db
            .instance_group_get_by_instance(&b)
            .await
            .unwrap()
            .is_none());
        assert_eq!(db.instance_group_count("p").await.unwrap(), 1);
    })
    .await;
}

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        a_group_keeps_its_policy_rules_and_members_until_it_is_deleted,
    ]
}
