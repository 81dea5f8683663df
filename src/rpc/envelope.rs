//! The oslo 2.0 envelope and the request / reply payloads inside it
//! (oslo: `_drivers/common.py` `serialize_msg` / `deserialize_msg`, `amqpdriver.py`).
//!
//! The AMQP body is `{"oslo.version": "2.0", "oslo.message": "<payload as JSON text>"}`:
//! JSON inside a JSON string, encoded twice and decoded twice. Every transport, the
//! in-memory one included, passes every message through this codec.

use serde_json::{Map, Value};

use super::context::{random_uuid, RequestContext, CONTEXT_KEY_PREFIX};
use super::failure::RemoteFailure;

/// Envelope key holding the envelope version.
pub const VERSION_KEY: &str = "oslo.version";
/// Envelope key holding the payload as JSON text.
pub const MESSAGE_KEY: &str = "oslo.message";
/// The envelope version novactor writes.
pub const ENVELOPE_VERSION: &str = "2.0";

const METHOD: &str = "method";
const ARGS: &str = "args";
const NAMESPACE: &str = "namespace";
const VERSION: &str = "version";
const MSG_ID: &str = "_msg_id";
const REPLY_Q: &str = "_reply_q";
const TIMEOUT: &str = "_timeout";
const UNIQUE_ID: &str = "_unique_id";
const RESULT: &str = "result";
const FAILURE: &str = "failure";
const ENDING: &str = "ending";

/// Why a body could not be read. The server rejects such a message without requeue,
/// as oslo does; nothing about it is dispatched.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// Not JSON, or JSON but not an object.
    #[error("message body is not a JSON object: {0}")]
    NotAnObject(String),
    /// An envelope whose `oslo.version` is not 2.x with minor 0.
    #[error("unsupported envelope version {0:?} (this peer reads 2.0)")]
    UnsupportedEnvelope(String),
    /// `oslo.message` is not a string holding a JSON object.
    #[error("oslo.message is not a JSON object in a string: {0}")]
    BadPayload(String),
    /// A payload member is missing or of the wrong type.
    #[error("{kind} payload: {problem}")]
    BadMember {
        /// `request` or `reply`.
        kind: &'static str,
        /// What is wrong, naming the member.
        problem: String,
    },
}

/// A random id as oslo makes them: uuid4 as 32 hex digits.
pub fn new_id() -> String {
    random_uuid().simple().to_string()
}

/// Wrap a payload in the 2.0 envelope.
pub fn encode_envelope(payload: &Map<String, Value>) -> Vec<u8> {
    wrap(serde_json::to_string(payload))
}

/// The body of `request`, written from the request itself (no payload map built and copied
/// for each message).
pub fn encode_request(request: &Request) -> Vec<u8> {
    wrap(serde_json::to_string(&RequestPayload(request)))
}

/// The body of `reply`, written from the reply itself.
pub fn encode_reply(reply: &Reply) -> Vec<u8> {
    wrap(serde_json::to_string(&ReplyPayload(reply)))
}

/// The outer object around the payload's JSON text.
fn wrap(payload: serde_json::Result<String>) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        #[serde(rename = "oslo.version")]
        version: &'static str,
        #[serde(rename = "oslo.message")]
        message: &'a str,
    }
    // JSON values, strings and string-keyed maps always serialize: neither step can fail.
    let message = payload.expect("a payload of JSON values serializes");
    serde_json::to_vec(&Envelope {
        version: ENVELOPE_VERSION,
        message: &message,
    })
    .expect("two strings serialize")
}

/// A payload writer's object as a map (for callers that edit a payload before sending it).
fn payload_map(payload: &impl serde::Serialize) -> Map<String, Value> {
    match serde_json::to_value(payload) {
        Ok(Value::Object(map)) => map,
        // The writers below write an object of JSON values, which always serializes.
        _ => Map::new(),
    }
}

/// A request serialized as its payload, in oslo's key order.
struct RequestPayload<'a>(&'a Request);

