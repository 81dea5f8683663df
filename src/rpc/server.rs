//! An RPC server: consumers on `<topic>`, `<topic>.<server>` and a fanout queue feeding one
//! handler (oslo: `rpc/server.py`, `amqpdriver.py` AMQPListener).
//!
//! Per message, in order: receive, wait for a concurrency permit (an idle queue holds
//! none; a delivery still waiting when the server stops goes back unacked), decode (an unreadable body is rejected without requeue), **ack before
//! dispatch** (oslo's at-most-once; Nova's handlers assume it) — or, for a method or actor
//! that chose at-least-once, ack after the handler finished and requeue if it crashed — drop a repeated
//! `_unique_id` (16-entry window per server, as oslo's per listener), resolve the method, run it, and for a
//! call publish the reply — with call-monitor heartbeats while it runs if the caller sent
//! `_timeout`. Stopping cancels the consumers first; unsettled deliveries go back to the
//! queue; handlers already running finish within the drain deadline.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::dispatcher::{Dispatcher, MethodId};
use super::envelope::{decode_envelope, encode_reply, Reply, ReplyTo, Request};
use super::failure::RemoteFailure;
use super::server_queues::ServerQueues;
use super::transport::{Delivery, OutgoingMessage, QueueSpec, Route, Transport, TransportError};

/// oslo keeps the last 16 `_unique_id`s per listener (one server's queues).
const DUPLICATE_WINDOW: usize = 16;
/// At-least-once messages remembered as handled, per server.
const COMPLETED_WINDOW: usize = 256;
/// oslo retries a reply whose queue is missing every 0.25 s, for up to
/// `kombu_missing_consumer_retry_timeout` (the transport's
/// [`Transport::missing_reply_queue_patience`]).
const REPLY_RETRY_INTERVAL: Duration = Duration::from_millis(250);
/// The longest call-monitor heartbeat period. A caller's `_timeout` is its own to choose,
/// but it comes from outside: a period of more than a day sends no heartbeat in practice,
/// and one beyond what a `Duration` or the clock holds would panic the handling path.
const MAX_HEARTBEAT_PERIOD: Duration = Duration::from_secs(24 * 3600);

/// How a handler did not produce a result.
#[derive(Debug, Clone, PartialEq)]
pub enum HandlerError {
    /// The method ran and failed as it declared it may (oslo `ExpectedException`, Nova's
    /// `@messaging.expected_exceptions`): the failure is the answer, logged at debug and
    /// counted apart from errors.
    Expected(RemoteFailure),
    /// The method ran and failed unexpectedly: the failure is the answer, and an error.
    Failed(RemoteFailure),
    /// The actor crashed (panicked, or died before finishing): the work did not happen.
    Crashed(RemoteFailure),
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Expected(failure) => write!(f, "expected: {failure}"),
            Self::Failed(failure) => write!(f, "{failure}"),
            Self::Crashed(failure) => write!(f, "crashed: {failure}"),
        }
    }
}

impl HandlerError {
    /// The answer of a method that returned `failure`: expected when marked so.
    pub fn answered(failure: RemoteFailure) -> Self {
        if failure.is_expected() {
            Self::Expected(failure)
        } else {
            Self::Failed(failure)
        }
    }

    /// The failure to report to a caller.
    pub fn failure(&self) -> &RemoteFailure {
        match self {
            Self::Expected(failure) | Self::Failed(failure) | Self::Crashed(failure) => failure,
        }
    }

    /// The failure to report to a caller, by value.
    pub fn into_failure(self) -> RemoteFailure {
        match self {
            Self::Expected(failure) | Self::Failed(failure) | Self::Crashed(failure) => failure,
        }
    }
}

/// Runs resolved methods. Implemented by the service actor adapter.
pub trait RequestHandler: Send + Sync + 'static {
    /// Run `method` for `request`. The future must resolve even if whatever runs it dies
    /// (with [`HandlerError::Crashed`]), so that a caller never waits for a timeout on a crash.
    fn handle(
        &self,
        method: MethodId,
        request: Request,
    ) -> BoxFuture<'static, Result<Value, HandlerError>>;
}

