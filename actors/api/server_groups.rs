//! `/os-server-groups` (Nova: `api/openstack/compute/server_groups.py`, its schemas in
//! `schemas/server_groups.py`, policies in `policies/server_groups.py`): list (own project,
//! or every project for an admin asking `all_projects`; `limit`/`offset`), create (the
//! `policies` list before 2.64, `policy` + `rules` from 2.64; the group quota), show and
//! delete. The view per microversion: `policies` + empty `metadata` before 2.64, `policy` +
//! `rules` from it; `project_id` and `user_id` from 2.13; only live members.

use std::collections::HashSet;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::auth::Ctx;
use super::http::{json_body, ok, query};
use super::policy::defaults as policy;
use super::server_group_api::{live_members, SERVER_GROUPS_QUOTA};
use crate::db::{InstanceGroupRow, NovaDb};
use crate::objects::GROUP_POLICIES;

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

fn not_found(id: &str) -> ApiFault {
    ApiFault::not_found(format!("Instance group {id} could not be found."))
}

/// Nova `_format_server_group` at the caller's version; `live` holds the live instances.
fn group_view(ctx: &Ctx, group: &InstanceGroupRow, live: &HashSet<String>) -> Value {
    let policy = group.policy.clone().unwrap_or_default();
    let mut view = json!({"id": group.uuid, "name": group.name});
    if ctx.version.at_least(64) {
        view["policy"] = json!(policy);
        let rules: Map<String, Value> = group
            .rules
            .get("max_server_per_host")
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
            .map(|n| ("max_server_per_host".to_owned(), json!(n)))
            .into_iter()
            .collect();
        view["rules"] = Value::Object(rules);
    } else {
        view["policies"] = json!([policy]);
        view["metadata"] = json!({});
    }
    view["members"] = json!(live_members(group, live));
    if ctx.version.at_least(13) {
        view["project_id"] = json!(group.project_id);
        view["user_id"] = json!(group.user_id);
    }
    view
}

/// The live instances among the members of `groups`.
async fn live_instances(
    db: &NovaDb,
    groups: &[InstanceGroupRow],
) -> Result<HashSet<String>, ApiFault> {
    let members: Vec<String> = groups.iter().flat_map(|g| g.members.clone()).collect();
    Ok(db
        .instance_hosts_of(&members)
        .await
        .map_err(ApiFault::db)?
        .into_iter()
        .map(|row| row.uuid)
        .collect())
}

/// Nova `parameter_types.non_negative_integer` for the list's `limit` / `offset`.
fn non_negative(pairs: &[(String, String)], key: &str) -> Result<Option<usize>, ApiFault> {
    let Some((_, text)) = pairs.iter().rev().find(|(k, _)| k == key) else {
        return Ok(None);
    };
    text.parse::<usize>().map(Some).map_err(|_| {
        ApiFault::bad_request(format!(
            "Invalid input for query parameters {key}. Value: {text}. '{text}' does not match '^[0-9]*$'"
        ))
    })
}

/// `GET /os-server-groups[?all_projects&limit&offset]`.
pub async fn index(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(policy::SERVER_GROUPS_INDEX)?;
    let pairs = query(&req)?;
    if ctx.version.at_least(75) {
        if let Some((extra, _)) = pairs
            .iter()
            .find(|(k, _)| !matches!(k.as_str(), "all_projects" | "limit" | "offset"))
        {
            return Err(ApiFault::bad_request(format!(
                "Invalid input for query parameters {extra}. Additional properties are not allowed ('{extra}' was unexpected)"
            )));
        }
    }
    let limit = non_negative(&pairs, "limit")?;
    let offset = non_negative(&pairs, "offset")?.unwrap_or(0);
    // Nova: a non-admin asking all_projects silently gets its own groups.
    let all = pairs.iter().any(|(k, _)| k == "all_projects") && ctx.is_admin;
    if all {
        ctx.authorize_own(policy::SERVER_GROUPS_INDEX_ALL_PROJECTS)?;
    }
    let project = (!all).then(|| ctx.project_id.clone());
    let (groups, live) = state
        .run(move |b| async move {
            let groups = b
                .deps
                .db
                .instance_group_list(project.as_deref())
                .await
                .map_err(ApiFault::db)?;
            // Nova `common.limited`: limit 0 or none means the maximum, 1000.
            let limit = limit.filter(|l| *l > 0).unwrap_or(1000).min(1000);
            let page: Vec<InstanceGroupRow> = groups.into_iter().skip(offset).take(limit).collect();
            let live = live_instances(&b.deps.db, &page).await?;
            Ok((page, live))
        })
        .await?;
    let views: Vec<Value> = groups.iter().map(|g| group_view(&ctx, g, &live)).collect();
    Ok(ok(json!({ "server_groups": views })))
}

/// What a valid create body asks for.
#[derive(Debug, PartialEq)]
struct NewGroup {
    name: String,
    policy: String,
    rules: Map<String, Value>,
}

