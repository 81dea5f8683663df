//! The dispatcher's oslo rules seen from a caller over `memory://`: NoSuchMethod,
//! UnsupportedVersion, namespace mismatch, private methods.

mod common;

use common::*;

const BROKER: Broker = Broker::Memory;

include!("scenarios/dispatch.rs");
