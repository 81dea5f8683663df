//! Every RPC service's base API (Nova: `nova/baserpc.py`): namespace `baseapi`, 1.1.
//!
//! Version history (as `BaseAPI`'s docstring): 1.0 initial (`ping`), 1.1 `get_backdoor_port`.

use serde_json::{json, Value};

use novactor::rpc::{CallError, RequestContext, RpcClient, Version};
use novactor::service::{Call, Endpoint, Response, ServiceManager};

/// Nova `baserpc._NAMESPACE`.
pub const NAMESPACE: &str = "baseapi";
/// Nova `BaseRPCAPI.target.version`.
pub const VERSION: Version = Version::new(1, 1);

/// A manager that serves the base API.
pub trait BaseRpc {
    /// The manager's service name (`conductor`, `scheduler`, `compute`), which `ping`
    /// returns — not the binary name.
    fn service_name(&self) -> &'static str;
}

/// The `baseapi` endpoint for manager `S`.
pub fn endpoint<S: ServiceManager + BaseRpc>() -> Endpoint<S> {
    Endpoint::new(Some(NAMESPACE), VERSION)
        .method("ping", ping::<S>)
        .method("get_backdoor_port", get_backdoor_port::<S>)
}

/// `ping(arg)` → `{"service": <service name>, "arg": arg}`.
fn ping<S: BaseRpc>(manager: &mut S, call: Call) -> Response {
    match call.arg::<Value>("arg") {
        Ok(arg) => Response::ok(json!({"service": manager.service_name(), "arg": arg})),
        Err(failure) => Response::err(failure),
    }
}

/// `get_backdoor_port()` → null: novactor has no eventlet backdoor.
fn get_backdoor_port<S>(_: &mut S, _: Call) -> Response {
    Response::done()
}

/// Client side (Nova `baserpc.BaseAPI`): `Target(topic, namespace='baseapi', version='1.0')`.
#[derive(Debug, Clone)]
pub struct BaseApi {
    client: RpcClient,
}

impl BaseApi {
    /// The base API of the service behind `client`'s topic.
    pub fn new(client: &RpcClient) -> Self {
        Self {
            client: client.with_namespace(NAMESPACE).with_version("1.0"),
        }
    }

    /// `ping` (1.0), with an optional timeout other than `rpc_response_timeout`.
    pub async fn ping(
        &self,
        ctx: &RequestContext,
        arg: Value,
        timeout: Option<std::time::Duration>,
    ) -> Result<Value, CallError> {
        let client = match timeout {
            Some(timeout) => self.client.with_timeout(timeout),
            None => self.client.clone(),
        };
        client.call(ctx, "ping", json!({ "arg": arg })).await
    }

    /// `get_backdoor_port` (1.1) on one host.
    pub async fn get_backdoor_port(
        &self,
        ctx: &RequestContext,
        host: &str,
    ) -> Result<Value, CallError> {
        self.client
            .with_server(host)
            .with_version("1.1")
            .call(ctx, "get_backdoor_port", json!({}))
            .await
    }
}
