//! At-most-once vs at-least-once delivery over `memory://`.

mod common;

use common::*;

const BROKER: Broker = Broker::Memory;

include!("scenarios/delivery.rs");
