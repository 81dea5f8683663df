//! Bad input, target 1: the oslo 2.0 envelope and the request / reply payloads inside it
//! (`novactor::rpc::envelope`), the decoders every message from a broker goes through
//! before anything is dispatched, then the dispatcher's choice of method on the real
//! endpoint tables of Nova's four services.
//!
//! Corpus `tests/corpus/oslo_envelope/`: `captured_*` are verbatim AMQP bodies a real
//! oslo.messaging 18.3.1 client and server exchanged, verbatim; `novactor_*` are bodies novactor's actors published during a
//! boot, stop, start, reboot and delete (object indirection, scheduling, casts to the
//! compute, replies and failures). Every seed decodes; mutations of the whole body, of
//! the payload inside `oslo.message` (JSON edits and broken text) are decoded or refused
//! with an `EnvelopeError`, never a panic, and what decodes re-encodes to the same
//! request. The generative property tests in `src/rpc/envelope.rs` complement these.

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use novactor::rpc::envelope::{decode_envelope, encode_envelope, Reply, Request};
use novactor::rpc::Dispatcher;
use novactor::service::ServiceDefinition;
use novactor_nova::{definitions, NovaService};
use proptest::prelude::*;
use serde_json::{json, Value};

const TARGET: &str = "oslo_envelope";

/// Keys of requests, replies and Nova's arguments.
const KEYS: &[&str] = &[
    "oslo.version",
    "oslo.message",
    "method",
    "args",
    "namespace",
    "version",
    "_msg_id",
    "_reply_q",
    "_timeout",
    "_unique_id",
    "_context_request_id",
    "_context_user_id",
    "_context_is_admin",
    "result",
    "failure",
    "ending",
    "class",
    "module",
    "message",
    "tb",
    "kwargs",
    "objinst",
    "objmethod",
    "objname",
    "nova_object.name",
    "nova_object.data",
    "nova_object.changes",
];

const STRINGS: &[&str] = &[
    "2.0",
    "2.1",
    "1.0",
    "3.0",
    "4.5",
    "6.0",
    "2",
    "2.0.0",
    "ping",
    "object_action",
    "select_destinations",
    "_private",
    "baseapi",
    "compute_task",
    "reply_6336d39a65e14705b6d518ed48eeba7c",
    "{\"class\": \"X\", \"module\": \"m\", \"message\": \"x\"}",
    "{\"class\": \"X_Remote\", \"module\": \"m_Remote\", \"message\": \"x\", \"tb\": 1}",
];

/// The endpoint tables of Nova's four services, as their RPC servers dispatch.
fn dispatchers() -> Vec<Dispatcher> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state_path = dir.path().to_str().expect("UTF-8 path").to_owned();
    let config =
        NovaConfig::with_overrides(&[("DEFAULT", "state_path", &state_path)]).expect("config");
    let system = actix_rt::System::new();
    let db = system
        .block_on(novactor_nova::db::open(&config))
        .expect("SQLite");
    let services: Vec<Arc<ServiceDefinition>> =
        definitions(&config, &NovaService::ALL, Some(&db)).expect("definitions");
    services
        .iter()
        .map(|service| Dispatcher::new(service.endpoints().to_vec()))
        .collect()
}

/// Decodes `body` as a server and a client would; a decoded request is dispatched and
/// must re-encode to an equal request, a decoded reply must re-encode to one that decodes.
fn decode(body: &[u8], dispatchers: &[Dispatcher]) -> Result<Decoded, String> {
    let Ok(payload) = decode_envelope(body) else {
        return Ok(Decoded::Refused);
    };
    let mut decoded = Decoded::Neither;
    if let Ok(request) = Request::from_payload(payload.clone()) {
        for dispatcher in dispatchers {
            let _ = dispatcher.resolve(&request);
        }
        let again = decode_envelope(&encode_envelope(&request.to_payload()))
            .map_err(|e| format!("a re-encoded request does not decode: {e}"))?;
        let again = Request::from_payload(again)
            .map_err(|e| format!("a re-encoded request is not a request: {e}"))?;
        if again != request {
            return Err(format!(
                "a request changed through re-encoding:\n{request:?}\n{again:?}"
            ));
        }
        decoded = Decoded::Request;
    }
    if let Ok(reply) = Reply::from_payload(payload) {
        let again = decode_envelope(&encode_envelope(&reply.to_payload()))
            .map_err(|e| format!("a re-encoded reply does not decode: {e}"))?;
        let again = Reply::from_payload(again)
            .map_err(|e| format!("a re-encoded reply is not a reply: {e}"))?;
        if (&again.msg_id, &again.result, again.ending)
            != (&reply.msg_id, &reply.result, reply.ending)
        {
            return Err(format!(
                "a reply changed through re-encoding:\n{reply:?}\n{again:?}"
            ));
        }
        decoded = Decoded::Reply;
    }
    Ok(decoded)
}

