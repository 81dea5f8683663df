//! One test per fault.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::deployment::{Deployment, Outcome, CONTROL};
use crate::outages::{broker_outage, database_outage};
use crate::ONE_AT_A_TIME;

/// What the load saw.
#[derive(Debug, Default)]
struct Load {
    /// Every server the API accepted.
    booted: Vec<String>,
    /// Refusals: status and body (each must be a clear error, never a hang).
    refused: Vec<(u16, Value)>,
    deleted: usize,
    /// The slowest API answer.
    slowest: Duration,
}

/// Boot a server every `every`, delete every third one that became ACTIVE, for `period`.
async fn drive(deployment: &Deployment, load: &mut Load, period: Duration, tag: &str) {
    let every = Duration::from_millis(150);
    let end = Instant::now() + period;
    let mut n = 0usize;
    while Instant::now() < end {
        let started = Instant::now();
        match deployment.boot(&format!("{tag}-{n}")).await {
            Ok(uuid) => load.booted.push(uuid),
            Err(refusal) => load.refused.push(refusal),
        }
        load.slowest = load.slowest.max(started.elapsed());
        n += 1;
        if n % 3 == 0 {
            let candidates: Vec<String> = load.booted.iter().rev().take(6).cloned().collect();
            for outcome in deployment.outcomes(&candidates).await {
                if outcome.vm_state == "active" && outcome.task_state.is_none() && !outcome.deleted
                {
                    let started = Instant::now();
                    let (status, body) = deployment
                        .api("DELETE", &format!("/v2.1/servers/{}", outcome.uuid), None)
                        .await;
                    load.slowest = load.slowest.max(started.elapsed());
                    if status == 204 {
                        load.deleted += 1;
                    } else {
                        load.refused.push((status, body));
                    }
                    break;
                }
            }
        }
        tokio::time::sleep(every.saturating_sub(started.elapsed())).await;
    }
}

/// Every refusal is an error a client can act on: a 4xx/5xx status with Nova's error body
/// and a message — never a dropped connection (status 0) or an empty answer.
fn assert_clear_refusals(refused: &[(u16, Value)]) {
    for (status, body) in refused {
        assert!(
            *status >= 400,
            "a request failed without an HTTP answer: {status} {body}"
        );
        let message = body
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|fault| fault["message"].as_str())
            .unwrap_or_default();
        assert!(
            !message.is_empty(),
            "an error without a message: {status} {body}"
        );
    }
}

fn count(outcomes: &[Outcome], what: impl Fn(&Outcome) -> bool) -> usize {
    outcomes.iter().filter(|o| what(o)).count()
}

#[actix_rt::test]
async fn a_broker_restart_mid_stream_leaves_no_server_stuck_in_build() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let build_timeout = 20;
    let mut deployment = Deployment::start(
        "broker",
        &format!("instance_build_timeout = {build_timeout}\n[fake_driver]\nspawn_delay = 0.3\n"),
        &[],
    )
    .await;
    let mut load = Load::default();
    drive(&deployment, &mut load, Duration::from_secs(4), "before").await;
    let before = load.booted.len();
    assert!(before >= 10, "the stream flows before the fault: {load:?}");

    broker_outage(drive(
        &deployment,
        &mut load,
        Duration::from_secs(4),
        "during",
    ))
    .await;
    for name in [CONTROL, "node1", "node2"] {
        deployment.wait_ready(name, Duration::from_secs(60)).await;
    }
    // Heartbeats missed during the outage make the computes `down` until their next
    // report (Nova's rule; a boot meanwhile is "No valid host"): wait for them.
    for host in ["node1", "node2"] {
        deployment
            .wait_compute(host, true, Duration::from_secs(30))
            .await;
    }
    let recovered_from = load.booted.len();
    drive(&deployment, &mut load, Duration::from_secs(4), "after").await;
    let after: Vec<String> = load.booted[recovered_from..].to_vec();
    assert!(after.len() >= 10, "boots are accepted again: {load:?}");

    // Nothing stays in BUILD: the build-timeout periodic (every 60 s) errors what a lost
    // message left behind, so the bound is the timeout plus one period.
    let outcomes = deployment
        .wait_settled(&load.booted, Duration::from_secs(build_timeout + 60 + 30))
        .await;
    let after_outcomes = deployment.outcomes(&after).await;
    assert_eq!(
        count(&after_outcomes, |o| o.vm_state == "active" || o.deleted),
        after.len(),
        "every boot after the broker came back succeeded (consumers resumed): {after_outcomes:#?}"
    );
    assert_clear_refusals(&load.refused);
    assert!(
        load.slowest < Duration::from_secs(15),
        "an API call hung for {:?}",
        load.slowest
    );
    deployment.assert_all_running();
    eprintln!(
        "broker restart: {} accepted ({} before, {} after), {} refused during the outage, {} deleted; \
         end: {} active, {} error, {} deleted; slowest API answer {:?}",
        load.booted.len(),
        before,
        after.len(),
        load.refused.len(),
        load.deleted,
        count(&outcomes, |o| o.vm_state == "active" && !o.deleted),
        count(&outcomes, |o| o.vm_state == "error" && !o.deleted),
        count(&outcomes, |o| o.deleted),
        load.slowest
    );
}

