//! A real SIGTERM to this process while a call is in flight: the call completes with its
//! reply, the actors stop, and the signal loop returns exit code 0. It signals the whole
//! test process, which is harmless to the other tests of this binary: this is the only
//! one listening for SIGTERM, and its listener (installed before the signal is sent)
//! replaces the default action for the whole process.

use std::time::Duration;

use crate::common::*;
use novactor::config::ConfigSources;
use novactor::rpc::RequestContext;
use novactor::signals::{run_with_signals, ReloadContext};
use novactor::supervisor::ActorState;
use serde_json::json;
use tokio::signal::unix::{signal, SignalKind};

#[actix_rt::test]
async fn sigterm_drains_an_in_flight_call_and_exits_0() {
    // Installed first, so SIGTERM can never take the default action (kill the test process).
    let _guard = signal(SignalKind::terminate()).unwrap();
    let (node, _) = echo_node(&[("DEFAULT", "graceful_shutdown_timeout", "10")]).await;
    let client = echo_client(&node).with_timeout(Duration::from_secs(10));
    let call = actix_rt::spawn(async move {
        client
            .call(&RequestContext::new(), "sleep", json!({"ms": 700}))
            .await
    });
    wait_until(Duration::from_secs(5), "the call is in flight", || async {
        snapshot(&node).await.actor("echo").unwrap().in_flight == 1
    })
    .await;
    let reload = ReloadContext {
        sources: ConfigSources::default(),
        log: None,
        check: None,
    };
    let runner = actix_rt::spawn(run_with_signals(node.clone(), reload));
    // Let the runner install its handlers (it does so at its first poll).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let code = tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("runner ends")
        .unwrap()
        .unwrap();
    assert_eq!(code, 0);
    // The actor is stopped: a reply can only come from the drained handler, which
    // published it before the drain ended. (Its arrival may follow the runner's end by a
    // moment: the server publishes from the actor's thread, the caller routes replies on
    // this one.)
    let reply = tokio::time::timeout(Duration::from_secs(2), call)
        .await
        .expect("the reply arrives without the stopped node doing any more work")
        .unwrap();
    assert_eq!(
        reply.expect("the in-flight call got its reply")["slept_ms"],
        700
    );
    assert_eq!(
        snapshot(&node).await.actor("echo").unwrap().state,
        ActorState::Stopped
    );
}
