//! A generated input: a corpus seed with JSON edits (when it is JSON), then byte edits.
#![allow(dead_code, unreachable_pub)]

use super::bytes::{apply_bytes, byte_op, ByteOp};
use super::json::{apply_json, json_op, tweak, JsonOp, STRINGS};
use super::runner::Seed;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};

/// A generated input: a corpus file with JSON edits (when it is JSON) then byte edits.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// Which corpus file.
    pub seed: Index,
    /// JSON edits, applied first.
    pub json: Vec<JsonOp>,
    /// Byte edits, applied to the result.
    pub bytes: Vec<ByteOp>,
}

impl Mutation {
    /// The name of the seed this starts from.
    pub fn seed<'a>(&self, seeds: &'a [Seed]) -> &'a Seed {
        self.seed.get(seeds)
    }

    /// The input: the seed with the JSON edits (if it parses as JSON) and the byte edits.
    pub fn apply(&self, seeds: &[Seed], tokens: &[&[u8]]) -> Vec<u8> {
        let seed = &self.seed(seeds).bytes;
        let mut data = match serde_json::from_slice::<Value>(seed) {
            Ok(value) if !self.json.is_empty() => apply_json(value, &self.json).into_bytes(),
            _ => seed.clone(),
        };
        apply_bytes(&mut data, &self.bytes, seeds, tokens);
        data
    }
}

/// Mutations of corpus seeds: mostly JSON edits (structure-aware, some only same-type
/// value changes), some byte edits on top or alone.
pub fn mutation(keys: &[&str], strings: &[&str]) -> impl Strategy<Value = Mutation> {
    let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    let strings: Vec<String> = STRINGS
        .iter()
        .chain(strings)
        .map(|s| (*s).to_owned())
        .collect();
    let text = prop_oneof![prop::sample::select(strings.clone()), ".{0,24}"];
    let op = json_op(keys, strings);
    let bytes = prop::collection::vec(byte_op(), 1..5);
    prop_oneof![
        4 => (any::<Index>(), prop::collection::vec(op.clone(), 1..5), Just(Vec::new())),
        // Many same-type edits at once: still parses, means something else.
        2 => (any::<Index>(), prop::collection::vec(tweak(text), 1..12), Just(Vec::new())),
        2 => (any::<Index>(), Just(Vec::new()), bytes.clone()),
        1 => (any::<Index>(), prop::collection::vec(op, 1..4), bytes),
    ]
    .prop_map(|(seed, json, bytes)| Mutation { seed, json, bytes })
}

/// Mutations that only change values, keeping each one's type ([`JsonOp::Tweak`]): the
/// input still parses, so they test what the values mean.
pub fn tweaks(strings: &[&str]) -> impl Strategy<Value = Mutation> {
    let strings: Vec<String> = STRINGS
        .iter()
        .chain(strings)
        .map(|s| (*s).to_owned())
        .collect();
    let text = prop_oneof![prop::sample::select(strings), ".{0,24}"];
    (any::<Index>(), prop::collection::vec(tweak(text), 1..12)).prop_map(|(seed, json)| Mutation {
        seed,
        json,
        bytes: Vec::new(),
    })
}

/// A JSON object from a seed's bytes (for targets whose seeds are JSON).
pub fn json_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}
