//! `/os-keypairs` (Nova: `api/openstack/compute/keypairs.py`, its schemas in
//! `schemas/keypairs.py`, views in `views/keypairs.py`, policies in `policies/keypairs.py`):
//! list, show, create (generated without `public_key` until 2.92 requires it) or import, and
//! delete a user's key pairs. Per microversion: 2.2 `type` (`ssh` / `x509`) and 201 / 204;
//! 2.10 an admin names another `user_id`; 2.35 `limit` / `marker` with `keypairs_links`;
//! 2.75 unknown query parameters refused; 2.92 `@` and `.` allowed in names and no
//! generation. The policies are checked against the key pairs' user, as Nova does.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::auth::Ctx;
use super::http::{json_body, ok, query};
use super::keypair_api::{self, KeyPairRefusal};
use super::keypair_crypto::KeyMaterialError;
use super::policy::defaults as policy;
use super::servers::list::collection_links;
use super::servers::list_query::page_size;
use crate::db::{KeyPairListError, KeyPairRow};

/// The fault Nova answers for a refusal.
fn fault(refusal: KeyPairRefusal) -> ApiFault {
    match refusal {
        KeyPairRefusal::OverQuota => ApiFault::forbidden(refusal.to_string()),
        KeyPairRefusal::Invalid(KeyMaterialError::Generation(why)) => ApiFault::internal(why),
        KeyPairRefusal::Invalid(_) => ApiFault::bad_request(refusal.to_string()),
        KeyPairRefusal::Exists(_) => ApiFault::conflict(refusal.to_string()),
        KeyPairRefusal::NotFound { .. } => ApiFault::not_found(refusal.to_string()),
        KeyPairRefusal::Db(e) => ApiFault::db(e),
    }
}

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

fn unexpected(key: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Additional properties are not allowed ('{key}' was unexpected)"
    ))
}

/// 2.75+: a query parameter beyond `allowed` is a 400 (Nova's `additionalProperties:
/// False`); before, extra parameters are ignored.
fn refuse_unknown_query(
    ctx: &Ctx,
    pairs: &[(String, String)],
    allowed: &[&str],
) -> Result<(), ApiFault> {
    if !ctx.version.at_least(75) {
        return Ok(());
    }
    match pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((extra, _)) => Err(ApiFault::bad_request(format!(
            "Invalid input for query parameters {extra}. Additional properties are not allowed ('{extra}' was unexpected)"
        ))),
        None => Ok(()),
    }
}

/// Whose key pairs a request is about: `user_id` (its first value, 2.10+) or the caller.
fn target_user(ctx: &Ctx, pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == "user_id")
        .filter(|_| ctx.version.at_least(10))
        .map_or_else(|| ctx.user_id.clone(), |(_, v)| v.clone())
}

/// Nova's `keypair_name_special_chars` (2.92: `_v292`): printable, no leading or trailing
/// whitespace, 1 to 255 of `[_\- a-zA-Z0-9]` (2.92 adds `@` and `.`).
fn valid_name(ctx: &Ctx, value: &Value) -> Result<String, ApiFault> {
    let v292 = ctx.version.at_least(92);
    let pattern = if v292 {
        r"^[_\-\@\. a-zA-Z0-9]+$"
    } else {
        r"^[_\- a-zA-Z0-9]+$"
    };
    let Value::String(name) = value else {
        return Err(invalid(
            "name",
            value,
            &format!("{value} is not of type 'string'"),
        ));
    };
    let length = name.chars().count();
    if length == 0 {
        return Err(invalid("name", value, &format!("{value} is too short")));
    }
    if length > 255 {
        return Err(invalid("name", value, &format!("{value} is too long")));
    }
    if name.trim() != name {
        return Err(invalid(
            "name",
            value,
            "printable characters. Can not start or end with whitespace.",
        ));
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '-' | ' ')
            || (v292 && matches!(c, '@' | '.'))
    };
    if !name.chars().all(allowed) {
        return Err(invalid(
            "name",
            value,
            &format!("'{name}' does not match '{pattern}'"),
        ));
    }
    Ok(name.clone())
}

/// What a valid create body asks for.
#[derive(Debug, PartialEq, Eq)]
struct NewKeyPairRequest {
    name: String,
    key_type: String,
    public_key: Option<String>,
    user_id: Option<String>,
}

