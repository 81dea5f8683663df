//! Target: where an RPC message goes (oslo: `target.py`).
//!
//! Which fields matter to whom, as in oslo:
//! - a **server** listens on `topic` and `server` (and the `<topic>_fanout` exchange);
//! - an **endpoint** declares `namespace` and `version`;
//! - a **client** sends to `exchange` (default: `control_exchange`), `topic`, optionally
//!   `server` or `fanout`, and stamps `namespace` and `version` on the request.

use serde::Serialize;

/// oslo: `oslo_messaging.Target`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Exchange for topic traffic; `None` means the transport's `control_exchange`.
    pub exchange: Option<String>,
    /// The service's topic, e.g. the queue name every host of that service shares.
    pub topic: String,
    /// A host name: the message goes to queue `<topic>.<server>`.
    pub server: Option<String>,
    /// Deliver to every server of the topic (casts only).
    pub fanout: bool,
    /// Endpoint namespace; `None` is oslo's null namespace.
    pub namespace: Option<String>,
    /// Requested API version `X.Y`; `None` is sent as no version key (oslo reads that as 1.0).
    pub version: Option<String>,
}

impl Target {
    /// A target addressing any server of `topic`.
    pub fn topic(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            ..Self::default()
        }
    }

    /// The routing key for topic traffic: `<topic>` or `<topic>.<server>`.
    pub fn routing_key(&self) -> String {
        match &self.server {
            Some(server) => format!("{}.{}", self.topic, server),
            None => self.topic.clone(),
        }
    }

    /// The fanout exchange for this topic (`<topic>_fanout`).
    pub fn fanout_exchange(&self) -> String {
        fanout_exchange(&self.topic)
    }
}

/// oslo names the fanout exchange of a topic `<topic>_fanout`.
pub fn fanout_exchange(topic: &str) -> String {
    format!("{topic}_fanout")
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.fanout {
            write!(f, "{}", self.fanout_exchange())?;
        } else {
            write!(f, "{}", self.routing_key())?;
        }
        if let Some(namespace) = &self.namespace {
            write!(f, " namespace={namespace}")?;
        }
        if let Some(version) = &self.version {
            write!(f, " version={version}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_key_adds_server_after_a_dot() {
        let mut target = Target::topic("compute");
        assert_eq!(target.routing_key(), "compute");
        target.server = Some("node7".into());
        assert_eq!(target.routing_key(), "compute.node7");
        assert_eq!(target.fanout_exchange(), "compute_fanout");
    }
}
