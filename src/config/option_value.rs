//! Turning one raw string into a typed value, as oslo.config's `types.py` does, and masking
//! secrets for display. Pure functions: no knowledge of files or layering.

use std::collections::BTreeMap;

use super::config_error::{ConfigError, ValueOrigin};
use super::option_spec::{OptionDefault, OptionKind, OptionSpec};

/// A parsed option value; which variant follows from the option's `OptionKind`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypedValue {
    /// No value (default unset, or an empty value for an option whose default is unset).
    Unset,
    /// String, URL, path, host name and choices.
    Str(String),
    /// Integer.
    Int(i64),
    /// Float (always finite).
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// List.
    List(Vec<String>),
    /// Dict, sorted by key.
    Dict(BTreeMap<String, String>),
}

/// oslo.config's boolean spellings, any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// oslo `types.List` of strings: the value stripped, trailing commas dropped, split on `,`,
/// each item stripped (so a value spread over indented lines, `a,\n b`, is `[a, b]`). An empty
/// value is an empty list; an empty item between two commas stays, as in oslo.
pub fn parse_list(text: &str) -> Vec<String> {
    let text = text.trim().trim_end_matches(',');
    if text.is_empty() {
        return Vec::new();
    }
    text.split(',').map(|item| item.trim().to_owned()).collect()
}

/// oslo `types.Dict` of strings: `k1:v1,k2:v2`, stripped like [`parse_list`]. As in oslo, a
/// piece without `:` is joined to the next one with its comma (`a,b:1` is the key `a,b`).
/// `Err(entry)` names the first entry that still has no `:` at the end, has an empty key, or
/// repeats a key.
pub(crate) fn parse_dict(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    let text = text.trim();
    if text.is_empty() {
        return Ok(map);
    }
    let mut pieces = text.split(',');
    while let Some(piece) = pieces.next() {
        let mut entry = piece.to_owned();
        let (key, value) = loop {
            if let Some((key, value)) = entry.split_once(':') {
                break (key.trim().to_owned(), value.trim().to_owned());
            }
            let Some(next) = pieces.next() else {
                return Err(entry.trim().to_owned());
            };
            entry.push(',');
            entry.push_str(next);
        };
        if key.is_empty() || map.contains_key(&key) {
            return Err(entry.trim().to_owned());
        }
        map.insert(key, value);
    }
    Ok(map)
}

/// Whether `text` starts with `scheme://`.
fn has_url_scheme(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `url` with every password replaced by `***`: `user:password@` of each host (in the
/// comma-separated list oslo's `TransportURL` allows), and query parameters oslo.utils treats as
/// secret (`?password=`, `?auth_token=`, …). When the URL is malformed or ambiguous (an
/// unencoded `@`, `,`, `/`, `?` or `#` in a password), everything from the first user's `:` to
/// the last `@` is masked instead. See `secret_url.rs`.
pub fn mask_url(url: &str) -> String {
    super::url_masking::mask(url)
}

/// The value as it may be shown: URL passwords masked, other secrets replaced by `***`; a
/// multi-line value keeps its lines, the later ones indented as in nova.conf.
pub(crate) fn masked(spec: &OptionSpec, value: &str) -> String {
    let shown = match (spec.secret, spec.kind) {
        (false, _) => value.to_owned(),
        (true, OptionKind::Url) if has_url_scheme(value) || value.is_empty() => mask_url(value),
        (true, _) => "***".to_owned(),
    };
    shown.replace('\n', "\n    ")
}

/// Parses `raw` (already interpolated) as `spec`'s type; `None` means no layer set it.
pub(crate) fn parse_value(
    spec: &OptionSpec,
    raw: Option<&str>,
    origin: &ValueOrigin,
) -> Result<TypedValue, ConfigError> {
    let Some(raw) = raw else {
        return Ok(TypedValue::Unset);
    };
    let text = raw.trim();
    // oslo.config: an empty value for an option without a default leaves it unset.
    if text.is_empty() && spec.default == OptionDefault::Unset {
        return Ok(TypedValue::Unset);
    }
    let invalid = || ConfigError::InvalidValue {
        group: spec.group,
        name: spec.name,
        value: masked(spec, raw),
        origin: origin.clone(),
        expected: spec.kind.expected(),
    };
    match spec.kind {
        OptionKind::String => Ok(TypedValue::Str(text.to_owned())),
        OptionKind::Integer { min, max } => {
            let n: i64 = text.parse().map_err(|_| invalid())?;
            if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
                return Err(invalid());
            }
            Ok(TypedValue::Int(n))
        }
        OptionKind::Float {
            min,
            min_exclusive,
            max,
        } => {
            let x: f64 = text.parse().map_err(|_| invalid())?;
            let below = min.is_some_and(|lo| if min_exclusive { x <= lo } else { x < lo });
            // Durations are built from floats: refuse anything `Duration` cannot hold.
            if !x.is_finite() || x > 1e12 || below || max.is_some_and(|hi| x > hi) {
                return Err(invalid());
            }
            Ok(TypedValue::Float(x))
        }
        OptionKind::Boolean => parse_bool(text).map(TypedValue::Bool).ok_or_else(invalid),
        OptionKind::List => Ok(TypedValue::List(parse_list(text))),
        OptionKind::Dict { value_choices } => {
            let map = parse_dict(text).map_err(|entry| ConfigError::InvalidEntry {
                group: spec.group,
                name: spec.name,
                entry,
                origin: origin.clone(),
                expected: "key:value".to_owned(),
            })?;
            if let Some(choices) = value_choices {
                if let Some((key, value)) = map.iter().find(|(_, v)| !choices.contains(&v.as_str()))
                {
                    return Err(ConfigError::InvalidEntry {
                        group: spec.group,
                        name: spec.name,
                        entry: format!("{key}:{value}"),
                        origin: origin.clone(),
                        expected: format!("<name>:{}", choices.join("|")),
                    });
                }
            }
            Ok(TypedValue::Dict(map))
        }
        OptionKind::Choices(choices) => {
            if choices.contains(&text) {
                Ok(TypedValue::Str(text.to_owned()))
            } else {
                Err(invalid())
            }
        }
        OptionKind::Url => {
            if has_url_scheme(text) {
                Ok(TypedValue::Str(text.to_owned()))
            } else {
                Err(invalid())
            }
        }
        OptionKind::Path => {
            if text.is_empty() {
                Err(invalid())
            } else {
                Ok(TypedValue::Str(text.to_owned()))
            }
        }
        OptionKind::IpAddress => match text.parse::<std::net::IpAddr>() {
            Ok(address) => Ok(TypedValue::Str(address.to_string())),
            Err(_) => Err(invalid()),
        },
        OptionKind::Hostname => {
            if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err(invalid())
            } else {
                Ok(TypedValue::Str(text.to_owned()))
            }
        }
    }
}
