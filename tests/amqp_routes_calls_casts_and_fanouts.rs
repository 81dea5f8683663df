//! The routing scenarios of `rpc_routes_calls_casts_and_fanouts.rs` over a real RabbitMQ.

mod common;

use common::*;

const BROKER: Broker = Broker::Rabbit;

include!("scenarios/routing.rs");
