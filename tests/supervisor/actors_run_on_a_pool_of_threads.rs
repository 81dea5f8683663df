//! The pool of runtime threads (`[supervisor] runtime_threads`): each actor lives on one
//! thread, so two concurrent messages to it never interleave their state changes, while
//! two actors on two threads run their handlers at the same time; placement is balanced
//! and shown in the snapshot.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use futures::future::join_all;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RemoteFailure, RequestContext, Target, Version};
use novactor::service::{define, Call, Endpoint, Response, ServiceDefinition, ServiceManager};
use serde_json::{json, Value};

use crate::common::*;

/// What the actors tell the test.
#[derive(Default)]
struct Shared {
    /// Set by each actor when its `overlap` handler has begun, by actor name.
    begun: Mutex<BTreeSet<String>>,
    /// The threads each actor's handlers ran on, by actor name.
    threads: Mutex<Vec<(String, ThreadId)>>,
}

/// A manager whose state a message changes in several steps.
struct Counter {
    name: String,
    shared: Arc<Shared>,
    /// Set while a handler is between its read and its write of `count`.
    inside: AtomicBool,
    count: u64,
}

/// How long a handler waits for the other actors before it gives up (a failure, not a
/// hang), unless the call says `patience_ms`.
const PATIENCE: Duration = Duration::from_secs(10);

impl Counter {
    fn seen_on(&self) {
        self.shared
            .threads
            .lock()
            .unwrap()
            .push((self.name.clone(), std::thread::current().id()));
    }

    /// Read, spin, write: two of these interleaving on one actor would lose an update or
    /// find `inside` set.
    fn bump(&mut self, _: Call) -> Response {
        self.seen_on();
        if self.inside.swap(true, Ordering::SeqCst) {
            return Response::err(RemoteFailure::runtime_error("two handlers interleaved"));
        }
        let read = self.count;
        let until = Instant::now() + Duration::from_micros(500);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        self.count = read + 1;
        self.inside.store(false, Ordering::SeqCst);
        Response::ok(json!(read))
    }

    /// Blocks this actor's thread until every actor in `with` has begun its own `overlap`
    /// (or its patience ran out): only actors on different threads can all get there.
    fn overlap(&mut self, call: Call) -> Response {
        self.seen_on();
        let with: Vec<String> = call.arg("with").unwrap_or_default();
        let patience = call
            .arg::<u64>("patience_ms")
            .map_or(PATIENCE, Duration::from_millis);
        self.shared.begun.lock().unwrap().insert(self.name.clone());
        let deadline = Instant::now() + patience;
        loop {
            let met = {
                let begun = self.shared.begun.lock().unwrap();
                with.iter().all(|name| begun.contains(name))
            };
            if met {
                return Response::ok(json!(true));
            }
            if Instant::now() >= deadline {
                return Response::ok(json!(false));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl ServiceManager for Counter {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![Endpoint::new(None, Version::new(1, 0))
            .method("bump", Self::bump)
            .method("overlap", Self::overlap)]
    }
}

fn counter(
    name: &str,
    shared: &Arc<Shared>,
    config: &novactor::config::Config,
) -> Arc<ServiceDefinition> {
    let shared = Arc::clone(shared);
    let actor = name.to_owned();
    define(service_spec(name, name, config), move |_| Counter {
        name: actor.clone(),
        shared: Arc::clone(&shared),
        inside: AtomicBool::new(false),
        count: 0,
    })
}

async fn pool_node(threads: &str, shared: &Arc<Shared>) -> novactor::Node {
    let config = config(&[
        ("supervisor", "runtime_threads", threads),
        ("DEFAULT", "executor_thread_pool_size", "64"),
    ]);
    let services = vec![
        counter("left", shared, &config),
        counter("right", shared, &config),
    ];
    node_on(Arc::new(MemoryTransport::new()), config, services).await
}

async fn call(node: &novactor::Node, topic: &str, method: &str, args: Value) -> Value {
    node.client(Target::topic(topic))
        .with_version("1.0")
        .with_timeout(Duration::from_secs(30))
        .call(&RequestContext::new(), method, args)
        .await
        .unwrap_or_else(|e| panic!("{topic}.{method}: {e}"))
}

#[actix_rt::test]
async fn concurrent_messages_to_one_actor_never_interleave_and_stay_on_its_thread() {
    let shared = Arc::new(Shared::default());
    let node = pool_node("2", &shared).await;
    let reads = join_all((0..64).map(|_| call(&node, "left", "bump", json!({})))).await;
    let mut reads: Vec<u64> = reads.iter().filter_map(Value::as_u64).collect();
    reads.sort_unstable();
    assert_eq!(
        reads,
        (0..64).collect::<Vec<u64>>(),
        "every update kept, none twice"
    );
    let threads: HashSet<ThreadId> = shared
        .threads
        .lock()
        .unwrap()
        .iter()
        .filter(|(name, _)| name == "left")
        .map(|(_, thread)| *thread)
        .collect();
    assert_eq!(threads.len(), 1, "one actor, one thread: {threads:?}");
    assert_ne!(
        threads.iter().next(),
        Some(&std::thread::current().id()),
        "with two runtime threads the actor is not on the main thread"
    );
    node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn two_actors_on_two_threads_run_their_handlers_at_the_same_time() {
    let shared = Arc::new(Shared::default());
    let node = pool_node("2", &shared).await;
    let both = json!({"with": ["left", "right"]});
    let (left, right) = futures::join!(
        call(&node, "left", "overlap", both.clone()),
        call(&node, "right", "overlap", both)
    );
    assert_eq!(
        (left, right),
        (json!(true), json!(true)),
        "each handler saw the other begin while it was still running"
    );
    let snapshot = snapshot(&node).await;
    let placed: BTreeSet<Option<usize>> = snapshot.actors.iter().map(|a| a.thread).collect();
    assert_eq!(
        placed,
        BTreeSet::from([Some(0), Some(1)]),
        "one actor per thread"
    );
    assert_eq!(snapshot.supervisor.thread_load, [1, 1]);
    node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn one_runtime_thread_runs_every_actor_on_the_main_thread() {
    let shared = Arc::new(Shared::default());
    let node = pool_node("1", &shared).await;
    call(&node, "left", "bump", json!({})).await;
    call(&node, "right", "bump", json!({})).await;
    let here = std::thread::current().id();
    assert!(
        shared
            .threads
            .lock()
            .unwrap()
            .iter()
            .all(|(_, t)| *t == here),
        "runtime_threads = 1: the main thread"
    );
    // And so two handlers cannot overlap: the first gives up waiting for the second.
    let (left, right) = futures::join!(
        call(
            &node,
            "left",
            "overlap",
            json!({"with": ["left", "right"], "patience_ms": 300})
        ),
        call(&node, "right", "overlap", json!({"with": ["right"]}))
    );
    assert_eq!((left, right), (json!(false), json!(true)));
    assert_eq!(snapshot(&node).await.supervisor.thread_load, [2]);
    node.shutdown().await.unwrap();
}
