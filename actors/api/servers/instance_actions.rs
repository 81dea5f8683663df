//! `GET /servers/{id}/os-instance-actions[/{request_id}]` (Nova: `instance_actions.py`,
//! `schemas/instance_actions.py`, `policies/instance_actions.py`): the history of requests
//! on a server and the events the services recorded under each, at every microversion's
//! shape — 2.21 a deleted server's actions are visible; 2.51 events for non-admins
//! (without traceback); 2.58 `updated_at`, `limit`/`marker`/`changes-since` and `links`;
//! 2.62 events' `host` (admins) and `hostId`; 2.66 `changes-before`; 2.84 events' `details`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{json, Map, Value};

use super::instance_checks::{refuse_query, visible_maybe_deleted};
use super::views::host_id;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::{ok, query};
use crate::api::microversion::ApiVersion;
use crate::api::policy::defaults as policy;
use crate::db::{ActionsPage, InstanceActionEventRow, InstanceActionRow};

/// Nova's `[api] max_limit`.
const MAX_LIMIT: u64 = 1000;

/// Nova's JSON form of a stored time (oslo `to_primitive`: microseconds, no zone).
pub(crate) fn time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
    })
}

/// One action as `ACTION_KEYS` (and `ACTION_KEYS_V258` from 2.58) show it.
pub fn action_view(version: ApiVersion, row: &InstanceActionRow) -> Map<String, Value> {
    let mut action = Map::new();
    action.insert("action".into(), json!(row.action));
    action.insert("instance_uuid".into(), json!(row.instance_uuid));
    action.insert("request_id".into(), json!(row.request_id));
    action.insert("user_id".into(), json!(row.user_id));
    action.insert("project_id".into(), json!(row.project_id));
    action.insert("start_time".into(), time(row.start_time));
    action.insert("message".into(), json!(row.message));
    if version.at_least(58) {
        action.insert("updated_at".into(), time(row.updated_at));
    }
    action
}

/// What a caller sees of an action's events (the controller's `show_*` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventShape {
    /// `traceback`: callers the `events` rule allows.
    pub traceback: bool,
    /// `host`: the `events` rule, from 2.62.
    pub host: bool,
    /// `hostId`: everyone, from 2.62.
    pub host_id: bool,
    /// `details`: the `events:details` rule, from 2.84.
    pub details: bool,
}

/// One event as `_format_event` shows it; `project_id` is the action's (else the server's).
pub fn event_view(row: &InstanceActionEventRow, project_id: &str, shape: EventShape) -> Value {
    let mut event = Map::new();
    event.insert("event".into(), json!(row.event));
    event.insert("start_time".into(), time(row.start_time));
    event.insert("finish_time".into(), time(row.finish_time));
    event.insert("result".into(), json!(row.result));
    if shape.traceback {
        event.insert("traceback".into(), json!(row.traceback));
    }
    if shape.host {
        event.insert("host".into(), json!(row.host));
    }
    if shape.host_id {
        event.insert(
            "hostId".into(),
            json!(host_id(project_id, row.host.as_deref())),
        );
    }
    if shape.details {
        event.insert("details".into(), json!(row.details));
    }
    Value::Object(event)
}

fn query_fault(name: &str, value: &str, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for query parameters {name}. Value: {value}. {why}"
    ))
}

/// An ISO 8601 time as Nova's `date-time` format check and `parse_isotime` read it (no
/// zone means UTC).
pub(crate) fn iso_time(name: &str, text: &str) -> Result<DateTime<Utc>, ApiFault> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    if let Some(t) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    Err(query_fault(
        name,
        text,
        &format!("'{text}' is not a 'date-time'"),
    ))
}

