//! Compute API microversions (Nova: `nova/api/openstack/api_version_request.py`, header
//! parsing as `microversion_parse` does it): which version a request asked for, and the
//! headers every versioned response echoes.

use actix_web::http::header::HeaderMap;

use super::api_fault::ApiFault;

/// A compute API microversion `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// Always 2 in this API.
    pub major: u32,
    /// The microversion proper.
    pub minor: u32,
}

/// The oldest version served (`min_version`).
pub const MIN_VERSION: ApiVersion = ApiVersion::new(2, 1);
/// The newest version served (`version`): Nova 34's maximum.
pub const MAX_VERSION: ApiVersion = ApiVersion::new(2, 104);

/// The modern header (`OpenStack-API-Version: compute 2.104`).
pub const HEADER: &str = "OpenStack-API-Version";
/// The legacy header (`X-OpenStack-Nova-API-Version: 2.53`).
pub const LEGACY_HEADER: &str = "X-OpenStack-Nova-API-Version";

impl ApiVersion {
    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// True from `2.<minor>` on.
    pub fn at_least(self, minor: u32) -> bool {
        self >= Self::new(2, minor)
    }

    /// Parses `X.Y` (no leading zeros, as Nova's regex `^([1-9]\d*)\.([1-9]\d*|0)$`).
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.split_once('.')?;
        let number = |s: &str| {
            let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let canonical = s == "0" || !s.starts_with('0');
            if digits && canonical {
                s.parse::<u32>().ok()
            } else {
                None
            }
        };
        let major = number(major).filter(|m| *m > 0)?;
        Some(Self::new(major, number(minor)?))
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The version text a request sent, if any: the `compute` entry of `OpenStack-API-Version`
/// (comma-separated `service version` pairs) wins over the legacy header.
fn requested(headers: &HeaderMap) -> Option<String> {
    let modern = headers
        .get_all(HEADER)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|item| {
            let mut words = item.split_whitespace();
            match (words.next(), words.next()) {
                (Some(service), Some(version)) if service.eq_ignore_ascii_case("compute") => {
                    Some(version.to_owned())
                }
                _ => None,
            }
        });
    modern.or_else(|| {
        headers
            .get(LEGACY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    })
}

/// The version a request asked for: absent ⇒ 2.1, `latest` ⇒ the maximum, malformed ⇒
/// 400, outside [min, max] ⇒ 406 (Nova `Request.set_api_version_request`).
pub fn negotiate(headers: &HeaderMap) -> Result<ApiVersion, ApiFault> {
    let Some(text) = requested(headers) else {
        return Ok(MIN_VERSION);
    };
    if text.eq_ignore_ascii_case("latest") {
        return Ok(MAX_VERSION);
    }
    let version = ApiVersion::parse(&text).ok_or_else(|| {
        ApiFault::bad_request(format!(
            "API Version String {text} is of invalid format. Must be of format MajorNum.MinorNum."
        ))
    })?;
    if version < MIN_VERSION || version > MAX_VERSION {
        return Err(ApiFault::not_acceptable(format!(
            "Version {version} is not supported by the API. Minimum is {MIN_VERSION} and maximum is {MAX_VERSION}."
        )));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn versions_parse_like_novas_regex() {
        assert_eq!(ApiVersion::parse("2.53"), Some(ApiVersion::new(2, 53)));
        assert_eq!(ApiVersion::parse("2.0"), Some(ApiVersion::new(2, 0)));
        for bad in ["2", "2.", ".1", "02.1", "2.01", "a.b", "2.1.1", "0.1", ""] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn negotiation_prefers_the_modern_header_and_checks_the_range() {
        assert_eq!(negotiate(&headers(&[])).unwrap(), MIN_VERSION);
        let both = headers(&[
            ("openstack-api-version", "volume 3.1, compute 2.20"),
            ("x-openstack-nova-api-version", "2.5"),
        ]);
        assert_eq!(negotiate(&both).unwrap(), ApiVersion::new(2, 20));
        let legacy = headers(&[("x-openstack-nova-api-version", "latest")]);
        assert_eq!(negotiate(&legacy).unwrap(), MAX_VERSION);
        assert_eq!(
            negotiate(&headers(&[("openstack-api-version", "compute 2.x")]))
                .unwrap_err()
                .status
                .as_u16(),
            400
        );
        let top = negotiate(&headers(&[("openstack-api-version", "compute 2.104")])).unwrap();
        assert_eq!(top, ApiVersion::new(2, 104));
        let high = negotiate(&headers(&[("openstack-api-version", "compute 2.105")])).unwrap_err();
        assert_eq!(high.status.as_u16(), 406);
        assert_eq!(
            high.message,
            "Version 2.105 is not supported by the API. Minimum is 2.1 and maximum is 2.104."
        );
    }
}
