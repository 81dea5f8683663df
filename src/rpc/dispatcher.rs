//! Which endpoint method a request runs (oslo: `rpc/dispatcher.py` RPCDispatcher).
//!
//! Endpoints are scanned in order; the first whose namespace matches, whose version can
//! serve the requested one and which has the method wins. If some endpoint was compatible
//! but none had the method: `NoSuchMethod`; if none was compatible: `UnsupportedVersion`
//! (a namespace mismatch included, as oslo does). Names starting with `_` are private.

use serde_json::Value;

use super::envelope::Request;
use super::failure::RemoteFailure;
use super::version::{Version, DEFAULT_REQUEST_VERSION};

/// What one endpoint serves: oslo's `target` attribute plus its method names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInfo {
    /// `None` is the null namespace.
    pub namespace: Option<String>,
    /// The version the endpoint implements.
    pub version: Version,
    /// Public method names.
    pub methods: Vec<String>,
    /// Methods acknowledged after handling (at-least-once) instead of before dispatch.
    pub ack_after_handling: Vec<String>,
}

/// A resolved method: index of the endpoint and of the method within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodId {
    /// Position in the endpoint list.
    pub endpoint: usize,
    /// Position in that endpoint's method list.
    pub method: usize,
}

/// Why a request cannot be dispatched; each becomes oslo's failure reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// No compatible endpoint has the method (or it is private).
    #[error("Endpoint does not support RPC method {method}")]
    NoSuchMethod {
        /// The requested method.
        method: String,
    },
    /// No endpoint in the namespace can serve the version.
    #[error("Endpoint does not support RPC version {requested}. Attempted method: {method}")]
    UnsupportedVersion {
        /// The version as requested (or `1.0` when absent).
        requested: String,
        /// The requested method.
        method: String,
    },
}

impl DispatchError {
    /// The failure oslo's dispatcher would send.
    pub fn to_failure(&self) -> RemoteFailure {
        match self {
            Self::NoSuchMethod { method } => RemoteFailure::no_such_method(method),
            Self::UnsupportedVersion { requested, method } => {
                RemoteFailure::unsupported_version(requested, method)
            }
        }
    }
}

/// The endpoint table of one RPC server.
#[derive(Debug, Clone, Default)]
pub struct Dispatcher {
    endpoints: Vec<EndpointInfo>,
}

impl Dispatcher {
    /// A dispatcher over `endpoints`, scanned in this order.
    pub fn new(endpoints: Vec<EndpointInfo>) -> Self {
        Self { endpoints }
    }

    /// The endpoints, in scan order.
    pub fn endpoints(&self) -> &[EndpointInfo] {
        &self.endpoints
    }

    /// True when `id`'s message is acknowledged after handling (at-least-once).
    pub fn acks_after_handling(&self, id: MethodId) -> bool {
        self.endpoints.get(id.endpoint).is_some_and(|endpoint| {
            endpoint
                .methods
                .get(id.method)
                .is_some_and(|name| endpoint.ack_after_handling.contains(name))
        })
    }

    /// Find the method `request` asks for.
    pub fn resolve(&self, request: &Request) -> Result<MethodId, DispatchError> {
        let method = request.method.as_str();
        let (requested_text, requested) = match &request.version {
            None => (
                DEFAULT_REQUEST_VERSION.to_string(),
                Some(DEFAULT_REQUEST_VERSION),
            ),
            Some(Value::String(text)) => (text.clone(), text.parse::<Version>().ok()),
            // oslo compares an explicit null (or a number) with nothing successfully.
            Some(other) => (other.to_string(), None),
        };
        let mut some_compatible = false;
        if let Some(requested) = requested {
            for (endpoint_index, endpoint) in self.endpoints.iter().enumerate() {
                if endpoint.namespace.as_deref() != request.namespace.as_deref()
                    || !endpoint.version.can_serve(&requested)
                {
                    continue;
                }
                some_compatible = true;
                if method.starts_with('_') {
                    continue;
                }
                if let Some(method_index) = endpoint.methods.iter().position(|m| m == method) {
                    return Ok(MethodId {
                        endpoint: endpoint_index,
                        method: method_index,
                    });
                }
            }
        }
        if some_compatible {
            Err(DispatchError::NoSuchMethod {
                method: method.to_owned(),
            })
        } else {
            Err(DispatchError::UnsupportedVersion {
                requested: requested_text,
                method: method.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::context::RequestContext;
    use serde_json::json;

    fn dispatcher() -> Dispatcher {
        Dispatcher::new(vec![
            EndpointInfo {
                namespace: None,
                version: Version::new(3, 0),
                methods: vec!["object_action".into()],
                ack_after_handling: vec!["object_action".into()],
            },
            EndpointInfo {
                namespace: Some("baseapi".into()),
                version: Version::new(1, 1),
                methods: vec!["ping".into(), "_private".into()],
                ack_after_handling: Vec::new(),
            },
        ])
    }

    fn request(method: &str, namespace: Option<&str>, version: Option<Value>) -> Request {
        Request {
            method: method.into(),
            args: Default::default(),
            namespace: namespace.map(str::to_owned),
            version,
            reply: None,
            unique_id: "u".into(),
            context: RequestContext::default(),
        }
    }

    #[test]
    fn namespace_and_compatible_version_select_the_endpoint() {
        let d = dispatcher();
        let id = d
            .resolve(&request("ping", Some("baseapi"), Some(json!("1.0"))))
            .unwrap();
        assert_eq!(
            id,
            MethodId {
                endpoint: 1,
                method: 0
            }
        );
        assert_eq!(
            d.resolve(&request("object_action", None, Some(json!("3.0")))),
            Ok(MethodId {
                endpoint: 0,
                method: 0
            })
        );
    }

    #[test]
    fn absent_version_means_1_0() {
        let d = dispatcher();
        assert!(d.resolve(&request("ping", Some("baseapi"), None)).is_ok());
        assert_eq!(
            d.resolve(&request("object_action", None, None)),
            Err(DispatchError::UnsupportedVersion {
                requested: "1.0".into(),
                method: "object_action".into()
            })
        );
    }

    #[test]
    fn unknown_and_private_methods_are_no_such_method() {
        let d = dispatcher();
        for method in ["nosuch", "_private"] {
            let err = d
                .resolve(&request(method, Some("baseapi"), Some(json!("1.1"))))
                .unwrap_err();
            assert_eq!(err.to_failure().class, "NoSuchMethod");
        }
    }

    #[test]
    fn newer_minor_null_version_and_other_namespace_are_unsupported() {
        let d = dispatcher();
        for (namespace, version) in [
            (Some("baseapi"), Some(json!("1.2"))),
            (Some("baseapi"), Some(Value::Null)),
            (Some("baseapi"), Some(json!("garbage"))),
            (Some("other"), Some(json!("1.0"))),
        ] {
            let err = d.resolve(&request("ping", namespace, version)).unwrap_err();
            let failure = err.to_failure();
            assert_eq!(failure.class, "UnsupportedVersion", "{namespace:?}");
            assert_eq!(failure.module, "oslo_messaging.rpc.dispatcher");
        }
    }
}
