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

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: &[FailureClass] = &[FailureClass::new("app.exception", "NotThere")];

    fn failure_of(response: Response) -> RemoteFailure {
        let outcome = match response {
            Response::Ready(outcome) => outcome,
            Response::Later(work) => futures::executor::block_on(work),
        };
        outcome.expect_err("a failure")
    }

    #[test]
    fn a_declared_failure_is_marked_expected_now_or_later() {
        let declared = || RemoteFailure::new("app.exception", "NotThere", "gone");
        let now = Response::err(declared()).expecting(EXPECTED);
        assert!(failure_of(now).is_expected());
        let later = Response::later(async move { Err(declared()) }).expecting(EXPECTED);
        assert!(failure_of(later).is_expected());
    }

    #[test]
    fn any_other_failure_stays_unexpected() {
        let other = Response::err(RemoteFailure::value_error("bad")).expecting(EXPECTED);
        assert!(!failure_of(other).is_expected());
        let undeclared =
            Response::err(RemoteFailure::new("app.exception", "NotThere", "gone")).expecting(&[]);
        assert!(!failure_of(undeclared).is_expected());
    }
}
