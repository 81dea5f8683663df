//! Failure matrix: panic in a handler (sync and async part), error exits, normal exits per
//! restart type, restart intensity → isolation while other actors go on.

use crate::common;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RequestContext, Target};
use novactor::supervisor::ActorState;
use serde_json::json;

const FAST_RESTARTS: [(&str, &str, &str); 3] = [
    ("supervisor", "restart_backoff_initial", "0.05"),
    ("supervisor", "restart_backoff_max", "0.2"),
    ("supervisor", "restart_period", "60"),
];

fn overrides(
    extra: &[(&'static str, &'static str, &'static str)],
) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut all = FAST_RESTARTS.to_vec();
    all.extend_from_slice(extra);
    all
}

async fn state_of(node: &novactor::Node, name: &str) -> ActorState {
    snapshot(node)
        .await
        .actor(name)
        .expect("actor in tree")
        .state
}

#[actix_rt::test]
async fn a_panic_in_a_handler_fails_that_call_at_once_and_the_actor_restarts() {
    let (node, probe) = echo_node(&overrides(&[])).await;
    let client = echo_client(&node).with_timeout(Duration::from_secs(30));
    let started = std::time::Instant::now();
    let error = client
        .call(&RequestContext::new(), "boom", json!({}))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failure reply, not a timeout: {error}"
    );
    assert_eq!(error.remote_class(), Some("RuntimeError"), "{error}");
    assert!(error.to_string().contains("panicked"), "{error}");

    wait_until(
        Duration::from_secs(5),
        "second incarnation running",
        || async {
            let s = snapshot(&node).await;
            let a = s.actor("echo").unwrap();
            a.incarnation == 2 && a.state == ActorState::Running
        },
    )
    .await;
    let echo = snapshot(&node).await.actor("echo").unwrap().clone();
    assert_eq!(echo.restarts, 1);
    assert!(
        echo.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("boom requested"),
        "{echo:?}"
    );
    assert_eq!(
        probe.built.load(Ordering::SeqCst),
        2,
        "state rebuilt from the factory"
    );
    // Fresh state: the per-incarnation call counter starts again.
    let reply = client
        .call(&RequestContext::new(), "echo", json!({"value": "after"}))
        .await
        .unwrap();
    assert_eq!(reply["calls"], 1);
}

#[actix_rt::test]
async fn a_panic_in_the_async_part_of_a_handler_also_restarts_the_actor() {
    let (node, _) = echo_node(&overrides(&[])).await;
    let error = echo_client(&node)
        .call(&RequestContext::new(), "boom_later", json!({}))
        .await
        .unwrap_err();
    assert_eq!(error.remote_class(), Some("RuntimeError"), "{error}");
    wait_until(Duration::from_secs(5), "restart", || async {
        snapshot(&node).await.actor("echo").unwrap().incarnation == 2
            && state_of(&node, "echo").await == ActorState::Running
    })
    .await;
    assert!(echo_client(&node)
        .call(&RequestContext::new(), "echo", json!({"value": 1}))
        .await
        .is_ok());
}

#[actix_rt::test]
async fn past_the_restart_intensity_the_actor_is_isolated_and_the_others_still_answer() {
    let probe = Arc::new(Probe::default());
    let config = config(&overrides(&[("supervisor", "restart_intensity", "2")]));
    let fragile = echo_service("fragile", "fragile", &config, &probe);
    let steady = echo_service("steady", "steady", &config, &probe);
    let node = node_on(
        Arc::new(MemoryTransport::new()),
        config,
        vec![fragile, steady],
    )
    .await;
    let fragile_client = node.client(Target::topic("fragile")).with_version("1.3");
    for round in 1..=3u64 {
        wait_until(Duration::from_secs(5), "fragile running", || async {
            state_of(&node, "fragile").await == ActorState::Running
        })
        .await;
        let _ = fragile_client
            .call(&RequestContext::new(), "boom", json!({}))
            .await;
        wait_until(Duration::from_secs(5), "failure noticed", || async {
            snapshot(&node).await.actor("fragile").unwrap().state != ActorState::Running
        })
        .await;
        assert_eq!(
            snapshot(&node).await.actor("fragile").unwrap().incarnation,
            round
        );
    }
    wait_until(Duration::from_secs(5), "fragile isolated", || async {
        state_of(&node, "fragile").await == ActorState::Isolated
    })
    .await;
    let snap = snapshot(&node).await;
    assert!(
        !snap.all_running(),
        "readiness is false with an isolated actor"
    );
    assert_eq!(snap.actor("fragile").unwrap().restarts, 2);
    assert_eq!(snap.actor("steady").unwrap().state, ActorState::Running);
    let steady = node.client(Target::topic("steady")).with_version("1.3");
    assert!(steady
        .call(&RequestContext::new(), "echo", json!({"value": 1}))
        .await
        .is_ok());
    // An isolated actor consumes nothing: a call to it times out instead of running.
    let isolated = fragile_client
        .with_timeout(Duration::from_millis(300))
        .call(&RequestContext::new(), "echo", json!({"value": 1}))
        .await
        .unwrap_err();
    assert!(isolated.is_timeout(), "{isolated}");
}

