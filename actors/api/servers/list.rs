//! `GET /servers` and `GET /servers/detail` (Nova: `servers.py` `index`, `detail`,
//! `_get_servers`; `views/servers.py` `index`, `detail`): one page of the caller's
//! instances read in SQL as [`list_query`](super::list_query) plans it, the detail view's
//! extras read once for the page, and `servers_links` with the `next` page when this one
//! is full (Nova's `_get_collection_links`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::list_query::{page_size, plan, ListPlan};
use super::lookup::extras;
use super::views::{brief_view, detail_view};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::{ok, query};
use crate::api::policy::defaults as policy;
use crate::db::{ColumnMatch, InstanceRow, NovaDbError};
use novactor::db::DbError;

/// The page a list request selects.
async fn selected(
    ctx: &Ctx,
    pairs: &[(String, String)],
    state: &ApiState,
    detail: bool,
) -> Result<Vec<InstanceRow>, ApiFault> {
    ctx.authorize_own(if detail {
        policy::SERVERS_DETAIL
    } else {
        policy::SERVERS_INDEX
    })?;
    let query = match plan(ctx, pairs, state.max_limit(), detail)? {
        ListPlan::Query(query) => query,
        ListPlan::Empty => return Ok(Vec::new()),
    };
    let marker = query.marker.clone();
    let patterns: Vec<String> = query
        .filters
        .iter()
        .filter_map(|f| match &f.matching {
            ColumnMatch::Regex(pattern) => Some(pattern.clone()),
            _ => None,
        })
        .collect();
    state
        .run(move |b| async move {
            match b.deps.db.instance_get_all_by_filters_sort(&query).await {
                Ok(rows) => Ok(rows),
                // The only instance the list looks up by uuid is the marker.
                Err(NovaDbError::InstanceNotFound { .. }) => Err(ApiFault::bad_request(format!(
                    "marker [{}] not found",
                    marker.unwrap_or_default()
                ))),
                Err(e) if !patterns.is_empty() && is_refused_regex(&e) => {
                    Err(ApiFault::bad_request(format!(
                        "The database cannot apply the regular expression of this request \
                         ({}): {e}",
                        patterns.join(", ")
                    )))
                }
                Err(e) => Err(ApiFault::db(e)),
            }
        })
        .await
}

/// Whether the database refused a regular expression the API's check let through (the
/// three servers' dialects differ at the edges: PostgreSQL has no `\p{…}`, for one).
fn is_refused_regex(error: &NovaDbError) -> bool {
    let NovaDbError::Db(DbError::Query(sqlx::Error::Database(e))) = error else {
        return false;
    };
    if let Some(mysql) = e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // MariaDB ER_REGEXP_ERROR; MySQL 8's ER_REGEXP_* family.
        return matches!(mysql.number(), 1139 | 3685..=3699);
    }
    // PostgreSQL invalid_regular_expression.
    e.code().as_deref() == Some("2201B")
}

/// Nova `_get_collection_links`: a `next` link when the page holds as many items as were
/// asked (`limit`, at most `max_limit`), its query the request's with `marker` the last id.
pub(crate) fn collection_links(
    ctx: &Ctx,
    pairs: &[(String, String)],
    max_limit: usize,
    collection: &str,
    last_id: Option<&str>,
    count: usize,
) -> Result<Option<Value>, ApiFault> {
    let wanted = page_size(pairs, max_limit)?;
    let Some(last_id) = last_id.filter(|_| wanted > 0 && wanted == count) else {
        return Ok(None);
    };
    // Nova: the request's parameters sorted by name, `marker` set to the last id. Nova's
    // OrderedDict keeps one value per name, which loses the second `sort_key`/`sort_dir`
    // pair; novactor keeps every value in its order (D-LIST-FILTERS).
    let mut unique: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .chain([("marker".to_owned(), last_id.to_owned())])
        .collect();
    unique.sort_by(|a, b| a.0.cmp(&b.0));
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(unique)
        .finish();
    let href = format!("{}?{encoded}", ctx.href(collection));
    Ok(Some(json!([{"rel": "next", "href": href}])))
}

/// `{"servers": [...]}` plus `servers_links` when there is a next page.
fn body(
    ctx: &Ctx,
    pairs: &[(String, String)],
    state: &ApiState,
    collection: &str,
    rows: &[InstanceRow],
    servers: Vec<Value>,
) -> Result<Value, ApiFault> {
    let links = collection_links(
        ctx,
        pairs,
        state.max_limit(),
        collection,
        rows.last().map(|r| r.uuid.as_str()),
        rows.len(),
    )?;
    let mut body = Map::new();
    body.insert("servers".to_owned(), Value::Array(servers));
    if let Some(links) = links {
        body.insert("servers_links".to_owned(), links);
    }
    Ok(Value::Object(body))
}

/// `GET /servers`.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let pairs = query(&req)?;
    let rows = selected(&ctx, &pairs, &state, false).await?;
    let servers: Vec<Value> = rows.iter().map(|r| brief_view(&ctx, r)).collect();
    Ok(ok(body(&ctx, &pairs, &state, "servers", &rows, servers)?))
}

/// `GET /servers/detail`.
pub async fn detail(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let pairs = query(&req)?;
    let rows = selected(&ctx, &pairs, &state, true).await?;
    let extras = extras(&state, &rows).await?;
    let servers: Vec<Value> = rows
        .iter()
        .zip(&extras)
        .map(|(r, e)| detail_view(&ctx, r, e))
        .collect();
    Ok(ok(body(
        &ctx,
        &pairs,
        &state,
        "servers/detail",
        &rows,
        servers,
    )?))
}
