//! Calls, casts and fanout casts (oslo: `rpc/client.py` RPCClient, `amqpdriver.py` ReplyWaiter).
//!
//! One reply queue per transport value, declared lazily at the first call and shared by
//! every clone and `prepare`d copy; pending calls are keyed by `_msg_id`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures::channel::mpsc;
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::client_observer::{ClientObserver, ClientOutcome, RequestKind};
use super::context::RequestContext;
use super::envelope::{decode_envelope, encode_request, new_id, Reply, ReplyTo, Request};
use super::failure::RemoteFailure;
use super::failure_class::FailureClass;
use super::target::Target;
use super::transport::{OutgoingMessage, QueueSpec, Route, Transport, TransportError};

/// How a call or cast failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// oslo `MessagingTimeout`: no final reply within the timeout, or no call-monitor
    /// heartbeat within the call-monitor timeout.
    #[error("Timed out waiting for a reply to message ID {msg_id}: {method} to {target} got no {what} within {after:?} (reply queue {reply_queue})")]
    Timeout {
        /// `_msg_id` of the call.
        msg_id: String,
        /// The called method.
        method: String,
        /// Where the call went.
        target: String,
        /// This client's reply queue.
        reply_queue: String,
        /// `reply` or `call-monitor heartbeat`.
        what: &'static str,
        /// The timeout that ran out.
        after: Duration,
    },
    /// The server's method failed; oslo's serialized exception.
    #[error("remote error: {0}")]
    Remote(RemoteFailure),
    /// The request could not be sent, or the reply queue died.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// oslo `InvalidTarget`, e.g. a call with `fanout`.
    #[error("invalid target {target}: {reason}")]
    InvalidTarget {
        /// The target.
        target: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `args` was not a JSON object of keyword arguments.
    #[error("RPC arguments must be a JSON object of keyword arguments, got {0}")]
    BadArguments(String),
}

impl CallError {
    /// True for [`CallError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The remote failure's class name, for a [`CallError::Remote`].
    pub fn remote_class(&self) -> Option<&str> {
        match self {
            Self::Remote(failure) => Some(&failure.class),
            _ => None,
        }
    }
}

/// A client bound to a target (oslo `RPCClient`). `with_*` methods return a modified copy,
/// as oslo's `prepare()` does.
#[derive(Clone)]
pub struct RpcClient {
    shared: Arc<ClientShared>,
    target: Target,
    timeout: Duration,
    call_monitor_timeout: Option<Duration>,
    /// Remote failures the caller handles: counted as expected, not as errors.
    expected_failures: &'static [FailureClass],
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What every copy of a client shares: the transport and the lazy reply waiter.
pub struct ClientShared {
    transport: Arc<dyn Transport>,
    control_exchange: String,
    replies: OnceCell<Arc<ReplyWaiter>>,
    observer: Option<Arc<dyn ClientObserver>>,
    /// The runtime the reply consumer runs on: the one that made this state (a node's main
    /// thread), not whichever thread calls first — an actor's runtime thread or an HTTP
    /// worker may be busy, or end before the process does.
    home: Option<tokio::runtime::Handle>,
}

impl std::fmt::Debug for ClientShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientShared")
            .field("transport", &self.transport.scheme())
            .field("control_exchange", &self.control_exchange)
            .field("reply_queue", &self.reply_queue())
            .finish()
    }
}

impl ClientShared {
    /// Shared client state over `transport`; topic traffic goes to `control_exchange`
    /// unless a target names its own exchange.
    pub fn new(transport: Arc<dyn Transport>, control_exchange: impl Into<String>) -> Arc<Self> {
        Self::instrumented(transport, control_exchange, None)
    }