#[actix_rt::test]
async fn escalate_ends_the_process_instead_of_isolating() {
    let (node, _) = echo_node(&overrides(&[
        ("supervisor", "restart_intensity", "0"),
        ("supervisor", "escalate", "true"),
    ]))
    .await;
    let _ = echo_client(&node)
        .call(&RequestContext::new(), "boom", json!({}))
        .await;
    let code = tokio::time::timeout(
        Duration::from_secs(10),
        node.run_until(std::future::pending()),
    )
    .await
    .expect("escalation ends the run");
    assert_eq!(code, 1);
}

async fn exit_outcome(restart_type: &'static str, normal: bool) -> (ActorState, u64) {
    let (node, _) = echo_node(&overrides(&[(
        "supervisor",
        "restart_types",
        leak(format!("echo:{restart_type}")),
    )]))
    .await;
    echo_client(&node)
        .call(&RequestContext::new(), "exit", json!({"normal": normal}))
        .await
        .unwrap();
    wait_until(Duration::from_secs(5), "exit handled", || async {
        let a = snapshot(&node).await.actor("echo").unwrap().clone();
        a.incarnation == 2 && a.state == ActorState::Running || a.state == ActorState::Stopped
    })
    .await;
    let a = snapshot(&node).await.actor("echo").unwrap().clone();
    (a.state, a.incarnation)
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

#[actix_rt::test]
async fn restart_types_decide_what_an_exit_does() {
    assert_eq!(
        exit_outcome("permanent", true).await,
        (ActorState::Running, 2)
    );
    assert_eq!(
        exit_outcome("permanent", false).await,
        (ActorState::Running, 2)
    );
    assert_eq!(
        exit_outcome("transient", true).await,
        (ActorState::Stopped, 1)
    );
    assert_eq!(
        exit_outcome("transient", false).await,
        (ActorState::Running, 2)
    );
    assert_eq!(
        exit_outcome("temporary", false).await,
        (ActorState::Stopped, 1)
    );
}

#[actix_rt::test]
async fn start_phases_run_in_novas_order_and_stop_runs_cleanup() {
    let (node, probe) = echo_node(&[("DEFAULT", "host", "h1")]).await;
    assert_eq!(
        probe.hooks(),
        ["h1:init_host", "h1:pre_start_hook", "h1:post_start_hook"]
    );
    let report = node.shutdown().await.unwrap();
    assert!(report.unfinished.is_empty());
    assert_eq!(
        probe.hooks().last().map(String::as_str),
        Some("h1:cleanup_host")
    );
    assert_eq!(state_of(&node, "echo").await, ActorState::Stopped);
}

#[actix_rt::test]
async fn instances_share_the_topic_and_restart_independently() {
    let probe = Arc::new(Probe::default());
    let config = config(&overrides(&[]));
    let mut spec = common::service_spec("pool", "pool", &config);
    spec.instances = 2;
    let node = node_on(
        Arc::new(MemoryTransport::new()),
        config,
        vec![echo_with_spec(spec, &probe)],
    )
    .await;
    let names: Vec<String> = snapshot(&node)
        .await
        .actors
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(names, ["pool#0", "pool#1"]);
    let client = node.client(Target::topic("pool")).with_version("1.3");
    let _ = client.call(&RequestContext::new(), "boom", json!({})).await;
    wait_until(Duration::from_secs(5), "one instance restarted", || async {
        let s = snapshot(&node).await;
        s.all_running() && s.actors.iter().map(|a| a.restarts).sum::<u64>() == 1
    })
    .await;
    for _ in 0..4 {
        assert!(client
            .call(&RequestContext::new(), "echo", json!({"value": 1}))
            .await
            .is_ok());
    }
}

#[actix_rt::test]
async fn rpc_services_heartbeat_every_report_interval_and_count_as_up() {
    let (node, _) = echo_node(&[
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "host", "hb"),
    ])
    .await;
    wait_until(Duration::from_secs(10), "two heartbeats", || async {
        snapshot(&node)
            .await
            .actor("echo")
            .unwrap()
            .heartbeat
            .as_ref()
            .is_some_and(|h| h.reports >= 2)
    })
    .await;
    let records = node.env().servicegroup.services().await.unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(
        (
            record.host.as_str(),
            record.binary.as_str(),
            record.topic.as_str()
        ),
        ("hb", "test-echo", "echo")
    );
    assert!(record.report_count >= 2);
    assert!(record.is_up(
        // Nothing in this test changes the default service_down_time (60 s).
        Duration::from_secs(60),
        chrono::Utc::now()
    ));
    let heartbeat = snapshot(&node)
        .await
        .actor("echo")
        .unwrap()
        .heartbeat
        .clone()
        .unwrap();
    assert_eq!((heartbeat.failures, heartbeat.in_outage), (0, false));
}

