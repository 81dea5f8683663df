//! oslo routing over `memory://`: topic → one consumer (round-robin), topic.server → that
//! host, fanout → every server; timeouts; failures; bad input. The same scenarios run over
//! RabbitMQ in `amqp_routes_calls_casts_and_fanouts.rs`.

mod common;

use common::*;

const BROKER: Broker = Broker::Memory;

include!("scenarios/routing.rs");
