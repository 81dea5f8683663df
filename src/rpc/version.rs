//! RPC API versions and oslo's compatibility rule (oslo: `_utils.version_is_compatible`).

use std::fmt;
use std::str::FromStr;

/// An RPC API version `X.Y[.Z]` as carried in the `version` key of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Incompatible changes bump the major.
    pub major: u32,
    /// Backwards-compatible additions bump the minor.
    pub minor: u32,
    /// Rarely used third component; a missing one counts as 0.
    pub rev: u32,
}

impl Version {
    /// A `major.minor` version with revision 0.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self {
            major,
            minor,
            rev: 0,
        }
    }

    /// True when an endpoint implementing `self` can serve a request for `requested`:
    /// same major, and requested minor below ours, or equal minor and rev not above ours.
    pub fn can_serve(&self, requested: &Version) -> bool {
        requested.major == self.major
            && (requested.minor < self.minor
                || (requested.minor == self.minor && requested.rev <= self.rev))
    }
}

/// oslo: a request without a `version` key asks for 1.0.
pub const DEFAULT_REQUEST_VERSION: Version = Version::new(1, 0);

/// A version string that is not `X.Y` or `X.Y.Z` with decimal numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RPC version {0:?}: expected \"X.Y\" or \"X.Y.Z\"")]
pub struct InvalidVersion(pub String);

impl FromStr for Version {
    type Err = InvalidVersion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidVersion(text.to_owned());
        let mut parts = text.split('.');
        let mut number = |required: bool| -> Result<u32, InvalidVersion> {
            match parts.next() {
                Some(part) => part.parse::<u32>().map_err(|_| invalid()),
                None if required => Err(invalid()),
                None => Ok(0),
            }
        };
        let major = number(true)?;
        let minor = number(true)?;
        let rev = number(false)?;
        if parts.next().is_some() {
            return Err(invalid());
        }
        Ok(Self { major, minor, rev })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rev == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.rev)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().expect("valid version")
    }

    #[test]
    fn same_major_and_lower_or_equal_minor_is_compatible() {
        assert!(v("1.1").can_serve(&v("1.0")));
        assert!(v("1.1").can_serve(&v("1.1")));
        assert!(!v("1.1").can_serve(&v("1.2")));
        assert!(!v("1.1").can_serve(&v("2.0")));
        assert!(!v("2.0").can_serve(&v("1.0")));
    }

    #[test]
    fn revision_only_matters_on_equal_minor() {
        assert!(v("1.3.2").can_serve(&v("1.3.1")));
        assert!(!v("1.3").can_serve(&v("1.3.1")));
        assert!(v("1.4").can_serve(&v("1.3.9")));
    }

    #[test]
    fn parse_rejects_malformed_text() {
        for bad in ["", "1", "1.", "a.b", "1.2.3.4", "-1.0", " 1.0"] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(v("6.5").to_string(), "6.5");
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
    }
}