/// The 2.58 (2.66) query: `limit`, `marker`, `changes-since` (`changes-before`), each once,
/// nothing else.
fn paging(
    version: ApiVersion,
    pairs: &[(String, String)],
) -> Result<(ActionsPage, Option<String>), ApiFault> {
    let mut page = ActionsPage::default();
    let mut marker = None;
    for (name, _) in pairs {
        let known = matches!(name.as_str(), "limit" | "marker" | "changes-since")
            || (name == "changes-before" && version.at_least(66));
        if !known {
            return Err(ApiFault::bad_request(format!(
                "Additional properties are not allowed ('{name}' was unexpected)"
            )));
        }
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.len() > 1 {
            let list = format!("{values:?}").replace('"', "'");
            return Err(query_fault(name, &list, &format!("{list} is too long")));
        }
    }
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => {
                let limit = value
                    .parse::<u64>()
                    .ok()
                    .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        query_fault(name, value, &format!("'{value}' does not match '^[0-9]*$'"))
                    })?;
                page.limit = Some(limit.min(MAX_LIMIT));
            }
            "marker" => marker = Some(value.clone()),
            "changes-since" => page.changes_since = Some(iso_time(name, value)?),
            _ => page.changes_before = Some(iso_time(name, value)?),
        }
    }
    if let (Some(since), Some(before)) = (page.changes_since, page.changes_before) {
        if before < since {
            return Err(ApiFault::bad_request(
                "The value of changes-since must be less than or equal to changes-before.",
            ));
        }
    }
    Ok((page, marker))
}

