//! [`Response`]: what a handler, hook or periodic task returns — finished now, or a
//! future that finishes later without borrowing the manager.

use futures::future::LocalBoxFuture;
use futures::FutureExt;
use serde_json::Value;

use crate::rpc::{FailureClass, RemoteFailure};

/// What a handler, hook or periodic task returns.
pub enum Response {
    /// Finished inside the handler.
    Ready(Result<Value, RemoteFailure>),
    /// Finishes later; the future runs without borrowing the manager, so the actor takes
    /// its next message meanwhile.
    Later(LocalBoxFuture<'static, Result<Value, RemoteFailure>>),
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ready(outcome) => f.debug_tuple("Ready").field(outcome).finish(),
            Self::Later(_) => f.write_str("Later(..)"),
        }
    }
}

impl Response {
    /// A successful result.
    pub fn ok(value: impl Into<Value>) -> Self {
        Self::Ready(Ok(value.into()))
    }

    /// Success without a value (`None` in Python).
    pub fn done() -> Self {
        Self::Ready(Ok(Value::Null))
    }

    /// A failure.
    pub fn err(failure: RemoteFailure) -> Self {
        Self::Ready(Err(failure))
    }

    /// Work that finishes later.
    pub fn later(
        future: impl std::future::Future<Output = Result<Value, RemoteFailure>> + 'static,
    ) -> Self {
        Self::Later(Box::pin(future))
    }
}

impl From<Result<Value, RemoteFailure>> for Response {
    fn from(outcome: Result<Value, RemoteFailure>) -> Self {
        Self::Ready(outcome)
    }
}

/// `outcome` with a failure of one of `classes` marked expected.
fn mark(
    outcome: Result<Value, RemoteFailure>,
    classes: &[FailureClass],
) -> Result<Value, RemoteFailure> {
    outcome.map_err(|failure| {
        if FailureClass::any_matches(classes, &failure) {
            failure.mark_expected()
        } else {
            failure
        }
    })
}

impl Response {
    /// This response with a failure of one of `classes` marked expected, now or when the
    /// work finishes (a method's `expected_exceptions`).
    pub(crate) fn expecting(self, classes: &'static [FailureClass]) -> Self {
        if classes.is_empty() {
            return self;
        }
        match self {
            Self::Ready(outcome) => Self::Ready(mark(outcome, classes)),
            Self::Later(work) => {
                Self::Later(work.map(|outcome| mark(outcome, classes)).boxed_local())
            }
        }
    }
}