impl serde::Serialize for RequestPayload<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let request = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(METHOD, &request.method)?;
        map.serialize_entry(ARGS, &request.args)?;
        if let Some(namespace) = &request.namespace {
            map.serialize_entry(NAMESPACE, namespace)?;
        }
        if let Some(version) = &request.version {
            map.serialize_entry(VERSION, version)?;
        }
        if let Some(reply) = &request.reply {
            map.serialize_entry(MSG_ID, &reply.msg_id)?;
            map.serialize_entry(REPLY_Q, &reply.reply_queue)?;
            // Null for what JSON cannot hold, as `serde_json::Number::from_f64` decides.
            let timeout = reply.call_monitor_timeout.filter(|t| t.is_finite());
            map.serialize_entry(TIMEOUT, &timeout)?;
        }
        map.serialize_entry(UNIQUE_ID, &request.unique_id)?;
        for (key, value) in request.context.values() {
            map.serialize_entry(&format_args!("{CONTEXT_KEY_PREFIX}{key}"), value)?;
        }
        map.end()
    }
}

/// A reply serialized as its payload, in oslo's key order.
struct ReplyPayload<'a>(&'a Reply);

impl serde::Serialize for ReplyPayload<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let reply = self.0;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry(RESULT, &reply.result)?;
        map.serialize_entry(FAILURE, &reply.failure.as_ref().map(RemoteFailure::to_wire))?;
        map.serialize_entry(ENDING, &reply.ending)?;
        map.serialize_entry(MSG_ID, &reply.msg_id)?;
        map.serialize_entry(UNIQUE_ID, &reply.unique_id)?;
        map.end()
    }
}

/// Unwrap a body. A JSON object without both envelope keys is taken as the payload
/// itself (oslo's legacy 1.0 form, which real oslo servers still accept).
pub fn decode_envelope(body: &[u8]) -> Result<Map<String, Value>, EnvelopeError> {
    let outer: Value =
        serde_json::from_slice(body).map_err(|e| EnvelopeError::NotAnObject(e.to_string()))?;
    let Value::Object(mut outer) = outer else {
        return Err(EnvelopeError::NotAnObject("got a JSON non-object".into()));
    };
    if !(outer.contains_key(VERSION_KEY) && outer.contains_key(MESSAGE_KEY)) {
        return Ok(outer);
    }
    let version = outer.remove(VERSION_KEY).unwrap_or(Value::Null);
    let version_text = version.as_str().unwrap_or_default();
    if !envelope_version_supported(version_text) {
        return Err(EnvelopeError::UnsupportedEnvelope(version.to_string()));
    }
    let Some(Value::String(inner)) = outer.remove(MESSAGE_KEY) else {
        return Err(EnvelopeError::BadPayload("not a string".into()));
    };
    match serde_json::from_str(&inner) {
        Ok(Value::Object(payload)) => Ok(payload),
        Ok(_) => Err(EnvelopeError::BadPayload("not an object".into())),
        Err(e) => Err(EnvelopeError::BadPayload(e.to_string())),
    }
}

/// oslo accepts an envelope whose major is 2 and whose minor is not above 0.
fn envelope_version_supported(text: &str) -> bool {
    let mut parts = text.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("2"), Some(minor), None) if minor.parse::<u32>() == Ok(0)
    )
}

/// The payload of a call or cast (docs/WIRE.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Endpoint method name.
    pub method: String,
    /// Keyword arguments.
    pub args: Map<String, Value>,
    /// Endpoint namespace; absent is the null namespace.
    pub namespace: Option<String>,
    /// `None`: no `version` key (means 1.0). `Some(Value::Null)`: an explicit null,
    /// which oslo finds compatible with nothing. Otherwise the sent value.
    pub version: Option<Value>,
    /// Present on calls: where and how to reply.
    pub reply: Option<ReplyTo>,
    /// Duplicate-detection id, present on every message.
    pub unique_id: String,
    /// The flattened `_context_*` entries.
    pub context: RequestContext,
}

/// The reply address of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyTo {
    /// `_msg_id`: correlates the reply with the call.
    pub msg_id: String,
    /// `_reply_q`: the caller's reply queue.
    pub reply_queue: String,
    /// `_timeout`: call-monitor timeout in seconds; `None` when the caller sent null.
    pub call_monitor_timeout: Option<f64>,
}

impl Request {
    /// Payload in oslo's key order: method, args, namespace, version, _msg_id, _reply_q,
    /// _timeout, _unique_id, _context_* (as [`encode_request`] writes it).
    pub fn to_payload(&self) -> Map<String, Value> {
        payload_map(&RequestPayload(self))
    }