/// `urlencode` of one query value (Python's `quote_plus`).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Nova `_get_collection_links`: a `next` link when the page is full.
fn next_links(
    ctx: &Ctx,
    server_id: &str,
    pairs: &[(String, String)],
    actions: &[Map<String, Value>],
) -> Option<Value> {
    let wanted = pairs
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(MAX_LIMIT)
        .min(MAX_LIMIT);
    let last = actions.last()?;
    if wanted == 0 || usize::try_from(wanted).ok() != Some(actions.len()) {
        return None;
    }
    let mut params: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    params.push((
        "marker".into(),
        last.get("request_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    ));
    params.sort();
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    Some(json!([{
        "rel": "next",
        "href": format!("{}/v2.1/servers/{server_id}/os-instance-actions?{}", ctx.base, query.join("&")),
    }]))
}

/// `GET /servers/{id}/os-instance-actions`.
pub async fn index(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let read_deleted = ctx.version.at_least(21);
    let row = visible_maybe_deleted(
        &ctx,
        &state,
        &id,
        policy::INSTANCE_ACTIONS_LIST,
        read_deleted,
    )
    .await?;
    let pairs = query(&req)?;
    let paged = ctx.version.at_least(58);
    let (mut page, marker) = if paged {
        paging(ctx.version, &pairs)?
    } else {
        (ActionsPage::default(), None)
    };
    let uuid = row.uuid.clone();
    let rows = state
        .run(move |b| async move {
            if let Some(marker) = marker {
                page.marker = Some(
                    b.deps
                        .db
                        .action_get_by_request_id(&uuid, &marker)
                        .await
                        .map_err(|e| match e.nova_class() {
                            Some("InstanceActionNotFound") => ApiFault::bad_request(format!(
                                "Marker {marker} could not be found."
                            )),
                            _ => ApiFault::db(e),
                        })?,
                );
            }
            b.deps
                .db
                .actions_page(&uuid, &page)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    let actions: Vec<Map<String, Value>> = rows
        .iter()
        .map(|action| action_view(ctx.version, action))
        .collect();
    let mut body = json!({});
    if paged {
        if let Some(links) = next_links(&ctx, &id, &pairs, &actions) {
            body["links"] = links;
        }
    }
    body["instanceActions"] = json!(actions);
    Ok(ok(body))
}

/// `GET /servers/{id}/os-instance-actions/{request_id}`.
pub async fn show(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let (id, request_id) = path.into_inner();
    let row = visible_maybe_deleted(
        &ctx,
        &state,
        &id,
        policy::INSTANCE_ACTIONS_SHOW,
        ctx.version.at_least(21),
    )
    .await?;
    refuse_query(&ctx, &req)?;
    let project = row.project_id.clone().unwrap_or_default();
    let all_events = ctx.can(policy::INSTANCE_ACTIONS_EVENTS, &project);
    let show_events = all_events || ctx.version.at_least(51);
    let shape = EventShape {
        traceback: all_events,
        host: all_events && ctx.version.at_least(62),
        host_id: ctx.version.at_least(62),
        details: ctx.version.at_least(84)
            && ctx.can(policy::INSTANCE_ACTIONS_EVENTS_DETAILS, &project),
    };
    let uuid = row.uuid.clone();
    let wanted = request_id.clone();
    let (action, events) = state
        .run(move |b| async move {
            let action = match b.deps.db.action_get_by_request_id(&uuid, &wanted).await {
                Ok(action) => action,
                Err(e) if e.nova_class() == Some("InstanceActionNotFound") => {
                    return Err(ApiFault::not_found(format!("Action {wanted} not found")))
                }
                Err(e) => return Err(ApiFault::db(e)),
            };
            let events = if show_events {
                b.deps
                    .db
                    .action_events_get(action.id)
                    .await
                    .map_err(ApiFault::db)?
            } else {
                Vec::new()
            };
            Ok((action, events))
        })
        .await?;
    let mut view = action_view(ctx.version, &action);
    if show_events {
        let owner = action
            .project_id
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or(project);
        let events: Vec<Value> = events
            .iter()
            .map(|event| event_view(event, &owner, shape))
            .collect();
        view.insert("events".into(), json!(events));
    }
    Ok(ok(json!({ "instanceAction": view })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_2_58_query_is_read_as_novas_schema_reads_it() {
        let v258 = ApiVersion::new(2, 58);
        let v266 = ApiVersion::new(2, 66);
        let (page, marker) = paging(
            v266,
            &pairs(&[
                ("limit", "5000"),
                ("marker", "req-1"),
                ("changes-since", "2020-01-01T00:00:00Z"),
                ("changes-before", "2020-01-02T00:00:00"),
            ]),
        )
        .expect("valid");
        assert_eq!(page.limit, Some(1000));
        assert_eq!(marker.as_deref(), Some("req-1"));
        assert!(page.changes_since < page.changes_before);
        let before_266 = paging(v258, &pairs(&[("changes-before", "2020-01-01")])).unwrap_err();
        assert_eq!(
            before_266.message,
            "Additional properties are not allowed ('changes-before' was unexpected)"
        );
        let limit = paging(v258, &pairs(&[("limit", "-1")])).unwrap_err();
        assert_eq!(
            limit.message,
            "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'"
        );
        let time = paging(v258, &pairs(&[("changes-since", "yesterday")])).unwrap_err();
        assert_eq!(
            time.message,
            "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'"
        );
        let twice = paging(v258, &pairs(&[("limit", "1"), ("limit", "2")])).unwrap_err();
        assert!(twice.message.ends_with("is too long"), "{}", twice.message);
        let order = paging(
            v266,
            &pairs(&[
                ("changes-since", "2020-01-02"),
                ("changes-before", "2020-01-01"),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            order.message,
            "The value of changes-since must be less than or equal to changes-before."
        );
    }

    #[test]
    fn events_show_what_each_version_and_role_may_see() {
        let row = InstanceActionEventRow {
            id: 1,
            event: Some("compute_stop_instance".into()),
            action_id: Some(1),
            start_time: None,
            finish_time: None,
            result: Some("Success".into()),
            traceback: None,
            host: Some("compute1".into()),
            details: None,
            created_at: None,
            updated_at: None,
            deleted_at: None,
            deleted: 0,
        };
        let keys = |shape| {
            let mut keys: Vec<String> = event_view(&row, "p", shape)
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys.join(",")
        };
        let member_251 = EventShape {
            traceback: false,
            host: false,
            host_id: false,
            details: false,
        };
        assert_eq!(keys(member_251), "event,finish_time,result,start_time");
        let admin_284 = EventShape {
            traceback: true,
            host: true,
            host_id: true,
            details: true,
        };
        assert_eq!(
            keys(admin_284),
            "details,event,finish_time,host,hostId,result,start_time,traceback"
        );
        assert_eq!(
            event_view(&row, "p", admin_284)["hostId"],
            json!(host_id("p", Some("compute1")))
        );
    }
}
