//! `/servers/{id}/tags[/{tag}]` (2.26+; Nova: `server_tags.py`, `schemas/server_tags.py`,
//! `policies/server_tags.py`) and the create field `tags` (2.52+): a server's user tags in
//! Nova's `tags` table. A tag is 1–60 characters without `/` or `,`; a server carries at
//! most 50 ([`MAX_TAG_COUNT`]); changes need the server `active`, `paused`, `suspended` or
//! `stopped`. The detail view shows them ([`lookup::extras`](super::lookup::extras) reads a
//! page's tags in one query).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::instance_checks::{invalid_state, mapped, only_key, refuse_query, EDITABLE_VM_STATES};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::{json_body, ok};
use crate::api::policy::defaults as policy;
use crate::db::{InstanceRow, MAX_TAG_COUNT};

/// Nova's `tag.MAX_TAG_LENGTH`.
pub const MAX_TAG_LENGTH: usize = 60;

/// Why `tag` breaks `parameter_types.tag` (jsonschema's message), if it does.
pub fn tag_problem(tag: &str) -> Option<String> {
    if tag.contains(['/', ',']) {
        Some(format!("'{tag}' does not match '^[^,/]*$'"))
    } else if tag.is_empty() {
        Some("'' should be non-empty".to_owned())
    } else if tag.chars().count() > MAX_TAG_LENGTH {
        Some(format!("'{tag}' is too long"))
    } else {
        None
    }
}

/// A list of tags as Nova's schemas read it (`PUT /tags`, create's `tags`): strings that
/// are valid tags, at most [`MAX_TAG_COUNT`]; `field` names the list in the 400.
pub fn tag_list(field: &str, value: &Value) -> Result<Vec<String>, ApiFault> {
    let invalid = |at: &str, value: &Value, why: &str| {
        ApiFault::bad_request(format!(
            "Invalid input for field/attribute {at}. Value: {value}. {why}"
        ))
    };
    let Value::Array(items) = value else {
        return Err(invalid(
            field,
            value,
            &format!("{value} is not of type 'array'"),
        ));
    };
    let mut tags = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Value::String(tag) = item else {
            return Err(invalid(
                &index.to_string(),
                item,
                &format!("{item} is not of type 'string'"),
            ));
        };
        if let Some(why) = tag_problem(tag) {
            return Err(invalid(&index.to_string(), item, &why));
        }
        tags.push(tag.clone());
    }
    if items.len() > MAX_TAG_COUNT {
        return Err(invalid(field, value, &format!("{value} is too long")));
    }
    Ok(tags)
}

/// The create field `server.tags`: from 2.52 a tag list; before, Nova's schema does not
/// know it.
pub fn create_tags(ctx: &Ctx, value: Option<&Value>) -> Result<Vec<String>, ApiFault> {
    match value {
        None => Ok(Vec::new()),
        Some(_) if !ctx.version.at_least(52) => Err(ApiFault::bad_request(
            "Additional properties are not allowed ('tags' was unexpected)",
        )),
        Some(list) => tag_list("tags", list),
    }
}

/// Before 2.26 the tag routes do not exist (Nova's `VersionNotFoundForAPIMethod`: a bare 404).
fn since_2_26(ctx: &Ctx) -> Result<(), ApiFault> {
    if ctx.version.at_least(26) {
        Ok(())
    } else {
        Err(ApiFault::not_found("The resource could not be found."))
    }
}

/// Nova `_check_instance_in_valid_state`.
fn changeable(row: &InstanceRow, action: &str) -> Result<(), ApiFault> {
    let vm_state = row.vm_state.as_deref();
    if vm_state.is_some_and(|s| EDITABLE_VM_STATES.contains(&s)) {
        Ok(())
    } else {
        Err(invalid_state(action, &row.uuid, "vm_state", vm_state))
    }
}

/// `GET /servers/{id}/tags`.
pub async fn index(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    since_2_26(&ctx)?;
    refuse_query(&ctx, &req)?;
    let row = mapped(&ctx, &state, &id, policy::SERVER_TAGS_INDEX).await?;
    let tags = state
        .run(move |b| async move { b.deps.db.tags_get(&row.uuid).await.map_err(ApiFault::db) })
        .await?;
    Ok(ok(json!({ "tags": tags })))
}

