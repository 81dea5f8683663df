//! The exact declarations oslo.messaging makes (docs/WIRE.md, "Exchanges, queues and bindings"). RabbitMQ closes the
//! channel on any difference from an existing entity, so these are pure functions, tested
//! against the spec's tables.

use std::time::Duration;

use lapin::types::{AMQPValue, FieldTable, ShortString};

use crate::rpc::transport::QueueSpec;

/// Settings that shape declarations (`[oslo_messaging_rabbit]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologySettings {
    /// `amqp_durable_queues`.
    pub durable_queues: bool,
    /// `rabbit_quorum_queue`.
    pub quorum_queue: bool,
    /// `rabbit_transient_quorum_queue`.
    pub transient_quorum_queue: bool,
    /// `rabbit_quorum_delivery_limit` (0: not set).
    pub quorum_delivery_limit: u32,
    /// `rabbit_quorum_max_memory_length` (0: not set).
    pub quorum_max_memory_length: u32,
    /// `rabbit_quorum_max_memory_bytes` (0: not set).
    pub quorum_max_memory_bytes: u32,
    /// `rabbit_ha_queues`.
    pub ha_queues: bool,
    /// `rabbit_transient_queues_ttl` (zero: no `x-expires`).
    pub transient_queues_ttl: Duration,
}

impl Default for TopologySettings {
    fn default() -> Self {
        Self {
            durable_queues: false,
            quorum_queue: false,
            transient_quorum_queue: false,
            quorum_delivery_limit: 0,
            quorum_max_memory_length: 0,
            quorum_max_memory_bytes: 0,
            ha_queues: false,
            transient_queues_ttl: Duration::from_secs(1800),
        }
    }
}

/// One exchange declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeDecl {
    /// Name.
    pub name: String,
    /// `topic` or `fanout`.
    pub fanout: bool,
    /// Durable flag.
    pub durable: bool,
    /// Auto-delete flag.
    pub auto_delete: bool,
}

/// One queue declaration plus its binding.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDecl {
    /// Queue name.
    pub name: String,
    /// Durable flag.
    pub durable: bool,
    /// Arguments (`x-expires`, `x-queue-type`, …).
    pub arguments: FieldTable,
    /// Exchange to declare and bind to, with the routing key; `None` for reply queues,
    /// which only have the default exchange's implicit binding.
    pub binding: Option<(ExchangeDecl, String)>,
    /// Delete the queue when its subscription ends cleanly (oslo deletes its fanout queue).
    pub delete_on_cancel: bool,
}

impl TopologySettings {
    /// The control (topic) exchange: durable when queues are durable or quorum.
    pub fn topic_exchange(&self, name: &str) -> ExchangeDecl {
        ExchangeDecl {
            name: name.to_owned(),
            fanout: false,
            durable: self.durable_queues || self.quorum_queue,
            auto_delete: false,
        }
    }

    /// `<topic>_fanout`: auto-delete, durable only with transient quorum queues.
    pub fn fanout_exchange(&self, topic: &str) -> ExchangeDecl {
        ExchangeDecl {
            name: crate::rpc::target::fanout_exchange(topic),
            fanout: true,
            durable: self.transient_quorum_queue,
            auto_delete: true,
        }
    }

    fn ttl_argument(&self, arguments: &mut FieldTable) {
        let millis = self.transient_queues_ttl.as_millis();
        if millis > 0 {
            // Signed 32-bit, as oslo sends it; config validation keeps it in range.
            let millis = i32::try_from(millis).unwrap_or(i32::MAX);
            arguments.insert(ShortString::from("x-expires"), AMQPValue::LongInt(millis));
        }
    }

    fn ha_argument(&self, arguments: &mut FieldTable) {
        if self.ha_queues {
            arguments.insert(
                ShortString::from("x-ha-policy"),
                AMQPValue::LongString("all".into()),
            );
        }
    }

    /// Arguments of topic and server queues.
    fn shared_queue_arguments(&self) -> FieldTable {
        let mut arguments = FieldTable::default();
        if self.quorum_queue {
            arguments.insert(
                ShortString::from("x-queue-type"),
                AMQPValue::LongString("quorum".into()),
            );
            let limits = [
                ("x-delivery-limit", self.quorum_delivery_limit),
                ("x-max-in-memory-length", self.quorum_max_memory_length),
                ("x-max-in-memory-bytes", self.quorum_max_memory_bytes),
            ];
            for (key, value) in limits {
                if value > 0 {
                    arguments.insert(
                        ShortString::from(key),
                        AMQPValue::LongInt(i32::try_from(value).unwrap_or(i32::MAX)),
                    );
                }
            }
        }
        self.ha_argument(&mut arguments);
        arguments
    }

    /// Arguments of fanout and reply queues.
    fn transient_queue_arguments(&self) -> FieldTable {
        let mut arguments = FieldTable::default();
        self.ttl_argument(&mut arguments);
        if self.transient_quorum_queue {
            arguments.insert(
                ShortString::from("x-queue-type"),
                AMQPValue::LongString("quorum".into()),
            );
        }
        self.ha_argument(&mut arguments);
        arguments
    }

