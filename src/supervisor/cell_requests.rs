//! The RPC → cell bridge: the RPC server's [`RequestHandler`] for one incarnation. Each
//! request becomes a message to the actor's cell, and its outcome is counted in the
//! instance's handler series.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;

use crate::metrics::{HandlerMetrics, HandlerOutcome};
use crate::rpc::envelope::Request;
use crate::rpc::{HandlerError, MethodId, RequestHandler};
use crate::service::{Call, CellCall, CellHandle};

/// Feeds RPC requests to a cell and counts them.
pub(super) struct CellRequests {
    cell: Arc<dyn CellHandle>,
    metrics: HandlerMetrics,
}

impl CellRequests {
    /// Requests for `cell`, counted in `metrics`.
    pub(super) fn new(cell: Arc<dyn CellHandle>, metrics: HandlerMetrics) -> Self {
        Self { cell, metrics }
    }
}

impl RequestHandler for CellRequests {
    fn handle(
        &self,
        method: MethodId,
        request: Request,
    ) -> BoxFuture<'static, Result<Value, HandlerError>> {
        let started = std::time::Instant::now();
        let handled = self.cell.call(CellCall::Rpc {
            method,
            call: Call {
                method: request.method,
                context: request.context,
                args: request.args,
            },
        });
        let metrics = self.metrics.clone();
        async move {
            let outcome = handled.await;
            let kind = match &outcome {
                Ok(_) => HandlerOutcome::Ok,
                Err(HandlerError::Expected(_)) => HandlerOutcome::Expected,
                Err(HandlerError::Failed(_)) => HandlerOutcome::Failed,
                Err(HandlerError::Crashed(_)) => HandlerOutcome::Crashed,
            };
            metrics.observe(started.elapsed(), kind);
            outcome
        }
        .boxed()
    }
}
