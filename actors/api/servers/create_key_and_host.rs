//! Two create fields as Nova's schema and `servers.py` `create` read them: `key_name`
//! (`parameter_types.name`: the key pair the servers boot with; whether it exists is the
//! flow's check) and, from 2.74, `host` / `hypervisor_hostname` (`parameter_types.fqdn`;
//! `_process_hosts_for_create`: an admin's `requested_destination`, policy
//! `compute:servers:create:requested_destination`).

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;
use crate::api::auth::Ctx;
use crate::api::policy::defaults as policy;
use crate::objects::Destination;

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// `key_name`: a printable name of 1 to 255 characters without outer whitespace; absent
/// or null asks for none.
pub fn key_name(server: &Map<String, Value>) -> Result<Option<String>, ApiFault> {
    match server.get("key_name") {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::String(name)) => {
            let length = name.chars().count();
            if length == 0 {
                Err(invalid("key_name", value, &format!("{value} is too short")))
            } else if length > 255 {
                Err(invalid("key_name", value, &format!("{value} is too long")))
            } else if name.trim() != name || name.chars().any(char::is_control) {
                Err(invalid(
                    "key_name",
                    value,
                    "printable characters. Can not start or end with whitespace.",
                ))
            } else {
                Ok(Some(name.clone()))
            }
        }
        Some(other) => Err(invalid(
            "key_name",
            other,
            &format!("{other} is not of type 'string'"),
        )),
    }
}

/// Nova `parameter_types.fqdn`: 1 to 255 of `[a-zA-Z0-9-._]`.
fn fqdn(field: &str, value: Option<&Value>) -> Result<Option<String>, ApiFault> {
    match value {
        None => Ok(None),
        Some(value @ Value::String(name)) => {
            if name.is_empty() {
                Err(invalid(field, value, &format!("{value} is too short")))
            } else if name.len() > 255 {
                Err(invalid(field, value, &format!("{value} is too long")))
            } else if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            {
                Err(invalid(
                    field,
                    value,
                    &format!("'{name}' does not match '^[a-zA-Z0-9-._]*$'"),
                ))
            } else {
                Ok(Some(name.clone()))
            }
        }
        Some(other) => Err(invalid(
            field,
            other,
            &format!("{other} is not of type 'string'"),
        )),
    }
}

/// 2.74 `host` / `hypervisor_hostname` as the request spec's `requested_destination`
/// (the schema refuses both keys before 2.74); asking for either needs the
/// `requested_destination` policy (admin by default).
pub fn requested_destination(
    ctx: &Ctx,
    server: &Map<String, Value>,
) -> Result<Option<Destination>, ApiFault> {
    if !ctx.version.at_least(74) {
        return Ok(None);
    }
    let host = fqdn("host", server.get("host"))?;
    let node = fqdn("hypervisor_hostname", server.get("hypervisor_hostname"))?;
    if host.is_none() && node.is_none() {
        return Ok(None);
    }
    ctx.authorize_own(policy::SERVERS_CREATE_REQUESTED_DESTINATION)?;
    Ok(Some(Destination { host, node }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::key_name;

    fn read(server: serde_json::Value) -> Result<Option<String>, String> {
        key_name(server.as_object().expect("object")).map_err(|e| e.to_string())
    }

    #[test]
    fn key_names_are_novas_names() {
        assert_eq!(read(json!({})), Ok(None));
        assert_eq!(read(json!({"key_name": null})), Ok(None));
        assert_eq!(read(json!({"key_name": "k1"})), Ok(Some("k1".into())));
        for bad in [json!(""), json!(" k"), json!(7), json!("a".repeat(256))] {
            assert!(read(json!({ "key_name": bad })).is_err(), "{bad}");
        }
    }
}