    /// [`ClientShared::new`] telling `observer` of every request, timeout and round trip.
    pub fn instrumented(
        transport: Arc<dyn Transport>,
        control_exchange: impl Into<String>,
        observer: Option<Arc<dyn ClientObserver>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            transport,
            control_exchange: control_exchange.into(),
            replies: OnceCell::new(),
            observer,
            home: tokio::runtime::Handle::try_current().ok(),
        })
    }

    /// A client for `target` with `timeout` (`rpc_response_timeout`).
    pub fn client(self: &Arc<Self>, target: Target, timeout: Duration) -> RpcClient {
        RpcClient {
            shared: Arc::clone(self),
            target,
            timeout,
            call_monitor_timeout: None,
            expected_failures: &[],
        }
    }

    /// The reply queue's name, once the first call declared it.
    pub fn reply_queue(&self) -> Option<String> {
        self.replies.get().map(|w| w.queue.clone())
    }

    async fn reply_waiter(&self) -> Result<Arc<ReplyWaiter>, TransportError> {
        self.replies
            .get_or_try_init(|| ReplyWaiter::start(Arc::clone(&self.transport), self.home.clone()))
            .await
            .cloned()
    }
}

impl RpcClient {
    /// The target this client sends to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Copy addressed to one server (`<topic>.<server>`).
    pub fn with_server(&self, server: impl Into<String>) -> Self {
        let mut copy = self.clone();
        copy.target.server = Some(server.into());
        copy
    }

    /// Copy sending to another topic of the same exchange (oslo.messaging's
    /// `prepare(topic=...)`).
    pub fn with_topic(&self, topic: impl Into<String>) -> Self {
        let mut copy = self.clone();
        copy.target.topic = topic.into();
        copy
    }

    /// Copy sending to every server of the topic (casts only).
    pub fn with_fanout(&self) -> Self {
        let mut copy = self.clone();
        copy.target.fanout = true;
        copy
    }

    /// Copy stamping `version` on requests.
    pub fn with_version(&self, version: impl Into<String>) -> Self {
        let mut copy = self.clone();
        copy.target.version = Some(version.into());
        copy
    }

    /// Copy stamping `namespace` on requests.
    pub fn with_namespace(&self, namespace: impl Into<String>) -> Self {
        let mut copy = self.clone();
        copy.target.namespace = Some(namespace.into());
        copy
    }

