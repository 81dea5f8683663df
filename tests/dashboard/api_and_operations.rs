//! The dashboard of an in-process node: reads, operations behind the admin token, health
//! and the live event stream (`/metrics`: metrics.rs). Each test has its own node on the
//! memory transport and its own port.

use std::time::Duration;

use crate::common::http;
use crate::common::*;
use crate::dash::{dash, wait_actor, Dash, TOKEN, WAIT};
use futures::StreamExt;
use novactor::rpc::RequestContext;
use serde_json::{json, Value};

#[actix_rt::test]
async fn operations_need_the_admin_token_and_reads_do_not() {
    let (dash, _) = dash(&[], Some(TOKEN)).await;
    assert_eq!(dash.get("/api/v1/actors").await.status, 200);
    let path = "/api/v1/actors/echo/restart";
    for token in [None, Some("wrong"), Some("")] {
        let refused = dash.request("POST", path, token, None).await;
        assert_eq!(refused.status, 401, "token {token:?}: {}", refused.text);
        assert_eq!(
            refused.headers.get("www-authenticate").unwrap(),
            "Bearer realm=\"novactor\""
        );
        assert!(refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer"));
    }
    for path in [
        "/api/v1/drain",
        "/api/v1/periodic-tasks/echo/tick/run",
        "/api/v1/services/h/b/disable",
    ] {
        assert_eq!(
            dash.request("POST", path, None, None).await.status,
            401,
            "{path}"
        );
    }
    assert_eq!(
        dash.actor("echo").await["restarts"],
        0,
        "a refused restart did nothing"
    );
    let accepted = dash.post(path, None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);

    // With no token configured, every operation is refused with how to set one.
    let (open, _) = dash_without_token().await;
    let refused = open.request("POST", path, Some(TOKEN), None).await;
    assert_eq!(refused.status, 403);
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("[dashboard] admin_token")
            && message.contains("OS_DASHBOARD__ADMIN_TOKEN"),
        "{message}"
    );
}

async fn dash_without_token() -> (Dash, std::sync::Arc<Probe>) {
    dash(&[], None).await
}

#[actix_rt::test]
async fn a_restarted_actor_keeps_its_queues_and_its_new_incarnation_answers() {
    let (dash, _) = dash(&[], Some(TOKEN)).await;
    let client = echo_client(&dash.node);
    let ctx = RequestContext::new();
    let first = client
        .call(&ctx, "echo", json!({"value": "a"}))
        .await
        .unwrap();
    assert_eq!(first["calls"], 1);
    let queues = dash.actor("echo").await["rpc_queues"].clone();

    let answer = dash.post("/api/v1/actors/echo/restart", None).await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    assert_eq!(answer.json()["actor"]["restarts"], 1);
    // Sent while the old incarnation drains: waits in the queue for the new one.
    let during = client.call(&ctx, "echo", json!({"value": "b"}));
    let actor = wait_actor(&dash, "the new incarnation", |a| {
        a["state"] == "running" && a["incarnation"] == 2
    })
    .await;
    assert_eq!(actor["restarts"], 1);
    assert_eq!(
        actor["last_error"],
        Value::Null,
        "an operator restart is not a failure"
    );
    let during = during
        .await
        .expect("the call sent during the restart is answered");
    assert_eq!(during["value"], "b");
    let after = client
        .call(&ctx, "echo", json!({"value": "c"}))
        .await
        .unwrap();
    assert!(
        after["calls"].as_u64().unwrap() <= 2,
        "a fresh manager answers: {after}"
    );
    let topic_queues = |q: &Value| -> Vec<String> {
        q.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .filter(|n| !n.contains("_fanout_"))
            .collect()
    };
    assert_eq!(topic_queues(&actor["rpc_queues"]), topic_queues(&queues));
}

