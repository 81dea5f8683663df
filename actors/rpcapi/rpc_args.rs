//! One RPC method's keyword arguments as one struct, used in both directions: the client
//! proxy encodes it ([`RpcArgs::to_kwargs`], or [`call`] / [`cast`]) and the handler decodes
//! it ([`RpcArgs::from_call`]), as a mini-redis command file holds both. The method name is
//! the struct's [`RpcArgs::METHOD`]; field names are Nova's argument names and field order
//! is the order Nova's proxy sends them in (serde_json keeps insertion order), so the struct
//! is the wire format.
//!
//! Decoding fails as a Python endpoint behind oslo's dispatcher does, with the texts of the
//! runtime's `Call::arg`: a missing required argument is a `TypeError` (`m() missing 1
//! required positional argument: 'x'`), a value of the wrong type a `ValueError` (`m(): bad
//! value for argument 'x': …`). Arguments are checked one at a time in field order and the
//! first failure is the reply. Optional arguments are `Option` fields (absent or null ⇒
//! `None`, as `Call::opt_arg`); arguments Nova sends that no handler reads are [`Unread`],
//! which takes any value. Arguments a struct does not name are ignored, as before. What a
//! handler makes of a decoded value (an `Instance` primitive into a `NovaObject`, say) it
//! checks after decoding, as a Python method body runs after its arguments are bound.

use std::fmt::Display;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserializer, Serialize};
use serde_json::{Map, Value};

use novactor::rpc::{CallError, RemoteFailure, RequestContext, RpcClient};
use novactor::service::Call;

/// An argument Nova sends that novactor's handler does not read: any JSON value; absent or
/// null decodes as `None` (and `None` encodes as null).
pub type Unread = Option<Value>;

/// The keyword arguments of one RPC method (see the module doc).
pub trait RpcArgs: Serialize + DeserializeOwned {
    /// The method's name on the wire.
    const METHOD: &'static str;

    /// The keyword arguments as the proxy sends them.
    fn to_kwargs(&self) -> Result<Value, CallError> {
        serde_json::to_value(self)
            .map_err(|e| CallError::BadArguments(format!("{}: {e}", Self::METHOD)))
    }

    /// The arguments of `call`, or the failure a Python endpoint would reply.
    fn from_call(call: &Call) -> Result<Self, RemoteFailure> {
        Self::deserialize(Kwargs { args: &call.args }).map_err(|e| e.into_failure(&call.method))
    }
}

/// Call `A::METHOD` with `args` through `client` (target, version and timeouts as set on it).
pub async fn call<A: RpcArgs>(
    client: &RpcClient,
    ctx: &RequestContext,
    args: &A,
) -> Result<Value, CallError> {
    client.call(ctx, A::METHOD, args.to_kwargs()?).await
}

/// Cast `A::METHOD` with `args` through `client`.
pub async fn cast<A: RpcArgs>(
    client: &RpcClient,
    ctx: &RequestContext,
    args: &A,
) -> Result<(), CallError> {
    client.cast(ctx, A::METHOD, args.to_kwargs()?).await
}

