//! Key pairs (migration 0016: `key_pairs`, and `instances.key_data` / `keypairs`) per
//! backend: a key pair round-trips, a second of the same name for the same user is refused
//! by the unique key (another user may use the name), the user's list is ordered by name
//! and paged after a marker name (an unknown marker is `MarkerNotFound`), the count is the
//! user's, a delete is final; an instance keeps the public key and the `KeyPairList`.

use novactor_nova::db::{KeyPairListError, NewKeyPair};
use serde_json::json;

use crate::common::*;
use crate::scenario::{synced, values, with_db};

fn new(user: &str, name: &str) -> NewKeyPair {
    NewKeyPair {
        user_id: user.to_owned(),
        name: name.to_owned(),
        key_type: "ssh".to_owned(),
        fingerprint: "1e:2c".to_owned(),
        public_key: format!("ssh-ed25519 AAAA {name}"),
    }
}

async fn key_pairs_are_unique_per_user_listed_by_name_and_deleted(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        for name in ["b", "c", "a"] {
            let row = db.key_pair_create(&new("u1", name)).await.unwrap();
            let row = row.expect("a new name is stored");
            assert_eq!((row.name.as_str(), row.key_type.as_str()), (name, "ssh"));
            assert!(row.created_at.is_some());
        }
        assert_eq!(db.key_pair_create(&new("u1", "a")).await.unwrap(), None);
        assert!(db.key_pair_create(&new("u2", "a")).await.unwrap().is_some());
        let mut x509 = new("u2", "cert");
        x509.key_type = "x509".into();
        assert_eq!(
            db.key_pair_create(&x509).await.unwrap().map(|row| row.key_type),
            Some("x509".to_owned())
        );
        let mut bad = new("u2", "bad");
        bad.key_type = "gpg".into();
        assert!(db.key_pair_create(&bad).await.is_err());

        let names = |rows: Vec<novactor_nova::db::KeyPairRow>| -> Vec<String> {
            rows.into_iter().map(|row| row.name).collect()
        };
        assert_eq!(names(db.key_pair_list("u1", None, None).await.unwrap()), ["a", "b", "c"]);
        assert_eq!(names(db.key_pair_list("u1", Some(2), None).await.unwrap()), ["a", "b"]);
        assert_eq!(names(db.key_pair_list("u1", Some(2), Some("b")).await.unwrap()), ["c"]);
        assert!(matches!(
            db.key_pair_list("u1", None, Some("cert")).await,
            Err(KeyPairListError::MarkerNotFound(marker)) if marker == "cert"
        ));
        assert_eq!(db.key_pair_count("u1").await.unwrap(), 3);
        assert_eq!(db.key_pair_count("nobody").await.unwrap(), 0);
        let shown = db.key_pair_get("u2", "a").await.unwrap().expect("u2's a");
        assert_eq!(shown.public_key.as_deref(), Some("ssh-ed25519 AAAA a"));

        assert!(db.key_pair_destroy("u1", "b").await.unwrap());
        assert!(!db.key_pair_destroy("u1", "b").await.unwrap());
        assert_eq!(db.key_pair_get("u1", "b").await.unwrap(), None);
        assert_eq!(names(db.key_pair_list("u1", None, None).await.unwrap()), ["a", "c"]);

        let instance = db
            .instance_create(&values(json!({
                "project_id": "p", "user_id": "u1", "vm_state": "building",
                "key_name": "a", "key_data": "ssh-ed25519 AAAA a",
                "keypairs": {"nova_object.name": "KeyPairList", "nova_object.data": {"objects": []}},
            })))
            .await
            .unwrap();
        let row = db.instance_get_by_uuid(&instance.uuid).await.unwrap();
        assert_eq!(row.key_data.as_deref(), Some("ssh-ed25519 AAAA a"));
        assert!(row.keypairs.as_deref().unwrap_or_default().contains("KeyPairList"));
    })
    .await;
}

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        key_pairs_are_unique_per_user_listed_by_name_and_deleted,
    ]
}
