//! What an RPC client reports about each request it sends, to whoever counts them: the
//! process's metrics implement [`ClientObserver`]. The client knows nothing of Prometheus
//! (as oslo's `RPCClient` knows nothing of its users' monitoring), so the dependency points
//! from the metrics to the RPC layer, not back.

use std::time::Duration;

/// What a request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A call: waits for the reply.
    Call,
    /// A cast to one server of the topic.
    Cast,
    /// A cast to every server of the topic.
    Fanout,
}

impl RequestKind {
    /// The name used as a label: `call`, `cast`, `fanout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Cast => "cast",
            Self::Fanout => "fanout",
        }
    }
}

/// What an RPC client send became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOutcome {
    /// Answered (calls) or handed to the broker (casts).
    Ok,
    /// The reply (or the broker) did not come within the timeout.
    Timeout,
    /// A remote failure of a class the caller declared expected
    /// ([`RpcClient::with_expected_failures`]): not an error.
    ///
    /// [`RpcClient::with_expected_failures`]: super::RpcClient::with_expected_failures
    ExpectedFailure,
    /// A remote failure not declared expected, or a transport error.
    Failed,
}

/// Told of every request a client sends, once it ended.
pub trait ClientObserver: Send + Sync + 'static {
    /// A request to `topic` ended with `outcome`; `elapsed` is the round trip of a call
    /// (`None` for casts).
    fn observe(
        &self,
        topic: &str,
        kind: RequestKind,
        elapsed: Option<Duration>,
        outcome: ClientOutcome,
    );
}