/// The create body as Nova's `create` / `create_v22` / `create_v210` / `create_v292` schemas
/// read it.
fn parse_create(ctx: &Ctx, body: &Map<String, Value>) -> Result<NewKeyPairRequest, ApiFault> {
    if let Some(extra) = body.keys().find(|k| *k != "keypair") {
        return Err(unexpected(extra));
    }
    let keypair = match body.get("keypair") {
        Some(Value::Object(keypair)) => keypair,
        Some(other) => {
            return Err(invalid(
                "keypair",
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
        None => {
            return Err(ApiFault::bad_request(
                "Invalid input for field/attribute keypair. 'keypair' is a required property",
            ))
        }
    };
    let mut allowed = vec!["name", "public_key"];
    if ctx.version.at_least(2) {
        allowed.push("type");
    }
    if ctx.version.at_least(10) {
        allowed.push("user_id");
    }
    if let Some(extra) = keypair.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(unexpected(extra));
    }
    let whole = Value::Object(keypair.clone());
    let required = |key: &str| {
        invalid(
            "keypair",
            &whole,
            &format!("'{key}' is a required property"),
        )
    };
    let name = valid_name(ctx, keypair.get("name").ok_or_else(|| required("name"))?)?;
    let string = |key: &str| -> Result<Option<String>, ApiFault> {
        match keypair.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(invalid(
                key,
                other,
                &format!("{other} is not of type 'string'"),
            )),
        }
    };
    let public_key = string("public_key")?;
    if ctx.version.at_least(92) && public_key.is_none() {
        return Err(required("public_key"));
    }
    let key_type = match keypair.get("type") {
        None => "ssh".to_owned(),
        Some(Value::String(t)) if t == "ssh" || t == "x509" => t.clone(),
        Some(other) => {
            return Err(invalid(
                "type",
                other,
                &format!("{other} is not one of ['ssh', 'x509']"),
            ))
        }
    };
    Ok(NewKeyPairRequest {
        name,
        key_type,
        public_key,
        user_id: string("user_id")?,
    })
}

/// Nova's `_build_keypair` of `row` with the fields `fields` names.
fn view(row: &KeyPairRow, fields: &[&str]) -> Value {
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or(Value::Null, |t| {
            json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
        })
    };
    let mut body = Map::new();
    for field in fields {
        let value = match *field {
            "name" => json!(row.name),
            "public_key" => json!(row.public_key),
            "fingerprint" => json!(row.fingerprint),
            "user_id" => json!(row.user_id),
            "type" => json!(row.key_type),
            "id" => json!(row.id),
            "created_at" => time(row.created_at),
            "updated_at" => time(row.updated_at),
            "deleted" => json!(false),
            _ => Value::Null, // deleted_at: key pairs are hard-deleted
        };
        body.insert((*field).to_owned(), value);
    }
    Value::Object(body)
}

const INDEX_FIELDS: &[&str] = &["name", "public_key", "fingerprint"];
const SHOW_FIELDS: &[&str] = &[
    "name",
    "public_key",
    "fingerprint",
    "user_id",
    "created_at",
    "deleted",
    "deleted_at",
    "id",
    "updated_at",
];

