//! JSON-level mutations: replace a node with another type, delete, insert keys, duplicate,
//! nest deeply, long strings, same-type tweaks, and raw tokens such as `1e999` that no
//! JSON value can hold.
#![allow(dead_code, unreachable_pub)]

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// and tokens that are not JSON at all.
pub const RAW_JSON: &[&str] = &[
    "1e999",
    "-1e999",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "1.7976931348623157e309",
    "4.9e-325",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "01",
    "1.",
    ".5",
    "+1",
    "None",
    "True",
    "undefined",
    "'single'",
    "\"\\ud800\"",
    "\"\\udfff\\ud800\"",
    "\"\\u0000\"",
    "\"unterminated",
    "[",
    "{\"a\":}",
    "",
];

/// Strings worth trying anywhere a string goes.
pub const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "null",
    "None",
    "0",
    "-1",
    "1.5",
    "true",
    "70a599e0-31e7-49b7-b260-868f441e862b",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    " padded ",
    "h\u{e9}llo \u{2603}",
    "\u{0}",
    "\u{feff}",
    "\u{202e}rtl",
    "\u{1F4A9}",
    "../../etc/passwd",
    "%s%s%s%n",
    "${DEFAULT.host}",
    "$host",
    "'; DROP TABLE instances; --",
    "<script>",
    "\\",
    "\n",
];

/// Any JSON value up to a few levels deep: leaves are boundary numbers, random numbers,
/// `strings` and random text; object keys come from `keys` or are random.
pub fn json_value(keys: Vec<String>, strings: Vec<String>) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        prop::sample::select(strings).prop_map(Value::String),
        ".{0,24}".prop_map(Value::String),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    let key = prop_oneof![3 => prop::sample::select(keys), 1 => ".{0,12}"];
    leaf.prop_recursive(3, 24, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Boundary numbers (0, ±1, 2^31, 2^32, 2^63, u64::MAX, 1e308, …), small ones and any.
pub fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        integer(),
        float(),
        Just(Value::from(u64::MAX)),
        Just(Value::from(1e19))
    ]
    .boxed()
}

