//! PostgreSQL stopped and started under running services: their heartbeats fail, are
//! counted and reported once per outage, the services keep running, and the heartbeats
//! resume by themselves. It stops the shared database server, so it takes its turn with the
//! other chaos tests.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{wait_until, Backend};
use crate::nova::fresh_nova_db;
use crate::outages::{pg_ctl, PostgresBack};
use crate::ONE_AT_A_TIME;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::supervisor::{ActorState, RuntimeEnv};
use novactor::Node;
use novactor_nova::db::{DbServiceGroup, SERVICE_VERSION};
use novactor_nova::{definitions, NovaService};

#[actix_rt::test]
async fn heartbeats_survive_a_database_outage_and_resume() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // A database of the test's own (created, migrated, dropped when `fresh` goes).
    let fresh = fresh_nova_db(Backend::Postgres, "novactor_outage").await;
    let db = fresh.db.clone();

    let config = crate::nova::nova_config(&[
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

    wait_until(Duration::from_secs(15), "two heartbeats", async || {
        heartbeat("conductor").await.reports >= 2
    })
    .await;

    let _back = PostgresBack;
    tokio::task::spawn_blocking(|| pg_ctl("stop"))
        .await
        .unwrap();
    wait_until(
        Duration::from_secs(30),
        "failed heartbeats during the outage",
        async || {
            let beat = heartbeat("conductor").await;
            beat.failures >= 2 && beat.in_outage
        },
    )
    .await;
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
    wait_until(
        Duration::from_secs(40),
        "heartbeats to resume after the database returned",
        async || {
            let (conductor, scheduler) =
                (heartbeat("conductor").await, heartbeat("scheduler").await);
            conductor.reports > reports_before && !conductor.in_outage && !scheduler.in_outage
        },
    )
    .await;
    let row = db
        .service_get_by_host_and_binary("outage1", "nova-conductor")
        .await
        .unwrap()
        .unwrap();
    assert!(row.report_count > reports_before as i64 - 1, "{row:?}");

    node.shutdown().await.unwrap();
    db.database().close().await;
    drop(fresh);
}
