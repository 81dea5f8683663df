//! PostgreSQL stopped and started under running services: their heartbeats fail, are
//! counted and reported once per outage, the services keep running, and the heartbeats
//! resume by themselves. Alone in its binary: it stops the shared database server.

#[path = "common/postgres.rs"]
mod postgres;

use novactor_nova::conf::NovaConfig;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::config::{DatabaseOptions, SecretUrl};
use novactor::db::Database;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::supervisor::{ActorState, RuntimeEnv};
use novactor::Node;
use novactor_nova::db::{DbServiceGroup, NovaDb, SERVICE_VERSION};
use novactor_nova::{definitions, NovaService};
use postgres::{pg_ctl, PostgresBack};

fn options(url: &str) -> DatabaseOptions {
    DatabaseOptions {
        connection: Some(SecretUrl::new(url)),
        max_pool_size: 5,
        max_retries: Some(0),
        retry_interval: Duration::ZERO,
        connection_recycle_time: Duration::from_secs(3600),
    }
}

#[actix_rt::test]
async fn heartbeats_survive_a_database_outage_and_resume() {
    let admin_url = std::env::var("NOVACTOR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/test".into());
    let admin = Database::connect(&options(&admin_url), Path::new("."))
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL is needed ({e}); start it with bash scripts/services.sh")
        });
    let name = format!("novactor_outage_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(&format!("CREATE DATABASE {name}"), &[])
        .await
        .unwrap();
    let url = format!(
        "{}/{name}",
        admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base)
    );
    let db = NovaDb::new(
        Database::connect(&options(&url), Path::new("."))
            .await
            .unwrap(),
    );
    db.sync().await.unwrap();

    let config = NovaConfig::with_overrides(&[
        ("DEFAULT", "host", "outage1"),
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
    ])
    .unwrap();
    let servicegroup = Arc::new(DbServiceGroup::new(db.clone(), SERVICE_VERSION));
    let env = RuntimeEnv::new(
        Arc::clone(config.runtime()),
        Arc::new(MemoryTransport::new()),
        servicegroup,
    );
    let node = Node::start_with(
        env,
        definitions(
            &config,
            &[NovaService::Conductor, NovaService::Scheduler],
            Some(&db),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let heartbeat = |actor: &'static str| {
        let node = node.clone();
        async move {
            node.snapshot()
                .await
                .unwrap()
                .actor(actor)
                .unwrap()
                .heartbeat
                .clone()
                .unwrap()
        }
    };
    let wait = |what: &str, deadline: Duration, started: Instant| {
        assert!(started.elapsed() < deadline, "timed out waiting for {what}");
    };

    let started = Instant::now();
    while heartbeat("conductor").await.reports < 2 {
        wait("two heartbeats", Duration::from_secs(15), started);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let _back = PostgresBack;
    tokio::task::spawn_blocking(|| pg_ctl("stop"))
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let beat = heartbeat("conductor").await;
        if beat.failures >= 2 && beat.in_outage {
            break;
        }
        wait(
            "failed heartbeats during the outage",
            Duration::from_secs(30),
            started,
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let snapshot = node.snapshot().await.unwrap();
    assert!(
        snapshot
            .actors
            .iter()
            .all(|a| a.state == ActorState::Running),
        "services keep running: {snapshot:?}"
    );

    tokio::task::spawn_blocking(|| pg_ctl("start"))
        .await
        .unwrap();
    let reports_before = heartbeat("conductor").await.reports;
    let started = Instant::now();
    loop {
        let (conductor, scheduler) = (heartbeat("conductor").await, heartbeat("scheduler").await);
        if conductor.reports > reports_before && !conductor.in_outage && !scheduler.in_outage {
            break;
        }
        wait(
            "heartbeats to resume after the database returned",
            Duration::from_secs(40),
            started,
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = db
        .service_get_by_host_and_binary("outage1", "nova-conductor")
        .await
        .unwrap()
        .unwrap();
    assert!(row.report_count > reports_before as i64 - 1, "{row:?}");

    node.shutdown().await.unwrap();
    db.database().close().await;
    let _ = admin
        .execute(&format!("DROP DATABASE {name} WITH (FORCE)"), &[])
        .await;
}
