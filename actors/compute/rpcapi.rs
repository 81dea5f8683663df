//! Client side of `nova-compute` (Nova: `nova/compute/rpcapi.py`), used by the other actors.
//!
//! Version history: only the base API (`baseapi` 1.0–1.1) so far.

use serde_json::Value;

use crate::actors::baserpc::BaseApi;
use crate::rpc::{CallError, RequestContext, RpcClient, Target};

/// Nova `ComputeAPI` on topic `compute`.
#[derive(Debug, Clone)]
pub struct ComputeApi {
    client: RpcClient,
}

impl ComputeApi {
    /// The target every `ComputeApi` sends to: topic `compute`.
    pub fn target() -> Target {
        Target::topic("compute")
    }

    /// Wrap a client made for [`Self::target`].
    pub fn new(client: RpcClient) -> Self {
        Self { client }
    }

    /// `baseapi.ping` on a compute host (use `with_server`).
    pub async fn ping(&self, ctx: &RequestContext, arg: Value) -> Result<Value, CallError> {
        BaseApi::new(&self.client).ping(ctx, arg, None).await
    }

    /// This proxy addressed to one host.
    pub fn with_server(&self, host: &str) -> Self {
        Self::new(self.client.with_server(host))
    }
}