/// Where a server listens.
#[derive(Debug, Clone)]
pub struct ServerTarget {
    /// Exchange for the topic and server queues.
    pub exchange: String,
    /// Topic.
    pub topic: String,
    /// Further topics fed to the same handler, each with its topic, server and fanout queue.
    pub alternate_topics: Vec<String>,
    /// This host's name.
    pub server: String,
    /// Name of the actor behind the server, carried by log spans.
    pub actor: String,
}

/// Counters one server keeps; read by the supervisor's report.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Handlers running now.
    pub in_flight: AtomicUsize,
    /// Requests that reached a handler (or a dispatcher failure).
    pub handled: AtomicU64,
    /// Requests whose outcome was an unexpected failure (a dispatcher refusal included).
    pub failed: AtomicU64,
    /// Requests answered with a failure the method declared expected.
    pub expected: AtomicU64,
    /// Messages rejected as unreadable.
    pub rejected: AtomicU64,
    /// Duplicates dropped.
    pub duplicates: AtomicU64,
}

/// A running server; see the module doc.
pub struct RpcServer {
    cancel: CancellationToken,
    tracker: TaskTracker,
    queues: Vec<String>,
    stats: Arc<ServerStats>,
}

impl std::fmt::Debug for RpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcServer")
            .field("queues", &self.queues)
            .finish()
    }
}

struct Shared {
    /// `_unique_id`s of at-least-once messages already handled (duplicate suppression
    /// that never hides a redelivery after a crash).
    completed: std::sync::Mutex<VecDeque<String>>,
    transport: Arc<dyn Transport>,
    dispatcher: Dispatcher,
    handler: Arc<dyn RequestHandler>,
    limiter: Arc<Semaphore>,
    stats: Arc<ServerStats>,
    actor: String,
}

impl Shared {
    fn completed_recently(&self, unique_id: &str) -> bool {
        self.completed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|id| id == unique_id)
    }

    fn remember_completed(&self, unique_id: String) {
        let mut completed = self
            .completed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if completed.len() == COMPLETED_WINDOW {
            completed.pop_front();
        }
        completed.push_back(unique_id);
    }
}

impl RpcServer {
    /// Declare the three queues of each topic and start consuming them. Handlers run concurrently up to
    /// the permits of `limiter` (`executor_thread_pool_size`).
    pub async fn start(
        transport: Arc<dyn Transport>,
        target: ServerTarget,
        dispatcher: Dispatcher,
        handler: Arc<dyn RequestHandler>,
        limiter: Arc<Semaphore>,
    ) -> Result<Self, TransportError> {
        let topics = std::iter::once(&target.topic).chain(&target.alternate_topics);
        let specs: Vec<QueueSpec> = topics
            .flat_map(|topic| {
                [
                    QueueSpec::Topic {
                        exchange: target.exchange.clone(),
                        topic: topic.clone(),
                    },
                    QueueSpec::Server {
                        exchange: target.exchange.clone(),
                        topic: topic.clone(),
                        server: target.server.clone(),
                    },
                    QueueSpec::Fanout {
                        topic: topic.clone(),
                    },
                ]
            })
            .collect();
        let mut subscriptions = Vec::with_capacity(specs.len());
        for spec in specs {
            subscriptions.push(transport.subscribe(spec).await?);
        }
        let stats = Arc::new(ServerStats::default());
        let shared = Arc::new(Shared {
            // Grown on use: most servers never see an at-least-once message.
            completed: std::sync::Mutex::new(VecDeque::new()),
            transport,
            dispatcher,
            handler,
            limiter,
            stats: Arc::clone(&stats),
            actor: target.actor,
        });
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let queues = subscriptions.iter().map(|s| s.queue.clone()).collect();
        tracker.spawn(consume(
            ServerQueues::new(subscriptions),
            Arc::clone(&shared),
            cancel.clone(),
            tracker.clone(),
        ));
        Ok(Self {
            cancel,
            tracker,
            queues,
            stats,
        })
    }

    /// Names of the consumed queues: topic, server, fanout (then the same per alternate
    /// topic).
    pub fn queues(&self) -> &[String] {
        &self.queues
    }

    /// The server's counters.
    pub fn stats(&self) -> &Arc<ServerStats> {
        &self.stats
    }

    /// Stop taking messages. Messages not yet taken stay in their queues.
    pub fn stop_consuming(&self) {
        self.cancel.cancel();
    }