/// A servicegroup whose reports fail while `down` is set.
#[derive(Default)]
struct FlakyGroup {
    down: std::sync::atomic::AtomicBool,
    inner: novactor::servicegroup::MemoryServiceGroup,
}

#[async_trait::async_trait]
impl novactor::servicegroup::ServiceGroup for FlakyGroup {
    async fn join(
        &self,
        host: &str,
        binary: &str,
        topic: &str,
    ) -> Result<(), novactor::servicegroup::ServiceGroupError> {
        self.inner.join(host, binary, topic).await
    }
    async fn report_state(
        &self,
        host: &str,
        binary: &str,
    ) -> Result<(), novactor::servicegroup::ServiceGroupError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(novactor::servicegroup::ServiceGroupError::Unavailable(
                "database is down".into(),
            ));
        }
        self.inner.report_state(host, binary).await
    }
    async fn services(
        &self,
    ) -> Result<Vec<novactor::servicegroup::ServiceRecord>, novactor::servicegroup::ServiceGroupError>
    {
        self.inner.services().await
    }
    async fn set_disabled(
        &self,
        host: &str,
        binary: &str,
        disabled: bool,
        reason: Option<&str>,
    ) -> Result<novactor::servicegroup::ServiceRecord, novactor::servicegroup::ServiceGroupError>
    {
        self.inner
            .set_disabled(host, binary, disabled, reason)
            .await
    }
}

#[actix_rt::test]
async fn a_failing_heartbeat_is_counted_and_keeps_trying_until_it_recovers() {
    let group = Arc::new(FlakyGroup::default());
    group.down.store(true, Ordering::SeqCst);
    let probe = Arc::new(Probe::default());
    let config = config(&[("DEFAULT", "report_interval", "1")]);
    let service = echo_service("echo", "echo", &config, &probe);
    let env = novactor::supervisor::RuntimeEnv::new(
        Arc::new(config),
        Arc::new(MemoryTransport::new()),
        group.clone(),
    );
    let node = novactor::Node::start_with(env, vec![service])
        .await
        .unwrap();
    let heartbeat = || async {
        snapshot(&node)
            .await
            .actor("echo")
            .unwrap()
            .heartbeat
            .clone()
            .unwrap()
    };
    wait_until(Duration::from_secs(10), "two failed heartbeats", || async {
        heartbeat().await.failures >= 2
    })
    .await;
    assert!(heartbeat().await.in_outage);
    assert_eq!(
        state_of(&node, "echo").await,
        ActorState::Running,
        "a heartbeat failure is not an actor failure"
    );
    group.down.store(false, Ordering::SeqCst);
    wait_until(
        Duration::from_secs(10),
        "a successful heartbeat",
        || async { heartbeat().await.reports >= 1 },
    )
    .await;
    assert!(!heartbeat().await.in_outage);
}