#[actix_rt::test]
async fn a_stopped_actor_stays_stopped_until_started_and_readiness_warns_meanwhile() {
    let (dash, _) = dash(&[], Some(TOKEN)).await;
    let ready = dash.get("/readyz").await;
    assert_eq!(
        (ready.status, ready.json()["status"].clone()),
        (200, json!("pass"))
    );
    assert_eq!(ready.content_type, "application/health+json");

    assert_eq!(
        dash.post("/api/v1/actors/echo/stop", None).await.status,
        202
    );
    let actor = wait_actor(&dash, "the stop", |a| a["state"] == "stopped").await;
    assert_eq!(actor["stopped_by_operator"], true);
    let ready = dash.get("/readyz").await;
    let body = ready.json();
    assert_eq!(
        (ready.status, body["status"].clone()),
        (200, json!("warn")),
        "{body}"
    );
    assert_eq!(
        body["checks"]["actors"][0]["output"],
        "stopped by an operator"
    );
    let again = dash.post("/api/v1/actors/echo/stop", None).await;
    assert_eq!(again.status, 409, "{}", again.text);
    let call = echo_client(&dash.node)
        .with_timeout(Duration::from_millis(300))
        .call(&RequestContext::new(), "echo", json!({"value": 1}))
        .await;
    assert!(call.is_err(), "nobody consumes while stopped");

    assert_eq!(
        dash.post("/api/v1/actors/echo/start", None).await.status,
        202
    );
    wait_actor(&dash, "the start", |a| a["state"] == "running").await;
    let ready = dash.get("/readyz").await;
    assert_eq!(
        (ready.status, ready.json()["status"].clone()),
        (200, json!("pass"))
    );
    assert_eq!(
        dash.post("/api/v1/actors/echo/start", None).await.status,
        409
    );
    assert_eq!(
        dash.post("/api/v1/actors/nope/start", None).await.status,
        404
    );
    assert_eq!(
        dash.post("/api/v1/actors/echo/explode", None).await.status,
        404
    );
}

#[actix_rt::test]
async fn an_isolated_actor_fails_readiness_and_an_operator_can_start_it_again() {
    let (dash, _) = dash(&[("supervisor", "restart_intensity", "0")], Some(TOKEN)).await;
    let _ = echo_client(&dash.node)
        .call(&RequestContext::new(), "boom", json!({}))
        .await;
    wait_actor(&dash, "isolation", |a| a["state"] == "isolated").await;
    let ready = dash.get("/readyz").await;
    let body = ready.json();
    assert_eq!(
        (ready.status, body["status"].clone()),
        (503, json!("fail")),
        "{body}"
    );
    let output = body["checks"]["actors"][0]["output"].as_str().unwrap();
    assert!(
        output.starts_with("isolated; last error: panic in RPC method boom"),
        "{output}"
    );
    assert_eq!(dash.get("/healthz").await.status, 200, "alive all the same");

    assert_eq!(
        dash.post("/api/v1/actors/echo/start", None).await.status,
        202
    );
    wait_actor(&dash, "the start", |a| a["state"] == "running").await;
    assert_eq!(dash.get("/readyz").await.status, 200);
}

