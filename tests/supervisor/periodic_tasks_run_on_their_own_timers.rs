//! Periodic tasks owned by the supervisor: spacing, run_immediately, overlap skip, failure
//! counting, disabled tasks, `periodic_enable=false`, and re-spacing on reload.

use std::time::Duration;

use crate::common::*;
use novactor::config::Config;

async fn task(node: &novactor::Node, name: &str) -> novactor::supervisor::PeriodicTaskSnapshot {
    snapshot(node)
        .await
        .actor("echo")
        .unwrap()
        .periodic_tasks
        .iter()
        .find(|t| t.name == name)
        .cloned()
        .expect("task listed")
}

#[actix_rt::test]
async fn a_task_runs_every_spacing() {
    let (node, probe) = echo_node(&[
        ("test", "tick_spacing", "0.1"),
        ("supervisor", "periodic_jitter", "0"),
    ])
    .await;
    let started = std::time::Instant::now();
    wait_until(Duration::from_secs(5), "five ticks", || async {
        probe.ticks_of("tick") >= 5
    })
    .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(480),
        "5 runs at 0.1 s spacing took only {elapsed:?}"
    );
    let t = task(&node, "tick").await;
    assert_eq!(t.spacing_secs, Some(0.1));
    assert!(
        t.runs >= 4 && t.failures == 0 && t.next_run_at.is_some(),
        "{t:?}"
    );
}

#[actix_rt::test]
async fn run_immediately_runs_at_the_first_tick_and_others_wait_a_spacing() {
    let (_node, probe) = echo_node(&[
        ("test", "eager_spacing", "30"),
        ("test", "tick_spacing", "30"),
    ])
    .await;
    wait_until(Duration::from_secs(2), "the eager task ran", || async {
        probe.ticks_of("eager_tick") == 1
    })
    .await;
    assert_eq!(
        probe.ticks_of("tick"),
        0,
        "a normal 30 s task has not run yet"
    );
}

#[actix_rt::test]
async fn an_overlapping_tick_is_skipped_and_counted_and_others_are_not_delayed() {
    // slow_tick takes 350 ms at 100 ms spacing; tick runs every 100 ms beside it.
    let (node, probe) = echo_node(&[
        ("test", "slow_spacing", "0.1"),
        ("test", "tick_spacing", "0.1"),
        ("supervisor", "periodic_jitter", "0"),
    ])
    .await;
    wait_until(Duration::from_secs(5), "skips counted", || async {
        task(&node, "slow_tick").await.skipped >= 2
    })
    .await;
    let slow = task(&node, "slow_tick").await;
    assert!(slow.runs <= slow.skipped, "{slow:?}");
    assert!(
        probe.ticks_of("tick") > probe.ticks_of("slow_tick"),
        "the fast task kept its pace"
    );
}

#[actix_rt::test]
async fn a_failing_task_is_counted_and_its_actor_keeps_serving() {
    let (node, _) = echo_node(&[("test", "failing_spacing", "0.05")]).await;
    wait_until(Duration::from_secs(5), "three failures", || async {
        task(&node, "failing_tick").await.failures >= 3
    })
    .await;
    let t = task(&node, "failing_tick").await;
    assert_eq!(
        t.last_error.as_deref(),
        Some("periodic failure requested by the test")
    );
    let actor = snapshot(&node).await.actor("echo").unwrap().clone();
    assert_eq!((actor.incarnation, actor.restarts), (1, 0));
    let reply = echo_client(&node)
        .call(
            &novactor::rpc::RequestContext::new(),
            "echo",
            serde_json::json!({"value": 1}),
        )
        .await;
    assert!(reply.is_ok());
}

#[actix_rt::test]
async fn negative_spacing_disables_a_task_and_periodic_enable_false_disables_all() {
    let (node, probe) = echo_node(&[
        ("test", "tick_spacing", "-1"),
        ("test", "eager_spacing", "0.05"),
    ])
    .await;
    wait_until(Duration::from_secs(2), "eager runs", || async {
        probe.ticks_of("eager_tick") >= 2
    })
    .await;
    assert_eq!(task(&node, "tick").await.spacing_secs, None);
    assert_eq!(probe.ticks_of("tick"), 0);

    let (off, off_probe) = echo_node(&[
        ("DEFAULT", "periodic_enable", "false"),
        ("test", "eager_spacing", "0.01"),
    ])
    .await;
    // Give a 10 ms task fifty chances to run, by waiting on a call round trip loop.
    for _ in 0..50 {
        echo_client(&off)
            .call(
                &novactor::rpc::RequestContext::new(),
                "sleep",
                serde_json::json!({"ms": 2}),
            )
            .await
            .unwrap();
    }
    assert_eq!(off_probe.ticks_of("eager_tick"), 0);
}

#[actix_rt::test]
async fn reload_respaces_a_running_timer_and_calls_reset() {
    let (node, probe) = echo_node(&[("test", "tick_spacing", "3600")]).await;
    assert_eq!(task(&node, "tick").await.spacing_secs, Some(3600.0));
    let new = Config::with_overrides(&[
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("test", "tick_spacing", "0.05"),
    ])
    .unwrap();
    let changes = node.reload(new).await.unwrap();
    assert!(changes.iter().any(|c| c.contains("tick")), "{changes:?}");
    wait_until(
        Duration::from_secs(5),
        "the re-spaced task runs",
        || async { probe.ticks_of("tick") >= 2 },
    )
    .await;
    wait_until(Duration::from_secs(2), "reset called", || async {
        probe.hooks().iter().any(|h| h.ends_with(":reset"))
    })
    .await;
}
