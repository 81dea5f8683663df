//! [`RuntimeEnv`]: what every actor of a process shares — configuration (swapped on
//! SIGHUP), transport, RPC client state, servicegroup, metrics, and the escalation and
//! drain tokens.

use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::metrics::RuntimeMetrics;
use crate::rpc::{ClientObserver, ClientShared, Transport};
use crate::servicegroup::ServiceGroup;

/// What every actor of the process shares.
pub struct RuntimeEnv {
    config: RwLock<Arc<Config>>,
    /// The transport all RPC goes over.
    pub transport: Arc<dyn Transport>,
    /// Client state shared by every RPC client of the process (one reply queue).
    pub rpc: Arc<ClientShared>,
    /// Service liveness driver.
    pub servicegroup: Arc<dyn ServiceGroup>,
    /// Cancelled when an isolated actor escalates: the process must end with exit code 1.
    pub escalation: CancellationToken,
    /// Cancelled when an operator asks the process to drain: it then shuts down as on
    /// SIGTERM.
    pub drain: CancellationToken,
    /// The process's Prometheus series.
    pub metrics: Arc<RuntimeMetrics>,
}

impl std::fmt::Debug for RuntimeEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeEnv")
            .field("transport", &self.transport.scheme())
            .finish_non_exhaustive()
    }
}

impl RuntimeEnv {
    /// An environment over `transport` and `servicegroup` for `config`.
    pub fn new(
        config: Arc<Config>,
        transport: Arc<dyn Transport>,
        servicegroup: Arc<dyn ServiceGroup>,
    ) -> Arc<Self> {
        let metrics = Arc::new(RuntimeMetrics::new());
        let rpc = ClientShared::instrumented(
            Arc::clone(&transport),
            config.default.control_exchange.clone(),
            Some(Arc::clone(&metrics) as Arc<dyn ClientObserver>),
        );
        Arc::new(Self {
            config: RwLock::new(config),
            transport,
            rpc,
            servicegroup,
            escalation: CancellationToken::new(),
            drain: CancellationToken::new(),
            metrics,
        })
    }

    /// The current effective configuration.
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(
            &self
                .config
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    pub(super) fn set_config(&self, config: Arc<Config>) {
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
    }
}