#[actix_rt::test]
async fn periodic_tasks_pause_resume_run_now_and_change_spacing() {
    let (dash, probe) = dash(&[("test", "tick_spacing", "3600")], Some(TOKEN)).await;
    let task = "/api/v1/periodic-tasks/echo/tick";
    let ran = dash.post(&format!("{task}/run"), None).await;
    assert_eq!(ran.status, 202, "{}", ran.text);
    wait_until(WAIT, "the run-now tick", || async {
        probe.ticks_of("tick") == 1
    })
    .await;

    let spaced = dash
        .post(
            &format!("{task}/spacing"),
            Some(r#"{"spacing_secs": 0.05}"#),
        )
        .await;
    assert_eq!(spaced.status, 202, "{}", spaced.text);
    let body = spaced.json();
    assert_eq!(body["periodic_task"]["spacing_secs"], 0.05);
    assert_eq!(body["periodic_task"]["spacing_overridden"], true);
    wait_until(WAIT, "ticks at the new spacing", || async {
        probe.ticks_of("tick") >= 4
    })
    .await;

    let paused = dash.post(&format!("{task}/pause"), None).await.json();
    assert_eq!(paused["periodic_task"]["paused"], true);
    assert_eq!(paused["periodic_task"]["spacing_secs"], Value::Null);
    // Let a tick that was already due finish, then nothing more comes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let at_pause = probe.ticks_of("tick");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        probe.ticks_of("tick"),
        at_pause,
        "a paused task does not tick"
    );
    let tasks = dash.get("/api/v1/periodic-tasks").await.json();
    let tick = tasks["periodic_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "tick")
        .unwrap()
        .clone();
    assert_eq!(
        (
            tick["actor"].clone(),
            tick["paused"].clone(),
            tick["next_run_at"].clone()
        ),
        (json!("echo"), json!(true), Value::Null)
    );

    // Pause and spacing survive a restart of the actor.
    dash.post("/api/v1/actors/echo/restart", None).await;
    let actor = wait_actor(&dash, "the restart", |a| {
        a["state"] == "running" && a["incarnation"] == 2
    })
    .await;
    let tick = actor["periodic_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "tick")
        .unwrap()
        .clone();
    assert_eq!(
        (tick["paused"].clone(), tick["spacing_overridden"].clone()),
        (json!(true), json!(true))
    );

    assert_eq!(dash.post(&format!("{task}/resume"), None).await.status, 202);
    wait_until(WAIT, "ticks after resume", || async {
        probe.ticks_of("tick") >= at_pause + 2
    })
    .await;
    let back = dash
        .post(
            &format!("{task}/spacing"),
            Some(r#"{"spacing_secs": null}"#),
        )
        .await
        .json();
    assert_eq!(back["periodic_task"]["spacing_secs"], 3600.0);
    assert_eq!(back["periodic_task"]["spacing_overridden"], false);

    for (body, status) in [
        (r#"{"spacing_secs": -1}"#, 400),
        (r#"{"spacing_secs": "often"}"#, 400),
        (r#"{"spacing": 3}"#, 400),
        ("not json", 400),
    ] {
        let refused = dash.post(&format!("{task}/spacing"), Some(body)).await;
        assert_eq!(refused.status, status, "{body}: {}", refused.text);
    }
    assert_eq!(
        dash.post("/api/v1/periodic-tasks/echo/nope/run", None)
            .await
            .status,
        404
    );
}

#[actix_rt::test]
async fn services_are_listed_with_up_down_and_can_be_disabled_and_enabled() {
    let (dash, _) = dash(&[], Some(TOKEN)).await;
    let services = dash.get("/api/v1/services").await.json();
    let echo = services["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["binary"] == "test-echo")
        .cloned()
        .expect("the echo service joined");
    assert_eq!(
        (echo["state"].clone(), echo["status"].clone()),
        (json!("up"), json!("enabled"))
    );
    let host = echo["host"].as_str().unwrap().to_owned();

    let disabled = dash
        .post(
            &format!("/api/v1/services/{host}/test-echo/disable"),
            Some(r#"{"reason": "maintenance"}"#),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    let service = disabled.json()["service"].clone();
    assert_eq!(
        (
            service["status"].clone(),
            service["disabled_reason"].clone()
        ),
        (json!("disabled"), json!("maintenance"))
    );
    let enabled = dash
        .post(&format!("/api/v1/services/{host}/test-echo/enable"), None)
        .await
        .json();
    assert_eq!(
        (
            enabled["service"]["status"].clone(),
            enabled["service"]["disabled_reason"].clone()
        ),
        (json!("enabled"), Value::Null)
    );

    assert_eq!(
        dash.post("/api/v1/services/nohost/test-echo/disable", None)
            .await
            .status,
        404
    );
    let long = format!(r#"{{"reason": "{}"}}"#, "x".repeat(256));
    assert_eq!(
        dash.post(
            &format!("/api/v1/services/{host}/test-echo/disable"),
            Some(&long)
        )
        .await
        .status,
        400
    );
}

#[actix_rt::test]
async fn the_report_in_flight_handlers_and_the_event_stream_show_live_state() {
    let (dash, _) = dash(&[], Some(TOKEN)).await;
    let client = echo_client(&dash.node);
    let slow = tokio::spawn(async move {
        client
            .call(&RequestContext::new(), "sleep", json!({"ms": 800}))
            .await
    });
    let actor = wait_actor(&dash, "the sleep in flight", |a| a["in_flight"] == 1).await;
    let handler = &actor["in_flight_handlers"][0];
    assert_eq!(handler["method"], "sleep");
    assert!(handler["request_id"].as_str().unwrap().starts_with("req-"));
    let report = dash.get("/api/v1/report").await;
    assert_eq!(report.status, 200);
    assert!(report.content_type.starts_with("text/plain"));
    for needle in [
        "==== novactor state report ====",
        "echo [test-echo on",
        "in flight: sleep for",
        "==== configuration (secrets masked) ====",
    ] {
        assert!(
            report.text.contains(needle),
            "{needle} missing from:\n{}",
            report.text
        );
    }
    slow.await.unwrap().unwrap();

    let mut events = http::request("GET", format!("{}/api/v1/events", dash.base))
        .timeout(Duration::from_secs(10))
        .stream()
        .await
        .unwrap();
    assert_eq!(
        events.headers.get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    let end = tokio::time::Instant::now() + WAIT;
    while text.matches("event: snapshot").count() < 2 {
        let chunk = tokio::time::timeout_at(end, events.chunks.next())
            .await
            .expect("events keep coming")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    assert_eq!(event["snapshot"]["actors"][0]["name"], "echo");
    assert!(event["services"].is_array(), "{event}");

    let missing = dash.get("/api/v1/nothing").await;
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("GET /api/v1"));
    let page = dash.get("/").await;
    assert!(page.content_type.starts_with("text/html") && page.text.contains("app.js"));
}

#[actix_rt::test]
async fn drain_shuts_the_node_down_gracefully() {
    let (dash, _) = dash(&[], Some(TOKEN)).await;
    let node = dash.node.clone();
    let run = tokio::spawn(async move { node.run_until(std::future::pending()).await });
    let answer = dash.post("/api/v1/drain", None).await;
    assert_eq!(
        (answer.status, answer.json()),
        (202, json!({"draining": true}))
    );
    let code = tokio::time::timeout(WAIT, run)
        .await
        .expect("drained in time")
        .unwrap();
    assert_eq!(code, 0);
    let snapshot = snapshot(&dash.node).await;
    assert!(snapshot.draining && !snapshot.ready());
    assert_eq!(snapshot.actors[0].state.to_string(), "stopped");
}

#[actix_rt::test]
async fn a_shutdown_during_an_operator_restart_waits_for_its_drain() {
    let (dash, _) = dash(&[], Some(TOKEN)).await;
    let client = echo_client(&dash.node);
    let slow = tokio::spawn(async move {
        client
            .call(&RequestContext::new(), "sleep", json!({"ms": 600}))
            .await
    });
    wait_actor(&dash, "the sleep in flight", |a| a["in_flight"] == 1).await;
    let answer = dash.post("/api/v1/actors/echo/restart", None).await;
    assert_eq!(
        answer.json()["actor"]["state"],
        "stopping",
        "{}",
        answer.text
    );
    let report = dash.node.shutdown().await.unwrap();
    assert!(report.unfinished.is_empty(), "{report:?}");
    assert!(
        slow.is_finished(),
        "the shutdown returned only after the drained handler"
    );
    let slept = slow
        .await
        .unwrap()
        .expect("the in-flight call was answered");
    assert_eq!(slept["slept_ms"], 600);
}
