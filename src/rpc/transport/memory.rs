//! `memory://`: oslo's routing in-process, modelled on RabbitMQ rather than made kinder
//! (oslo: `_drivers/impl_fake.py`, which also encodes every message).
//!
//! One broker per transport value: a topic exchange per control exchange, a fanout
//! exchange per topic, named queues with round-robin consumers, unsettled deliveries
//! requeued when their consumer goes away, per-message expiration. Bodies are the real
//! encoded envelopes. Not modelled: queue `x-expires` (queues live as long as the process)
//! and durability.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::{
    delivery_channel, Cancel, Delivery, DeliverySender, OutgoingMessage, QueueSpec, Route, Settle,
    Subscription, Transport, TransportError,
};
use crate::rpc::envelope::new_id;
use crate::rpc::target::fanout_exchange;
use async_trait::async_trait;
use futures::future::{self, BoxFuture};
use futures::FutureExt;

/// The in-process transport. Clones share one broker.
#[derive(Clone, Default)]
pub struct MemoryTransport {
    broker: Arc<Broker>,
}

impl std::fmt::Debug for MemoryTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTransport").finish_non_exhaustive()
    }
}

impl MemoryTransport {
    /// A transport with its own empty broker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages waiting in `queue` (not yet handed to a consumer); `None` if no such queue.
    pub fn queue_depth(&self, queue: &str) -> Option<usize> {
        self.broker
            .lock()
            .queues
            .get(queue)
            .map(|q| q.messages.len())
    }

    /// Names of the declared queues, sorted.
    pub fn queue_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.broker.lock().queues.keys().cloned().collect();
        names.sort();
        names
    }
}

#[derive(Default)]
struct Broker {
    state: Mutex<BrokerState>,
}

impl Broker {
    fn lock(&self) -> MutexGuard<'_, BrokerState> {
        // No code holding this lock can panic half-way through an update that matters:
        // every mutation is a push/pop on a collection.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct BrokerState {
    /// Topic exchanges: routing key → queue names bound with it.
    topic_bindings: HashMap<String, HashMap<String, Vec<String>>>,
    /// Fanout exchanges: exchange → bound queue names.
    fanout_bindings: HashMap<String, Vec<String>>,
    queues: HashMap<String, Queue>,
    next_consumer: u64,
}

#[derive(Default)]
struct Queue {
    messages: VecDeque<Stored>,
    consumers: Vec<Consumer>,
    next: usize,
}

struct Stored {
    body: Vec<u8>,
    expires_at: Option<Instant>,
    redelivered: bool,
}

struct Consumer {
    tag: u64,
    sender: DeliverySender,
}

impl BrokerState {
    fn bind_topic(&mut self, exchange: &str, key: &str, queue: &str) {
        let bound = self
            .topic_bindings
            .entry(exchange.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_default();
        if !bound.iter().any(|q| q == queue) {
            bound.push(queue.to_owned());
        }
        self.queues.entry(queue.to_owned()).or_default();
    }

    /// Put `message` into `queue` and hand out what can be handed out. Returns deliveries
    /// that bounced off a closed consumer: drop them after releasing the lock, and their
    /// settle puts them back (a settle must never run under the lock).
    #[must_use]
    fn enqueue(
        &mut self,
        broker: &Arc<Broker>,
        queue: &str,
        message: Stored,
        front: bool,
    ) -> Vec<Delivery> {
        let Some(q) = self.queues.get_mut(queue) else {
            return Vec::new();
        };
        if front {
            q.messages.push_front(message);
        } else {
            q.messages.push_back(message);
        }
        Self::pump(broker, queue, q)
    }

    /// Deliver waiting messages round-robin to live consumers; drop expired ones.
    /// Returns bounced deliveries, as [`Self::enqueue`].
    #[must_use]
    fn pump(broker: &Arc<Broker>, name: &str, queue: &mut Queue) -> Vec<Delivery> {
        let mut bounced = Vec::new();
        while !queue.consumers.is_empty() {
            let Some(message) = queue.messages.pop_front() else {
                break;
            };
            if message.expires_at.is_some_and(|at| at <= Instant::now()) {
                continue;
            }
            let index = queue.next % queue.consumers.len();
            queue.next = queue.next.wrapping_add(1);
            let settle = MemorySettle {
                broker: Arc::clone(broker),
                queue: name.to_owned(),
                body: Some(message.body.clone()),
            };
            let delivery = Delivery::new(message.body, message.redelivered, Box::new(settle));
            if let Err(refused) = queue.consumers[index].sender.unbounded_send(delivery) {
                // The consumer is gone: forget it; the bounced delivery requeues itself.
                queue.consumers.remove(index);
                bounced.push(refused.into_inner());
            }
        }
        bounced
    }
}

/// Settles a memory delivery; requeues it at the front when dropped unsettled.
struct MemorySettle {
    broker: Arc<Broker>,
    queue: String,
    body: Option<Vec<u8>>,
}

impl MemorySettle {
    fn requeue(&mut self) {
        if let Some(body) = self.body.take() {
            let broker = Arc::clone(&self.broker);
            let stored = Stored {
                body,
                expires_at: None,
                redelivered: true,
            };
            let bounced = broker.lock().enqueue(&broker, &self.queue, stored, true);
            drop(bounced);
        }
    }
}

impl Settle for MemorySettle {
    fn ack(mut self: Box<Self>) -> BoxFuture<'static, Result<(), TransportError>> {
        self.body = None;
        future::ready(Ok(())).boxed()
    }

