//! Start order: services start one after another in the order given, each once every
//! actor of the one before ended its start phases; the actors of one service — the
//! instances of a definition and consecutive definitions of one binary, as a node's fake
//! computes — start together, as Nova's workers and separate compute processes do.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RemoteFailure, Version};
use novactor::service::{define, Endpoint, Response, ServiceDefinition, ServiceManager};
use novactor::snapshot::ActorState;
use serde_json::Value;

use crate::common::*;

/// The start phases every actor went through, in the order they happened.
#[derive(Default)]
struct Log {
    events: Mutex<Vec<String>>,
    /// Workers inside their `init_host`.
    entered: AtomicUsize,
}

impl Log {
    fn push(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }

    fn position(&self, event: &str) -> usize {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("no {event} in {events:?}"))
    }
}

/// Workers: the actors of the service that must start together.
const WORKERS: usize = 3;

struct Starter {
    name: String,
    log: Arc<Log>,
}

impl ServiceManager for Starter {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![Endpoint::new(None, Version::new(1, 0))]
    }

    /// A worker waits here until every worker got here: started one after another, the
    /// first would wait for the others in vain and fail its start.
    fn init_host(&mut self) -> Response {
        let (log, name) = (Arc::clone(&self.log), self.name.clone());
        Response::later(async move {
            log.push(format!("{name}:init_host"));
            if !name.starts_with("worker") {
                return Ok(Value::Null);
            }
            log.entered.fetch_add(1, Ordering::SeqCst);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while log.entered.load(Ordering::SeqCst) < WORKERS {
                if tokio::time::Instant::now() >= deadline {
                    return Err(RemoteFailure::runtime_error(
                        "the other workers never started",
                    ));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Ok(Value::Null)
        })
    }

    fn post_start_hook(&mut self) -> Response {
        self.log.push(format!("{}:post_start_hook", self.name));
        Response::ok(Value::Null)
    }
}

/// Definition `name` of `binary` with `instances`, its actors logging to `log`.
fn starter(
    name: &str,
    binary: &str,
    instances: usize,
    log: &Arc<Log>,
    config: &novactor::config::Config,
) -> Arc<ServiceDefinition> {
    let mut spec = service_spec(name, name, config);
    spec.binary = binary.to_owned();
    spec.instances = instances;
    let log = Arc::clone(log);
    let base = name.to_owned();
    define(spec, move |context| Starter {
        name: format!("{base}#{}", context.instance),
        log: Arc::clone(&log),
    })
}

#[actix_rt::test]
async fn services_start_in_order_and_the_actors_of_one_service_together() {
    let log = Arc::new(Log::default());
    let config = config(&[("supervisor", "runtime_threads", "2")]);
    let services = vec![
        starter("first", "test-first", 1, &log, &config),
        // One service of three actors: a definition of two instances and the next one of
        // the same binary.
        starter("worker-a", "test-worker", 2, &log, &config),
        starter("worker-b", "test-worker", 1, &log, &config),
        starter("last", "test-last", 1, &log, &config),
    ];
    let node = node_on(Arc::new(MemoryTransport::new()), config, services).await;
    let snapshot = snapshot(&node).await;
    for actor in &snapshot.actors {
        assert_eq!(
            (actor.name.as_str(), actor.state, actor.restarts),
            (actor.name.as_str(), ActorState::Running, 0),
            "every actor started at its first try: {:?}",
            log.events.lock().unwrap()
        );
    }
    let workers = ["worker-a#0", "worker-a#1", "worker-b#0"];
    for worker in workers {
        assert!(
            log.position("first#0:post_start_hook") < log.position(&format!("{worker}:init_host")),
            "the first service ended its start before {worker} began"
        );
        assert!(
            log.position(&format!("{worker}:post_start_hook")) < log.position("last#0:init_host"),
            "{worker} ended its start before the last service began"
        );
    }
    node.shutdown().await.unwrap();
}
