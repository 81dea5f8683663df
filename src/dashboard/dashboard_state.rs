//! What the handlers share ([`DashboardState`]) and what the process hands the dashboard
//! besides its node ([`DashboardParts`]).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::api_error::ApiError;
use super::readiness_check::ReadinessCheck;
use crate::config::SecretString;
use crate::node::Node;
use crate::servicegroup::ServiceGroup;

/// What the process offers the dashboard besides its node.
pub struct DashboardParts {
    /// Service records with up/down; `None` in a process without database access
    /// (a compute-only process: its records are read where the conductor runs).
    pub services: Option<Arc<dyn ServiceGroup>>,
    /// Readiness dependencies beyond actors and broker (the database).
    pub checks: Vec<Arc<dyn ReadinessCheck>>,
    /// What the process is, e.g. `novactor conductor,scheduler`.
    pub description: String,
    /// How long after its last heartbeat a service record counts as down.
    pub service_down_time: Duration,
}

impl std::fmt::Debug for DashboardParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardParts")
            .field("services", &self.services.is_some())
            .field(
                "checks",
                &self.checks.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .field("description", &self.description)
            .finish()
    }
}

/// Shared by the handlers.
pub(crate) struct DashboardState {
    pub(super) node: Node,
    pub(super) services: Option<Arc<dyn ServiceGroup>>,
    pub(super) checks: Vec<Arc<dyn ReadinessCheck>>,
    pub(super) admin_token: Option<SecretString>,
    pub(super) refresh: Duration,
    pub(super) service_down_time: Duration,
    pub(super) host: String,
    pub(super) description: String,
    pub(super) main: actix_rt::ArbiterHandle,
    /// Event streams open now, and at most (`[dashboard] max_event_streams`).
    pub(super) event_streams: Arc<AtomicUsize>,
    pub(super) max_event_streams: usize,
}

/// One open event stream, counted until it is dropped (the client went away, or the
/// dashboard stopped).
pub(super) struct EventStreamSeat(Arc<AtomicUsize>);

impl Drop for EventStreamSeat {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl DashboardState {
    /// A seat for one more event stream; `None` when `max_event_streams` are open.
    pub(super) fn event_stream_seat(&self) -> Option<EventStreamSeat> {
        let max = self.max_event_streams;
        self.event_streams
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < max).then_some(open + 1)
            })
            .ok()
            .map(|_| EventStreamSeat(Arc::clone(&self.event_streams)))
    }

    /// Run `work` on the process's main arbiter (where its pools and clients live).
    pub(super) async fn on_main<T, F, Fut>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.main.spawn_fn(move || {
            actix_rt::spawn(async move {
                let _ = tx.send(work().await);
            });
        });
        let gone = || ApiError::Unavailable("the process is shutting down".to_owned());
        if !sent {
            return Err(gone());
        }
        rx.await.map_err(|_| gone())
    }
}
