//! The RabbitMQ connection's [`TransportStatus`], shared and lock-protected, with the time
//! of each state change stamped.

use std::sync::{Mutex, PoisonError};

use chrono::Utc;

use crate::rpc::transport::{LinkState, TransportStatus};

/// Shared, lock-protected status with transition stamping.
#[derive(Debug)]
pub(crate) struct StatusCell(Mutex<TransportStatus>);

impl StatusCell {
    pub(crate) fn new(scheme: &'static str) -> Self {
        let mut status = TransportStatus::always_connected(scheme);
        status.state = LinkState::Connecting;
        Self(Mutex::new(status))
    }

    pub(crate) fn get(&self) -> TransportStatus {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut TransportStatus)) {
        let mut status = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let before = status.state;
        change(&mut status);
        if status.state != before {
            status.since = Utc::now();
        }
    }
}