    /// Stop consuming and wait until running handlers finished, at most until `deadline`
    /// (`None`: no limit). True when everything finished.
    pub async fn drain(&self, deadline: Option<Instant>) -> bool {
        self.stop_consuming();
        self.tracker.close();
        match deadline {
            None => {
                self.tracker.wait().await;
                true
            }
            Some(deadline) => tokio::time::timeout_at(deadline, self.tracker.wait())
                .await
                .is_ok(),
        }
    }
}

async fn consume(
    mut queues: ServerQueues,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    take_messages(&mut queues, &shared, &cancel, &tracker).await;
    // Part of the drain: the broker learns of the stop before the process goes.
    queues.close().await;
}

async fn take_messages(
    queues: &mut ServerQueues,
    shared: &Arc<Shared>,
    cancel: &CancellationToken,
    tracker: &TaskTracker,
) {
    // Grown on use, up to DUPLICATE_WINDOW: most servers' queues stay idle.
    let mut seen: VecDeque<String> = VecDeque::new();
    loop {
        let (queue, delivery) = tokio::select! {
            _ = cancel.cancelled() => break,
            next = queues.next() => match next {
                Some(next) => next,
                None => break,
            },
        };
        // Wait for capacity before acking. If the server stops meanwhile, the delivery
        // is dropped unsettled and the broker puts it back: nothing accepted is lost.
        let permit = tokio::select! {
            _ = cancel.cancelled() => break,
            permit = Arc::clone(&shared.limiter).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let request = match decode_envelope(&delivery.body).and_then(Request::from_payload) {
            Ok(request) => request,
            Err(error) => {
                shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(target: "novactor::rpc::rejection", %queue, %error,
                    "rejecting an unreadable message without requeue");
                if let Err(error) = delivery.reject(false).await {
                    tracing::warn!(%error, "reject failed");
                }
                continue;
            }
        };
        let resolved = shared.dispatcher.resolve(&request);
        let ack_after = matches!(&resolved, Ok(id) if shared.dispatcher.acks_after_handling(*id));
        let held = if ack_after {
            // NOTE: at-least-once, chosen by this method or actor: the message stays
            // unacked until the handler finished, so a crash puts it back in the queue.
            // oslo (and Nova) ack before dispatch; see the next branch.
            if shared.completed_recently(&request.unique_id) {
                shared.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                tracing::info!(unique_id = %request.unique_id, "ignoring duplicate message (already handled)");
                let _ = delivery.ack().await;
                continue;
            }
            Some(delivery)
        } else {
            // NOTE: ack before dispatch, like oslo's rpc/server.py: at-most-once delivery.
            // The ack is handed to the transport first but not waited for (that wait was a
            // third of a call's server-side latency). oslo discards a message whose ack
            // fails; here it is already running, and a redelivery of it is dropped by the
            // duplicate window below.
            let method = request.method.clone();
            tokio::spawn(async move {
                if let Err(error) = delivery.ack().await {
                    tracing::warn!(%error, %method, "ack failed; the broker may deliver this message again");
                }
            });
            if seen.contains(&request.unique_id) {
                shared.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                tracing::info!(unique_id = %request.unique_id, "ignoring duplicate message");
                continue;
            }
            if seen.len() == DUPLICATE_WINDOW {
                seen.pop_front();
            }
            seen.push_back(request.unique_id.clone());
            None
        };
        let span = tracing::info_span!("rpc",
            actor = %shared.actor,
            method = %request.method,
            request_id = request.context.request_id().unwrap_or("-"),
            msg_id = request.reply.as_ref().map_or("-", |r| r.msg_id.as_str()),
        );
        let for_handler = Arc::clone(shared);
        tracker.spawn(
            async move {
                let _permit = permit;
                handle_one(&for_handler, request, resolved, held).await;
            }
            .instrument(span),
        );
    }
}

async fn handle_one(
    shared: &Shared,
    request: Request,
    resolved: Result<MethodId, super::dispatcher::DispatchError>,
    held: Option<Delivery>,
) {
    shared.stats.in_flight.fetch_add(1, Ordering::Relaxed);
    let reply_to = request.reply.clone();
    let method = request.method.clone();
    let unique_id = request.unique_id.clone();
    let refused = resolved.is_err();
    let work = async {
        match resolved {
            Ok(id) => shared.handler.handle(id, request).await,
            Err(error) => {
                tracing::debug!(target: "novactor::rpc::rejection", %error, "dispatch refused");
                Err(HandlerError::Failed(error.to_failure()))
            }
        }
    };
    let outcome = match &reply_to {
        Some(reply_to) => with_call_monitor(shared, reply_to, work).await,
        None => work.await,
    };
    shared.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
    shared.stats.handled.fetch_add(1, Ordering::Relaxed);
    if let Some(delivery) = held {
        if let Err(HandlerError::Crashed(failure)) = &outcome {
            // The work did not happen: back to the queue for the next incarnation, and no
            // reply — the redelivered attempt answers the caller.
            tracing::warn!(%failure, "{method} crashed; its message goes back to the queue (at-least-once)");
            if let Err(error) = delivery.reject(true).await {
                tracing::warn!(%error, "requeue failed; the broker redelivers it when the channel closes");
            }
            return;
        }
        match delivery.ack().await {
            Ok(_) => shared.remember_completed(unique_id),
            Err(error) => {
                tracing::warn!(%error, "ack after handling failed; the message may be delivered again")
            }
        }
    }
    // oslo `rpc/server.py`: an expected failure is logged at debug, anything else as an
    // error — except what the dispatcher refused (logged above as a caller's mistake) and
    // a crash (the supervisor logs the panic). A cast has no caller to tell, so a refused or
    // crashed one gets a warning: that line is all there is.
    let kind = if reply_to.is_some() { "call" } else { "cast" };
    match &outcome {
        Ok(_) => {}
        Err(HandlerError::Expected(failure)) => {
            shared.stats.expected.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%failure, "{kind} {method} failed as its endpoint expects");
        }
        Err(HandlerError::Failed(failure)) if !refused => {
            shared.stats.failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!(%failure, "{kind} {method} failed unexpectedly");
        }
        Err(HandlerError::Failed(failure) | HandlerError::Crashed(failure)) => {
            shared.stats.failed.fetch_add(1, Ordering::Relaxed);
            if reply_to.is_none() {
                tracing::warn!(%failure, "cast {method} failed");
            } else {
                tracing::debug!(%failure, "call {method} failed; replying with the failure");
            }
        }
    }
    let outcome = outcome.map_err(HandlerError::into_failure);
    if let Some(reply_to) = reply_to {
        send_reply(
            shared,
            &reply_to.reply_queue,
            Reply::finish(&reply_to.msg_id, outcome),
        )
        .await;
    }
}