/// `fields`, plus `type` from 2.2.
fn with_type(ctx: &Ctx, fields: &[&'static str]) -> Vec<&'static str> {
    let mut all = fields.to_vec();
    if ctx.version.at_least(2) {
        all.push("type");
    }
    all
}

/// `GET /os-keypairs[?user_id&limit&marker]`.
pub async fn index(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let pairs = query(&req)?;
    refuse_unknown_query(&ctx, &pairs, &["user_id", "limit", "marker"])?;
    let user_id = target_user(&ctx, &pairs);
    ctx.authorize_for_user(policy::KEYPAIRS_INDEX, &user_id)?;
    let paged = ctx.version.at_least(35);
    let (limit, marker) = if paged {
        let limit = page_size(&pairs, state.max_limit())?;
        let marker = pairs
            .iter()
            .rev()
            .find(|(k, _)| k == "marker")
            .map(|(_, v)| v.clone());
        (u64::try_from(limit).ok(), marker)
    } else {
        (None, None)
    };
    let rows = state
        .run(move |b| async move {
            b.deps
                .db
                .key_pair_list(&user_id, limit, marker.as_deref())
                .await
                .map_err(|e| match e {
                    KeyPairListError::MarkerNotFound(_) => ApiFault::bad_request(e.to_string()),
                    KeyPairListError::Db(e) => ApiFault::db(e),
                })
        })
        .await?;
    let fields = with_type(&ctx, INDEX_FIELDS);
    let keypairs: Vec<Value> = rows
        .iter()
        .map(|row| json!({"keypair": view(row, &fields)}))
        .collect();
    let mut body = Map::new();
    body.insert("keypairs".into(), Value::Array(keypairs));
    if paged {
        let links = collection_links(
            &ctx,
            &pairs,
            state.max_limit(),
            "os-keypairs",
            rows.last().map(|row| row.name.as_str()),
            rows.len(),
        )?;
        if let Some(links) = links {
            body.insert("keypairs_links".into(), links);
        }
    }
    Ok(ok(Value::Object(body)))
}

/// `POST /os-keypairs` → 200 (2.1) or 201 (2.2+) with the key pair, and its private key
/// when it was generated.
pub async fn create(
    ctx: Ctx,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let body = json_body(&body)?;
    let request = parse_create(&ctx, &body)?;
    let user_id = request
        .user_id
        .clone()
        .unwrap_or_else(|| ctx.user_id.clone());
    ctx.authorize_for_user(policy::KEYPAIRS_CREATE, &user_id)?;
    let (row, private_key) = state
        .run(move |b| async move {
            let db = &b.deps.db;
            let quota = b.deps.key_pairs_quota;
            let created = match &request.public_key {
                Some(public_key) => keypair_api::import_key_pair(
                    db,
                    quota,
                    &user_id,
                    &request.name,
                    public_key,
                    &request.key_type,
                )
                .await
                .map(|row| (row, None)),
                None => keypair_api::create_key_pair(
                    db,
                    quota,
                    &user_id,
                    &request.name,
                    &request.key_type,
                )
                .await
                .map(|(row, private)| (row, Some(private))),
            };
            created.map_err(fault)
        })
        .await?;
    let mut fields = vec!["name", "public_key", "fingerprint", "user_id"];
    if ctx.version.at_least(2) {
        fields.push("type");
    }
    let mut keypair = view(&row, &fields);
    if let (Some(private_key), Some(map)) = (private_key, keypair.as_object_mut()) {
        map.insert("private_key".into(), json!(private_key));
    }
    let body = json!({ "keypair": keypair });
    Ok(if ctx.version.at_least(2) {
        HttpResponse::Created().json(body)
    } else {
        ok(body)
    })
}

/// `GET /os-keypairs/{name}[?user_id]`.
pub async fn show(
    ctx: Ctx,
    name: web::Path<String>,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let pairs = query(&req)?;
    refuse_unknown_query(&ctx, &pairs, &["user_id"])?;
    let user_id = target_user(&ctx, &pairs);
    ctx.authorize_for_user(policy::KEYPAIRS_SHOW, &user_id)?;
    let name = name.into_inner();
    let row = state
        .run(move |b| async move {
            keypair_api::get_key_pair(&b.deps.db, &user_id, &name)
                .await
                .map_err(fault)
        })
        .await?;
    Ok(ok(
        json!({"keypair": view(&row, &with_type(&ctx, SHOW_FIELDS))}),
    ))
}

/// `DELETE /os-keypairs/{name}[?user_id]` → 202 (2.1) or 204 (2.2+).
pub async fn delete(
    ctx: Ctx,
    name: web::Path<String>,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let pairs = query(&req)?;
    refuse_unknown_query(&ctx, &pairs, &["user_id"])?;
    let user_id = target_user(&ctx, &pairs);
    ctx.authorize_for_user(policy::KEYPAIRS_DELETE, &user_id)?;
    let name = name.into_inner();
    state
        .run(move |b| async move {
            keypair_api::delete_key_pair(&b.deps.db, &user_id, &name)
                .await
                .map_err(fault)
        })
        .await?;
    Ok(if ctx.version.at_least(2) {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::Accepted().finish()
    })
}
