//! Every RPC service's base API (Nova: `nova/baserpc.py`): namespace `baseapi`, 1.1. Both
//! sides live here, as in Nova's file: the handlers every manager serves ([`endpoint`]) are
//! generic, and the client ([`BaseApi`]) is what the other proxies' `ping` uses.
//!
//! Version history (as `BaseAPI`'s docstring): 1.0 initial (`ping`), 1.1 `get_backdoor_port`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::rpc_args::{self, RpcArgs};
use novactor::rpc::{CallError, RequestContext, RpcClient, Version};
use novactor::service::{Call, Endpoint, Response, ServiceManager};

/// Nova `baserpc._NAMESPACE`.
pub const NAMESPACE: &str = "baseapi";
/// Nova `BaseRPCAPI.target.version`.
pub const VERSION: Version = Version::new(1, 1);

/// `ping(arg)` (1.0) → `{"service": <service name>, "arg": arg}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ping {
    /// Anything; it comes back as sent.
    pub arg: Value,
}

impl RpcArgs for Ping {
    const METHOD: &'static str = "ping";
}

/// `get_backdoor_port()` (1.1) → null: novactor has no eventlet backdoor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetBackdoorPort {}

impl RpcArgs for GetBackdoorPort {
    const METHOD: &'static str = "get_backdoor_port";
}

/// A manager that serves the base API.
pub trait BaseRpc {
    /// The manager's service name (`conductor`, `scheduler`, `compute`), which `ping`
    /// returns — not the binary name.
    fn service_name(&self) -> &'static str;
}

/// The `baseapi` endpoint for manager `S`.
pub fn endpoint<S: ServiceManager + BaseRpc>() -> Endpoint<S> {
    Endpoint::new(Some(NAMESPACE), VERSION)
        .method(Ping::METHOD, ping::<S>)
        .method(GetBackdoorPort::METHOD, get_backdoor_port::<S>)
}

fn ping<S: BaseRpc>(manager: &mut S, call: Call) -> Response {
    match Ping::from_call(&call) {
        Ok(Ping { arg }) => Response::ok(json!({"service": manager.service_name(), "arg": arg})),
        Err(failure) => Response::err(failure),
    }
}

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
        rpc_args::call(&client, ctx, &Ping { arg }).await
    }

    /// `get_backdoor_port` (1.1) on one host.
    pub async fn get_backdoor_port(
        &self,
        ctx: &RequestContext,
        host: &str,
    ) -> Result<Value, CallError> {
        let client = self.client.with_server(host).with_version("1.1");
        rpc_args::call(&client, ctx, &GetBackdoorPort {}).await
    }
}
