//! [`Endpoint`] and [`Method`]: a manager's RPC surface as data (oslo's `target` plus the
//! endpoint's public methods).

use super::call::Call;
use super::response::Response;
use crate::rpc::{FailureClass, Version};

/// A handler: runs on the actor with exclusive access to its state.
pub type MethodFn<S> = fn(&mut S, Call) -> Response;

/// One named RPC method of an endpoint.
pub struct Method<S> {
    /// Name on the wire.
    pub name: &'static str,
    /// The handler.
    pub run: MethodFn<S>,
    /// Acknowledge after handling (at-least-once) rather than before dispatch.
    pub at_least_once: bool,
    /// Failures the handler may answer with as part of its contract (oslo
    /// `@messaging.expected_exceptions`): replied as any failure, logged at debug and counted
    /// apart from errors.
    pub expected_exceptions: &'static [FailureClass],
}

impl<S> std::fmt::Debug for Method<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Method")
            .field("name", &self.name)
            .field("at_least_once", &self.at_least_once)
            .field("expected_exceptions", &self.expected_exceptions)
            .finish()
    }
}

/// One RPC endpoint: oslo's `target = Target(namespace=…, version=…)` plus its methods.
pub struct Endpoint<S> {
    /// `None` is the null namespace.
    pub namespace: Option<&'static str>,
    /// The version this endpoint implements.
    pub version: Version,
    /// Its methods.
    pub methods: Vec<Method<S>>,
}

impl<S> std::fmt::Debug for Endpoint<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("namespace", &self.namespace)
            .field("version", &self.version)
            .field("methods", &self.methods)
            .finish()
    }
}

impl<S> Endpoint<S> {
    /// An endpoint without methods yet.
    pub fn new(namespace: Option<&'static str>, version: Version) -> Self {
        Self {
            namespace,
            version,
            methods: Vec::new(),
        }
    }

    /// Add a method, delivered at most once as oslo does (acked before dispatch).
    pub fn method(mut self, name: &'static str, run: MethodFn<S>) -> Self {
        self.methods.push(Method {
            name,
            run,
            at_least_once: false,
            expected_exceptions: &[],
        });
        self
    }

    /// Add a method delivered at least once: its message is acknowledged only after the
    /// handler finished, and goes back to the queue if the actor crashes meanwhile. The
    /// handler must tolerate running twice (a crash after its effects, before the ack).
    pub fn method_at_least_once(mut self, name: &'static str, run: MethodFn<S>) -> Self {
        self.methods.push(Method {
            name,
            run,
            at_least_once: true,
            expected_exceptions: &[],
        });
        self
    }

    /// Declare the failures the method added last may answer with as part of its contract,
    /// as oslo's `@messaging.expected_exceptions(...)` decorates one method. Call it right
    /// after [`Endpoint::method`]; on an endpoint without methods it declares nothing.
    pub fn expected_exceptions(mut self, classes: &'static [FailureClass]) -> Self {
        debug_assert!(
            !self.methods.is_empty(),
            "expected_exceptions declared before any method"
        );
        if let Some(method) = self.methods.last_mut() {
            method.expected_exceptions = classes;
        }
        self
    }
}
