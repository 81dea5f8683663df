//! The scheduler hints of a create (`os:scheduler_hints`, else `OS-SCH-HNT:scheduler_hints`;
//! Nova: `schemas/servers.py` `_hints`, `servers.py` `create`, `RequestSpec._from_hints`):
//! read as Nova's schema reads them and turned into the `RequestSpec.scheduler_hints` dict
//! of lists of strings.
//!
//! Honoured: `same_host` and `different_host` (the `SameHostFilter` and
//! `DifferentHostFilter`, which novactor always runs — docs/DEVIATIONS.md D-SCHED-HINTS) and
//! `group` (the server joins that server group; its policy is enforced by the group filters).
//! Every other hint is refused with a 400 naming it: Nova would store it and run no filter
//! that reads it (`query` needs the `JsonFilter`, `build_near_host_ip`/`cidr` the
//! `SimpleCIDRAffinityFilter`, none enabled by default; `target_cell` and `different_cell`
//! are read by no filter at all), so the server would be placed without regard to it.

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;

/// The hints of one create request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateHints {
    /// Nova's `RequestSpec.scheduler_hints`: each hint's strings as a list.
    pub scheduler_hints: Map<String, Value>,
    /// The server group the new servers join (hint `group`).
    pub group: Option<String>,
}

/// Why each hint novactor cannot honour is refused.
const REFUSED_HINTS: &[(&str, &str)] = &[
    ("query", "the JsonFilter is not implemented"),
    (
        "build_near_host_ip",
        "the SimpleCIDRAffinityFilter is not implemented",
    ),
    ("cidr", "the SimpleCIDRAffinityFilter is not implemented"),
    (
        "target_cell",
        "novactor has one cell and no cell scheduling",
    ),
    (
        "different_cell",
        "novactor has one cell and no cell scheduling",
    ),
];

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

fn refused(field: &str, value: &Value, why: &str) -> ApiFault {
    invalid(
        field,
        value,
        &format!("novactor cannot honour {field} yet: {why}"),
    )
}

fn is_uuid(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| uuid::Uuid::parse_str(text).is_ok())
}

/// The uuid strings of a `same_host`/`different_host`/`group` value: one uuid, or a list
/// of them; anything else is Nova's schema error.
fn uuids(field: &str, value: &Value) -> Result<Vec<String>, ApiFault> {
    let bad = || {
        invalid(
            field,
            value,
            &format!("{value} is not valid under any of the given schemas"),
        )
    };
    match value {
        Value::String(_) if is_uuid(value) => Ok(vec![value.as_str().unwrap_or_default().into()]),
        Value::Array(items) if items.iter().all(is_uuid) => Ok(items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()),
        _ => Err(bad()),
    }
}

/// The hints of `body` (Nova reads `os:scheduler_hints` first), validated; a hint
/// novactor cannot honour is a 400 naming it.
pub fn parse_hints(body: &Map<String, Value>) -> Result<CreateHints, ApiFault> {
    let Some((key, value)) = ["os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"]
        .into_iter()
        .find_map(|key| body.get(key).map(|value| (key, value)))
    else {
        return Ok(CreateHints::default());
    };
    let hints = value
        .as_object()
        .ok_or_else(|| invalid(key, value, &format!("{value} is not of type 'object'")))?;
    let mut parsed = CreateHints::default();
    for (name, value) in hints {
        let strings = match name.as_str() {
            "same_host" | "different_host" => uuids(name, value)?,
            "group" => {
                let groups = uuids(name, value)?;
                match groups.as_slice() {
                    [one] => parsed.group = Some(one.clone()),
                    [] => {}
                    _ => {
                        return Err(refused(
                            name,
                            value,
                            "a server joins one server group; give one uuid",
                        ))
                    }
                }
                groups
            }
            other => {
                let why = REFUSED_HINTS
                    .iter()
                    .find(|(hint, _)| *hint == other)
                    .map_or("no scheduler filter of novactor reads it", |(_, why)| why);
                return Err(refused(other, value, why));
            }
        };
        parsed.scheduler_hints.insert(
            name.clone(),
            Value::Array(strings.into_iter().map(Value::String).collect()),
        );
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const U1: &str = "48e6a9f6-30af-47e0-bc04-acaed113bb4e";
    const U2: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

    fn parse(body: Value) -> Result<CreateHints, String> {
        parse_hints(body.as_object().expect("object")).map_err(|e| e.message)
    }

    #[test]
    fn honoured_hints_become_lists_of_strings() {
        let hints = parse(json!({"OS-SCH-HNT:scheduler_hints":
            {"same_host": U1, "different_host": [U1, U2], "group": U2}}))
        .unwrap();
        assert_eq!(
            Value::Object(hints.scheduler_hints),
            json!({"same_host": [U1], "different_host": [U1, U2], "group": [U2]})
        );
        assert_eq!(hints.group.as_deref(), Some(U2));
        // Nova reads os:scheduler_hints when both are sent.
        let first = parse(json!({"os:scheduler_hints": {"same_host": [U2]},
            "OS-SCH-HNT:scheduler_hints": {"same_host": [U1]}}))
        .unwrap();
        assert_eq!(first.scheduler_hints["same_host"], json!([U2]));
        assert_eq!(parse(json!({})).unwrap(), CreateHints::default());
    }

    #[test]
    fn bad_values_and_unhonoured_hints_are_400s_naming_the_hint() {
        for (hints, named) in [
            (json!({"same_host": "not-a-uuid"}), "same_host"),
            (json!({"different_host": [1]}), "different_host"),
            (json!({"group": [U1, U2]}), "group"),
            (
                json!({"query": "[\">=\", \"$free_ram_mb\", 1024]"}),
                "query",
            ),
            (json!({"target_cell": "cell1"}), "target_cell"),
            (
                json!({"build_near_host_ip": "10.0.0.1", "cidr": "/24"}),
                "build_near_host_ip",
            ),
            (json!({"my_filter_hint": "x"}), "my_filter_hint"),
        ] {
            let error = parse(json!({ "os:scheduler_hints": hints })).expect_err(named);
            assert!(
                error.contains(&format!("field/attribute {named}.")),
                "{named}: {error}"
            );
        }
        let error = parse(json!({"os:scheduler_hints": []})).unwrap_err();
        assert!(error.contains("is not of type 'object'"), "{error}");
    }
}
