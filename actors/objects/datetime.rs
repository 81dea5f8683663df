//! Nova's `DateTimeField` on the wire (oslo.versionedobjects `fields.DateTime`): UTC as
//! `YYYY-MM-DDTHH:MM:SSZ`, whole seconds.

use chrono::{DateTime, Utc};

/// `utils.isotime(value)` as oslo.versionedobjects writes a `DateTimeField`.
pub fn isotime(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A nullable `DateTimeField` on the wire: [`isotime`], or null.
pub fn wire_time(at: Option<&DateTime<Utc>>) -> serde_json::Value {
    at.map_or(serde_json::Value::Null, |at| isotime(at).into())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn whole_seconds_in_utc_with_a_z() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 12, 6, 6, 57, 3)
            .single()
            .unwrap();
        assert_eq!(super::isotime(&at), "2026-12-06T06:57:03Z");
    }
}
