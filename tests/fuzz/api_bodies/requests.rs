//! The generated requests: a mutated corpus body on its endpoint (or another), and a read
//! with a path, an id, a query string, a version and a token.

use proptest::prelude::*;
use proptest::sample::Index;

use super::target::Target;
use crate::support::*;

/// Keys of the bodies the API reads, and some it does not.
pub(super) const KEYS: &[&str] = &[
    "server",
    "name",
    "imageRef",
    "flavorRef",
    "networks",
    "uuid",
    "port",
    "fixed_ip",
    "min_count",
    "max_count",
    "block_device_mapping_v2",
    "boot_index",
    "source_type",
    "destination_type",
    "availability_zone",
    "metadata",
    "description",
    "user_data",
    "key_name",
    "security_groups",
    "os:scheduler_hints",
    "reboot",
    "type",
    "os-stop",
    "os-start",
    "status",
    "disabled_reason",
    "forced_down",
    "host",
    "binary",
    "flavor",
];

pub(super) const STRINGS: &[&str] = &[
    "70a599e0-31e7-49b7-b260-868f441e862b",
    "1",
    "2",
    "42",
    "none",
    "auto",
    "SOFT",
    "HARD",
    "soft",
    "enabled",
    "disabled",
    "nova-compute",
    "nova-conductor",
    "image",
    "volume",
    "http://127.0.0.1:8774/v2.1/flavors/1",
    "/",
];

/// The endpoints a body may go to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Endpoint {
    ServersCreate,
    ServerAction,
    ServicesUpdate,
    ServicesLegacy,
    FlavorsCreate,
}

pub(super) const ENDPOINTS: &[Endpoint] = &[
    Endpoint::ServersCreate,
    Endpoint::ServerAction,
    Endpoint::ServicesUpdate,
    Endpoint::ServicesLegacy,
    Endpoint::FlavorsCreate,
];

pub(super) fn endpoint_of(seed: &Seed) -> Endpoint {
    match seed.name.split("__").next() {
        Some("servers_create") => Endpoint::ServersCreate,
        Some("server_action") => Endpoint::ServerAction,
        Some("os_services_update") => Endpoint::ServicesUpdate,
        Some("os_services_legacy") => Endpoint::ServicesLegacy,
        Some("flavors_create") => Endpoint::FlavorsCreate,
        _ => panic!(
            "{}: corpus files are named <endpoint>__<what>.json",
            seed.name
        ),
    }
}

pub(super) const VERSIONS: &[&str] = &[
    "compute 2.1",
    "compute 2.11",
    "compute 2.19",
    "compute 2.37",
    "compute 2.52",
    "compute 2.53",
    "compute latest",
    "compute 2.99",
    "compute 3.0",
    "compute x",
    "compute",
    "nova 2.1",
    "",
];

pub(super) const TOKENS: &[Option<&str>] = &[
    Some("notused"),
    Some("notused"),
    Some("admin:admin"),
    Some("alice:p1"),
    Some("alice"),
    Some(":"),
    Some(""),
    None,
];

pub(super) const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    Some("application/x-www-form-urlencoded"),
    None,
];

/// Ids in a path: the real ones, and everything else.
pub(super) const IDS: &[&str] = &[
    "REAL",
    "REAL",
    "REAL",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "1",
    "%FF%FE",
    "%00",
    "%2F..%2F",
    "..",
    "a%20b",
    "%E2%98%83",
    "",
];

/// One generated request with a body.
#[derive(Debug, Clone)]
pub(super) struct BodyRequest {
    pub(super) body: Mutation,
    /// `None`: the seed's own endpoint.
    pub(super) endpoint: Option<Index>,
    pub(super) id: Index,
    pub(super) legacy_action: Index,
    pub(super) version: Index,
    pub(super) token: Index,
    pub(super) content_type: Index,
}

pub(super) fn body_request() -> impl Strategy<Value = BodyRequest> {
    (
        mutation(KEYS, STRINGS),
        prop::option::weighted(0.15, any::<Index>()),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
    )
        .prop_map(
            |(body, endpoint, id, legacy_action, version, token, content_type)| BodyRequest {
                body,
                endpoint,
                id,
                legacy_action,
                version,
                token,
                content_type,
            },
        )
}

impl BodyRequest {
    pub(super) fn path(&self, endpoint: Endpoint, target: &Target) -> (&'static str, String) {
        let id = |real: &str| match *self.id.get(IDS) {
            "REAL" => real.to_owned(),
            other => other.to_owned(),
        };
        match endpoint {
            Endpoint::ServersCreate => ("POST", "/v2.1/servers".to_owned()),
            Endpoint::ServerAction => (
                "POST",
                format!("/v2.1/servers/{}/action", id(&target.server_id)),
            ),
            Endpoint::ServicesUpdate => (
                "PUT",
                format!("/v2.1/os-services/{}", id(&target.service_id)),
            ),
            Endpoint::ServicesLegacy => {
                let action = *self.legacy_action.get(&[
                    "enable",
                    "disable",
                    "disable-log-reason",
                    "force-down",
                    "nonsense",
                ]);
                ("PUT", format!("/v2.1/os-services/{action}"))
            }
            Endpoint::FlavorsCreate => ("POST", "/v2.1/flavors".to_owned()),
        }
    }
}

