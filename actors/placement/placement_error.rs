//! [`PlacementError`], every way a placement operation can fail, and the reading of
//! placement's JSON error body (`{"errors": [{"status", "title", "detail", "code",
//! "request_id"}]}`, API-WG errors guideline; `code` only at microversion ≥ 1.23).
//!
//! Every error is safe to ignore: the compute's next periodic run tries again (Nova's
//! `safe_connect` does the same by returning `None`). [`PlacementError::is_outage`] says
//! whether placement (or Keystone) could not be reached at all, decided once, exhaustively.

use serde::Deserialize;

/// Placement's error codes (`placement/errors.py`) the client acts on.
pub mod codes {
    /// The provider's generation changed since it was read (409).
    pub const CONCURRENT_UPDATE: &str = "placement.concurrent_update";
    /// Removing inventory that allocations still use (409).
    pub const INVENTORY_INUSE: &str = "placement.inventory.inuse";
    /// Another provider already has this name (409).
    pub const DUPLICATE_NAME: &str = "placement.duplicate_name";
    /// The provider still has allocations (409 on DELETE).
    pub const PROVIDER_IN_USE: &str = "placement.resource_provider.inuse";
}

/// What placement said in its error body: the first error of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlacementFault {
    /// `code`, e.g. `placement.concurrent_update` (absent below microversion 1.23).
    pub code: Option<String>,
    /// `detail`, or the raw body when it is not placement's JSON.
    pub detail: String,
    /// `request_id` (`req-…`), to find the request in placement's log.
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

impl PlacementFault {
    /// Reads an error body; anything that is not placement's JSON becomes the detail, cut
    /// to 500 characters (a proxy's HTML page must not flood the log).
    pub fn from_body(body: &[u8]) -> Self {
        if let Ok(ErrorBody { errors }) = serde_json::from_slice::<ErrorBody>(body) {
            if let Some(first) = errors.into_iter().next() {
                let detail = first.detail.or(first.title).unwrap_or_default();
                return PlacementFault {
                    code: first.code,
                    detail: collapse_whitespace(&detail),
                    request_id: first.request_id,
                };
            }
        }
        let text = String::from_utf8_lossy(body);
        PlacementFault {
            code: None,
            detail: collapse_whitespace(&text).chars().take(500).collect(),
            request_id: None,
        }
    }

    /// Whether `code` is `expected`.
    pub fn has_code(&self, expected: &str) -> bool {
        self.code.as_deref() == Some(expected)
    }
}

/// Placement's details carry webob's blank lines ("There was a conflict…\n\n resource
/// provider generation conflict  "): one line, single spaces.
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A failed placement operation (Nova: the `ResourceProvider*Failed`, `InventoryInUse`,
/// `TraitCreationFailed`… exceptions of `nova/exception.py`, and keystoneauth's connection
/// errors that `safe_connect` swallows).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PlacementError {
    /// No HTTP answer: refused, reset, DNS, TLS or timed out.
    #[error("placement API at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport's error text.
        reason: String,
    },
    /// An answer outside the ones the operation expects.
    #[error(
        "placement API answered {status} to {method} {path}: {}{}",
        fault.detail,
        fault.code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
    )]
    Http {
        /// `GET`, `PUT`, …
        method: &'static str,
        /// The path asked.
        path: String,
        /// The HTTP status.
        status: u16,
        /// Placement's error body.
        fault: PlacementFault,
    },
    /// The provider's generation kept changing under us (`placement.concurrent_update`)
    /// through every retry; the next periodic run re-reads it and tries again.
    #[error(
        "resource provider {uuid} was updated concurrently {attempts} times in a row while \
         setting its {what}: {}", fault.detail
    )]
    Conflict {
        /// The provider.
        uuid: String,
        /// `inventory` or `traits`.
        what: &'static str,
        /// PUTs tried.
        attempts: u32,
        /// Placement's last 409 body.
        fault: PlacementFault,
    },
    /// Nova `InventoryInUse`: the new inventory removes resources that allocations use.
    #[error("inventory of resource provider {uuid} is in use: {}", fault.detail)]
    InventoryInUse {
        /// The provider.
        uuid: String,
        /// Placement's 409 body.
        fault: PlacementFault,
    },
    /// Nova `ResourceProviderCreationFailed` for a name taken by another uuid (a host
    /// re-created with a new compute node uuid while the old provider remains).
    #[error(
        "cannot create resource provider {uuid}: another provider is named {name:?} \
         (delete the stale provider: openstack resource provider delete <uuid>)"
    )]
    NameConflict {
        /// The provider we wanted.
        uuid: String,
        /// Its name.
        name: String,
    },
    /// Nova `ResourceProviderInUse`: the provider still has allocations.
    #[error("resource provider {uuid} still has allocations: {}", fault.detail)]
    ProviderInUse {
        /// The provider.
        uuid: String,
        /// Placement's 409 body.
        fault: PlacementFault,
    },
    /// A standard trait placement does not know (only `CUSTOM_*` traits can be created).
    #[error(
        "placement does not know the standard trait {trait_name}; only CUSTOM_ traits can \
         be created (is placement older than this compute?)"
    )]
    UnknownTrait {
        /// The trait.
        trait_name: String,
    },
    /// A trait name placement would refuse (names are `A`–`Z`, `0`–`9` and `_`).
    #[error("{trait_name:?} is not a trait name (upper-case letters, digits and _ only)")]
    InvalidTraitName {
        /// The name.
        trait_name: String,
    },
    /// An operation on a provider this client has not ensured (or has forgotten after a
    /// 404): call `ensure_resource_provider` first.
    #[error("resource provider {uuid} is not known to this client; ensure it first")]
    ProviderNotEnsured {
        /// The provider.
        uuid: String,
    },
    /// A 2xx answer whose body is not what the microversion promises.
    #[error("placement's answer to {method} {path} is not what was expected: {reason}")]
    BadBody {
        /// `GET`, `PUT`, …
        method: &'static str,
        /// The path asked.
        path: String,
        /// What did not parse.
        reason: String,
    },
    /// Keystone refused the login or could not be reached.
    #[error("keystone login at {url} failed: {reason}")]
    Keystone {
        /// The token URL.
        url: String,
        /// Why: the status and Keystone's message, or the transport's error.
        reason: String,
        /// Whether Keystone could not be reached at all.
        unreachable: bool,
    },
    /// Keystone's catalog has no placement endpoint matching the options.
    #[error(
        "no {service_type} endpoint in Keystone's catalog for interfaces {interfaces:?}{}",
        region.as_ref().map(|r| format!(" in region {r}")).unwrap_or_default()
    )]
    EndpointNotFound {
        /// `[placement] service_type`.
        service_type: String,
        /// `[placement] valid_interfaces`.
        interfaces: Vec<String>,
        /// `[placement] region_name`.
        region: Option<String>,
    },
}

