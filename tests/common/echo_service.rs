//! A probe-able test service (`EchoManager`: echo, sleep, panic, record, exit, periodic
//! ticks) and the config and node builders that host it.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use novactor::config::Config;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RemoteFailure, RpcClient, Target, Transport, Version};
use novactor::service::{
    define, Call, Endpoint, ExitReason, PeriodicTask, Response, ServiceContext, ServiceDefinition,
    ServiceManager, ServiceSpec, Spacing,
};
use novactor::servicegroup::MemoryServiceGroup;
use novactor::supervisor::{RuntimeEnv, Snapshot};
use novactor::Node;
use serde_json::{json, Value};

/// What test services record, shared with the test body.
#[derive(Debug, Default)]
pub struct Probe {
    /// `host:value` per `record` cast, in arrival order.
    pub records: Mutex<Vec<String>>,
    /// Incarnations built (factory calls).
    pub built: AtomicUsize,
    /// Runs per periodic task name.
    pub ticks: Mutex<Vec<String>>,
    /// Lifecycle hooks seen, `host:hook`.
    pub hooks: Mutex<Vec<String>>,
    /// Attempts per value of the crash-once methods.
    pub attempts: Mutex<std::collections::HashMap<String, usize>>,
}

impl Probe {
    pub fn records(&self) -> Vec<String> {
        self.records.lock().unwrap().clone()
    }
    pub fn ticks_of(&self, task: &str) -> usize {
        self.ticks
            .lock()
            .unwrap()
            .iter()
            .filter(|t| *t == task)
            .count()
    }
    pub fn hooks(&self) -> Vec<String> {
        self.hooks.lock().unwrap().clone()
    }
}

/// A test service: the null namespace at version 1.3, with methods that echo, sleep,
/// panic, record and exit, and periodic tasks configured by `[test]` options.
pub struct EchoManager {
    host: String,
    probe: Arc<Probe>,
    context: ServiceContext,
    calls: usize,
}

impl EchoManager {
    fn echo(&mut self, call: Call) -> Response {
        self.calls += 1;
        match call.arg::<Value>("value") {
            Ok(value) => {
                Response::ok(json!({"host": self.host, "value": value, "calls": self.calls}))
            }
            Err(failure) => Response::err(failure),
        }
    }

    fn ns_echo(&mut self, call: Call) -> Response {
        match call.arg::<Value>("value") {
            Ok(value) => Response::ok(json!({"ns": "test", "value": value})),
            Err(failure) => Response::err(failure),
        }
    }

    fn sleep(&mut self, call: Call) -> Response {
        let ms = call.arg::<u64>("ms").unwrap_or(0);
        let host = self.host.clone();
        Response::later(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(json!({"slept_ms": ms, "host": host}))
        })
    }

    fn boom(&mut self, call: Call) -> Response {
        panic!("boom requested by the test ({})", call.method);
    }

    fn boom_later(&mut self, _: Call) -> Response {
        Response::later(async {
            tokio::task::yield_now().await;
            panic!("async boom requested by the test");
        })
    }

    fn fail(&mut self, _: Call) -> Response {
        Response::err(RemoteFailure::new(
            "nova.exception",
            "InstanceNotFound",
            "Instance x could not be found.",
        ))
    }

    fn record(&mut self, call: Call) -> Response {
        let value = call.arg::<String>("value").unwrap_or_default();
        self.probe
            .records
            .lock()
            .unwrap()
            .push(format!("{}:{value}", self.host));
        Response::done()
    }

    /// Panics on the first attempt for a value, records it on later ones.
    fn crash_once(&mut self, call: Call) -> Response {
        let value = call.arg::<String>("value").unwrap_or_default();
        let attempt = {
            let mut attempts = self.probe.attempts.lock().unwrap();
            let n = attempts.entry(value.clone()).or_insert(0);
            *n += 1;
            *n
        };
        if attempt == 1 {
            panic!("first attempt at {value} crashes (test)");
        }
        self.probe
            .records
            .lock()
            .unwrap()
            .push(format!("{}:{value}", self.host));
        Response::done()
    }

    fn exit(&mut self, call: Call) -> Response {
        let reason = if call.arg::<bool>("normal").unwrap_or(true) {
            ExitReason::Normal
        } else {
            ExitReason::Error("asked to fail".into())
        };
        self.context.exit.exit(reason);
        Response::done()
    }

    fn tick(&mut self, call: Call) -> Response {
        self.probe.ticks.lock().unwrap().push(call.method);
        Response::done()
    }

    fn slow_tick(&mut self, call: Call) -> Response {
        self.probe.ticks.lock().unwrap().push(call.method);
        Response::later(async {
            tokio::time::sleep(Duration::from_millis(350)).await;
            Ok(Value::Null)
        })
    }

    fn failing_tick(&mut self, call: Call) -> Response {
        self.probe.ticks.lock().unwrap().push(call.method);
        Response::err(RemoteFailure::runtime_error(
            "periodic failure requested by the test",
        ))
    }

    fn hook(&mut self, hook: &str) -> Response {
        self.probe
            .hooks
            .lock()
            .unwrap()
            .push(format!("{}:{hook}", self.host));
        Response::done()
    }
}

