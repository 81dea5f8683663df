//! A transport's health as the rest of the process sees it (readiness, report, metrics):
//! [`LinkState`], a small `Copy` enum, inside [`TransportStatus`].

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    /// First connection attempts.
    Connecting,
    /// Connected; consumers running.
    Connected,
    /// Lost; trying the URL's hosts with backoff.
    Reconnecting,
    /// Closed for good (transport dropped).
    Closed,
}

/// A transport's health, for readiness and reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransportStatus {
    /// `memory`, `rabbit`.
    pub scheme: &'static str,
    /// Current state.
    pub state: LinkState,
    /// Broker in use (`host:port`), when connected.
    pub broker: Option<String>,
    /// Successful reconnections since start.
    pub reconnects: u64,
    /// Connection losses since start.
    pub losses: u64,
    /// Losses caused by missed AMQP heartbeats (the broker or the link went silent).
    pub heartbeats_missed: u64,
    /// The last connection error.
    pub last_error: Option<String>,
    /// When the state last changed.
    pub since: DateTime<Utc>,
}

impl TransportStatus {
    /// A transport that is always connected (in-process).
    pub fn always_connected(scheme: &'static str) -> Self {
        Self {
            scheme,
            state: LinkState::Connected,
            broker: None,
            reconnects: 0,
            losses: 0,
            heartbeats_missed: 0,
            last_error: None,
            since: Utc::now(),
        }
    }

    /// True when messages can flow.
    pub fn connected(&self) -> bool {
        self.state == LinkState::Connected
    }
}