/// `GET /servers/{id}/tags/{tag}` → 204, or 404 when the server lacks it.
pub async fn show(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    since_2_26(&ctx)?;
    refuse_query(&ctx, &req)?;
    let (id, tag) = path.into_inner();
    let row = mapped(&ctx, &state, &id, policy::SERVER_TAGS_SHOW).await?;
    let wanted = tag.clone();
    let exists = state
        .run(move |b| async move {
            b.deps
                .db
                .tag_exists(&row.uuid, &wanted)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    if exists {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiFault::not_found(format!(
            "Server {id} has no tag '{tag}'"
        )))
    }
}

/// `PUT /servers/{id}/tags/{tag}` (no body) → 201 with `Location`, or 204 when the server
/// has the tag already.
pub async fn update(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    since_2_26(&ctx)?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Null) => {}
            Ok(other) => {
                return Err(ApiFault::bad_request(format!(
                    "{other} is not of type 'null'"
                )))
            }
            Err(e) => {
                return Err(ApiFault::bad_request(format!(
                    "Malformed request body: {e}"
                )))
            }
        }
    }
    let (id, tag) = path.into_inner();
    let row = mapped(&ctx, &state, &id, policy::SERVER_TAGS_UPDATE).await?;
    changeable(&row, "update tag")?;
    if let Some(why) = tag_problem(&tag) {
        return Err(ApiFault::bad_request(format!(
            "Tag '{tag}' is invalid. It must be a non empty string without characters '/' and \
             ','. Validation error message: {why}"
        )));
    }
    let wanted = tag.clone();
    let created = state
        .run(move |b| async move {
            let tags = b.deps.db.tags_get(&row.uuid).await.map_err(ApiFault::db)?;
            if tags.len() >= MAX_TAG_COUNT {
                return Err(ApiFault::bad_request(format!(
                    "The number of tags exceeded the per-server limit {MAX_TAG_COUNT}"
                )));
            }
            if tags.contains(&wanted) {
                return Ok(false);
            }
            b.deps
                .db
                .tag_add(&row.uuid, &wanted)
                .await
                .map_err(ApiFault::db)?;
            Ok(true)
        })
        .await?;
    if !created {
        return Ok(HttpResponse::NoContent().finish());
    }
    let location = format!("{}/v2.1/servers/{id}/tags/{tag}", ctx.base);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// `PUT /servers/{id}/tags` `{"tags": […]}`: the server's tags become these; 200.
pub async fn update_all(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    since_2_26(&ctx)?;
    let body = json_body(&body)?;
    let tags = tag_list("tags", only_key(&body, "tags")?)?;
    let row = mapped(&ctx, &state, &id, policy::SERVER_TAGS_UPDATE_ALL).await?;
    changeable(&row, "update tags")?;
    let tags = state
        .run(move |b| async move {
            b.deps
                .db
                .tag_set(&row.uuid, &tags)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    Ok(ok(json!({ "tags": tags })))
}

/// `DELETE /servers/{id}/tags/{tag}` → 204, or 404 when the server lacks it.
pub async fn delete(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    since_2_26(&ctx)?;
    let (id, tag) = path.into_inner();
    let row = mapped(&ctx, &state, &id, policy::SERVER_TAGS_DELETE).await?;
    changeable(&row, "delete tag")?;
    let wanted = tag.clone();
    let deleted = state
        .run(move |b| async move {
            b.deps
                .db
                .tag_delete(&row.uuid, &wanted)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiFault::not_found(format!(
            "Instance {id} has no tag '{tag}'"
        )))
    }
}

/// `DELETE /servers/{id}/tags` → 204.
pub async fn delete_all(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    since_2_26(&ctx)?;
    let row = mapped(&ctx, &state, &id, policy::SERVER_TAGS_DELETE_ALL).await?;
    changeable(&row, "delete tags")?;
    state
        .run(move |b| async move {
            b.deps
                .db
                .tag_delete_all(&row.uuid)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tags_follow_novas_rules() {
        assert_eq!(tag_problem("web"), None);
        assert_eq!(
            tag_problem("a/b").as_deref(),
            Some("'a/b' does not match '^[^,/]*$'")
        );
        assert!(tag_problem("a,b").is_some());
        assert_eq!(tag_problem("").as_deref(), Some("'' should be non-empty"));
        assert_eq!(tag_problem(&"t".repeat(60)), None);
        assert!(tag_problem(&"t".repeat(61))
            .unwrap()
            .ends_with("is too long"));
        assert_eq!(
            tag_list("tags", &json!(["a", "b"])).unwrap(),
            vec!["a".to_owned(), "b".to_owned()]
        );
        let item = tag_list("tags", &json!(["ok", 3])).unwrap_err();
        assert_eq!(
            item.message,
            "Invalid input for field/attribute 1. Value: 3. 3 is not of type 'string'"
        );
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        let over = tag_list("tags", &json!(many)).unwrap_err();
        assert!(over.message.ends_with("is too long"), "{}", over.message);
        assert!(tag_list("tags", &json!("a")).is_err());
    }
}
