//! `GET /os-migrations` (Nova: `migrations.py`, `schemas/migrations.py`,
//! `views/migrations.py`, `policies/migrations.py`): the migration records of the cloud,
//! at every microversion's shape — 2.1 the record without its type; 2.23 `migration_type`
//! and, for an in-progress live migration, `links`; 2.59 `uuid`, `limit` / `marker` /
//! `changes-since` paging newest first with `migrations_links`; 2.66 `changes-before`; 2.80
//! `user_id` / `project_id` shown and filtered. Hidden records are never shown; callers the
//! `index:host` rule does not allow see no hosts.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::auth::Ctx;
use super::http::{ok, query};
use super::microversion::ApiVersion;
use super::policy::defaults as policy;
use super::servers::instance_actions::{iso_time, time};
use super::servers::list::collection_links;
use crate::db::{MigrationFilters, MigrationRow};

/// The statuses of a live migration that still runs (Nova's `live_migration_in_progress`).
const LIVE_MIGRATION_IN_PROGRESS: &[&str] = &["queued", "preparing", "running", "post-migrating"];

/// What a caller sees of a record (the controller's `_output` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// 2.23: `migration_type`, and `links` of in-progress live migrations.
    with_type: bool,
    /// 2.59: `uuid`.
    with_uuid: bool,
    /// 2.80: `user_id`, `project_id`.
    with_owner: bool,
    /// The `index:host` rule: hosts and nodes, else null.
    with_hosts: bool,
}

fn query_fault(name: &str, value: &str, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for query parameters {name}. Value: {value}. {why}"
    ))
}

/// The names the query schema of `version` knows (from 2.59 nothing else is allowed).
fn known(version: ApiVersion, name: &str) -> bool {
    let v20 = matches!(
        name,
        "hidden" | "host" | "instance_uuid" | "source_compute" | "status" | "migration_type"
    );
    v20 || (version.at_least(59) && matches!(name, "limit" | "marker" | "changes-since"))
        || (version.at_least(66) && name == "changes-before")
        || (version.at_least(80) && matches!(name, "user_id" | "project_id"))
}

/// The query as Nova's schema of `version` reads it and `search_opts` passes it on: the
/// filters, and the marker's uuid (2.59). Before 2.59 unknown names are allowed and the
/// ones the database reads (`node`, `uuid`, `user_id`, `project_id`) filter too.
fn filters(
    version: ApiVersion,
    pairs: &[(String, String)],
    max_limit: usize,
) -> Result<(MigrationFilters, Option<String>), ApiFault> {
    let paged = version.at_least(59);
    let mut filters = MigrationFilters::default();
    let mut marker = None;
    for (name, _) in pairs {
        if paged && !known(version, name) {
            return Err(ApiFault::bad_request(format!(
                "Additional properties are not allowed ('{name}' was unexpected)"
            )));
        }
        let single = matches!(
            name.as_str(),
            "limit" | "marker" | "changes-since" | "changes-before" | "user_id" | "project_id"
        );
        let count = pairs.iter().filter(|(k, _)| k == name).count();
        if paged && single && count > 1 {
            let values: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect();
            let list = format!("{values:?}").replace('"', "'");
            return Err(query_fault(name, &list, &format!("{list} is too long")));
        }
    }
    // Nova's `search_opts.update(req.GET)`: the last value of a repeated name counts.
    for (name, value) in pairs {
        let text = Some(value.clone());
        match name.as_str() {
            "host" => filters.host = text,
            "instance_uuid" => filters.instance_uuid = text,
            "source_compute" => filters.source_compute = text,
            "status" => filters.status = text,
            "migration_type" => filters.migration_type = text,
            "hidden" => filters.hidden = Some(hidden(value)?),
            "node" | "uuid" if !paged => {
                if name == "node" {
                    filters.node = text;
                } else {
                    filters.uuid = text;
                }
            }
            "user_id" if !paged || version.at_least(80) => filters.user_id = text,
            "project_id" if !paged || version.at_least(80) => filters.project_id = text,
            "limit" if paged => {
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(query_fault(
                        name,
                        value,
                        &format!("'{value}' does not match '^[0-9]*$'"),
                    ));
                }
                let limit = value.parse::<usize>().unwrap_or(usize::MAX).min(max_limit);
                filters.limit = u64::try_from(limit).ok();
            }
            "marker" if paged => marker = text,
            "changes-since" if paged => filters.changes_since = Some(iso_time(name, value)?),
            "changes-before" if paged => filters.changes_before = Some(iso_time(name, value)?),
            // Before 2.59 anything else is allowed and read by nobody (Nova drops
            // changes-since/before there too).
            _ => {}
        }
    }
    if paged && filters.limit.is_none() {
        filters.limit = u64::try_from(max_limit).ok();
    }
    if let (Some(since), Some(before)) = (filters.changes_since, filters.changes_before) {
        if before < since {
            return Err(ApiFault::bad_request(
                "The value of changes-since must be less than or equal to changes-before.",
            ));
        }
    }
    Ok((filters, marker))
}

/// The `hidden` filter: a boolean in one of Python's spellings.
fn hidden(value: &str) -> Result<bool, ApiFault> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Ok(false),
        _ => Err(query_fault(
            "hidden",
            value,
            &format!("'{value}' is not a boolean"),
        )),
    }
}

