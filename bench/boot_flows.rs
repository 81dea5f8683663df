//! Nova's boot flow at scale, end to end through the actors (no HTTP): api-side
//! `compute_api::create` → conductor `schedule_and_build_instances` → scheduler
//! `select_destinations` → compute `build_and_run_instance` (fake driver, `spawn_delay`
//! 0) → instance rows ACTIVE, all in this process. Three measurements, each checked
//! against the target:
//!
//! 1. **embedded**: 1,000 boots to ACTIVE on `memory://` + SQLite (temp dir): one node
//!    hosting conductor, scheduler and `[compute] fake_hosts = 10` computes; the boots go
//!    in as 10 multi-creates of 100, sent one after the other (each `create` returns once
//!    its rows are in and its cast is out, as the api answers 202). Time from the first
//!    `create` to the last instance ACTIVE, polled every 20 ms. Target ≤ 10 s.
//! 2. **rabbit**: the same 1,000 boots over RabbitMQ (`NOVACTOR_TEST_RABBIT_URL`, default
//!    the local broker) and PostgreSQL (`NOVACTOR_TEST_POSTGRES_URL`, default
//!    `postgresql://postgres@127.0.0.1:5432/test`): a fresh database
//!    `novactor_bench_<hex>` (migrated, dropped at the end) and a unique control exchange
//!    and host. Target ≤ 30 s. Skipped with a note when either server is unreachable.
//! 3. **hosts**: one node hosting conductor, scheduler and `fake_hosts = 1000` computes
//!    (`memory://` + SQLite): start-up time until all 1,000 `compute_nodes` rows exist
//!    (target: reported), process RSS then (target ≤ 200 MB), and `select_destinations`
//!    p50 over 200 calls (m1.tiny, one instance each) against those 1,000 live hosts
//!    (target ≤ 5 ms).
//!
//! The hosts measurement runs first so its RSS is not inflated by the others. Arguments
//! after `--` pick measurements: `cargo bench --bench boot_flows -- embedded hosts`.
//!
//! Run: `cargo bench --bench boot_flows` (or `bash bench/boot_flows.sh`).

use novactor_nova::conf::NovaConfig;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RequestContext, Transport};
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::api::compute_api::{self, BootRequest, ComputeApiDeps};
use novactor_nova::db::{self, DbServiceGroup, NovaDb, SERVICE_VERSION};
use novactor_nova::objects::{Flavor, RequestSpec};
use novactor_nova::rpcapi::ComputeApi;
use novactor_nova::rpcapi::SchedulerApi;
use novactor_nova::rpcapi::{ComputeTaskApi, ConductorApi};
use novactor_nova::{definitions, NovaService};
use serde_json::Map;

const BOOTS: u32 = 1_000;
const BATCHES: u32 = 10;
const BOOT_HOSTS: &str = "10";
const MANY_HOSTS: usize = 1_000;
const SELECT_WARM_UP: usize = 20;
const SELECT_CALLS: usize = 200;
/// Wait before the second round of `select_destinations`.
const SETTLE: Duration = Duration::from_secs(2);
/// A measurement that has not finished by then is a MISS, and the bench moves on.
const BOOT_DEADLINE: Duration = Duration::from_secs(60);
const START_DEADLINE: Duration = Duration::from_secs(60);

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn hex8() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// Options every measurement shares: no periodic fuzz (the computes' first power-state
/// sync runs at start, as Nova's does with fuzz 0), Nova's default intervals otherwise
/// (heartbeat 10 s, resource audit 60 s), an RPC timeout a loaded bus can meet.
fn bench_config(host: &str, extra: &[(&str, &str, &str)]) -> NovaConfig {
    let mut all = vec![
        ("DEFAULT", "host", host),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "rpc_response_timeout", "60"),
        ("fake_driver", "spawn_delay", "0"),
    ];
    all.extend_from_slice(extra);
    NovaConfig::with_overrides(&all).expect("bench config")
}

