//! Server actions per second through the compute API: N concurrent clients, each owning one
//! ACTIVE server, send actions one at a time and wait (polling `GET /servers/{id}`) for the
//! state each leads to before the next — a full round trip per action: API state check and
//! action record, the cast, the compute's work and save through the conductor, the view.
//! Against the in-process cloud (memory transport, SQLite, one fake compute).
//!
//! Run: `cargo bench --bench api_actions` (or `bash bench/api_actions.sh`).

#[path = "../tests/api/cloud.rs"]
#[allow(missing_docs)]
mod cloud;
#[path = "../tests/common/mod.rs"]
#[allow(missing_docs)]
mod common;
#[path = "../tests/common/nova.rs"]
#[allow(missing_docs)]
mod nova;

use std::sync::Arc;
use std::time::{Duration, Instant};

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// One cycle of actions, each with the status it ends in.
const CYCLE: &[(&str, &str)] = &[
    (r#"{"os-stop": null}"#, "SHUTOFF"),
    (r#"{"os-start": null}"#, "ACTIVE"),
    (r#"{"reboot": {"type": "SOFT"}}"#, "ACTIVE"),
    (r#"{"reboot": {"type": "HARD"}}"#, "ACTIVE"),
    (r#"{"pause": null}"#, "PAUSED"),
    (r#"{"unpause": null}"#, "ACTIVE"),
    (r#"{"suspend": null}"#, "SUSPENDED"),
    (r#"{"resume": null}"#, "ACTIVE"),
    (r#"{"lock": null}"#, "ACTIVE"),
    (r#"{"unlock": null}"#, "ACTIVE"),
];

async fn boot(cloud: &cloud::Cloud, name: &str) -> String {
    let body = format!(
        r#"{{"server": {{"name": "{name}", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none"}}}}"#
    );
    let reply = cloud.admin("POST", "/v2.1/servers", Some(&body)).await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let id = reply.body["server"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    id
}

/// `clients` servers, `cycles` rounds of [`CYCLE`] each: the wall time and every action's
/// round trip (POST to the state shown).
async fn run(
    cloud: &Arc<cloud::Cloud>,
    ids: &[String],
    cycles: usize,
) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for id in ids {
        let cloud = Arc::clone(cloud);
        let id = id.clone();
        tasks.push(actix_rt::spawn(async move {
            let mut round_trips = Vec::new();
            let path = format!("/v2.1/servers/{id}/action");
            for _ in 0..cycles {
                for (body, status) in CYCLE {
                    let t = Instant::now();
                    let reply = cloud.admin("POST", &path, Some(body)).await;
                    assert!(
                        reply.status == 202 || reply.status == 200,
                        "{body}: {reply:?}"
                    );
                    cloud.wait_status(&id, status).await;
                    round_trips.push(t.elapsed());
                }
            }
            round_trips
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client"));
    }
    all.sort();
    (started.elapsed(), all)
}

fn main() {
    actix_rt::System::new().block_on(async {
        let cloud = Arc::new(cloud::cloud_with(&[("DEFAULT", "osapi_compute_workers", "2")]).await);
        println!("novactor api_actions: server actions through the API, each waited for (memory://, SQLite, 1 fake compute)");
        for (clients, cycles) in [(1, 5), (8, 3), (32, 1)] {
            let mut ids = Vec::new();
            for n in 0..clients {
                ids.push(boot(&cloud, &format!("a{clients}-{n}")).await);
            }
            let (elapsed, trips) = run(&cloud, &ids, cycles).await;
            let total = trips.len();
            let p = |q: f64| trips[((trips.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
            println!(
                "{clients:>3} clients × {cycles} cycles: {total:>4} actions in {:>6.2} s = {:>7.1} actions/s; round trip p50 {:.1} ms p99 {:.1} ms",
                elapsed.as_secs_f64(),
                total as f64 / elapsed.as_secs_f64(),
                p(0.5),
                p(0.99)
            );
        }
    });
}
