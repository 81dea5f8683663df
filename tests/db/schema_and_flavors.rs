//! The schema and what `db sync` seeds, per backend: the schema check asks for `db sync`
//! until it ran, sync is idempotent, Nova's default flavors are there; connecting creates
//! the SQLite file or reports an unreachable server with its password masked.

use std::path::Path;

use novactor::db::{Database, DbError};
use novactor_nova::db::NovaDbError;

use crate::common::*;
use crate::scenario::{synced, with_db};

async fn the_schema_check_asks_for_db_sync_until_it_ran_and_sync_is_idempotent(backend: Backend) {
    with_db(backend, |db| async move {
        // Every migration this binary embeds (versions need not be contiguous).
        let embedded: Vec<i64> = novactor_nova::db::MIGRATIONS
            .for_dialect(backend.dialect())
            .iter()
            .map(|m| m.version)
            .collect();
        let newest = *embedded.last().expect("migrations");
        assert!(embedded.starts_with(&[1, 2, 3]), "{embedded:?}");
        let err = db
            .check_schema()
            .await
            .expect_err("empty database passes the check");
        assert!(err.to_string().contains("run `novactor db sync`"), "{err}");
        assert!(matches!(
            err,
            NovaDbError::Db(DbError::SchemaOutdated {
                current: None,
                expected
            }) if expected == newest
        ));
        assert_eq!(
            db.database()
                .pending_migrations(&novactor_nova::db::MIGRATIONS)
                .await
                .unwrap(),
            embedded
        );
        synced(&db).await;
        synced(&db).await;
        db.check_schema().await.expect("schema current after sync");
        assert!(db
            .database()
            .pending_migrations(&novactor_nova::db::MIGRATIONS)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            db.flavor_list(None).await.unwrap().len(),
            5,
            "sync twice seeds once"
        );
    })
    .await;
}

async fn novas_default_flavors_are_seeded(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let flavors = db.flavor_list(Some(true)).await.unwrap();
        let names: Vec<&str> = flavors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]
        );
        let small = db.flavor_get_by_flavor_id("2").await.unwrap();
        assert_eq!(
            (small.memory_mb, small.vcpus, small.root_gb),
            (2048, 1, Some(20))
        );
        assert!(small.is_public && !small.disabled);
        assert_eq!(small.rxtx_factor, 1.0);
        let xlarge = db.flavor_get_by_name("m1.xlarge").await.unwrap();
        assert_eq!(
            (xlarge.memory_mb, xlarge.vcpus, xlarge.root_gb),
            (16384, 8, Some(160))
        );
        assert!(db.flavor_list(Some(false)).await.unwrap().is_empty());
        let missing = db.flavor_get_by_flavor_id("42").await.unwrap_err();
        assert_eq!(missing.to_string(), "Flavor 42 could not be found.");
        assert_eq!(missing.nova_class(), Some("FlavorNotFound"));
    })
    .await;
}

async fn connecting_creates_the_sqlite_file_or_reports_an_unreachable_server(backend: Backend) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let state = dir.path().join("deep/state");
            let db = Database::connect(&db_options(None), &state).await.unwrap();
            assert!(state.join("novactor.sqlite").exists());
            let mode: Option<(String,)> =
                db.fetch_optional("PRAGMA journal_mode", &[]).await.unwrap();
            assert_eq!(mode.unwrap().0, "wal");
            let fk: Option<(i64,)> = db.fetch_optional("PRAGMA foreign_keys", &[]).await.unwrap();
            assert_eq!(fk.unwrap().0, 1);
            db.close().await;
        }
        Backend::Postgres | Backend::MySql => {
            let scheme = if backend == Backend::Postgres {
                "postgresql+psycopg2"
            } else {
                "mysql+pymysql"
            };
            let mut opts = db_options(Some(format!("{scheme}://nova:hunter2@127.0.0.1:1/nova")));
            opts.max_retries = Some(1);
            let err = Database::connect(&opts, Path::new(".")).await.unwrap_err();
            assert!(err.is_unavailable(), "{err}");
            assert!(
                matches!(err, DbError::Unavailable { attempts: 2, .. }),
                "{err}"
            );
            let text = err.to_string();
            assert!(
                text.contains("nova:***@127.0.0.1:1") && !text.contains("hunter2"),
                "{text}"
            );
        }
    }
}

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        the_schema_check_asks_for_db_sync_until_it_ran_and_sync_is_idempotent,
        novas_default_flavors_are_seeded,
        connecting_creates_the_sqlite_file_or_reports_an_unreachable_server,
    ]
}