    /// Read a request payload. `method` is required; everything else has oslo's defaults.
    pub fn from_payload(payload: Map<String, Value>) -> Result<Self, EnvelopeError> {
        let bad = |problem: String| EnvelopeError::BadMember {
            kind: "request",
            problem,
        };
        let mut method = None;
        let mut args = Map::new();
        let mut namespace = None;
        let mut version = None;
        let mut msg_id = None;
        let mut reply_queue = None;
        let mut call_monitor_timeout = None;
        let mut unique_id = None;
        let mut context = Map::new();
        for (key, value) in payload {
            match key.as_str() {
                METHOD => match value {
                    Value::String(text) => method = Some(text),
                    other => return Err(bad(format!("method must be a string, got {other}"))),
                },
                ARGS => match value {
                    Value::Object(map) => args = map,
                    Value::Null => {}
                    other => return Err(bad(format!("args must be an object, got {other}"))),
                },
                NAMESPACE => match value {
                    Value::String(text) => namespace = Some(text),
                    Value::Null => {}
                    other => return Err(bad(format!("namespace must be a string, got {other}"))),
                },
                VERSION => version = Some(value),
                MSG_ID => msg_id = value.as_str().map(str::to_owned),
                REPLY_Q => reply_queue = value.as_str().map(str::to_owned),
                TIMEOUT => call_monitor_timeout = value.as_f64(),
                UNIQUE_ID => unique_id = value.as_str().map(str::to_owned),
                _ => {
                    if let Some(name) = key.strip_prefix(CONTEXT_KEY_PREFIX) {
                        context.insert(name.to_owned(), value);
                    }
                }
            }
        }
        let method = method.ok_or_else(|| bad("missing method".into()))?;
        let reply = match (msg_id, reply_queue) {
            (Some(msg_id), Some(reply_queue)) => Some(ReplyTo {
                msg_id,
                reply_queue,
                call_monitor_timeout,
            }),
            (None, None) => None,
            (Some(_), None) => return Err(bad("_msg_id without _reply_q".into())),
            (None, Some(_)) => return Err(bad("_reply_q without _msg_id".into())),
        };
        Ok(Self {
            method,
            args,
            namespace,
            version,
            reply,
            // A peer that sends none cannot be deduplicated; give it a fresh id.
            unique_id: unique_id.unwrap_or_else(new_id),
            context: RequestContext::from_map(context),
        })
    }
}

/// The payload of a reply or call-monitor heartbeat (docs/WIRE.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// `_msg_id` of the call this answers.
    pub msg_id: String,
    /// The method's return value.
    pub result: Value,
    /// The failure, when the method raised.
    pub failure: Option<RemoteFailure>,
    /// `true` on the final reply; `false` on heartbeats and legacy first halves.
    pub ending: bool,
    /// Fresh id per reply.
    pub unique_id: String,
}

impl Reply {
    /// The single final reply oslo ≥ 4.0 sends.
    pub fn finish(msg_id: &str, outcome: Result<Value, RemoteFailure>) -> Self {
        let (result, failure) = match outcome {
            Ok(value) => (value, None),
            Err(failure) => (Value::Null, Some(failure)),
        };
        Self {
            msg_id: msg_id.to_owned(),
            result,
            failure,
            ending: true,
            unique_id: new_id(),
        }
    }

    /// A call-monitor heartbeat: null result and failure, `ending: false`.
    pub fn heartbeat(msg_id: &str) -> Self {
        Self {
            msg_id: msg_id.to_owned(),
            result: Value::Null,
            failure: None,
            ending: false,
            unique_id: new_id(),
        }
    }

    /// True for a call-monitor heartbeat rather than an answer.
    pub fn is_heartbeat(&self) -> bool {
        !self.ending && self.result.is_null() && self.failure.is_none()
    }

    /// Payload in oslo's key order; `failure` is always present, as oslo clients require.
    pub fn to_payload(&self) -> Map<String, Value> {
        payload_map(&ReplyPayload(self))
    }