pub const ECHO_VERSION: Version = Version::new(1, 3);

impl ServiceManager for EchoManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![
            Endpoint::new(None, ECHO_VERSION)
                .method("echo", Self::echo)
                .method("sleep", Self::sleep)
                .method("boom", Self::boom)
                .method("boom_later", Self::boom_later)
                .method("fail", Self::fail)
                .method("record", Self::record)
                .method("exit", Self::exit)
                .method("crash_once", Self::crash_once)
                .method_at_least_once("crash_once_safe", Self::crash_once)
                .method("_private", Self::echo),
            // Mirrors the Python peer's second endpoint.
            Endpoint::new(Some("test"), Version::new(2, 0)).method("ns_echo", Self::ns_echo),
        ]
    }

    fn periodic_tasks() -> Vec<PeriodicTask<Self>> {
        let option = |name: &'static str| Spacing::Option {
            group: "test",
            name,
            default: -1.0,
        };
        vec![
            PeriodicTask::new("tick", option("tick_spacing"), Self::tick),
            PeriodicTask::new("eager_tick", option("eager_spacing"), Self::tick).run_immediately(),
            PeriodicTask::new("slow_tick", option("slow_spacing"), Self::slow_tick),
            PeriodicTask::new(
                "failing_tick",
                option("failing_spacing"),
                Self::failing_tick,
            ),
        ]
    }

    fn init_host(&mut self) -> Response {
        self.hook("init_host")
    }
    fn pre_start_hook(&mut self) -> Response {
        self.hook("pre_start_hook")
    }
    fn post_start_hook(&mut self) -> Response {
        self.hook("post_start_hook")
    }
    fn cleanup_host(&mut self) -> Response {
        self.hook("cleanup_host")
    }
    fn reset(&mut self) -> Response {
        self.hook("reset")
    }
}

/// A config for tests: no periodic fuzz, Nova's control exchange (the Python oslo peer's
/// default too), plus `overrides`.
pub fn config(overrides: &[(&str, &str, &str)]) -> Config {
    let mut all = vec![
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "rpc_response_timeout", "5"),
        ("DEFAULT", "control_exchange", "nova"),
    ];
    all.extend_from_slice(overrides);
    Config::with_overrides(&all).expect("valid test config")
}

/// The spec of test service `name` (binary `test-<name>`) on `topic`, following OpenStack's
/// service model as a test sets it in `config`: a heartbeat every `[DEFAULT] report_interval`
/// (10 s unless set), periodic tasks unless `[DEFAULT] periodic_enable = false`, no first-run
/// delay. (Those options belong to the application; the runtime takes them in the spec.)
pub fn service_spec(name: &str, topic: &str, config: &Config) -> ServiceSpec {
    let mut spec = ServiceSpec::new(name, &format!("test-{name}"), Some(topic), config);
    let report_interval = config
        .raw("DEFAULT", "report_interval")
        .map_or(10, |secs| secs.parse().expect("a test's report_interval"));
    spec.report_interval = Some(Duration::from_secs(report_interval));
    spec.periodic_enable = config.raw("DEFAULT", "periodic_enable") != Some("false");
    spec
}

/// The echo service as `name` on topic `topic`, host from `config`.
pub fn echo_service(
    name: &str,
    topic: &str,
    config: &Config,
    probe: &Arc<Probe>,
) -> Arc<ServiceDefinition> {
    echo_with_spec(service_spec(name, topic, config), probe)
}

pub fn echo_with_spec(spec: ServiceSpec, probe: &Arc<Probe>) -> Arc<ServiceDefinition> {
    let probe = Arc::clone(probe);
    define(spec, move |ctx: &ServiceContext| {
        probe.built.fetch_add(1, Ordering::SeqCst);
        EchoManager {
            host: ctx.spec.host.clone(),
            probe: Arc::clone(&probe),
            context: ctx.clone(),
            calls: 0,
        }
    })
}

/// Start a node on `transport` hosting `services`.
pub async fn node_on(
    transport: Arc<dyn Transport>,
    config: Config,
    services: Vec<Arc<ServiceDefinition>>,
) -> Node {
    let env = RuntimeEnv::new(
        Arc::new(config),
        transport,
        Arc::new(MemoryServiceGroup::default()),
    );
    Node::start_with(env, services).await.expect("node starts")
}

/// One node with one echo service named `echo` on topic `echo`.
pub async fn echo_node(overrides: &[(&str, &str, &str)]) -> (Node, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let config = config(overrides);
    let service = echo_service("echo", "echo", &config, &probe);
    let node = node_on(Arc::new(MemoryTransport::new()), config, vec![service]).await;
    (node, probe)
}

/// A client for the echo topic at the endpoint's version.
pub fn echo_client(node: &Node) -> RpcClient {
    node.client(Target::topic("echo")).with_version("1.3")
}

pub async fn snapshot(node: &Node) -> Snapshot {
    node.snapshot().await.expect("supervisor answers")
}
