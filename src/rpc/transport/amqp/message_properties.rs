//! oslo's message properties: what every publish sets, and what a delivery must carry to
//! be read at all (docs/WIRE.md).

use std::time::Duration;

use lapin::types::{FieldTable, ShortString};
use lapin::BasicProperties;

/// oslo accepts only this content type; anything else is rejected unread.
pub(super) const CONTENT_TYPE: &str = "application/json";
/// Bodies above this are rejected unread (RabbitMQ's own default limit is 128 MiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub(super) fn properties(expiration: Option<Duration>) -> BasicProperties {
    let properties = BasicProperties::default()
        .with_content_type(ShortString::from(CONTENT_TYPE))
        .with_content_encoding(ShortString::from("utf-8"))
        .with_delivery_mode(2)
        .with_priority(0)
        .with_headers(FieldTable::default());
    match expiration {
        Some(ttl) => {
            properties.with_expiration(ShortString::from(ttl.as_millis().to_string().as_str()))
        }
        None => properties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oslo_properties_are_exact() {
        let call = properties(Some(Duration::from_secs(10)));
        assert_eq!(
            call.content_type().as_ref().map(|s| s.as_str()),
            Some("application/json")
        );
        assert_eq!(
            call.content_encoding().as_ref().map(|s| s.as_str()),
            Some("utf-8")
        );
        assert_eq!(*call.delivery_mode(), Some(2));
        assert_eq!(*call.priority(), Some(0));
        assert_eq!(call.headers().as_ref().map(|h| h.inner().len()), Some(0));
        assert_eq!(
            call.expiration().as_ref().map(|s| s.as_str()),
            Some("10000")
        );
        assert!(properties(None).expiration().is_none());
    }
}
