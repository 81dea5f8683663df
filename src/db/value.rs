//! `SqlValue`: one bind parameter whose type is known even when it is NULL. PostgreSQL
//! types every parameter, so an untyped NULL or a text bound to an integer column fails;
//! binding through this enum keeps the three backends equally strict.

use chrono::{DateTime, Utc};
use sqlx::{Arguments, Encode, Type};

/// A typed bind parameter; `None` is SQL NULL of that type.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// Text (`VARCHAR`, `TEXT`).
    Text(Option<String>),
    /// A whole number (`INT`, `BIGINT`).
    Int(Option<i64>),
    /// A float (`DOUBLE`).
    Float(Option<f64>),
    /// A boolean (`BOOLEAN`, MySQL `TINYINT(1)`).
    Bool(Option<bool>),
    /// A UTC instant (`TIMESTAMPTZ`, `DATETIME(6)`, SQLite text).
    Timestamp(Option<DateTime<Utc>>),
}

impl SqlValue {
    /// Whether this is a NULL.
    pub fn is_null(&self) -> bool {
        match self {
            SqlValue::Text(v) => v.is_none(),
            SqlValue::Int(v) => v.is_none(),
            SqlValue::Float(v) => v.is_none(),
            SqlValue::Bool(v) => v.is_none(),
            SqlValue::Timestamp(v) => v.is_none(),
        }
    }
}

macro_rules! from_value {
    ($variant:ident, $ty:ty) => {
        impl From<$ty> for SqlValue {
            fn from(v: $ty) -> Self {
                SqlValue::$variant(Some(v.into()))
            }
        }
        impl From<Option<$ty>> for SqlValue {
            fn from(v: Option<$ty>) -> Self {
                SqlValue::$variant(v.map(Into::into))
            }
        }
    };
}

from_value!(Text, String);
from_value!(Text, &str);
from_value!(Int, i64);
from_value!(Int, i32);
from_value!(Float, f64);
from_value!(Bool, bool);
from_value!(Timestamp, DateTime<Utc>);

impl From<&String> for SqlValue {
    fn from(v: &String) -> Self {
        SqlValue::Text(Some(v.clone()))
    }
}

impl From<Option<&String>> for SqlValue {
    fn from(v: Option<&String>) -> Self {
        SqlValue::Text(v.cloned())
    }
}

/// `params` as one backend's argument list.
pub(super) fn arguments<'q, DB>(params: &[SqlValue]) -> Result<DB::Arguments<'q>, sqlx::Error>
where
    DB: sqlx::Database,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<f64>: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB> + Type<DB>,
    Option<DateTime<Utc>>: Encode<'q, DB> + Type<DB>,
{
    let mut args = DB::Arguments::<'q>::default();
    for param in params {
        let added = match param.clone() {
            SqlValue::Text(v) => args.add(v),
            SqlValue::Int(v) => args.add(v),
            SqlValue::Float(v) => args.add(v),
            SqlValue::Bool(v) => args.add(v),
            SqlValue::Timestamp(v) => args.add(v),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}