    fn reject(
        mut self: Box<Self>,
        requeue: bool,
    ) -> BoxFuture<'static, Result<(), TransportError>> {
        if requeue {
            self.requeue();
        } else {
            self.body = None;
        }
        future::ready(Ok(())).boxed()
    }
}

impl Drop for MemorySettle {
    fn drop(&mut self) {
        self.requeue();
    }
}

/// Removes a consumer when its subscription is dropped; deletes fanout queues.
struct ConsumerGuard {
    broker: Arc<Broker>,
    queue: String,
    tag: u64,
    delete_queue: bool,
}

impl Cancel for ConsumerGuard {
    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()> {
        drop(self);
        future::ready(()).boxed()
    }
}

impl Drop for ConsumerGuard {
    fn drop(&mut self) {
        let mut state = self.broker.lock();
        if self.delete_queue {
            state.queues.remove(&self.queue);
            for bound in state.fanout_bindings.values_mut() {
                bound.retain(|q| q != &self.queue);
            }
            // RabbitMQ auto-deletes a fanout exchange with no bindings left.
            state.fanout_bindings.retain(|_, bound| !bound.is_empty());
        } else if let Some(queue) = state.queues.get_mut(&self.queue) {
            queue.consumers.retain(|c| c.tag != self.tag);
        }
    }
}

#[async_trait]
impl Transport for MemoryTransport {
    fn scheme(&self) -> &'static str {
        "memory"
    }

    async fn publish(&self, message: OutgoingMessage) -> Result<(), TransportError> {
        let broker = &self.broker;
        let mut bounced = Vec::new();
        let mut state = broker.lock();
        let expires_at = message.expiration.map(|ttl| Instant::now() + ttl);
        let targets: Vec<String> = match &message.route {
            Route::Topic {
                exchange,
                routing_key,
            } => state
                .topic_bindings
                .get(exchange)
                .and_then(|keys| keys.get(routing_key))
                .cloned()
                .unwrap_or_default(),
            Route::Fanout { topic } => state
                .fanout_bindings
                .get(&fanout_exchange(topic))
                .cloned()
                .unwrap_or_default(),
            Route::Reply { queue } => {
                if !state.queues.contains_key(queue) {
                    return Err(TransportError::Unroutable {
                        queue: queue.clone(),
                    });
                }
                vec![queue.clone()]
            }
        };
        for queue in targets {
            let stored = Stored {
                body: message.body.clone(),
                expires_at,
                redelivered: false,
            };
            bounced.extend(state.enqueue(broker, &queue, stored, false));
        }
        drop(state);
        drop(bounced);
        Ok(())
    }

    async fn subscribe(&self, spec: QueueSpec) -> Result<Subscription, TransportError> {
        let broker = &self.broker;
        let mut state = broker.lock();
        let (queue, delete_queue) = match &spec {
            QueueSpec::Topic { exchange, topic } => {
                state.bind_topic(exchange, topic, topic);
                (topic.clone(), false)
            }
            QueueSpec::Server {
                exchange,
                topic,
                server,
            } => {
                let name = format!("{topic}.{server}");
                state.bind_topic(exchange, &name, &name);
                (name, false)
            }
            QueueSpec::Fanout { topic } => {
                let name = format!("{}_{}", fanout_exchange(topic), new_id());
                state
                    .fanout_bindings
                    .entry(fanout_exchange(topic))
                    .or_default()
                    .push(name.clone());
                state.queues.entry(name.clone()).or_default();
                (name, true)
            }
            QueueSpec::Reply => {
                let name = format!("reply_{}", new_id());
                state.queues.entry(name.clone()).or_default();
                (name, false)
            }
        };
        state.next_consumer += 1;
        let tag = state.next_consumer;
        let (sender, receiver) = delivery_channel();
        let mut bounced = Vec::new();
        if let Some(q) = state.queues.get_mut(&queue) {
            q.consumers.push(Consumer { tag, sender });
            bounced = BrokerState::pump(broker, &queue, q);
        }
        drop(state);
        drop(bounced);
        let guard = ConsumerGuard {
            broker: Arc::clone(broker),
            queue: queue.clone(),
            tag,
            delete_queue,
        };
        Ok(Subscription::new(queue, receiver, Box::new(guard)))
    }
}