/// `(status, body, seconds)` of one API request.
async fn timed(
    deployment: &Deployment,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, f64) {
    let started = Instant::now();
    let (status, reply) = deployment.api(method, path, body).await;
    (status, reply, started.elapsed().as_secs_f64())
}

#[actix_rt::test]
async fn a_database_outage_gives_clear_errors_and_everything_recovers_by_itself() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut deployment = Deployment::start("database", "", &[]).await;
    let mut load = Load::default();
    drive(&deployment, &mut load, Duration::from_secs(2), "before").await;
    deployment
        .wait_settled(&load.booted, Duration::from_secs(30))
        .await;
    let reports_before = deployment
        .db
        .service_get_by_host_and_binary("node1", "nova-compute")
        .await
        .unwrap()
        .unwrap()
        .report_count;

    let during = database_outage(async {
        let list = timed(&deployment, "GET", "/v2.1/servers", None).await;
        let boot = deployment.boot("during").await;
        let ready = deployment.dashboard(CONTROL, "/readyz").await;
        // The heartbeats fail meanwhile (through the conductor for the computes).
        tokio::time::sleep(Duration::from_secs(3)).await;
        (list, boot, ready)
    })
    .await;
    let ((status, body, secs), boot, (ready_status, ready)) = during;
    assert_eq!(
        status, 503,
        "GET /servers while the database is down: {body}"
    );
    let message = body["computeFault"]["message"]
        .as_str()
        .or_else(|| {
            body.as_object()
                .and_then(|o| o.values().next())
                .and_then(|f| f["message"].as_str())
        })
        .unwrap_or_default()
        .to_owned();
    assert!(!message.is_empty(), "503 without a message: {body}");
    assert!(
        secs < 12.0,
        "GET /servers took {secs:.1}s: a hang, not an error"
    );
    let (boot_status, boot_body) =
        boot.expect_err("a boot cannot be accepted without the database");
    assert_eq!(boot_status, 503, "{boot_body}");
    assert_eq!(ready_status, 503, "{ready}");
    assert_eq!(
        ready["checks"]["database:reachable"][0]["status"], "fail",
        "{ready}"
    );

    // Back by themselves: API, readiness, heartbeats, boots.
    let started = Instant::now();
    loop {
        let (status, _, _) = timed(&deployment, "GET", "/v2.1/servers", None).await;
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the API did not recover: {status}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    deployment
        .wait_ready(CONTROL, Duration::from_secs(60))
        .await;
    let started = Instant::now();
    loop {
        let reports = deployment
            .db
            .service_get_by_host_and_binary("node1", "nova-compute")
            .await
            .unwrap()
            .unwrap()
            .report_count;
        if reports > reports_before + 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "node1's heartbeats did not resume"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for host in ["node1", "node2"] {
        deployment
            .wait_compute(host, true, Duration::from_secs(30))
            .await;
    }
    let mut after = Load::default();
    drive(&deployment, &mut after, Duration::from_secs(2), "after").await;
    let outcomes = deployment
        .wait_settled(&after.booted, Duration::from_secs(30))
        .await;
    assert!(
        outcomes.iter().all(|o| o.vm_state == "active" || o.deleted),
        "boots after the outage: {outcomes:#?}"
    );
    assert_clear_refusals(&after.refused);
    deployment.assert_all_running();
    eprintln!(
        "database outage: GET /servers answered 503 in {secs:.2}s ({message}); recovered; {} boots after, all active",
        after.booted.len()
    );
}

/// Messages waiting in the queue `name` of `vhost`.
fn queue_depth(vhost: &str, name: &str) -> u64 {
    let output = std::process::Command::new("rabbitmqctl")
        .args([
            "list_queues",
            "-p",
            vhost,
            "name",
            "messages",
            "--quiet",
            "--no-table-headers",
        ])
        .output()
        .expect("rabbitmqctl runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            (fields.next()? == name).then(|| fields.next()?.parse::<u64>().ok())?
        })
        .sum()
}