/// One record as `_output` shows it.
fn migration_view(ctx: &Ctx, row: &MigrationRow, shape: Shape) -> Value {
    let host = |value: &Option<String>| {
        if shape.with_hosts {
            json!(value)
        } else {
            Value::Null
        }
    };
    let mut view = Map::new();
    view.insert("id".into(), json!(row.id));
    view.insert("created_at".into(), time(row.created_at));
    view.insert("updated_at".into(), time(row.updated_at));
    view.insert("instance_uuid".into(), json!(row.instance_uuid));
    view.insert("status".into(), json!(row.status));
    view.insert(
        "old_instance_type_id".into(),
        json!(row.old_instance_type_id),
    );
    view.insert(
        "new_instance_type_id".into(),
        json!(row.new_instance_type_id),
    );
    view.insert("source_compute".into(), host(&row.source_compute));
    view.insert("source_node".into(), host(&row.source_node));
    view.insert("dest_compute".into(), host(&row.dest_compute));
    view.insert("dest_node".into(), host(&row.dest_node));
    view.insert("dest_host".into(), host(&row.dest_host));
    if shape.with_type {
        view.insert("migration_type".into(), json!(row.migration_type));
        let live_in_progress = row.migration_type.as_deref() == Some("live-migration")
            && LIVE_MIGRATION_IN_PROGRESS.contains(&row.status.as_deref().unwrap_or_default());
        if live_in_progress {
            let path = format!(
                "servers/{}/migrations/{}",
                row.instance_uuid.as_deref().unwrap_or_default(),
                row.id
            );
            view.insert(
                "links".into(),
                json!([
                    {"rel": "self", "href": ctx.href(&path)},
                    {"rel": "bookmark", "href": ctx.bookmark(&path)},
                ]),
            );
        }
    }
    if shape.with_uuid {
        view.insert("uuid".into(), json!(row.uuid));
    }
    if shape.with_owner {
        view.insert("user_id".into(), json!(row.user_id));
        view.insert("project_id".into(), json!(row.project_id));
    }
    Value::Object(view)
}

/// `GET /os-migrations`.
pub async fn index(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(policy::MIGRATIONS_INDEX)?;
    let pairs = query(&req)?;
    // Nova: listing without `project_id`, or another project's, needs `index:all_projects`.
    let asked_project = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "project_id")
        .map(|(_, v)| v.as_str());
    if asked_project != Some(ctx.project_id.as_str()) {
        ctx.authorize_own(policy::MIGRATIONS_INDEX_ALL_PROJECTS)?;
    }
    let shape = Shape {
        with_type: ctx.version.at_least(23),
        with_uuid: ctx.version.at_least(59),
        with_owner: ctx.version.at_least(80),
        with_hosts: ctx.can(policy::MIGRATIONS_INDEX_HOST, &ctx.project_id),
    };
    let (mut filters, marker) = filters(ctx.version, &pairs, state.max_limit())?;
    let rows = state
        .run(move |b| async move {
            if let Some(marker) = marker {
                filters.marker = Some(b.deps.db.migration_get_by_uuid(&marker).await.map_err(
                    |e| match e.nova_class() {
                        Some("MigrationNotFound") => {
                            ApiFault::bad_request(format!("Marker {marker} could not be found."))
                        }
                        _ => ApiFault::db(e),
                    },
                )?);
            }
            b.deps
                .db
                .migration_get_all_by_filters(&filters)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    // Nova drops hidden records after reading the page.
    let shown: Vec<&MigrationRow> = rows.iter().filter(|row| !row.hidden).collect();
    let migrations: Vec<Value> = shown
        .iter()
        .map(|row| migration_view(&ctx, row, shape))
        .collect();
    let mut body = Map::new();
    body.insert("migrations".into(), Value::Array(migrations));
    if shape.with_uuid {
        let links = collection_links(
            &ctx,
            &pairs,
            state.max_limit(),
            "os-migrations",
            shown.last().and_then(|row| row.uuid.as_deref()),
            shown.len(),
        )?;
        if let Some(links) = links {
            body.insert("migrations_links".into(), links);
        }
    }
    Ok(ok(Value::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn at(minor: u32) -> ApiVersion {
        ApiVersion { major: 2, minor }
    }

    #[test]
    fn each_version_reads_the_query_its_schema_allows() {
        let (old, _) = filters(at(1), &pairs(&[("limit", "x"), ("status", "done")]), 10).unwrap();
        assert_eq!(old.limit, None, "before 2.59 limit is nobody's");
        assert_eq!(old.status.as_deref(), Some("done"));
        let (paged, marker) =
            filters(at(59), &pairs(&[("limit", "50"), ("marker", "m")]), 10).unwrap();
        assert_eq!((paged.limit, marker.as_deref()), (Some(10), Some("m")));
        assert_eq!(filters(at(59), &[], 7).unwrap().0.limit, Some(7));
        let unexpected = filters(at(59), &pairs(&[("user_id", "u")]), 10).unwrap_err();
        assert!(
            unexpected.to_string().contains("'user_id' was unexpected"),
            "{unexpected}"
        );
        assert!(filters(at(80), &pairs(&[("user_id", "u")]), 10).is_ok());
        let bad = filters(at(59), &pairs(&[("limit", "-1")]), 10).unwrap_err();
        assert!(bad.to_string().contains("does not match"), "{bad}");
        let twice = filters(at(59), &pairs(&[("marker", "a"), ("marker", "b")]), 10).unwrap_err();
        assert!(twice.to_string().contains("is too long"), "{twice}");
        let crossed = filters(
            at(66),
            &pairs(&[
                ("changes-since", "2024-02-01"),
                ("changes-before", "2024-01-01"),
            ]),
            10,
        )
        .unwrap_err();
        assert!(
            crossed.to_string().contains("changes-since must be less"),
            "{crossed}"
        );
        assert!(filters(at(1), &pairs(&[("hidden", "maybe")]), 10).is_err());
        assert_eq!(
            filters(at(1), &pairs(&[("hidden", "0")]), 10)
                .unwrap()
                .0
                .hidden,
            Some(false)
        );
    }
}
