//! The boot measurements: 1,000 boots to ACTIVE through the actors, embedded
//! (`memory://` + SQLite) and over RabbitMQ + PostgreSQL.

use novactor_nova::conf::NovaConfig;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RequestContext, Transport};
use novactor::Node;
use novactor_nova::api::compute_api::ComputeApiDeps;
use novactor_nova::api::compute_api_create::{self, BootRequest};
use novactor_nova::db::{self, NovaDb};
use novactor_nova::rpcapi::{ComputeApi, ComputeTaskApi, ConductorApi};

use crate::setup::*;

/// What a boot run measured.
#[derive(Debug, Default)]
pub(crate) struct BootRun {
    /// All creates returned (rows inserted, casts sent).
    pub(crate) creates: Duration,
    /// The first create returned (its 100 inserts ran while nothing else did).
    pub(crate) first_create: Duration,
    /// The first instance seen ACTIVE.
    pub(crate) first_active: Option<Duration>,
    /// All instances ACTIVE; `None` if the deadline passed first.
    pub(crate) all_active: Option<Duration>,
    /// Instances per vm_state at the end.
    pub(crate) states: Vec<(Option<String>, i64)>,
    /// State polls the bench made (one query each).
    pub(crate) polls: i64,
    /// PostgreSQL only: transactions committed in the bench database over the whole run
    /// (start-up, boots, polls), from `pg_stat_database`.
    pub(crate) transactions: Option<i64>,
}