/// Run `work`, sending `ending: false` heartbeats every `int(_timeout) / 2` seconds
/// while it runs, only if the caller asked for them.
async fn with_call_monitor<T>(
    shared: &Shared,
    reply_to: &ReplyTo,
    work: impl std::future::Future<Output = T>,
) -> T {
    let interval = reply_to
        .call_monitor_timeout
        .map(|t| t.trunc() / 2.0)
        .filter(|secs| *secs >= 1.0);
    let Some(interval) = interval else {
        return work.await;
    };
    let period = Duration::try_from_secs_f64(interval).map_or(MAX_HEARTBEAT_PERIOD, |period| {
        period.min(MAX_HEARTBEAT_PERIOD)
    });
    tokio::pin!(work);
    let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
    loop {
        tokio::select! {
            outcome = &mut work => return outcome,
            _ = ticker.tick() => {
                send_reply(shared, &reply_to.reply_queue, Reply::heartbeat(&reply_to.msg_id)).await;
            }
        }
    }
}

async fn send_reply(shared: &Shared, queue: &str, reply: Reply) {
    let body = encode_reply(&reply);
    // A patience beyond the clock's range (from a configuration file) is no limit.
    let give_up = Instant::now().checked_add(shared.transport.missing_reply_queue_patience());
    loop {
        let message = OutgoingMessage {
            route: Route::Reply {
                queue: queue.to_owned(),
            },
            body: body.clone(),
            expiration: None,
        };
        match shared.transport.publish(message).await {
            Ok(()) => return,
            Err(TransportError::Unroutable { .. })
                if give_up.is_none_or(|give_up| Instant::now() < give_up) =>
            {
                tokio::time::sleep(REPLY_RETRY_INTERVAL).await;
            }
            Err(error) => {
                tracing::warn!(%error, reply_queue = queue, msg_id = %reply.msg_id, "reply could not be delivered; dropping it");
                return;
            }
        }
    }
}
