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

use std::time::{Duration, Instant};

mod boots;
mod hosts;
#[path = "../process_memory.rs"]
mod process_memory;
mod setup;

use boots::*;
use hosts::*;
use setup::*;

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