/// Query parameters the list endpoints read, and some they do not.
pub(super) const QUERY_KEYS: &[&str] = &[
    "name",
    "status",
    "host",
    "image",
    "flavor",
    "reservation_id",
    "all_tenants",
    "limit",
    "marker",
    "is_public",
    "minRam",
    "minDisk",
    "sort_key",
    "sort_dir",
    "binary",
    "changes-since",
    "deleted",
    "hypervisor_hostname_pattern",
    "with_servers",
];

pub(super) const QUERY_VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "1000",
    "99999999999999999999",
    "true",
    "false",
    "None",
    "ACTIVE",
    "active",
    "BOGUS",
    "(a+)+$",
    "[",
    "\\",
    "*",
    ".*",
    "a{1000000}",
    "%",
    "%FF",
    "%00",
    "%E2%98%83",
    "+",
    "&",
    "=",
    "70a599e0-31e7-49b7-b260-868f441e862b",
    "m1.tiny",
    "nova-compute",
];

pub(super) const READ_PATHS: &[&str] = &[
    "/v2.1/servers",
    "/v2.1/servers/detail",
    "/v2.1/servers/ID",
    "/v2.1/flavors",
    "/v2.1/flavors/detail",
    "/v2.1/flavors/ID",
    "/v2.1/os-services",
    "/v2.1/os-hypervisors",
    "/v2.1/os-hypervisors/detail",
    "/v2.1/os-hypervisors/ID",
    "/v2.1/os-hypervisors/ID/uptime",
    "/v2.1/os-aggregates",
    "/image/v2/images",
    "/image/v2/images/ID",
    "/v2.1",
    "/",
    "/v2.1/nowhere",
];

/// One generated read: a path with an id, a query string, a version and a token.
#[derive(Debug, Clone)]
pub(super) struct ReadRequest {
    pub(super) path: Index,
    pub(super) id: Index,
    pub(super) id_noise: Option<String>,
    pub(super) query: Vec<(Index, QueryValue)>,
    pub(super) version: Index,
    pub(super) token: Index,
}

#[derive(Debug, Clone)]
pub(super) enum QueryValue {
    Known(Index),
    Text(String),
    Bytes(Vec<u8>),
}

pub(super) fn read_request() -> impl Strategy<Value = ReadRequest> {
    let value = prop_oneof![
        3 => any::<Index>().prop_map(QueryValue::Known),
        1 => ".{0,16}".prop_map(QueryValue::Text),
        1 => prop::collection::vec(any::<u8>(), 0..12).prop_map(QueryValue::Bytes),
    ];
    (
        any::<Index>(),
        any::<Index>(),
        prop::option::weighted(0.2, "[^/?#]{0,40}"),
        prop::collection::vec((any::<Index>(), value), 0..5),
        any::<Index>(),
        any::<Index>(),
    )
        .prop_map(|(path, id, id_noise, query, version, token)| ReadRequest {
            path,
            id,
            id_noise,
            query,
            version,
            token,
        })
}

/// `text` %-encoded except for unreserved characters (and sometimes a raw `%`).
pub(super) fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'%' => {
                (*b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl ReadRequest {
    pub(super) fn uri(&self, target: &Target) -> String {
        let template = *self.path.get(READ_PATHS);
        let id = match &self.id_noise {
            Some(noise) => encode(noise.as_bytes()),
            None => match *self.id.get(IDS) {
                "REAL" if template.contains("servers") => target.server_id.clone(),
                "REAL" if template.contains("flavors") => "1".to_owned(),
                "REAL" if template.contains("images") => {
                    "70a599e0-31e7-49b7-b260-868f441e862b".to_owned()
                }
                "REAL" => "1".to_owned(),
                other => other.to_owned(),
            },
        };
        let path = template.replace("ID", &id);
        if self.query.is_empty() {
            return path;
        }
        let pairs: Vec<String> = self
            .query
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    QueryValue::Known(i) => (*i.get(QUERY_VALUES)).to_owned(),
                    QueryValue::Text(text) => encode(text.as_bytes()),
                    QueryValue::Bytes(bytes) => encode(bytes),
                };
                format!("{}={value}", key.get(QUERY_KEYS))
            })
            .collect();
        format!("{path}?{}", pairs.join("&"))
    }
}
