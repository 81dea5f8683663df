//! The small HTTP pieces every handler shares and no Nova resource owns: the JSON body and
//! the query string of a request, `limit`/`marker` paging, the caller's `scheme://host`, a
//! uuid check, and the 200 JSON reply.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::api_fault::ApiFault;

/// The JSON object of a request body; anything else is 400 with a readable reason.
pub fn json_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiFault> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiFault::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiFault::bad_request(format!(
            "Malformed request body: {e}"
        ))),
    }
}

/// The query string's pairs, in order.
pub fn query(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiFault> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiFault::bad_request(format!("Invalid query string: {e}")))
}

/// The last value of `key` in `pairs`.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `limit`/`marker` paging over items with ids: items after `marker` (404-free: an unknown
/// marker is 400 as in Nova), at most `limit` (max 1000).
pub fn page<T>(
    items: Vec<T>,
    pairs: &[(String, String)],
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>, ApiFault> {
    let limit = match param(pairs, "limit") {
        None => 1000,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| ApiFault::bad_request(format!("Invalid input for query parameters limit. Value: {text}. '{text}' does not match '^[0-9]*$'")))?
            .min(1000),
    };
    let start = match param(pairs, "marker") {
        None => 0,
        Some(marker) => items
            .iter()
            .position(|item| id(item) == marker)
            .map(|i| i + 1)
            .ok_or_else(|| ApiFault::bad_request(format!("marker [{marker}] not found")))?,
    };
    Ok(items.into_iter().skip(start).take(limit).collect())
}

/// `scheme://host` as the client addressed us.
pub fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// True when `text` is a uuid (the 2.53 ids of services and hypervisors).
pub fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

/// `HttpResponse` 200 with a JSON body.
pub fn ok(body: Value) -> HttpResponse {
    HttpResponse::Ok().json(body)
}