    /// The declaration for `spec`; `unique` names fanout and reply queues (uuid hex).
    pub fn queue(&self, spec: &QueueSpec, unique: &str) -> QueueDecl {
        let shared_durable = self.durable_queues || self.quorum_queue;
        match spec {
            QueueSpec::Topic { exchange, topic } => QueueDecl {
                name: topic.clone(),
                durable: shared_durable,
                arguments: self.shared_queue_arguments(),
                binding: Some((self.topic_exchange(exchange), topic.clone())),
                delete_on_cancel: false,
            },
            QueueSpec::Server {
                exchange,
                topic,
                server,
            } => {
                let name = format!("{topic}.{server}");
                QueueDecl {
                    name: name.clone(),
                    durable: shared_durable,
                    arguments: self.shared_queue_arguments(),
                    binding: Some((self.topic_exchange(exchange), name)),
                    delete_on_cancel: false,
                }
            }
            QueueSpec::Fanout { topic } => QueueDecl {
                name: format!("{}_{unique}", crate::rpc::target::fanout_exchange(topic)),
                durable: self.transient_quorum_queue,
                arguments: self.transient_queue_arguments(),
                // The fanout exchange ignores the key; oslo binds with the topic.
                binding: Some((self.fanout_exchange(topic), topic.clone())),
                delete_on_cancel: true,
            },
            QueueSpec::Reply => QueueDecl {
                name: format!("reply_{unique}"),
                durable: self.transient_quorum_queue,
                arguments: self.transient_queue_arguments(),
                binding: None,
                delete_on_cancel: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg<'a>(decl: &'a QueueDecl, key: &str) -> Option<&'a AMQPValue> {
        decl.arguments.inner().get(key)
    }

    #[test]
    fn defaults_match_oslo_section_2() {
        let t = TopologySettings::default();
        let topic = t.queue(
            &QueueSpec::Topic {
                exchange: "nova".into(),
                topic: "compute".into(),
            },
            "x",
        );
        assert_eq!((topic.name.as_str(), topic.durable), ("compute", false));
        assert!(
            topic.arguments.inner().is_empty(),
            "topic queue has no x-expires"
        );
        let (exchange, key) = topic.binding.clone().unwrap();
        assert_eq!(
            exchange,
            ExchangeDecl {
                name: "nova".into(),
                fanout: false,
                durable: false,
                auto_delete: false
            }
        );
        assert_eq!(key, "compute");

        let server = t.queue(
            &QueueSpec::Server {
                exchange: "nova".into(),
                topic: "compute".into(),
                server: "node1".into(),
            },
            "x",
        );
        assert_eq!(server.name, "compute.node1");
        assert_eq!(server.binding.unwrap().1, "compute.node1");

        let fanout = t.queue(
            &QueueSpec::Fanout {
                topic: "compute".into(),
            },
            "abc",
        );
        assert_eq!(fanout.name, "compute_fanout_abc");
        assert_eq!(
            arg(&fanout, "x-expires"),
            Some(&AMQPValue::LongInt(1_800_000))
        );
        let (exchange, key) = fanout.binding.clone().unwrap();
        assert_eq!(
            exchange,
            ExchangeDecl {
                name: "compute_fanout".into(),
                fanout: true,
                durable: false,
                auto_delete: true
            }
        );
        assert_eq!(key, "compute");
        assert!(fanout.delete_on_cancel);

        let reply = t.queue(&QueueSpec::Reply, "def");
        assert_eq!(reply.name, "reply_def");
        assert!(reply.binding.is_none());
        assert_eq!(
            arg(&reply, "x-expires"),
            Some(&AMQPValue::LongInt(1_800_000))
        );
    }

    #[test]
    fn durable_and_quorum_variants_follow_section_2_1() {
        let durable = TopologySettings {
            durable_queues: true,
            ..Default::default()
        };
        let q = durable.queue(
            &QueueSpec::Topic {
                exchange: "nova".into(),
                topic: "t".into(),
            },
            "x",
        );
        assert!(q.durable && q.binding.unwrap().0.durable);
        assert!(
            !durable.queue(&QueueSpec::Reply, "x").durable,
            "reply unchanged"
        );

        let quorum = TopologySettings {
            quorum_queue: true,
            quorum_delivery_limit: 5,
            ..Default::default()
        };
        let q = quorum.queue(
            &QueueSpec::Server {
                exchange: "nova".into(),
                topic: "t".into(),
                server: "s".into(),
            },
            "x",
        );
        assert!(q.durable);
        assert_eq!(
            arg(&q, "x-queue-type"),
            Some(&AMQPValue::LongString("quorum".into()))
        );
        assert_eq!(arg(&q, "x-delivery-limit"), Some(&AMQPValue::LongInt(5)));
        assert!(arg(&q, "x-max-in-memory-length").is_none());

        let transient = TopologySettings {
            quorum_queue: true,
            transient_quorum_queue: true,
            ..Default::default()
        };
        let f = transient.queue(&QueueSpec::Fanout { topic: "t".into() }, "x");
        assert!(f.durable);
        let exchange = f.binding.clone().unwrap().0;
        assert!(exchange.durable && exchange.auto_delete);
        assert_eq!(
            arg(&f, "x-queue-type"),
            Some(&AMQPValue::LongString("quorum".into()))
        );

        let no_ttl = TopologySettings {
            transient_queues_ttl: Duration::ZERO,
            ..Default::default()
        };
        assert!(arg(&no_ttl.queue(&QueueSpec::Reply, "x"), "x-expires").is_none());

        let ha = TopologySettings {
            ha_queues: true,
            ..Default::default()
        };
        let h = ha.queue(
            &QueueSpec::Topic {
                exchange: "nova".into(),
                topic: "t".into(),
            },
            "x",
        );
        assert_eq!(
            arg(&h, "x-ha-policy"),
            Some(&AMQPValue::LongString("all".into()))
        );
    }
}
