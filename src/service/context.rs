//! What a manager gets when it is built: its spec, the configuration, RPC clients and a
//! way to end its own incarnation.

use std::sync::Arc;

use actix::Recipient;

use super::child_event::{ChildExited, ExitReason};
use super::spec::ServiceSpec;
use crate::config::Config;
use crate::rpc::{ClientShared, RpcClient, Target};

/// Ends the incarnation it was made for; stale after a restart (then it does nothing).
#[derive(Clone)]
pub struct ExitHandle {
    pub(crate) supervisor: Recipient<ChildExited>,
    pub(crate) child: usize,
    pub(crate) incarnation: u64,
}

impl std::fmt::Debug for ExitHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExitHandle")
            .field("child", &self.child)
            .field("incarnation", &self.incarnation)
            .finish()
    }
}

impl ExitHandle {
    /// Ask the supervisor to end this incarnation for `reason`.
    pub fn exit(&self, reason: ExitReason) {
        self.supervisor.do_send(ChildExited {
            child: self.child,
            incarnation: self.incarnation,
            reason,
        });
    }
}

/// Handed to a manager's factory at every (re)start, so state is rebuilt from the same
/// inputs each time.
#[derive(Clone)]
pub struct ServiceContext {
    /// The service's spec.
    pub spec: ServiceSpec,
    /// Which instance of the actor this is (0-based).
    pub instance: usize,
    /// The effective configuration when this incarnation started.
    pub config: Arc<Config>,
    /// Ends this incarnation.
    pub exit: ExitHandle,
    pub(crate) rpc: Arc<ClientShared>,
}

impl std::fmt::Debug for ServiceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceContext")
            .field("spec", &self.spec)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl ServiceContext {
    /// An RPC client for `target` with `rpc_response_timeout`, sharing the process's reply queue.
    pub fn rpc_client(&self, target: Target) -> RpcClient {
        self.rpc
            .client(target, self.config.default.rpc_response_timeout)
    }
}