#[derive(Debug, PartialEq)]
enum Decoded {
    Refused,
    Neither,
    Request,
    Reply,
}

/// The payload text inside each seed's `oslo.message`, as seeds of their own.
fn inner_seeds(seeds: &[Seed]) -> Vec<Seed> {
    seeds
        .iter()
        .filter_map(|seed| {
            let outer = json_object(&seed.bytes)?;
            let inner = outer.get("oslo.message")?.as_str()?;
            Some(Seed {
                name: format!("{} (payload)", seed.name),
                bytes: inner.as_bytes().to_vec(),
            })
        })
        .collect()
}

fn tokens() -> Vec<&'static [u8]> {
    let mut tokens = BYTE_TOKENS.to_vec();
    tokens.extend_from_slice(&[
        b"\"oslo.version\": \"2.0\"",
        b"\"oslo.message\": ",
        b"\\\"",
        b"\\\\\\\"",
        b"_Remote",
    ]);
    tokens
}

#[test]
fn every_corpus_frame_decodes_as_a_request_or_a_reply() {
    let seeds = corpus(TARGET);
    let dispatchers = dispatchers();
    replay(TARGET, &seeds, |seed| {
        match decode(&seed.bytes, &dispatchers)? {
            Decoded::Request | Decoded::Reply => Ok(()),
            other => Err(format!("decodes as {other:?}")),
        }
    });
}

#[test]
fn mutated_frames_are_decoded_or_refused_never_a_panic() {
    let seeds = corpus(TARGET);
    let dispatchers = dispatchers();
    let tokens = tokens();
    fuzz(
        "oslo envelope: mutated frames",
        "fuzz_oslo_envelope",
        8000,
        Duration::from_secs(15),
        Duration::from_secs(5),
        mutation(KEYS, STRINGS),
        |mutation, watch| {
            let body = mutation.apply(&seeds, &tokens);
            watch.input(&body);
            decode(&body, &dispatchers)
                .map(drop)
                .map_err(|e| format!("{e}\nbody: {}", show(&body)))
        },
    );
}

#[test]
fn mutated_payloads_inside_a_valid_envelope_are_decoded_or_refused_never_a_panic() {
    let seeds = inner_seeds(&corpus(TARGET));
    let dispatchers = dispatchers();
    let tokens = tokens();
    let versions = prop_oneof![
        4 => Just(Value::from("2.0")),
        1 => prop::sample::select(STRINGS).prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
    ];
    fuzz(
        "oslo envelope: mutated payloads",
        "fuzz_oslo_envelope",
        5000,
        Duration::from_secs(15),
        Duration::from_secs(5),
        (mutation(KEYS, STRINGS), versions, any::<bool>()),
        |(mutation, version, legacy), watch| {
            let payload = mutation.apply(&seeds, &tokens);
            // Wrapped, as oslo sends it (a JSON string cannot hold invalid UTF-8), and as
            // the bare legacy 1.0 body.
            let inner = String::from_utf8_lossy(&payload);
            let body = json!({"oslo.version": version, "oslo.message": inner}).to_string();
            let body = if legacy { payload } else { body.into_bytes() };
            watch.input(&body);
            decode(&body, &dispatchers)
                .map(drop)
                .map_err(|e| format!("{e}\nbody: {}", show(&body)))
        },
    );
}