    /// Copy with another overall call timeout.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        let mut copy = self.clone();
        copy.timeout = timeout;
        copy
    }

    /// Copy asking the server for heartbeats every `timeout / 2`; the call fails when
    /// none arrives within `timeout` (oslo `call_monitor_timeout`).
    pub fn with_call_monitor_timeout(&self, timeout: Duration) -> Self {
        let mut copy = self.clone();
        copy.call_monitor_timeout = Some(timeout);
        copy
    }

    /// Copy counting remote failures of `classes` as expected rather than as errors: the
    /// caller handles them (Nova's code catches them, as `ServiceNotFound` on a service's
    /// first registration). They are still returned as [`CallError::Remote`].
    pub fn with_expected_failures(&self, classes: &'static [FailureClass]) -> Self {
        let mut copy = self.clone();
        copy.expected_failures = classes;
        copy
    }

    fn exchange(&self) -> String {
        self.target
            .exchange
            .clone()
            .unwrap_or_else(|| self.shared.control_exchange.clone())
    }

    fn request(
        &self,
        ctx: &RequestContext,
        method: &str,
        args: Value,
        reply: Option<ReplyTo>,
    ) -> Result<Request, CallError> {
        let args = match args {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => return Err(CallError::BadArguments(other.to_string())),
        };
        Ok(Request {
            method: method.to_owned(),
            args,
            namespace: self.target.namespace.clone(),
            version: self.target.version.clone().map(Value::String),
            reply,
            unique_id: new_id(),
            context: ctx.clone(),
        })
    }

    /// Send without waiting for a result. With `fanout`, every server of the topic gets it.
    pub async fn cast(
        &self,
        ctx: &RequestContext,
        method: &str,
        args: Value,
    ) -> Result<(), CallError> {
        let outcome = self.cast_uncounted(ctx, method, args).await;
        let kind = if self.target.fanout {
            RequestKind::Fanout
        } else {
            RequestKind::Cast
        };
        self.count(kind, None, &outcome);
        outcome
    }

    /// Send and wait for the result (oslo `call`).
    pub async fn call(
        &self,
        ctx: &RequestContext,
        method: &str,
        args: Value,
    ) -> Result<Value, CallError> {
        let started = Instant::now();
        let outcome = self.call_uncounted(ctx, method, args).await;
        self.count(RequestKind::Call, Some(started.elapsed()), &outcome);
        outcome
    }

    fn count<T>(
        &self,
        kind: RequestKind,
        elapsed: Option<Duration>,
        outcome: &Result<T, CallError>,
    ) {
        if let Some(observer) = &self.shared.observer {
            let outcome = match outcome {
                Ok(_) => ClientOutcome::Ok,
                Err(error) if error.is_timeout() => ClientOutcome::Timeout,
                Err(CallError::Remote(failure))
                    if FailureClass::any_matches(self.expected_failures, failure) =>
                {
                    ClientOutcome::ExpectedFailure
                }
                Err(_) => ClientOutcome::Failed,
            };
            observer.observe(&self.target.topic, kind, elapsed, outcome);
        }
    }

    async fn cast_uncounted(
        &self,
        ctx: &RequestContext,
        method: &str,
        args: Value,
    ) -> Result<(), CallError> {
        let request = self.request(ctx, method, args, None)?;
        let route = if self.target.fanout {
            Route::Fanout {
                topic: self.target.topic.clone(),
            }
        } else {
            Route::Topic {
                exchange: self.exchange(),
                routing_key: self.target.routing_key(),
            }
        };
        let publish = self.shared.transport.publish(OutgoingMessage {
            route,
            body: encode_request(&request),
            expiration: None,
        });
        // Bounded like a call: a cast made while the broker is away fails after the
        // client's timeout instead of holding its caller (an API request) indefinitely.
        match tokio::time::timeout(self.timeout, publish).await {
            Ok(sent) => sent?,
            Err(_) => {
                return Err(CallError::Timeout {
                    msg_id: request.unique_id.clone(),
                    method: method.to_owned(),
                    target: self.target.to_string(),
                    reply_queue: "-".to_owned(),
                    what: "broker connection to send the cast",
                    after: self.timeout,
                })
            }
        }
        Ok(())
    }

    async fn call_uncounted(
        &self,
        ctx: &RequestContext,
        method: &str,
        args: Value,
    ) -> Result<Value, CallError> {
        if self.target.fanout {
            return Err(CallError::InvalidTarget {
                target: self.target.to_string(),
                reason: "a call cannot be fanout",
            });
        }
        let waiter = self.shared.reply_waiter().await?;
        let msg_id = new_id();
        let mut pending = waiter.register(&msg_id);
        let reply_to = ReplyTo {
            msg_id: msg_id.clone(),
            reply_queue: waiter.queue.clone(),
            call_monitor_timeout: self.call_monitor_timeout.map(|d| d.as_secs_f64()),
        };
        let request = self.request(ctx, method, args, Some(reply_to))?;
        // The deadline covers sending too: a call made while the broker is away must not
        // outlive its timeout waiting for a connection.
        let deadline = Instant::now() + self.timeout;
        let publish = self.shared.transport.publish(OutgoingMessage {
            route: Route::Topic {
                exchange: self.exchange(),
                routing_key: self.target.routing_key(),
            },
            body: encode_request(&request),
            // oslo: an unconsumed request expires when the caller gives up.
            expiration: Some(self.timeout),
        });
        match tokio::time::timeout_at(deadline, publish).await {
            Ok(sent) => sent?,
            Err(_) => {
                return Err(CallError::Timeout {
                    msg_id,
                    method: method.to_owned(),
                    target: self.target.to_string(),
                    reply_queue: waiter.queue.clone(),
                    what: "broker connection to send the request",
                    after: self.timeout,
                })
            }
        }

        let mut monitor_deadline = self.call_monitor_timeout.map(|t| Instant::now() + t);
        let mut kept_result = Value::Null;
        loop {
            let wake = monitor_deadline.map_or(deadline, |m| m.min(deadline));
            let timeout = |what, after| CallError::Timeout {
                msg_id: msg_id.clone(),
                method: method.to_owned(),
                target: self.target.to_string(),
                reply_queue: waiter.queue.clone(),
                what,
                after,
            };
            let reply = match tokio::time::timeout_at(wake, pending.replies.next()).await {
                Ok(Some(reply)) => reply,
                Ok(None) => return Err(TransportError::Closed.into()),
                Err(_) if wake < deadline => {
                    let after = self.call_monitor_timeout.unwrap_or(self.timeout);
                    return Err(timeout("call-monitor heartbeat", after));
                }
                Err(_) => return Err(timeout("reply", self.timeout)),
            };
            if let Some(failure) = reply.failure {
                return Err(CallError::Remote(failure));
            }
            if reply.is_heartbeat() {
                monitor_deadline = self.call_monitor_timeout.map(|t| Instant::now() + t);
                continue;
            }
            // Legacy two-part replies: keep a result sent with ending=false.
            if !reply.result.is_null() {
                kept_result = reply.result;
            }
            if reply.ending {
                return Ok(kept_result);
            }
        }
    }
}