/// Boot `BOOTS` m1.tiny instances in `BATCHES` multi-creates, sent one after the other by
/// a client task, while this task polls the instance states from the first `create` on.
pub(crate) async fn boot_all(deps: &ComputeApiDeps) -> BootRun {
    let started = Instant::now();
    let client = {
        let deps = deps.clone();
        actix_rt::spawn(async move {
            let ctx = RequestContext::new();
            let mut first = Duration::ZERO;
            for batch in 0..BATCHES {
                let request = BootRequest {
                    name: format!("bench{batch}"),
                    flavor: "m1.tiny".to_owned(),
                    image_ref: "cirros".to_owned(),
                    count: BOOTS / BATCHES,
                    user_id: "bench".to_owned(),
                    project_id: "bench".to_owned(),
                    details: Default::default(),
                };
                compute_api_create::create(&deps, &ctx, &request)
                    .await
                    .expect("create accepted");
                if batch == 0 {
                    first = started.elapsed();
                }
            }
            (started.elapsed(), first)
        })
    };
    let mut run = BootRun::default();
    loop {
        let states: Vec<(Option<String>, i64)> = deps
            .db
            .database()
            .fetch_all(
                "SELECT vm_state, COUNT(*) FROM instances WHERE deleted = 0 GROUP BY vm_state",
                &[],
            )
            .await
            .expect("states");
        run.polls += 1;
        let of = |state: &str| {
            states
                .iter()
                .find(|(s, _)| s.as_deref() == Some(state))
                .map_or(0, |(_, n)| *n)
        };
        let active = of("active");
        if active > 0 && run.first_active.is_none() {
            run.first_active = Some(started.elapsed());
        }
        let done = active == i64::from(BOOTS);
        let errors = of("error");
        if done || errors > 0 || started.elapsed() > BOOT_DEADLINE {
            if done {
                run.all_active = Some(started.elapsed());
            } else {
                eprintln!(
                    "boots stopped short after {:?}: {states:?}",
                    started.elapsed()
                );
            }
            run.states = states;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (run.creates, run.first_create) = client.await.expect("client task");
    run
}

pub(crate) fn api_deps(node: &Node, db: &NovaDb, config: &NovaConfig) -> ComputeApiDeps {
    ComputeApiDeps {
        db: db.clone(),
        compute_task: ComputeTaskApi::new(node.client(ConductorApi::target())),
        compute: ComputeApi::new(node.client(ComputeApi::target())),
        service_down_time: config.service.service_down_time,
        service_zones: config.compute.service_zones(),
        lab_network: config.lab_network.clone(),
        reclaim_instance_interval: config.compute.reclaim_instance_interval,
        key_pairs_quota: config.api.key_pairs_quota,
        injected_file_quota: config.api.injected_file_quota,
        allow_resize_to_same_host: config.compute.allow_resize_to_same_host,
    }
}

/// Measurement 1: memory transport, SQLite in a temp dir.
pub(crate) async fn embedded() -> BootRun {
    let state = tempfile::tempdir().expect("temp dir");
    let state_path = state.path().to_string_lossy().into_owned();
    let config = bench_config(
        &format!("emb{}", hex8()),
        &[
            ("DEFAULT", "state_path", &state_path),
            ("compute", "fake_hosts", BOOT_HOSTS),
        ],
    );
    let db = db::open(&config).await.expect("SQLite");
    let node = cloud_node(&config, Arc::new(MemoryTransport::new()), &db).await;
    wait_for_nodes(&db, BOOT_HOSTS.parse().unwrap_or(0), Instant::now())
        .await
        .expect("computes registered");
    let run = boot_all(&api_deps(&node, &db, &config)).await;
    node.shutdown().await.expect("shutdown");
    db.database().close().await;
    run
}

/// Measurement 2: RabbitMQ + a fresh PostgreSQL database. `Err` says why it was skipped.
pub(crate) async fn rabbit() -> Result<BootRun, String> {
    use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl};
    let admin_url = std::env::var("NOVACTOR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/test".into());
    let rabbit_url = std::env::var("NOVACTOR_TEST_RABBIT_URL")
        .unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".to_owned());
    let admin_config = NovaConfig::with_overrides(&[
        ("database", "connection", &admin_url),
        ("database", "max_retries", "0"),
    ])
    .map_err(|e| e.to_string())?;
    let admin = novactor::db::Database::connect(&admin_config.database, Path::new("."))
        .await
        .map_err(|e| format!("PostgreSQL unreachable: {e}"))?;
    let name = format!("novactor_bench_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(&format!("CREATE DATABASE {name}"), &[])
        .await
        .map_err(|e| format!("CREATE DATABASE: {e}"))?;
    let db_url = format!(
        "{}/{name}",
        admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base)
    );
    let exchange = format!("bench_{}", hex8());
    let config = bench_config(
        &format!("rmq{}", hex8()),
        &[
            ("DEFAULT", "control_exchange", &exchange),
            ("compute", "fake_hosts", BOOT_HOSTS),
            ("database", "connection", &db_url),
        ],
    );
    let result = async {
        let db = NovaDb::new(
            novactor::db::Database::connect(&config.database, Path::new("."))
                .await
                .map_err(|e| e.to_string())?,
        );
        db.sync().await.map_err(|e| e.to_string())?;
        let transport = AmqpTransport::new(
            RabbitUrl::parse(&rabbit_url).map_err(|e| e.to_string())?,
            AmqpSettings::default(),
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        while !transport.status().connected() {
            if Instant::now() > deadline {
                return Err(format!(
                    "RabbitMQ unreachable: {:?}",
                    transport.status().last_error
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let node = cloud_node(&config, Arc::new(transport), &db).await;
        wait_for_nodes(&db, BOOT_HOSTS.parse().unwrap_or(0), Instant::now())
            .await
            .ok_or("computes never registered")?;
        let run = boot_all(&api_deps(&node, &db, &config)).await;
        node.shutdown().await.map_err(|e| e.to_string())?;
        // A backend flushes its statistics when it exits, i.e. when its pool closes.
        db.database().close().await;
        Ok(run)
    }
    .await;
    let result = match result {
        Ok(mut run) => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            run.transactions = admin
                .fetch_optional::<(i64,)>(
                    &format!("SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'"),
                    &[],
                )
                .await
                .ok()
                .flatten()
                .map(|(n,)| n);
            Ok(run)
        }
        Err(why) => Err(why),
    };
    let _ = admin
        .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), &[])
        .await;
    admin.close().await;
    result
}