#[actix_rt::test]
async fn sigterm_under_load_finishes_in_flight_builds_and_leaves_the_rest_queued() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut deployment = Deployment::start(
        "sigterm",
        "graceful_shutdown_timeout = 20\n",
        &[
            ("node1", "OS_FAKE_DRIVER__SPAWN_DELAY", "2"),
            ("node2", "OS_FAKE_DRIVER__SPAWN_DELAY", "2"),
        ],
    )
    .await;
    // Everything goes to node1: node2 is disabled through the control dashboard.
    let port = deployment.process(CONTROL).dashboard;
    let (status, body) = deployment
        .http(
            "POST",
            &format!("http://127.0.0.1:{port}/api/v1/services/node2/nova-compute/disable"),
            Some(serde_json::json!({"reason": "chaos: sigterm scenario"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let in_flight = deployment.boot_accepted("inflight", 6).await;
    let started = Instant::now();
    loop {
        let outcomes = deployment.outcomes(&in_flight).await;
        let spawning = count(&outcomes, |o| o.task_state.as_deref() == Some("spawning"));
        if spawning >= 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "builds never reached spawning: {outcomes:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let spawning: Vec<String> = deployment
        .outcomes(&in_flight)
        .await
        .into_iter()
        .filter(|o| o.task_state.as_deref() == Some("spawning"))
        .map(|o| o.uuid)
        .collect();

    let node1 = deployment.processes.get_mut("node1").expect("node1");
    node1.running.signal("TERM");
    let stopping = Instant::now();
    let status = node1.running.wait_exit(Duration::from_secs(30));
    let drained_in = stopping.elapsed();
    assert_eq!(status.code(), Some(0), "node1 drained cleanly");
    assert!(
        drained_in < Duration::from_secs(20),
        "drain took {drained_in:?}"
    );
    let log = node1.running.lines().join("\n");
    assert!(log.contains("SIGTERM: graceful shutdown"), "{log}");
    let outcomes = deployment.outcomes(&spawning).await;
    assert!(
        outcomes
            .iter()
            .all(|o| o.vm_state == "active" && o.task_state.is_none()),
        "builds in flight at SIGTERM finished before the exit: {outcomes:#?}"
    );

    // Sent while node1 is away (it still counts as up for service_down_time): they wait
    // in its queue for the next incarnation.
    let queued = deployment.boot_accepted("queued", 4).await;
    let started = Instant::now();
    while queue_depth(&deployment.vhost.name, "compute.node1") < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the casts to node1 did not reach its queue: {} messages",
            queue_depth(&deployment.vhost.name, "compute.node1")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    deployment.restart("node1").await;
    let mut all = in_flight.clone();
    all.extend(queued.iter().cloned());
    let outcomes = deployment.wait_settled(&all, Duration::from_secs(60)).await;
    for outcome in &outcomes {
        assert_eq!(
            (outcome.vm_state.as_str(), outcome.host.as_deref()),
            ("active", Some("node1")),
            "nothing lost: {outcome:?}"
        );
    }
    deployment.assert_all_running();
    eprintln!(
        "sigterm under load: drained {} in-flight builds in {drained_in:?}, exit 0; {} boots queued meanwhile all built by the next incarnation",
        spawning.len(),
        queued.len()
    );
}

#[actix_rt::test]
async fn a_compute_killed_mid_build_goes_down_is_avoided_and_settles_its_instances_on_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut deployment = Deployment::start(
        "sigkill",
        "",
        &[("node2", "OS_FAKE_DRIVER__SPAWN_DELAY", "5")],
    )
    .await;
    let disable = |host: &str| format!("/api/v1/services/{host}/nova-compute/disable");
    let enable = |host: &str| format!("/api/v1/services/{host}/nova-compute/enable");
    deployment.operate(CONTROL, &disable("node1"), None).await;

    let first = deployment.boot_accepted("killed", 3).await;
    let started = Instant::now();
    let spawning: Vec<String> = loop {
        let outcomes = deployment.outcomes(&first).await;
        let spawning: Vec<String> = outcomes
            .iter()
            .filter(|o| o.task_state.as_deref() == Some("spawning"))
            .map(|o| o.uuid.clone())
            .collect();
        if !spawning.is_empty() {
            break spawning;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no build reached spawning: {outcomes:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let node2 = deployment.processes.get_mut("node2").expect("node2");
    node2.running.signal("KILL");
    node2.running.wait_exit(Duration::from_secs(10));
    deployment
        .wait_compute("node2", false, Duration::from_secs(20))
        .await;

    // While node2 is down, new boots go elsewhere.
    deployment.operate(CONTROL, &enable("node1"), None).await;
    let meanwhile = deployment.boot_accepted("meanwhile", 4).await;
    for outcome in deployment
        .wait_settled(&meanwhile, Duration::from_secs(30))
        .await
    {
        assert_eq!(
            (outcome.vm_state.as_str(), outcome.host.as_deref()),
            ("active", Some("node1")),
            "a boot went to the dead compute: {outcome:?}"
        );
    }

    // Back: up again, and init_host settles what the kill interrupted (Nova's
    // _init_instance: a build left in BUILD goes to ERROR, its task state cleared).
    deployment.restart("node2").await;
    deployment
        .wait_compute("node2", true, Duration::from_secs(20))
        .await;
    let outcomes = deployment
        .wait_settled(&first, Duration::from_secs(30))
        .await;
    for outcome in outcomes.iter().filter(|o| spawning.contains(&o.uuid)) {
        assert_eq!(
            (outcome.vm_state.as_str(), outcome.task_state.as_deref()),
            ("error", None),
            "{outcome:?}"
        );
    }
    let log = deployment.process("node2").running.lines().join("\n");
    assert!(log.contains("setting to ERROR state"), "{log}");
    deployment.assert_all_running();
    eprintln!(
        "compute SIGKILL: {} builds interrupted and set to ERROR on restart; {} boots meanwhile all on node1",
        spawning.len(),
        meanwhile.len()
    );
}

#[actix_rt::test]
async fn a_panicking_compute_actor_restarts_alone_then_is_isolated_while_the_rest_serves() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // node2's process hosts two compute actors (hosts node2-1, node2-2); spawns of
    // servers named crash-* panic.
    let deployment = Deployment::start(
        "panic",
        "",
        &[
            ("node2", "OS_COMPUTE__FAKE_HOSTS", "2"),
            ("node2", "OS_FAKE_DRIVER__PANIC_SPAWN_PATTERN", "^crash-"),
            ("node2", "OS_SUPERVISOR__RESTART_INTENSITY", "2"),
            ("node2", "OS_SUPERVISOR__RESTART_BACKOFF_INITIAL", "0.1"),
        ],
    )
    .await;
    for host in ["node2-1", "node2-2"] {
        deployment
            .wait_compute(host, true, Duration::from_secs(30))
            .await;
    }
    let service = |op: &str, host: &str| format!("/api/v1/services/{host}/nova-compute/{op}");
    // Crash boots can only go to node2-1.
    deployment
        .operate(CONTROL, &service("disable", "node1"), None)
        .await;
    deployment
        .operate(CONTROL, &service("disable", "node2-2"), None)
        .await;

    let mut crashed = Vec::new();
    for n in 0..3u64 {
        crashed.push(
            deployment
                .boot(&format!("crash-{n}"))
                .await
                .expect("boot accepted"),
        );
        let what = if n < 2 { "restarted" } else { "isolated" };
        deployment
            .wait_actor("node2", "compute-1", what, Duration::from_secs(30), |a| {
                if n < 2 {
                    a["restarts"] == n + 1 && a["state"] == "running"
                } else {
                    a["state"] == "isolated"
                }
            })
            .await;
    }
    let isolated = deployment.actor("node2", "compute-1").await;
    let error = isolated["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("injected panic"), "{isolated}");
    let (status, ready) = deployment.dashboard("node2", "/readyz").await;
    assert_eq!(status, 503, "{ready}");
    let checks = ready["checks"]["actors"].as_array().expect("actor checks");
    let check = |name: &str| {
        checks
            .iter()
            .find(|c| c["componentId"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(check("compute-1")["status"], "fail", "{ready}");
    assert!(
        check("compute-1")["output"]
            .as_str()
            .unwrap_or_default()
            .starts_with("isolated"),
        "{ready}"
    );
    assert_eq!(check("compute-2")["status"], "pass", "{ready}");
    let sibling = deployment.actor("node2", "compute-2").await;
    assert_eq!(
        (sibling["state"].clone(), sibling["restarts"].clone()),
        (serde_json::json!("running"), serde_json::json!(0))
    );
    let (_, control) = deployment.dashboard(CONTROL, "/api/v1/actors").await;
    for actor in control["actors"].as_array().expect("control actors") {
        assert_eq!(
            actor["restarts"], 0,
            "only the panicking actor restarts: {actor}"
        );
    }

    // The rest keeps serving: boots land on node1 and node2-2, never on the isolated one.
    deployment
        .operate(CONTROL, &service("enable", "node1"), None)
        .await;
    deployment
        .operate(CONTROL, &service("enable", "node2-2"), None)
        .await;
    deployment
        .wait_compute("node2-1", false, Duration::from_secs(20))
        .await;
    let fine = deployment.boot_accepted("fine", 6).await;
    for outcome in deployment
        .wait_settled(&fine, Duration::from_secs(30))
        .await
    {
        assert_eq!(outcome.vm_state, "active", "{outcome:?}");
        assert_ne!(outcome.host.as_deref(), Some("node2-1"), "{outcome:?}");
    }

    // An operator starts it again; init_host settles the crashed builds to ERROR.
    deployment
        .operate("node2", "/api/v1/actors/compute-1/start", None)
        .await;
    deployment
        .wait_actor(
            "node2",
            "compute-1",
            "running",
            Duration::from_secs(30),
            |a| a["state"] == "running",
        )
        .await;
    for outcome in deployment
        .wait_settled(&crashed, Duration::from_secs(30))
        .await
    {
        assert_eq!(outcome.vm_state, "error", "{outcome:?}");
    }
    deployment
        .wait_ready("node2", Duration::from_secs(30))
        .await;
    eprintln!("actor panics: compute-1 restarted twice, isolated on the third panic, started by an operator; its sibling and the control process never restarted");
}
