//! The dispatcher scenarios over a real RabbitMQ.

mod common;

use common::*;

const BROKER: Broker = Broker::Rabbit;

include!("scenarios/dispatch.rs");
