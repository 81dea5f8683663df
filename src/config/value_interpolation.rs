//! oslo.config's value substitution: `$option` refers to a `[DEFAULT]` option, `${option}`
//! likewise, `${group.option}` to any group's option, and `$$` is a literal `$`. A `$` not
//! followed by a name is kept as is (Python `string.Template.safe_substitute`).
//!
//! Only options novactor reads are substituted (oslo substitutes registered options only);
//! an unknown option keeps its literal text, so a reference novactor cannot resolve in an
//! option it ignores never stops the process. A reference may point at any option that has a
//! value, known or not; an unset known option substitutes as the empty string. Deviation:
//! oslo also accepts a dotted name without braces (`$group.opt`); novactor requires braces,
//! so `$state_path.d` means `$state_path` followed by `.d`. Names are matched as oslo
//! matches them: group `DEFAULT` exactly, other groups lowercased, option names as written.

use super::config_error::ConfigError;
use super::config_sources::{oslo_group, RawEntry, RawValues};
use super::option_registry::OptionRegistry;
use super::option_spec::OptionSpec;

/// How deep references may nest (`a = $b`, `b = $c`, …). oslo's substitution is recursive
/// too and ends in Python's recursion limit; here a chain that deep is an error long before
/// the stack runs out (found by tests/fuzz/config.rs: a 20 000-option chain overflowed it).
const MAX_DEPTH: usize = 64;

/// The longest value substitution may produce: `a = $b$b`, `b = $c$c`, … doubles per level.
const MAX_VALUE_LEN: usize = 1 << 20;

/// The most references one value may resolve, counting nested ones: with `$b$b` chains of
/// empty values the work doubles per level while the value stays short.
const MAX_REFERENCES: usize = 10_000;

/// Every known option's value with references substituted; unknown options untouched.
pub(crate) fn interpolate_all(
    values: &RawValues,
    registry: &OptionRegistry,
) -> Result<RawValues, ConfigError> {
    let mut out = RawValues::new();
    for (key, entry) in values {
        let value = if let Some(spec) = registry.spec(&key.0, &key.1) {
            substitute(
                values,
                registry,
                key,
                &entry.value,
                &mut vec![key.clone()],
                (spec, entry),
                &mut 0,
            )?
        } else {
            entry.value.clone()
        };
        let origin = entry.origin.clone();
        out.insert(key.clone(), RawEntry { value, origin });
    }
    Ok(out)
}

/// Substitutes references in `text`, the value of `key`; `stack` holds the options being
/// substituted (to detect cycles); `owner` is the top-level option, for errors;
/// `resolved` counts the references resolved so far for it.
fn substitute(
    values: &RawValues,
    registry: &OptionRegistry,
    key: &(String, String),
    text: &str,
    stack: &mut Vec<(String, String)>,
    owner: (&OptionSpec, &RawEntry),
    resolved: &mut usize,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (reference, target, consumed) = if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        } else if let Some(braced) = after.strip_prefix('{') {
            let Some(end) = braced.find('}') else {
                out.push('$');
                rest = after;
                continue;
            };
            let inner = &braced[..end];
            let target = match inner.split_once('.') {
                Some((group, name)) => (oslo_group(group.trim()), name.trim().to_owned()),
                None => ("DEFAULT".to_owned(), inner.trim().to_owned()),
            };
            (format!("${{{inner}}}"), target, end + 2)
        } else {
            let len = after
                .char_indices()
                .take_while(|(i, c)| {
                    c.is_ascii_alphabetic() || *c == '_' || (*i > 0 && c.is_ascii_digit())
                })
                .count();
            if len == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            let name = &after[..len];
            (
                format!("${name}"),
                ("DEFAULT".to_owned(), name.to_owned()),
                len,
            )
        };
        rest = &after[consumed..];

        let fail = |reason: String| ConfigError::Interpolation {
            group: owner.0.group,
            name: owner.0.name,
            reference: reference.clone(),
            origin: owner.1.origin.clone(),
            reason,
        };
        if stack.contains(&target) {
            let chain: Vec<String> = stack.iter().map(|(g, n)| format!("[{g}] {n}")).collect();
            return Err(fail(format!(
                "circular reference through {}",
                chain.join(" -> ")
            )));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(fail(format!(
                "references nest more than {MAX_DEPTH} deep (through [{}] {})",
                key.0, key.1
            )));
        }
        *resolved += 1;
        if *resolved > MAX_REFERENCES {
            return Err(fail(format!(
                "more than {MAX_REFERENCES} references to resolve (through [{}] {})",
                key.0, key.1
            )));
        }
        match values.get(&target) {
            Some(entry) => {
                stack.push(target.clone());
                let text = substitute(
                    values,
                    registry,
                    &target,
                    &entry.value,
                    stack,
                    owner,
                    resolved,
                )?;
                stack.pop();
                out.push_str(&text);
                if out.len() > MAX_VALUE_LEN {
                    return Err(fail(format!(
                        "the substituted value grows past {MAX_VALUE_LEN} bytes"
                    )));
                }
            }
            None if registry.spec(&target.0, &target.1).is_some() => {}
            None => {
                return Err(fail(format!(
                    "no option [{}] {} is set (referenced from [{}] {})",
                    target.0, target.1, key.0, key.1
                )))
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}
