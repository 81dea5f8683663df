//! [`ServiceManager`]: what a service's manager declares (endpoints, periodic tasks) and
//! the lifecycle hooks the supervisor runs on it.

use super::endpoint::Endpoint;
use super::periodic_task::PeriodicTask;
use super::response::Response;

/// The manager of one service (Nova: `nova/manager.py` Manager). See the module doc for
/// the hooks' failure semantics.
pub trait ServiceManager: Sized + Unpin + 'static {
    /// RPC endpoints in dispatch order; empty for a service that consumes no topic.
    fn endpoints() -> Vec<Endpoint<Self>>;

    /// Periodic tasks; their timers belong to the supervisor.
    fn periodic_tasks() -> Vec<PeriodicTask<Self>> {
        Vec::new()
    }

    /// Nova `init_host`: first start phase.
    fn init_host(&mut self) -> Response {
        Response::done()
    }

    /// Nova `pre_start_hook`: before the RPC consumers start.
    fn pre_start_hook(&mut self) -> Response {
        Response::done()
    }

    /// Nova `post_start_hook`: after the RPC consumers started.
    fn post_start_hook(&mut self) -> Response {
        Response::done()
    }

    /// Nova `cleanup_host`: last stop phase, after in-flight handlers finished.
    fn cleanup_host(&mut self) -> Response {
        Response::done()
    }

    /// Nova `reset`: SIGHUP, after mutable options were re-read.
    fn reset(&mut self) -> Response {
        Response::done()
    }
}
