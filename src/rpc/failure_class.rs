//! [`FailureClass`]: a remote exception class as the wire names it (module and class), for
//! declaring which failures are *expected* (oslo `@messaging.expected_exceptions`): an
//! endpoint method lists those its handler may answer with, a client those its caller
//! handles. Expected failures are still replied and returned as failures; they are logged
//! at debug and counted apart from errors.

use super::failure::RemoteFailure;

/// `module.class` of a remote exception, e.g. `nova.exception.NoValidHost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureClass {
    /// Python module of the class.
    pub module: &'static str,
    /// Class name.
    pub class: &'static str,
}

impl FailureClass {
    /// The class `module.class`.
    pub const fn new(module: &'static str, class: &'static str) -> Self {
        Self { module, class }
    }

    /// True when `failure` is of this class.
    pub fn matches(&self, failure: &RemoteFailure) -> bool {
        failure.module == self.module && failure.class == self.class
    }

    /// True when one of `classes` matches `failure`.
    pub fn any_matches(classes: &[Self], failure: &RemoteFailure) -> bool {
        classes.iter().any(|class| class.matches(failure))
    }
}

impl std::fmt::Display for FailureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.module, self.class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_matches_module_and_name() {
        let no_valid_host = FailureClass::new("nova.exception", "NoValidHost");
        let failure = RemoteFailure::new("nova.exception", "NoValidHost", "no host");
        assert!(no_valid_host.matches(&failure));
        assert!(!no_valid_host.matches(&RemoteFailure::new("other", "NoValidHost", "x")));
        assert!(FailureClass::any_matches(&[no_valid_host], &failure));
        assert!(!FailureClass::any_matches(&[], &failure));
        assert_eq!(no_valid_host.to_string(), "nova.exception.NoValidHost");
    }
}
