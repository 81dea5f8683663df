//! At-most-once vs at-least-once delivery over a real RabbitMQ.

mod common;

use common::*;

const BROKER: Broker = Broker::Rabbit;

include!("scenarios/delivery.rs");
