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

/// Comma-separated items, each trimmed; empty items dropped, so `""` is an empty list.
pub(crate) fn parse_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `k1:v1,k2:v2` (oslo `types.Dict`); `Err(entry)` names the first entry without a `:`, with
/// an empty key, or repeating a key.
pub(crate) fn parse_dict(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for entry in parse_list(text) {
        let Some((key, value)) = entry.split_once(':') else {
            return Err(entry);
        };
        let key = key.trim();
        if key.is_empty() || map.contains_key(key) {
            return Err(entry);
        }
        map.insert(key.to_owned(), value.trim().to_owned());
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

/// Replaces the password of every `user:password@host` in a URL's (comma-separated, as oslo's
/// `TransportURL` allows) host list with `***`: `rabbit://nova:***@h1:5672,nova:***@h2:5672/`.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let (scheme, rest) = url.split_at(scheme_end + 3);
    let netloc_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(netloc_end);
    let hosts: Vec<String> = netloc
        .split(',')
        .map(|host| match host.rsplit_once('@') {
            Some((userinfo, hostport)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***@{hostport}"),
                None => host.to_owned(),
            },
            None => host.to_owned(),
        })
        .collect();
    format!("{scheme}{}{tail}", hosts.join(","))
}

/// The value as it may be shown: URL passwords masked, other secrets replaced by `***`.
pub(crate) fn masked(spec: &OptionSpec, value: &str) -> String {
    match (spec.secret, spec.kind) {
        (false, _) => value.to_owned(),
        (true, OptionKind::Url) if has_url_scheme(value) || value.is_empty() => mask_url(value),
        (true, _) => "***".to_owned(),
    }
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
        OptionKind::Hostname => {
            if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err(invalid())
            } else {
                Ok(TypedValue::Str(text.to_owned()))
            }
        }
    }
}