/// Each waiting call's channel. `futures`' unbounded channel allocates per reply; tokio's
/// reserves a block of 32 replies (10 KiB) per call, which a thousand compute hosts' calls
/// in flight at once (heartbeats to a slow conductor) turned into 10 MiB.
type PendingMap = Mutex<HashMap<String, mpsc::UnboundedSender<Reply>>>;

/// Consumes the reply queue and routes each reply to its waiting call.
pub struct ReplyWaiter {
    queue: String,
    pending: Arc<PendingMap>,
    _stop: DropGuard,
}

impl std::fmt::Debug for ReplyWaiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyWaiter")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

struct PendingCall {
    msg_id: String,
    pending: Weak<PendingMap>,
    replies: mpsc::UnboundedReceiver<Reply>,
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if let Some(pending) = self.pending.upgrade() {
            pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.msg_id);
        }
    }
}

impl ReplyWaiter {
    /// Subscribe the reply queue and route its replies, on `home` (else the caller's runtime).
    async fn start(
        transport: Arc<dyn Transport>,
        home: Option<tokio::runtime::Handle>,
    ) -> Result<Arc<Self>, TransportError> {
        let mut subscription = transport.subscribe(QueueSpec::Reply).await?;
        let queue = subscription.queue.clone();
        let pending: Arc<PendingMap> = Arc::default();
        let stop = CancellationToken::new();
        let routes = Arc::downgrade(&pending);
        let stopped = stop.clone();
        let routing = async move {
            loop {
                let delivery = tokio::select! {
                    _ = stopped.cancelled() => break,
                    delivery = subscription.next() => match delivery {
                        Some(delivery) => delivery,
                        None => break,
                    },
                };
                let decoded = decode_envelope(&delivery.body).and_then(Reply::from_payload);
                // oslo acks replies on receipt; the ack goes out while the reply is routed.
                tokio::spawn(async move {
                    if let Err(error) = delivery.ack().await {
                        tracing::warn!(%error, "could not ack a reply");
                    }
                });
                let reply = match decoded {
                    Ok(reply) => reply,
                    Err(error) => {
                        tracing::warn!(target: "novactor::rpc::rejection", %error, "dropping an unreadable reply");
                        continue;
                    }
                };
                let Some(routes) = routes.upgrade() else {
                    break;
                };
                let sender = routes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(&reply.msg_id)
                    .cloned();
                match sender {
                    Some(sender) => {
                        let _ = sender.unbounded_send(reply);
                    }
                    None => {
                        tracing::info!(msg_id = %reply.msg_id, "No calling threads waiting for msg_id")
                    }
                }
            }
        };
        match home {
            Some(home) => drop(home.spawn(routing)),
            None => drop(tokio::spawn(routing)),
        }
        Ok(Arc::new(Self {
            queue,
            pending,
            _stop: stop.drop_guard(),
        }))
    }

    fn register(&self, msg_id: &str) -> PendingCall {
        let (sender, replies) = mpsc::unbounded();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(msg_id.to_owned(), sender);
        PendingCall {
            msg_id: msg_id.to_owned(),
            pending: Arc::downgrade(&self.pending),
            replies,
        }
    }
}
