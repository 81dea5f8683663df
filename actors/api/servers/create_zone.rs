//! The create's `availability_zone` as Nova's `compute/api.py` `parse_availability_zone` and
//! `servers.py` `create` read it: `az`, or an admin's forced host as `az:host`,
//! `az:host:node` or `az::node`. A forced host or node goes to the request spec's
//! `force_hosts` / `force_nodes`, where the scheduler skips its filters (unlike 2.74's
//! `host`, which the filters still check); policy `os_compute_api:servers:create:forced_host`.
//!
//! novactor has no host aggregates: every compute is in the one compute zone, so a zone
//! other than it is "not available" (Nova's 400), and with a forced host Nova's
//! `_validate_host_availability_zone` keeps the default zone and drops any other (bug
//! #1934770: the host belongs to no aggregate).

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;
use crate::api::auth::Ctx;
use crate::api::policy::defaults as policy;

/// What a create's `availability_zone` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestedZone {
    /// The zone the request spec pins (`None`: Nova's `default_schedule_zone`, unset).
    pub zone: Option<String>,
    /// `az:host[:node]`: the host the server is forced onto.
    pub force_host: Option<String>,
    /// `az:host:node` / `az::node`: the node it is forced onto.
    pub force_node: Option<String>,
}

/// Nova `parse_availability_zone`: `(zone, host, node)`, each part present when non-empty.
fn parse(value: &str) -> Result<RequestedZone, ApiFault> {
    let (zone, host, node) = match value.matches(':').count() {
        0 => (value, "", ""),
        1 => {
            let (zone, host) = value.split_once(':').unwrap_or((value, ""));
            (zone, host, "")
        }
        2 => match value.split_once("::") {
            Some((zone, node)) => (zone, "", node),
            None => {
                let mut parts = value.splitn(3, ':');
                let mut next = || parts.next().unwrap_or_default();
                (next(), next(), next())
            }
        },
        _ => {
            return Err(ApiFault::bad_request(
                "Invalid input received: Unable to parse availability_zone",
            ))
        }
    };
    let part = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    Ok(RequestedZone {
        zone: part(zone),
        force_host: part(host),
        force_node: part(node),
    })
}

/// The create's zone and forced destination; `compute_zone` is the zone every compute is in.
pub fn requested_zone(
    ctx: &Ctx,
    server: &Map<String, Value>,
    compute_zone: &str,
) -> Result<RequestedZone, ApiFault> {
    let value = match server.get("availability_zone") {
        None | Some(Value::Null) => return Ok(RequestedZone::default()),
        Some(Value::String(value)) => value,
        Some(other) => {
            return Err(ApiFault::bad_request(format!(
                "Invalid input for field/attribute availability_zone. Value: {other}. {other} \
                 is not of type 'string'"
            )))
        }
    };
    let mut asked = parse(value)?;
    if asked.force_host.is_some() || asked.force_node.is_some() {
        ctx.authorize_own(policy::SERVERS_CREATE_FORCED_HOST)?;
        // `_validate_host_availability_zone`: the host is in no aggregate, so only the
        // default zone is kept.
        if asked.zone.as_deref() != Some(compute_zone) {
            if let Some(zone) = asked.zone.take() {
                tracing::warn!(
                    "Requested availability zone '{zone}' but forced host '{}' does not belong \
                     to any availability zones; ignoring requested availability zone to avoid \
                     bug #1934770",
                    asked.force_host.as_deref().unwrap_or_default()
                );
            }
        }
    }
    // `_validate_and_build_base_options`: a zone (without a forced host) must exist.
    if asked.force_host.is_none() && asked.zone.as_deref().is_some_and(|z| z != compute_zone) {
        return Err(ApiFault::bad_request(
            "The requested availability zone is not available",
        ));
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::{parse, RequestedZone};

    fn zone(zone: &str, host: &str, node: &str) -> RequestedZone {
        let part = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        RequestedZone {
            zone: part(zone),
            force_host: part(host),
            force_node: part(node),
        }
    }

    #[test]
    fn zones_parse_as_novas_legacy_host_hack() {
        for (value, want) in [
            ("nova", zone("nova", "", "")),
            ("nova:h1", zone("nova", "h1", "")),
            (":h1", zone("", "h1", "")),
            ("nova:h1:n1", zone("nova", "h1", "n1")),
            ("nova::n1", zone("nova", "", "n1")),
            ("::n1", zone("", "", "n1")),
            ("", zone("", "", "")),
        ] {
            assert_eq!(parse(value).ok(), Some(want), "{value}");
        }
        let error = parse("a:b:c:d").expect_err("three colons");
        assert!(
            error
                .to_string()
                .contains("Unable to parse availability_zone"),
            "{error}"
        );
    }
}
