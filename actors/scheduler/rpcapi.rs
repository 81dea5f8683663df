//! Client side of `nova-scheduler` (Nova: `nova/scheduler/rpcapi.py`), used by the other actors.
//!
//! Version history: only the base API (`baseapi` 1.0–1.1) so far.

use serde_json::Value;

use crate::actors::baserpc::BaseApi;
use crate::rpc::{CallError, RequestContext, RpcClient, Target};

/// Nova `SchedulerAPI` on topic `scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerApi {
    client: RpcClient,
}

impl SchedulerApi {
    /// The target every `SchedulerApi` sends to: topic `scheduler`.
    pub fn target() -> Target {
        Target::topic("scheduler")
    }

    /// Wrap a client made for [`Self::target`].
    pub fn new(client: RpcClient) -> Self {
        Self { client }
    }

    /// `baseapi.ping` on any scheduler host.
    pub async fn ping(&self, ctx: &RequestContext, arg: Value) -> Result<Value, CallError> {
        BaseApi::new(&self.client).ping(ctx, arg, None).await
    }

    /// This proxy addressed to one host.
    pub fn with_server(&self, host: &str) -> Self {
        Self::new(self.client.with_server(host))
    }
}