    /// Read a reply payload; `_msg_id` is required, the rest defaults as oslo's client does.
    pub fn from_payload(mut payload: Map<String, Value>) -> Result<Self, EnvelopeError> {
        let bad = |problem: String| EnvelopeError::BadMember {
            kind: "reply",
            problem,
        };
        let msg_id = match payload.remove(MSG_ID) {
            Some(Value::String(id)) => id,
            _ => return Err(bad("missing or non-string _msg_id".into())),
        };
        let failure = match payload.remove(FAILURE) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(
                RemoteFailure::from_wire(&text)
                    .map_err(|e| bad(format!("failure is not a serialized exception: {e}")))?,
            ),
            Some(other) => return Err(bad(format!("failure must be a string, got {other}"))),
        };
        Ok(Self {
            msg_id,
            result: payload.remove(RESULT).unwrap_or(Value::Null),
            failure,
            ending: payload.remove(ENDING).and_then(|v| v.as_bool()) == Some(true),
            unique_id: payload
                .remove(UNIQUE_ID)
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A call request captured from a real oslo client.
    const CAPTURED_CALL: &str = r#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"ping\", \"args\": {}, \"_msg_id\": \"96b931f06e7a4b6b8071e2452b94f78a\", \"_reply_q\": \"reply_6336d39a65e14705b6d518ed48eeba7c\", \"_timeout\": null, \"_unique_id\": \"b7d23dd63fc44f38be6e9e4f0c7be9db\", \"_context_user_id\": \"harness-user\", \"_context_project_id\": \"harness-project\", \"_context_request_id\": \"req-00000000-0000-0000-0000-000000000000\", \"_context_is_admin\": false}"}"#;

    #[test]
    fn captured_oslo_call_decodes_and_reencodes_identically() {
        let payload = decode_envelope(CAPTURED_CALL.as_bytes()).expect("envelope");
        let request = Request::from_payload(payload.clone()).expect("request");
        assert_eq!(request.method, "ping");
        assert!(request.args.is_empty());
        assert_eq!(request.version, None);
        let reply = request.reply.clone().expect("a call");
        assert_eq!(reply.msg_id, "96b931f06e7a4b6b8071e2452b94f78a");
        assert_eq!(reply.reply_queue, "reply_6336d39a65e14705b6d518ed48eeba7c");
        assert_eq!(reply.call_monitor_timeout, None);
        assert_eq!(
            request.context.request_id(),
            Some("req-00000000-0000-0000-0000-000000000000")
        );
        // Same members in the same order as the capture.
        let reencoded = request.to_payload();
        assert_eq!(
            reencoded.keys().collect::<Vec<_>>(),
            payload.keys().collect::<Vec<_>>()
        );
        assert_eq!(reencoded, payload);
    }

    #[test]
    fn captured_failure_reply_decodes() {
        // A real oslo server's NoSuchMethod reply, the tb shortened.
        let body = r#"{"oslo.version": "2.0", "oslo.message": "{\"result\": null, \"failure\": \"{\\\"class\\\": \\\"NoSuchMethod\\\", \\\"module\\\": \\\"oslo_messaging.rpc.dispatcher\\\", \\\"message\\\": \\\"Endpoint does not support RPC method nosuch\\\", \\\"tb\\\": [], \\\"args\\\": [\\\"Endpoint does not support RPC method nosuch\\\"], \\\"kwargs\\\": {}}\", \"ending\": true, \"_msg_id\": \"6e3425bc97b942199e7d7f56e1e23e20\", \"_unique_id\": \"4d8de3ac94fd429091e9349ec0642f1c\"}"}"#;
        let reply = Reply::from_payload(decode_envelope(body.as_bytes()).unwrap()).unwrap();
        assert!(reply.ending);
        let failure = reply.failure.expect("failure");
        assert_eq!(failure.class, "NoSuchMethod");
        assert_eq!(
            failure.message,
            "Endpoint does not support RPC method nosuch"
        );
    }

    #[test]
    fn reply_always_carries_failure_and_round_trips() {
        let reply = Reply::finish("abc", Ok(json!({"service": "compute", "arg": 1})));
        let payload = reply.to_payload();
        assert_eq!(payload.get("failure"), Some(&Value::Null));
        let body = encode_envelope(&payload);
        let decoded = Reply::from_payload(decode_envelope(&body).unwrap()).unwrap();
        assert_eq!(decoded, reply);
        assert!(Reply::heartbeat("abc").is_heartbeat());
        let failed = Reply::finish(
            "abc",
            Err(RemoteFailure::new(
                "oslo_messaging.rpc.dispatcher",
                "NoSuchMethod",
                "nosuch",
            )),
        );
        for reply in [reply, failed, Reply::heartbeat("abc")] {
            assert_eq!(encode_reply(&reply), encode_envelope(&reply.to_payload()));
        }
    }

    #[test]
    fn non_ascii_values_survive_the_double_encoding() {
        let request = Request {
            method: "echo".into(),
            args: json!({"value": {"u": "h\u{e9}llo \u{2603}", "l": [1, "two", null]}})
                .as_object()
                .cloned()
                .unwrap(),
            namespace: Some("baseapi".into()),
            version: Some(json!("1.1")),
            reply: None,
            unique_id: new_id(),
            context: RequestContext::new(),
        };
        let body = encode_envelope(&request.to_payload());
        assert_eq!(encode_request(&request), body);
        let decoded = Request::from_payload(decode_envelope(&body).unwrap()).unwrap();
        assert_eq!(decoded, request);
    }

    #[test]
    fn bad_bodies_are_errors_not_panics() {
        for body in [
            &b"not json"[..],
            b"[1,2]",
            br#"{"oslo.version": "2.1", "oslo.message": "{}"}"#,
            br#"{"oslo.version": "3.0", "oslo.message": "{}"}"#,
            br#"{"oslo.version": "2.0", "oslo.message": 5}"#,
            br#"{"oslo.version": "2.0", "oslo.message": "[1]"}"#,
        ] {
            assert!(
                decode_envelope(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let legacy = decode_envelope(br#"{"method": "ping", "args": {}}"#).unwrap();
        assert_eq!(Request::from_payload(legacy).unwrap().method, "ping");
        for payload in [
            json!({"args": {}}),
            json!({"method": 3}),
            json!({"method": "m", "args": []}),
            json!({"method": "m", "_msg_id": "x"}),
        ] {
            assert!(
                Request::from_payload(payload.as_object().cloned().unwrap()).is_err(),
                "{payload}"
            );
        }
        assert!(Reply::from_payload(json!({"result": 1}).as_object().cloned().unwrap()).is_err());
    }

    mod arbitrary_input {
        use super::*;
        use proptest::prelude::*;

        /// Any JSON value, a few levels deep.
        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                any::<f64>().prop_map(|f| json!(f)),
                ".{0,12}".prop_map(Value::String),
            ];
            leaf.prop_recursive(3, 24, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::hash_map(
                        prop_oneof![
                            Just("method".to_owned()),
                            Just("args".to_owned()),
                            Just("version".to_owned()),
                            Just("_msg_id".to_owned()),
                            Just("_reply_q".to_owned()),
                            Just("_timeout".to_owned()),
                            Just("failure".to_owned()),
                            Just("ending".to_owned()),
                            "_context_[a-z]{1,5}",
                            ".{0,8}",
                        ],
                        inner,
                        0..6
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn decode_everything(body: &[u8]) {
            if let Ok(payload) = decode_envelope(body) {
                let _ = Request::from_payload(payload.clone());
                let _ = Reply::from_payload(payload);
            }
        }

        /// 2000 cases in CI; `NOVACTOR_FUZZ_CASES` for a longer campaign, as the corpus-based
        /// envelope target (`tests/fuzz/oslo_envelope.rs`) reads it.
        fn cases() -> u32 {
            std::env::var("NOVACTOR_FUZZ_CASES")
                .ok()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(2000)
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
                decode_everything(&body);
            }

            #[test]
            fn arbitrary_json_payloads_in_an_envelope_never_panic(payload in json_value(), version in prop_oneof![Just("2.0".to_owned()), ".{0,4}"]) {
                let inner = payload.to_string();
                let body = json!({"oslo.version": version, "oslo.message": inner}).to_string();
                decode_everything(body.as_bytes());
                decode_everything(payload.to_string().as_bytes());
            }

            #[test]
            fn a_decoded_request_reencodes_to_an_equal_request(payload in json_value()) {
                if let Value::Object(map) = payload {
                    if let Ok(request) = Request::from_payload(map) {
                        let body = encode_envelope(&request.to_payload());
                        // Written from the request, byte for byte the payload map's body.
                        prop_assert_eq!(&encode_request(&request), &body);
                        let again = Request::from_payload(decode_envelope(&body).unwrap()).unwrap();
                        prop_assert_eq!(again, request);
                    }
                }
            }
        }
    }
}
