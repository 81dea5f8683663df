//! `personality` (create and rebuild before 2.57) as Nova's schema reads it
//! (`parameter_types.personality`, then `helpers.get_injected_files`): a list of
//! `{"path": str, "contents": base64 str}` with no other keys, turned into the
//! `[path, contents]` pairs the build and the rebuild carry (contents still base64). The
//! quota on them is `injected_file_quota.rs`'s. The 400 texts are the schema's, naming the
//! innermost field as Nova's validator does (an item by its index).

use serde_json::Value;

use crate::api::api_fault::ApiFault;
use crate::objects::injected_files::{b64decode, InjectedFile};

/// Nova's 400 for a value its schema refuses (`actions/` reads its bodies with the same).
fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// The keys of one personality item.
const ITEM_KEYS: [&str; 2] = ["path", "contents"];

/// One item's string member `key`. Nova's schema does not require the members (its
/// controller then fails with a 500 on the missing key); novactor answers a 400.
fn member<'a>(index: usize, item: &'a Value, key: &str) -> Result<&'a str, ApiFault> {
    match item.get(key) {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(invalid(
            key,
            other,
            &format!("{other} is not of type 'string'"),
        )),
        None => Err(invalid(
            &index.to_string(),
            item,
            &format!("'{key}' is a required property"),
        )),
    }
}

/// `personality` → the files, or Nova's 400 for the first thing its schema refuses.
pub fn personality(value: &Value) -> Result<Vec<InjectedFile>, ApiFault> {
    let Value::Array(items) = value else {
        return Err(invalid(
            "personality",
            value,
            &format!("{value} is not of type 'array'"),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let Value::Object(members) = item else {
                return Err(invalid(
                    &index.to_string(),
                    item,
                    &format!("{item} is not of type 'object'"),
                ));
            };
            if let Some(extra) = members.keys().find(|k| !ITEM_KEYS.contains(&k.as_str())) {
                return Err(invalid(
                    &index.to_string(),
                    item,
                    &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
                ));
            }
            let path = member(index, item, "path")?;
            let contents = member(index, item, "contents")?;
            // Nova's format checker runs Python's b64decode, which the compute runs too.
            if b64decode(contents).is_err() {
                return Err(invalid(
                    "contents",
                    &Value::String(contents.to_owned()),
                    &format!("'{contents}' is not a 'base64'"),
                ));
            }
            Ok(InjectedFile(path.to_owned(), contents.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal(value: Value) -> String {
        personality(&value).expect_err("refused").to_string()
    }

    #[test]
    fn files_are_read_as_pairs_with_base64_contents() {
        let files = personality(&json!([
            {"path": "/etc/motd", "contents": "aGVsbG8="},
            {"path": "/b", "contents": ""}
        ]))
        .unwrap();
        assert_eq!(
            files,
            vec![
                InjectedFile("/etc/motd".into(), "aGVsbG8=".into()),
                InjectedFile("/b".into(), String::new())
            ]
        );
        assert_eq!(personality(&json!([])).unwrap(), Vec::new());
    }

    #[test]
    fn what_novas_schema_refuses_is_a_400_naming_the_field() {
        let cases = [
            (
                json!(null),
                "field/attribute personality.",
                "is not of type 'array'",
            ),
            (
                json!("x"),
                "field/attribute personality.",
                "is not of type 'array'",
            ),
            (
                json!(["x"]),
                "field/attribute 0.",
                "is not of type 'object'",
            ),
            (
                json!([{"path": "/a", "contents": "YQ==", "mode": "0644"}]),
                "field/attribute 0.",
                "('mode' was unexpected)",
            ),
            (
                json!([{"path": 1, "contents": "YQ=="}]),
                "field/attribute path.",
                "type 'string'",
            ),
            (
                json!([{"path": "/a", "contents": 1}]),
                "field/attribute contents.",
                "type 'string'",
            ),
            (
                json!([{"path": "/a", "contents": "YQ"}]),
                "field/attribute contents.",
                "'YQ' is not a 'base64'",
            ),
            (
                json!([{"contents": "YQ=="}]),
                "field/attribute 0.",
                "'path' is a required",
            ),
            (
                json!([{"path": "/a"}]),
                "field/attribute 0.",
                "'contents' is a required",
            ),
        ];
        for (value, field, why) in cases {
            let message = refusal(value.clone());
            assert!(
                message.contains(field) && message.contains(why),
                "{value}: {message}"
            );
        }
    }
}