/// One node on `transport` hosting conductor + scheduler (with `db`, service records in
/// `db`) and `[compute] fake_hosts` computes (no database: through the conductor).
async fn cloud_node(config: &NovaConfig, transport: Arc<dyn Transport>, db: &NovaDb) -> Node {
    let servicegroup = Arc::new(DbServiceGroup::new(db.clone(), SERVICE_VERSION));
    let env = RuntimeEnv::new(Arc::clone(config.runtime()), transport, servicegroup);
    let services = definitions(
        config,
        &[
            NovaService::Conductor,
            NovaService::Scheduler,
            NovaService::Compute,
        ],
        Some(db),
    )
    .expect("definitions");
    Node::start_with(env, services).await.expect("node")
}

/// The single integer a `SELECT COUNT(*) …` returns.
async fn count(db: &NovaDb, sql: &str) -> i64 {
    db.database()
        .fetch_optional::<(i64,)>(sql, &[])
        .await
        .expect("count")
        .map_or(0, |(n,)| n)
}

/// Wait until `want` compute nodes are registered; the time it took, or `None` past the deadline.
async fn wait_for_nodes(db: &NovaDb, want: i64, since: Instant) -> Option<Duration> {
    loop {
        let nodes = count(db, "SELECT COUNT(*) FROM compute_nodes WHERE deleted = 0").await;
        if nodes >= want {
            return Some(since.elapsed());
        }
        if since.elapsed() > START_DEADLINE {
            eprintln!("only {nodes} of {want} compute nodes after {START_DEADLINE:?}");
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What a boot run measured.
#[derive(Debug, Default)]
struct BootRun {
    /// All creates returned (rows inserted, casts sent).
    creates: Duration,
    /// The first create returned (its 100 inserts ran while nothing else did).
    first_create: Duration,
    /// The first instance seen ACTIVE.
    first_active: Option<Duration>,
    /// All instances ACTIVE; `None` if the deadline passed first.
    all_active: Option<Duration>,
    /// Instances per vm_state at the end.
    states: Vec<(Option<String>, i64)>,
    /// State polls the bench made (one query each).
    polls: i64,
    /// PostgreSQL only: transactions committed in the bench database over the whole run
    /// (start-up, boots, polls), from `pg_stat_database`.
    transactions: Option<i64>,
}

/// Boot `BOOTS` m1.tiny instances in `BATCHES` multi-creates, sent one after the other by
/// a client task, while this task polls the instance states from the first `create` on.
async fn boot_all(deps: &ComputeApiDeps) -> BootRun {
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
                };
                compute_api::create(&deps, &ctx, &request)
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

fn api_deps(node: &Node, db: &NovaDb, config: &NovaConfig) -> ComputeApiDeps {
    ComputeApiDeps {
        db: db.clone(),
        compute_task: ComputeTaskApi::new(node.client(ConductorApi::target())),
        compute: ComputeApi::new(node.client(ComputeApi::target())),
        service_down_time: config.service.service_down_time,
    }
}

/// Measurement 1: memory transport, SQLite in a temp dir.
async fn embedded() -> BootRun {
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
async fn rabbit() -> Result<BootRun, String> {
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

/// What the 1,000-host measurement saw.
#[derive(Debug, Default)]
struct HostsRun {
    rss_before: f64,
    /// All compute_nodes rows in; `None` if the deadline passed first.
    startup: Option<Duration>,
    /// `Node::start_with` returned (every actor running).
    node_started: Duration,
    rss: f64,
    /// RSS after the `select_destinations` rounds.
    rss_end: f64,
    /// `select_destinations` latencies right after start-up, sorted.
    select: Vec<Duration>,
    /// The same after `SETTLE`, sorted.
    select_settled: Vec<Duration>,
    /// Hosts per answer (chosen + alternates).
    alternates: usize,
}

/// `warm_up` then `calls` sequential `select_destinations` of one m1.tiny instance each:
/// the sorted latencies of `calls`, and the hosts per answer.
async fn place(
    api: &SchedulerApi,
    flavor: &Flavor,
    warm_up: usize,
    calls: usize,
) -> (Vec<Duration>, usize) {
    let ctx = RequestContext::new();
    let timeout = Duration::from_secs(60);
    let mut latencies = Vec::with_capacity(calls);
    let mut hosts = 0;
    for call in 0..warm_up + calls {
        let spec = RequestSpec {
            instance_uuid: uuid::Uuid::new_v4().to_string(),
            num_instances: 1,
            flavor: flavor.clone(),
            image: Map::new(),
            availability_zone: None,
            ignore_hosts: None,
            project_id: Some("bench".into()),
            user_id: Some("bench".into()),
        };
        let t = Instant::now();
        let lists = api
            .select_destinations(
                &ctx,
                &spec,
                std::slice::from_ref(&spec.instance_uuid),
                timeout,
                timeout,
            )
            .await
            .expect("select_destinations");
        if call >= warm_up {
            latencies.push(t.elapsed());
            hosts = lists.first().map_or(0, Vec::len);
        }
    }
    latencies.sort();
    (latencies, hosts)
}

/// Measurement 3: one node hosting 1,000 computes.
async fn many_hosts() -> HostsRun {
    let state = tempfile::tempdir().expect("temp dir");
    let state_path = state.path().to_string_lossy().into_owned();
    let hosts = MANY_HOSTS.to_string();
    let config = bench_config(
        &format!("many{}", hex8()),
        &[
            ("DEFAULT", "state_path", &state_path),
            ("compute", "fake_hosts", &hosts),
        ],
    );
    let db = db::open(&config).await.expect("SQLite");
    let mut run = HostsRun {
        rss_before: rss_mib(),
        ..Default::default()
    };
    let started = Instant::now();
    let node = cloud_node(&config, Arc::new(MemoryTransport::new()), &db).await;
    run.node_started = started.elapsed();
    run.startup = wait_for_nodes(&db, MANY_HOSTS as i64, started).await;
    run.rss = rss_mib();
    let services = count(
        &db,
        "SELECT COUNT(*) FROM services WHERE deleted = 0 AND \"binary\" = 'nova-compute'",
    )
    .await;
    if services < MANY_HOSTS as i64 {
        eprintln!("only {services} nova-compute services");
    }

    let flavor_row = db.flavor_get_by_name("m1.tiny").await.expect("m1.tiny");
    let flavor = Flavor {
        id: flavor_row.id,
        flavorid: flavor_row.flavorid.clone(),
        name: flavor_row.name.clone(),
        memory_mb: flavor_row.memory_mb,
        vcpus: flavor_row.vcpus,
        root_gb: flavor_row.root_gb.unwrap_or(0),
        ephemeral_gb: flavor_row.ephemeral_gb,
        swap: flavor_row.swap,
        rxtx_factor: flavor_row.rxtx_factor,
        is_public: flavor_row.is_public,
        disabled: flavor_row.disabled,
        extra_specs: Map::new(),
    };
    let api = SchedulerApi::new(node.client(SchedulerApi::target()));
    // At once: the computes all registered (and wrote their rows) within the last second,
    // which the scheduler's incremental host refresh re-reads (docs/BENCHMARKS.md).
    let (select, alternates) = place(&api, &flavor, SELECT_WARM_UP, SELECT_CALLS).await;
    run.select = select;
    run.alternates = alternates;
    // Settled: the registration burst has left the refresh's look-back margin.
    tokio::time::sleep(SETTLE).await;
    run.select_settled = place(&api, &flavor, 0, SELECT_CALLS).await.0;
    run.rss_end = rss_mib();
    node.shutdown().await.expect("shutdown");
    db.database().close().await;
    run
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "MISS"
    }
}

fn boot_rows(label: &str, run: &BootRun, target: Duration) -> Vec<[String; 4]> {
    let boots = f64::from(BOOTS);
    let mut rows = vec![
        [
            format!("{label}: 1,000 boots to ACTIVE"),
            run.all_active.map_or_else(
                || format!("not done in {BOOT_DEADLINE:?}: {:?}", run.states),
                |d| {
                    format!(
                        "{:.2} s ({:.0} boots/s)",
                        d.as_secs_f64(),
                        boots / d.as_secs_f64()
                    )
                },
            ),
            format!("≤ {} s", target.as_secs()),
            verdict(run.all_active.is_some_and(|d| d <= target)).into(),
        ],
        [
            format!("{label}: 10 creates × 100 returned"),
            format!(
                "{:.2} s (the first, before any build ran: {:.2} s)",
                run.creates.as_secs_f64(),
                run.first_create.as_secs_f64()
            ),
            "—".into(),
            "".into(),
        ],
        [
            format!("{label}: first instance ACTIVE"),
            run.first_active
                .map_or("never".into(), |d| format!("{:.2} s", d.as_secs_f64())),
            "—".into(),
            "".into(),
        ],
    ];
    if let Some(transactions) = run.transactions {
        rows.push([
            format!("{label}: committed DB transactions per boot"),
            format!(
                "{:.1} ({transactions} in all, {} of them the bench's state polls)",
                (transactions - run.polls) as f64 / boots,
                run.polls
            ),
            "—".into(),
            "".into(),
        ]);
    }
    rows
}

fn main() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |name: &str| picked.is_empty() || picked.iter().any(|p| p == name);
    actix_rt::System::new().block_on(async {
        let mut rows: Vec<[String; 4]> = Vec::new();
        let bench_started = Instant::now();
        if wants("hosts") {
            let run = many_hosts().await;
            rows.push([
                "hosts: start-up, 1,000 computes to all compute_nodes rows".into(),
                run.startup.map_or_else(
                    || format!("not done in {START_DEADLINE:?}"),
                    |d| {
                        format!(
                            "{:.2} s (Node::start_with returned at {:.2} s)",
                            d.as_secs_f64(),
                            run.node_started.as_secs_f64()
                        )
                    },
                ),
                "reported".into(),
                if run.startup.is_some() { "—" } else { "MISS" }.into(),
            ]);
            rows.push([
                "hosts: process RSS with 1,000 computes up".into(),
                format!(
                    "{:.1} MiB (before start {:.1} MiB; after the select rounds {:.1} MiB)",
                    run.rss, run.rss_before, run.rss_end
                ),
                "≤ 200 MB".into(),
                // 200 MB = 190.7 MiB.
                verdict(run.rss * 1024.0 * 1024.0 <= 200e6).into(),
            ]);
            let p50 = percentile(&run.select, 0.5);
            rows.push([
                format!(
                    "hosts: select_destinations, {SELECT_CALLS} calls (m1.tiny) right after start-up"
                ),
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} hosts per answer)",
                    ms(p50),
                    ms(percentile(&run.select, 0.99)),
                    run.select.last().map_or(0.0, |d| ms(*d)),
                    run.alternates
                ),
                "p50 ≤ 5 ms".into(),
                verdict(p50 <= Duration::from_millis(5)).into(),
            ]);
            rows.push([
                format!(
                    "hosts: select_destinations, {SELECT_CALLS} more calls {} s later",
                    SETTLE.as_secs()
                ),
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    ms(percentile(&run.select_settled, 0.5)),
                    ms(percentile(&run.select_settled, 0.99)),
                    run.select_settled.last().map_or(0.0, |d| ms(*d)),
                ),
                "—".into(),
                "".into(),
            ]);
        }
        if wants("embedded") {
            let run = embedded().await;
            rows.extend(boot_rows(
                "embedded (memory://, SQLite)",
                &run,
                Duration::from_secs(10),
            ));
        }
        if wants("rabbit") {
            match rabbit().await {
                Ok(run) => rows.extend(boot_rows(
                    "RabbitMQ + PostgreSQL",
                    &run,
                    Duration::from_secs(30),
                )),
                Err(why) => rows.push([
                    "RabbitMQ + PostgreSQL: 1,000 boots".into(),
                    format!("skipped: {why}"),
                    "≤ 30 s".into(),
                    "SKIP".into(),
                ]),
            }
        }
        println!(
            "novactor boot_flows benchmark ({BOOTS} boots as {BATCHES} creates × {}, fake_hosts {BOOT_HOSTS}; {MANY_HOSTS}-host node)",
            BOOTS / BATCHES
        );
        println!("| figure | value | target | verdict |");
        println!("|---|---|---|---|");
        for [figure, value, target, verdict] in rows {
            println!("| {figure} | {value} | {target} | {verdict} |");
        }
        println!(
            "(whole bench {:.1} s)",
            bench_started.elapsed().as_secs_f64()
        );
    });
}