/// The create body as Nova's `create` / `create_v215` / `create_v264` schemas read it.
fn parse_new_group(ctx: &Ctx, body: &Map<String, Value>) -> Result<NewGroup, ApiFault> {
    if let Some(extra) = body.keys().find(|k| *k != "server_group") {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let group = match body.get("server_group") {
        Some(Value::Object(group)) => group,
        Some(other) => {
            return Err(invalid(
                "server_group",
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
        None => return Err(ApiFault::bad_request(
            "Invalid input for field/attribute server_group. 'server_group' is a required property",
        )),
    };
    let v264 = ctx.version.at_least(64);
    let allowed: &[&str] = if v264 {
        &["name", "policy", "rules"]
    } else {
        &["name", "policies"]
    };
    if let Some(extra) = group.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let whole = Value::Object(group.clone());
    let required = |key: &str| {
        invalid(
            "server_group",
            &whole,
            &format!("'{key}' is a required property"),
        )
    };
    let name = match group.get("name") {
        None => return Err(required("name")),
        Some(Value::String(n)) if !n.is_empty() && n.chars().count() <= 255 && n.trim() == n => {
            n.clone()
        }
        Some(other) => {
            return Err(invalid(
                "name",
                other,
                "a name is a string of 1 to 255 characters without leading or trailing whitespace",
            ))
        }
    };
    // Before 2.15 only the two hard policies exist.
    let known: &[&str] = if ctx.version.at_least(15) {
        &GROUP_POLICIES
    } else {
        &GROUP_POLICIES[..2]
    };
    let one_of = |field: &str, value: &Value| {
        invalid(field, value, &format!("{value} is not one of {known:?}"))
    };
    let policy = if v264 {
        match group.get("policy") {
            None => return Err(required("policy")),
            Some(Value::String(p)) if known.contains(&p.as_str()) => p.clone(),
            Some(other) => return Err(one_of("policy", other)),
        }
    } else {
        match group.get("policies") {
            None => return Err(required("policies")),
            Some(Value::Array(list)) if list.len() == 1 => match &list[0] {
                Value::String(p) if known.contains(&p.as_str()) => p.clone(),
                other => return Err(one_of("policies", other)),
            },
            Some(other) => {
                return Err(invalid(
                    "policies",
                    other,
                    &format!("{other} is not a list of exactly one policy"),
                ))
            }
        }
    };
    let rules = match group.get("rules") {
        None => Map::new(),
        Some(Value::Object(rules)) => {
            if let Some(extra) = rules.keys().find(|k| *k != "max_server_per_host") {
                return Err(ApiFault::bad_request(format!(
                    "Additional properties are not allowed ('{extra}' was unexpected)"
                )));
            }
            match rules.get("max_server_per_host") {
                None => {}
                // Nova's positive_integer: an integer ≥ 1, or a string of one.
                Some(v) if positive_integer(v).is_some() => {}
                Some(other) => {
                    return Err(invalid(
                        "max_server_per_host",
                        other,
                        &format!("{other} is not a positive integer"),
                    ))
                }
            }
            rules
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), json!(positive_integer(v)?))))
                .collect()
        }
        Some(other) => {
            return Err(invalid(
                "rules",
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
    };
    if policy != "anti-affinity" && !rules.is_empty() {
        return Err(ApiFault::bad_request(
            "Only anti-affinity policy supports rules.",
        ));
    }
    Ok(NewGroup {
        name,
        policy,
        rules,
    })
}

fn positive_integer(value: &Value) -> Option<i64> {
    let n = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.parse::<i64>().ok()?,
        _ => return None,
    };
    (n >= 1).then_some(n)
}

/// `POST /os-server-groups` → 200 with the group.
pub async fn create(
    ctx: Ctx,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(policy::SERVER_GROUPS_CREATE)?;
    let body = json_body(&body)?;
    let new = parse_new_group(&ctx, &body)?;
    let (project, user) = (ctx.project_id.clone(), ctx.user_id.clone());
    let group = state
        .run(move |b| async move {
            let db = &b.deps.db;
            let count = db
                .instance_group_count(&project)
                .await
                .map_err(ApiFault::db)?;
            if count + 1 > SERVER_GROUPS_QUOTA {
                return Err(ApiFault::forbidden(
                    "Quota exceeded, too many server groups.",
                ));
            }
            let uuid = uuid::Uuid::new_v4().to_string();
            db.instance_group_create(&uuid, &new.name, &user, &project, &new.policy, &new.rules)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    tracing::info!(group = %group.uuid, policy = ?group.policy, "server group created");
    Ok(ok(
        json!({"server_group": group_view(&ctx, &group, &HashSet::new())}),
    ))
}

/// The group `id`, or 404 as Nova (`InstanceGroupNotFound`).
async fn find(
    state: &ApiState,
    id: String,
) -> Result<(InstanceGroupRow, HashSet<String>), ApiFault> {
    state
        .run(move |b| async move {
            let group = b
                .deps
                .db
                .instance_group_get_by_uuid(&id)
                .await
                .map_err(ApiFault::db)?
                .ok_or_else(|| not_found(&id))?;
            let live = live_instances(&b.deps.db, std::slice::from_ref(&group)).await?;
            Ok((group, live))
        })
        .await
}

/// `GET /os-server-groups/{id}`.
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    if ctx.version.at_least(102) {
        if let Some((extra, _)) = query(&req)?.first() {
            return Err(ApiFault::bad_request(format!(
                "Invalid input for query parameters {extra}. Additional properties are not allowed ('{extra}' was unexpected)"
            )));
        }
    }
    let (group, live) = find(&state, id.into_inner()).await?;
    ctx.authorize(
        policy::SERVER_GROUPS_SHOW,
        group.project_id.as_deref().unwrap_or_default(),
    )?;
    Ok(ok(json!({"server_group": group_view(&ctx, &group, &live)})))
}

/// `DELETE /os-server-groups/{id}` → 204.
pub async fn delete(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let id = id.into_inner();
    let (group, _) = find(&state, id.clone()).await?;
    ctx.authorize(
        policy::SERVER_GROUPS_DELETE,
        group.project_id.as_deref().unwrap_or_default(),
    )?;
    let deleted = state
        .run(move |b| async move {
            b.deps
                .db
                .instance_group_delete(&id)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    if !deleted {
        return Err(not_found(&group.uuid));
    }
    Ok(HttpResponse::NoContent().finish())
}