/// Integers an i64 holds: boundaries, small ones, any.
pub fn integer() -> BoxedStrategy<Value> {
    prop_oneof![
        prop::sample::select(vec![
            0,
            1,
            -1,
            2,
            255,
            1000,
            1001,
            65535,
            65536,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::from(u32::MAX),
            1 << 32,
            1 << 53,
            i64::MAX,
            i64::MAX - 1023,
            i64::MIN,
            i64::MIN + 1,
        ]),
        -3..2000i64,
        any::<i64>(),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// Floats: boundaries, small ones, any finite one.
pub fn float() -> BoxedStrategy<Value> {
    prop_oneof![
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.5,
            1e308,
            -1e308,
            5e-324,
            f64::MAX,
            f64::MIN
        ]),
        0.0..16.0f64,
        any::<f64>(),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// One edit of a JSON document. Nodes are [`Index`]es into its nodes in pre-order (the
/// root is one of them).
#[derive(Debug, Clone)]
pub enum JsonOp {
    /// Put another value (often of another type) in place of a node.
    Replace(Index, Value),
    /// Remove a node from its object or array (the root becomes null).
    Remove(Index),
    /// Add a key to the nearest object at or above a node.
    InsertKey(Index, String, Value),
    /// Append a copy of a node to its array, or of an array's first element.
    Duplicate(Index),
    /// Wrap a node in `depth` arrays (or objects).
    Nest(Index, u16, bool),
    /// Replace a node with a string of `len` times `ch`.
    LongString(Index, u32, char),
    /// Replace a node with raw text from [`RAW_JSON`], which may not be JSON at all.
    Raw(Index, Index),
    /// Give a leaf another value of its own type (an integer, a float, a string or the
    /// other boolean; a null becomes the integer): the document stays well-typed, so the
    /// edit reaches past parsing into what the values mean.
    Tweak(Index, Value, Value, String),
}

pub(super) fn tweak(text: impl Strategy<Value = String> + 'static) -> BoxedStrategy<JsonOp> {
    (any::<Index>(), integer(), float(), text)
        .prop_map(|(i, n, f, t)| JsonOp::Tweak(i, n, f, t))
        .boxed()
}

/// Any [`JsonOp`], with `keys` and `strings` for the values it brings in.
pub fn json_op(keys: Vec<String>, strings: Vec<String>) -> BoxedStrategy<JsonOp> {
    let value = json_value(keys.clone(), strings.clone());
    let text = prop_oneof![prop::sample::select(strings), ".{0,24}"];
    prop_oneof![
        6 => tweak(text.clone()),
        6 => (any::<Index>(), value.clone()).prop_map(|(i, v)| JsonOp::Replace(i, v)),
        3 => any::<Index>().prop_map(JsonOp::Remove),
        3 => (any::<Index>(), prop_oneof![3 => prop::sample::select(keys), 1 => ".{0,12}"], value)
            .prop_map(|(i, k, v)| JsonOp::InsertKey(i, k, v)),
        1 => any::<Index>().prop_map(JsonOp::Duplicate),
        1 => (any::<Index>(), prop_oneof![1..8u16, 120..140u16, 1000..3000u16], any::<bool>())
            .prop_map(|(i, d, a)| JsonOp::Nest(i, d, a)),
        1 => (any::<Index>(), prop_oneof![200..300u32, 60_000..70_000u32], prop::sample::select(vec!['a', ' ', '\u{e9}', '\u{0}', '"', '\\']))
            .prop_map(|(i, n, c)| JsonOp::LongString(i, n, c)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, t)| JsonOp::Raw(i, t)),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Item(usize),
}

fn node_paths(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                node_paths(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Item(index));
                node_paths(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(mut value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    for step in path {
        value = match (value, step) {
            (Value::Object(map), Step::Key(key)) => map.get_mut(key)?,
            (Value::Array(items), Step::Item(index)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(value)
}

fn pick(value: &Value, index: &Index) -> Vec<Step> {
    let mut paths = Vec::new();
    node_paths(value, &mut Vec::new(), &mut paths);
    index.get(&paths).clone()
}

/// `value` after `ops`, as JSON text ([`JsonOp::Raw`] tokens spliced in verbatim).
pub fn apply_json(mut value: Value, ops: &[JsonOp]) -> String {
    let mut raw = Vec::new();
    for op in ops {
        match op {
            JsonOp::Replace(i, new) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    *node = new.clone();
                }
            }
            JsonOp::Remove(i) => {
                let path = pick(&value, i);
                match path.split_last() {
                    None => value = Value::Null,
                    Some((last, parent)) => match (node_mut(&mut value, parent), last) {
                        (Some(Value::Object(map)), Step::Key(key)) => {
                            map.shift_remove(key);
                        }
                        (Some(Value::Array(items)), Step::Item(index)) => {
                            items.remove(*index);
                        }
                        _ => {}
                    },
                }
            }
            JsonOp::InsertKey(i, key, new) => {
                let mut path = pick(&value, i);
                loop {
                    if let Some(Value::Object(map)) = node_mut(&mut value, &path) {
                        map.insert(key.clone(), new.clone());
                        break;
                    }
                    if path.pop().is_none() {
                        break;
                    }
                }
            }
            JsonOp::Duplicate(i) => {
                let path = pick(&value, i);
                match path.split_last() {
                    Some((Step::Item(index), parent)) => {
                        if let Some(Value::Array(items)) = node_mut(&mut value, parent) {
                            let copy = items[*index].clone();
                            items.push(copy);
                        }
                    }
                    _ => {
                        if let Some(Value::Array(items)) = node_mut(&mut value, &path) {
                            if let Some(first) = items.first().cloned() {
                                items.push(first);
                            }
                        }
                    }
                }
            }
            JsonOp::Nest(i, depth, array) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    // Deep nesting is spliced in as text: serde_json's Value would recurse
                    // on drop and on serialization.
                    let inner = std::mem::take(node).to_string();
                    let (open, close) = if *array { ("[", "]") } else { ("{\"a\":", "}") };
                    let depth = usize::from(*depth);
                    raw.push(format!(
                        "{}{inner}{}",
                        open.repeat(depth),
                        close.repeat(depth)
                    ));
                    *node = Value::String(format!("\u{1}raw{}\u{1}", raw.len() - 1));
                }
            }
            JsonOp::LongString(i, len, ch) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    *node = Value::String(ch.to_string().repeat(*len as usize));
                }
            }
            JsonOp::Tweak(i, integer, float, text) => {
                // The leaves only: a tweak of the root or a container would be a replace.
                let mut paths = Vec::new();
                node_paths(&value, &mut Vec::new(), &mut paths);
                paths.retain(|p| {
                    node_mut(&mut value, p).is_some_and(|n| !(n.is_object() || n.is_array()))
                });
                if paths.is_empty() {
                    continue;
                }
                let path = i.get(&paths).clone();
                if let Some(node) = node_mut(&mut value, &path) {
                    *node = match node {
                        Value::Number(n) if n.is_f64() => float.clone(),
                        Value::Number(_) | Value::Null => integer.clone(),
                        Value::String(_) => Value::String(text.clone()),
                        Value::Bool(b) => Value::Bool(!*b),
                        _ => continue,
                    };
                }
            }
            JsonOp::Raw(i, token) => {
                let path = pick(&value, i);
                if let Some(node) = node_mut(&mut value, &path) {
                    raw.push((*token.get(RAW_JSON)).to_owned());
                    *node = Value::String(format!("\u{1}raw{}\u{1}", raw.len() - 1));
                }
            }
        }
    }
    let mut text = value.to_string();
    // Later tokens may hold earlier markers (a nest around a raw token): last first.
    for (n, token) in raw.iter().enumerate().rev() {
        text = text.replace(&format!("\"\\u0001raw{n}\\u0001\""), token);
    }
    text
}