/// Why decoding stopped, before the method name is known.
#[derive(Debug, thiserror::Error)]
enum ArgError {
    /// A required argument is absent.
    #[error("missing argument '{0}'")]
    Missing(&'static str),
    /// An argument's value does not decode into its field's type.
    #[error("bad value for argument '{field}': {message}")]
    BadValue {
        /// The argument.
        field: &'static str,
        /// serde's description, as `Call::arg` reports it.
        message: String,
    },
    /// Anything else serde reports (say, arguments decoded into something not a struct).
    #[error("{0}")]
    Other(String),
}

impl de::Error for ArgError {
    fn custom<T: Display>(message: T) -> Self {
        Self::Other(message.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Missing(field)
    }
}

impl ArgError {
    /// The failure `Call::arg` replies for the same mistake.
    fn into_failure(self, method: &str) -> RemoteFailure {
        match self {
            Self::Missing(field) => RemoteFailure::type_error(format!(
                "{method}() missing 1 required positional argument: '{field}'"
            )),
            Self::BadValue { field, message } => RemoteFailure::value_error(format!(
                "{method}(): bad value for argument '{field}': {message}"
            )),
            Self::Other(message) => RemoteFailure::value_error(format!("{method}(): {message}")),
        }
    }
}

/// The keyword arguments of a call, as a deserializer of an args struct.
struct Kwargs<'a> {
    args: &'a Map<String, Value>,
}

impl<'de> Deserializer<'de> for Kwargs<'_> {
    type Error = ArgError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ArgError> {
        Err(ArgError::Other(
            "keyword arguments decode into a struct only".into(),
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ArgError> {
        visitor.visit_map(InFieldOrder {
            args: self.args,
            fields: fields.iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Every field of the struct, in its declared order, present in the call or not: so the
/// first argument that fails, in that order, is the one reported.
struct InFieldOrder<'a> {
    args: &'a Map<String, Value>,
    fields: std::slice::Iter<'static, &'static str>,
    current: Option<&'static str>,
}

impl<'de> MapAccess<'de> for InFieldOrder<'_> {
    type Error = ArgError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ArgError> {
        let Some(&field) = self.fields.next() else {
            return Ok(None);
        };
        self.current = Some(field);
        seed.deserialize(field.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ArgError> {
        let field = self
            .current
            .take()
            .ok_or_else(|| ArgError::Other("an argument value without its name".into()))?;
        match self.args.get(field) {
            // `Value` as the deserializer: the same errors `serde_json::from_value` gives.
            Some(value) => seed
                .deserialize(value.clone())
                .map_err(|e| ArgError::BadValue {
                    field,
                    message: e.to_string(),
                }),
            None => seed.deserialize(Absent(field)),
        }
    }
}

/// An argument the call did not pass: `None` for an `Option` field, else missing.
struct Absent(&'static str);

impl<'de> Deserializer<'de> for Absent {
    type Error = ArgError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ArgError> {
        Err(ArgError::Missing(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ArgError> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Example {
        name: String,
        count: Option<u32>,
        extra: Unread,
        list: Vec<String>,
    }

    impl RpcArgs for Example {
        const METHOD: &'static str = "example";
    }

    fn call_with(args: Value) -> Call {
        Call {
            method: Example::METHOD.into(),
            context: RequestContext::new(),
            args: args.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn encoding_keeps_field_order_and_decoding_reads_it_back() {
        let args = Example {
            name: "n".into(),
            count: None,
            extra: Some(json!({"any": 1})),
            list: vec!["a".into()],
        };
        let kwargs = args.to_kwargs().unwrap();
        assert_eq!(
            serde_json::to_string(&kwargs).unwrap(),
            r#"{"name":"n","count":null,"extra":{"any":1},"list":["a"]}"#
        );
        assert_eq!(Example::from_call(&call_with(kwargs)).unwrap(), args);
    }

    #[test]
    fn optional_and_unread_arguments_may_be_absent_or_null() {
        let decoded = Example::from_call(&call_with(json!({"name": "n", "list": []}))).unwrap();
        assert_eq!((decoded.count, decoded.extra), (None, None));
        let nulls = json!({"name": "n", "count": null, "extra": null, "list": [], "more": 1});
        assert!(Example::from_call(&call_with(nulls)).is_ok());
    }

    #[test]
    fn failures_are_the_ones_call_arg_replies() {
        let missing = call_with(json!({"list": []}));
        assert_eq!(
            Example::from_call(&missing).unwrap_err(),
            missing.arg::<String>("name").unwrap_err()
        );
        let bad = call_with(json!({"name": "n", "count": "many", "list": []}));
        assert_eq!(
            Example::from_call(&bad).unwrap_err(),
            bad.opt_arg::<u32>("count").unwrap_err()
        );
        let bad_list = call_with(json!({"name": "n", "list": "x"}));
        assert_eq!(
            Example::from_call(&bad_list).unwrap_err(),
            bad_list.arg::<Vec<String>>("list").unwrap_err()
        );
    }

    #[test]
    fn the_first_failing_argument_in_field_order_is_reported() {
        // `name` is missing and `count` is bad: `name` comes first, as the handlers'
        // `call.arg` sequence checked it first.
        let both = call_with(json!({"count": "many", "list": []}));
        assert_eq!(Example::from_call(&both).unwrap_err().class, "TypeError");
        let later = call_with(json!({"name": 1, "list": 2}));
        assert!(Example::from_call(&later)
            .unwrap_err()
            .message
            .contains("'name'"));
    }
}