pub(super) use crate::keystone::password_login::transport_reason;

impl From<crate::keystone::password_login::LoginFailure> for PlacementError {
    fn from(failure: crate::keystone::password_login::LoginFailure) -> Self {
        PlacementError::Keystone {
            url: failure.url,
            reason: failure.reason,
            unreachable: failure.unreachable,
        }
    }
}

impl PlacementError {
    /// Whether placement or Keystone could not be reached, or a gateway in front of them
    /// says so (502/503/504): the start of an outage, logged once by the client.
    pub fn is_outage(&self) -> bool {
        match self {
            PlacementError::Unreachable { .. } => true,
            PlacementError::Http { status, .. } => matches!(status, 502..=504),
            PlacementError::Keystone { unreachable, .. } => *unreachable,
            PlacementError::Conflict { .. }
            | PlacementError::InventoryInUse { .. }
            | PlacementError::NameConflict { .. }
            | PlacementError::ProviderInUse { .. }
            | PlacementError::UnknownTrait { .. }
            | PlacementError::InvalidTraitName { .. }
            | PlacementError::ProviderNotEnsured { .. }
            | PlacementError::BadBody { .. }
            | PlacementError::EndpointNotFound { .. } => false,
        }
    }

    /// The HTTP status placement answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            PlacementError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concurrent_update_body_gives_code_detail_and_request_id() {
        // As placement 16.0.0 answers a PUT of inventories with a stale generation (1.26).
        let body = br#"{"errors": [{"status": 409, "title": "Conflict", "detail": "There was a conflict when trying to complete your request.\n\n resource provider generation conflict  ", "code": "placement.concurrent_update", "request_id": "req-6d5c1b1e-2f7e-4b0c-9a53-0a4c3f0f1d2e"}]}"#;
        let fault = PlacementFault::from_body(body);
        assert_eq!(fault.code.as_deref(), Some(codes::CONCURRENT_UPDATE));
        assert!(fault.has_code(codes::CONCURRENT_UPDATE));
        assert_eq!(
            fault.detail,
            "There was a conflict when trying to complete your request. resource provider \
             generation conflict"
        );
        assert_eq!(
            fault.request_id.as_deref(),
            Some("req-6d5c1b1e-2f7e-4b0c-9a53-0a4c3f0f1d2e")
        );
    }

    #[test]
    fn a_body_below_microversion_1_23_has_no_code() {
        let body = br#"{"errors": [{"status": 404, "title": "Not Found", "detail": "No resource provider with uuid x found"}]}"#;
        let fault = PlacementFault::from_body(body);
        assert_eq!(fault.code, None);
        assert_eq!(fault.detail, "No resource provider with uuid x found");
    }

    #[test]
    fn a_body_that_is_not_placements_json_becomes_a_short_detail() {
        let html = format!(
            "<html><body>502 Bad Gateway{}</body></html>",
            " x".repeat(600)
        );
        let fault = PlacementFault::from_body(html.as_bytes());
        assert_eq!(fault.code, None);
        assert!(fault.detail.starts_with("<html><body>502 Bad Gateway"));
        assert_eq!(fault.detail.chars().count(), 500);
        assert_eq!(PlacementFault::from_body(b"").detail, "");
        assert_eq!(
            PlacementFault::from_body(br#"{"errors": []}"#).detail,
            "{\"errors\": []}"
        );
    }

    #[test]
    fn only_unreachable_services_and_gateways_count_as_an_outage() {
        let http = |status| PlacementError::Http {
            method: "GET",
            path: "/".into(),
            status,
            fault: PlacementFault::default(),
        };
        assert!(PlacementError::Unreachable {
            url: "http://p".into(),
            reason: "refused".into()
        }
        .is_outage());
        assert!(http(503).is_outage());
        assert!(!http(500).is_outage());
        assert!(!http(409).is_outage());
        assert_eq!(http(409).status(), Some(409));
        let message = http(409).to_string();
        assert_eq!(message, "placement API answered 409 to GET /: ");
    }
}
