//! `GET /servers[/detail]` read in SQL: every filter, sort keys and directions, paging by
//! `servers_links` through all pages (NULL sort values included), the marker's 400, the
//! admin-only filters' 403 for members, and a page that reads only its own rows (the legacy
//! `/v2.1/{project_id}/…` prefix: `project_id_prefix.rs`). Instances are written straight
//! into the database (the list is what is under test, not the boot); paging also runs on
//! PostgreSQL and MariaDB.

use std::collections::HashSet;

use novactor_nova::db::NovaDb;
use serde_json::{json, Map, Value};

use crate::cloud::*;
use crate::common::Backend;
use crate::nova::fresh_nova_db;

pub(crate) const V253: (&str, &str) = ("OpenStack-API-Version", "compute 2.53");

/// Writes one instance with `fields` (and project `admin` unless given); returns its uuid.
pub(crate) async fn seed(db: &NovaDb, fields: Value) -> String {
    let mut values: Map<String, Value> = match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    values.entry("project_id").or_insert_with(|| json!("admin"));
    values.entry("user_id").or_insert_with(|| json!("admin"));
    values.entry("vm_state").or_insert_with(|| json!("active"));
    // What the API writes for every server it creates.
    values
        .entry("auto_disk_config")
        .or_insert_with(|| json!(false));
    db.instance_create(&values).await.expect("seed").uuid
}

async fn tag(db: &NovaDb, uuid: &str, tag: &str) {
    db.database()
        .execute(
            "INSERT INTO tags (resource_id, tag) VALUES (?, ?)",
            &[uuid.into(), tag.into()],
        )
        .await
        .expect("tag");
}

/// The ids of a list reply, after asserting it is a 200.
pub(crate) fn ids(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

fn set(ids: &[&String]) -> HashSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

async fn admin_ids(cloud: &Cloud, query: &str) -> HashSet<String> {
    let reply = cloud
        .admin("GET", &format!("/v2.1/servers?{query}"), None)
        .await;
    ids(&reply).into_iter().collect()
}

pub(crate) fn fault_message(reply: &Reply) -> String {
    let (_, fault) = reply
        .body
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("a fault body");
    fault["message"].as_str().unwrap_or_default().to_owned()
}

#[actix_rt::test]
async fn every_filter_selects_in_sql_as_nova_does() {
    let cloud = cloud().await;
    let db = &cloud.db;
    let small = db.flavor_get_by_flavor_id("2").await.unwrap();
    let web1 = seed(
        db,
        json!({"display_name": "web-1", "host": "h1", "node": "node-a", "image_ref": "img-a",
               "instance_type_id": small.id, "reservation_id": "r-aaa", "key_name": "k1",
               "availability_zone": "az1", "config_drive": "True", "power_state": 1,
               "progress": 100, "display_description": "front end",
               "launched_at": "2024-05-01T12:00:00.000000", "locked_by": "admin"}),
    )
    .await;
    let web2 = seed(
        db,
        json!({"display_name": "web-2", "host": "h2", "node": "node-b", "image_ref": "img-b",
               "vm_state": "stopped", "power_state": 4, "reservation_id": "r-bbb",
               "access_ip_v4": "192.0.2.20", "access_ip_v6": "2001:db8::20",
               "auto_disk_config": true}),
    )
    .await;
    let db1 = seed(
        db,
        json!({"display_name": "db-1", "vm_state": "active", "task_state": "rebooting"}),
    )
    .await;
    let broken = seed(db, json!({"display_name": "broken", "vm_state": "error"})).await;
    let other = seed(
        db,
        json!({"display_name": "web-other", "project_id": "p2", "user_id": "bob"}),
    )
    .await;
    let gone = seed(db, json!({"display_name": "gone", "vm_state": "deleted"})).await;
    db.instance_destroy(&gone).await.unwrap();
    for t in ["blue", "green"] {
        tag(db, &web1, t).await;
    }
    tag(db, &web2, "blue").await;

    let cases: Vec<(&str, HashSet<String>)> = vec![
        ("name=^web", set(&[&web1, &web2])),
        ("name=web-1", set(&[&web1])),
        ("display_name=^db", set(&[&db1])),
        ("status=SHUTOFF", set(&[&web2])),
        ("status=REBOOT", set(&[&db1])),
        // `default` among the task states: no task filter, so REBOOT counts as ACTIVE.
        ("status=active&status=error", set(&[&web1, &db1, &broken])),
        ("host=h1", set(&[&web1])),
        ("node=node-", set(&[&web1, &web2])),
        ("flavor=2", set(&[&web1])),
        ("flavor=999", set(&[])),
        ("image=img-b", set(&[&web2])),
        ("image_ref=img-a", set(&[&web1])),
        ("reservation_id=r-b", set(&[&web2])),
        ("uuid=", set(&[])),
        ("vm_state=error", set(&[&broken])),
        ("task_state=rebooting", set(&[&db1])),
        ("power_state=4", set(&[&web2])),
        ("progress=100", set(&[&web1])),
        ("key_name=k", set(&[&web1])),
        ("availability_zone=az1", set(&[&web1])),
        ("config_drive=True", set(&[&web1])),
        ("description=front", set(&[&web1])),
        ("locked_by=admin", set(&[&web1])),
        ("launched_at=2024-05-01T12:00:00Z", set(&[&web1])),
        ("user_id=admin&name=db", set(&[&db1])),
        ("kernel_id=x", set(&[])),
        ("access_ip_v4=^192\\.0\\.2\\.2", set(&[&web2])),
        ("access_ip_v6=2001:db8::20", set(&[&web2])),
        ("auto_disk_config=true", set(&[&web2])),
        ("auto_disk_config=false&name=web", set(&[&web1])),
        ("tags=blue", set(&[&web1, &web2])),
        ("tags=blue,green", set(&[&web1])),
        ("tags-any=green,red", set(&[&web1])),
        ("not-tags=blue,green&name=web", set(&[&web2])),
        ("not-tags-any=blue", set(&[&db1, &broken])),
        ("all_tenants=1&name=other", set(&[&other])),
        ("all_tenants=1&project_id=p2", set(&[&other])),
        ("all_tenants&tenant_id=p2", set(&[&other])),
        ("deleted=true", set(&[&gone])),
        ("status=DELETED", set(&[&gone])),
    ];
    for (query, expected) in cases {
        assert_eq!(admin_ids(&cloud, query).await, expected, "{query}");
    }
    assert_eq!(
        admin_ids(&cloud, &format!("uuid={web2}")).await,
        set(&[&web2])
    );

    // The detail page shows each ERROR server's newest fault and each host's service,
    // read once for the page.
    db.instance_fault_create(&broken, 500, "old failure", None, None)
        .await
        .unwrap();
    db.instance_fault_create(&broken, 500, "newest failure", None, None)
        .await
        .unwrap();
    let detail = cloud
        .admin(
            "GET",
            "/v2.1/servers/detail?name=%5Ebroken%24%7C%5Eweb-1%24",
            None,
        )
        .await;
    assert_eq!(detail.status, 200, "{detail:?}");
    let servers = detail.body["servers"].as_array().unwrap();
    let shown = |id: &str| {
        servers
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    assert_eq!(shown(&broken)["fault"]["message"], "newest failure");
    assert!(shown(&web1).get("fault").is_none());
    assert_eq!(shown(&web1)["flavor"]["original_name"], "m1.small");

    // changes-since: only what changed since then, deleted ones included (no `deleted`).
    let before = chrono::Utc::now();
    let since = before.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let mut update = Map::new();
    update.insert("progress".into(), json!(50));
    db.instance_update_and_get(&db1, &update, None, None)
        .await
        .unwrap();
    assert_eq!(
        admin_ids(&cloud, &format!("changes-since={since}")).await,
        set(&[&db1])
    );
    let too_early = admin_ids(&cloud, "changes-since=2000-01-01T00:00:00Z").await;
    assert!(too_early.contains(&db1), "{too_early:?}");

    // What the schema or the slice cannot take is a 400 naming it.
    for (query, message) in [
        ("metadata=x", "Invalid filter field: metadata."),
        ("_secret=x", "Invalid filter field: _secret."),
        (
            "bogus=1",
            "Additional properties are not allowed ('bogus' was unexpected)",
        ),
        (
            "locked=true",
            "Additional properties are not allowed ('locked' was unexpected)",
        ),
        (
            "ip=(",
            "Invalid input for query parameters ip. Value: (. '(' is not a 'regex'",
        ),
        (
            "auto_disk_config=maybe",
            "Invalid input for query parameters auto_disk_config. Value: maybe. 'maybe' is \
             not a boolean",
        ),
        ("status=NOPE", "Invalid status value"),
        (
            "name=(",
            "Invalid input for query parameters name. Value: (. '(' is not a 'regex'",
        ),
        (
            "changes-since=yesterday",
            "Invalid input for query parameters changes-since. Value: yesterday. \
             'yesterday' is not a 'date-time'",
        ),
        (
            "project_id=p2",
            "The project_id filter needs all_tenants=1: without it the list is the \
             caller's own project.",
        ),
        (
            "power_state=on",
            "Invalid input for query parameters power_state. Value: on. 'on' is not an \
             integer",
        ),
    ] {
        let reply = cloud
            .admin("GET", &format!("/v2.1/servers?{query}"), None)
            .await;
        assert_eq!(reply.status, 400, "{query}: {reply:?}");
        assert_eq!(fault_message(&reply), message, "{query}");
    }
    // Before 2.38 an unknown status is an empty list, as in Nova.
    let old = cloud
        .send(
            "GET",
            "/v2.1/servers?status=NOPE",
            &[
                ("X-Auth-Token", "notused"),
                ("OpenStack-API-Version", "compute 2.37"),
            ],
            None,
        )
        .await;
    assert!(ids(&old).is_empty());
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn members_get_a_403_naming_an_admin_only_filter_and_their_own_servers_otherwise() {
    let cloud = cloud().await;
    let mine = seed(
        &cloud.db,
        json!({"display_name": "mine", "project_id": "p1", "user_id": "alice", "host": "h1"}),
    )
    .await;
    seed(&cloud.db, json!({"display_name": "theirs", "host": "h1"})).await;
    let alice = [("X-Auth-Token", "alice:p1"), V253];
    let get = |query: &'static str| {
        let cloud = &cloud;
        async move {
            cloud
                .send(
                    "GET",
                    &format!("/v2.1/servers/detail?{query}"),
                    &alice,
                    None,
                )
                .await
        }
    };
    assert_eq!(ids(&get("name=^m").await), std::slice::from_ref(&mine));
    assert_eq!(ids(&get("").await), std::slice::from_ref(&mine));
    // What the real `openstack server list` sends: asks for nothing a member lacks.
    assert_eq!(
        ids(&get("deleted=False").await),
        std::slice::from_ref(&mine)
    );
    for (query, name) in [
        ("host=h1", "host"),
        ("node=x", "node"),
        ("uuid=x", "uuid"),
        ("deleted=true", "deleted"),
        ("user_id=alice", "user_id"),
    ] {
        let reply = get(query).await;
        assert_eq!(reply.status, 403, "{query}: {reply:?}");
        assert_eq!(
            fault_message(&reply),
            format!(
                "Only administrators may filter servers by {name} (policy \
                 os_compute_api:servers:allow_all_filters does not allow this caller)."
            )
        );
    }
    let deleted = get("status=DELETED").await;
    assert_eq!(deleted.status, 403);
    assert_eq!(
        fault_message(&deleted),
        "Only administrators may list deleted instances"
    );
    let sorted = get("sort_key=host").await;
    assert_eq!(sorted.status, 403);
    assert_eq!(
        fault_message(&sorted),
        "Only administrators can sort servers by host"
    );
    let everyone = get("all_tenants=1").await;
    assert_eq!(everyone.status, 403, "{everyone:?}");
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn sort_keys_and_directions_order_the_list_as_nova_does() {
    let cloud = cloud().await;
    let mut by_name = Vec::new();
    for (name, zone) in [("c", "z1"), ("a", "z2"), ("b", "z1"), ("a", "z1")] {
        let id = seed(
            &cloud.db,
            json!({"display_name": name, "availability_zone": zone}),
        )
        .await;
        by_name.push((name, zone, id));
    }
    let newest_first: Vec<String> = by_name.iter().rev().map(|(_, _, id)| id.clone()).collect();
    let list = |query: &'static str| {
        let cloud = &cloud;
        async move {
            cloud
                .admin("GET", &format!("/v2.1/servers?{query}"), None)
                .await
        }
    };
    assert_eq!(ids(&list("").await), newest_first);
    // An ignored key (vcpus) goes with its direction: the default order remains.
    assert_eq!(
        ids(&list("sort_key=vcpus&sort_dir=asc").await),
        newest_first
    );
    let id = |i: usize| by_name[i].2.clone();
    // display_name asc, ties by the appended created_at asc.
    assert_eq!(
        ids(&list("sort_key=display_name&sort_dir=asc").await),
        [id(1), id(3), id(2), id(0)]
    );
    // Two pairs: zone desc, then name asc.
    assert_eq!(
        ids(
            &list("sort_key=availability_zone&sort_dir=desc&sort_key=display_name&sort_dir=asc")
                .await
        ),
        [id(1), id(3), id(2), id(0)]
    );
    assert_eq!(
        ids(
            &list("sort_key=availability_zone&sort_key=display_name&sort_dir=asc&sort_dir=desc")
                .await
        ),
        [id(0), id(2), id(3), id(1)]
    );
    for (query, message) in [
        (
            "sort_key=display_name&sort_dir=up",
            "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'",
        ),
        (
            "sort_key=display_name&sort_dir=asc&sort_dir=desc",
            "Invalid input received: Sort direction size exceeds sort key size",
        ),
        (
            "sort_key=flavor",
            "Invalid input for query parameters sort_key. Value: flavor. 'flavor' is not \
             one of the server sort keys",
        ),
    ] {
        let reply = list(query).await;
        assert_eq!(reply.status, 400, "{query}: {reply:?}");
        assert_eq!(fault_message(&reply), message, "{query}");
    }
    cloud.node.shutdown().await.unwrap();
}

/// Follows `servers_links` from `first` to the end; the ids of every page, in order.
async fn walk(cloud: &Cloud, token: &str, first: String) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(first);
    let mut pages = 0;
    while let Some(url) = next {
        pages += 1;
        assert!(pages < 100, "paging does not end");
        let path = url.strip_prefix(&cloud.base).unwrap_or(&url).to_owned();
        let reply = cloud
            .send("GET", &path, &[("X-Auth-Token", token), V253], None)
            .await;
        seen.extend(ids(&reply));
        next = reply.body["servers_links"][0]["href"]
            .as_str()
            .map(str::to_owned);
        if let Some(link) = &next {
            assert_eq!(reply.body["servers_links"][0]["rel"], "next");
            assert!(link.contains("marker="), "{link}");
        }
    }
    seen
}

/// Paging by marker returns every row once, in the order of the one-page list, with NULL
/// sort values at either end: on the cloud's own backend.
async fn pages_cover_the_list_once(cloud: &Cloud) {
    for i in 0..7 {
        let host = (i % 3 != 0).then(|| format!("h{}", i % 2));
        seed(
            &cloud.db,
            json!({"display_name": format!("vm-{}", i % 4), "host": host}),
        )
        .await;
    }
    for query in [
        "",
        "sort_key=host&sort_dir=asc",
        "sort_key=host&sort_dir=desc",
        "sort_key=display_name&sort_dir=asc&sort_key=host&sort_dir=desc",
        "name=vm-%5B12%5D",
    ] {
        let all = cloud
            .admin("GET", &format!("/v2.1/servers/detail?{query}"), None)
            .await;
        let all = ids(&all);
        assert!(all.len() >= 3, "{query}: {all:?}");
        assert!(all.len() < 1000);
        let sep = if query.is_empty() { "" } else { "&" };
        let paged = walk(
            cloud,
            "notused",
            format!("/v2.1/servers/detail?{query}{sep}limit=2"),
        )
        .await;
        assert_eq!(paged, all, "{query}");
    }
    let unknown = cloud
        .admin("GET", "/v2.1/servers?marker=nonexistent", None)
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(fault_message(&unknown), "marker [nonexistent] not found");
}

#[actix_rt::test]
async fn pages_follow_servers_links_through_the_whole_list() {
    let cloud = cloud().await;
    pages_cover_the_list_once(&cloud).await;
    // The next link keeps the query, sorted, with the marker of the page's last server.
    let first = cloud
        .admin("GET", "/v2.1/servers?name=vm&limit=2", None)
        .await;
    let last = ids(&first)[1].clone();
    assert_eq!(
        first.body["servers_links"],
        json!([{"rel": "next",
                "href": format!("{}/v2.1/servers?limit=2&marker={last}&name=vm", cloud.base)}])
    );
    let huge = cloud
        .admin("GET", "/v2.1/servers?limit=99999999999999999999", None)
        .await;
    assert_eq!(ids(&huge).len(), 7, "a limit past any integer is max_limit");
    let negative = cloud.admin("GET", "/v2.1/servers?limit=-1", None).await;
    assert_eq!(negative.status, 400);
    assert_eq!(
        fault_message(&negative),
        "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'"
    );
    let zero = cloud.admin("GET", "/v2.1/servers?limit=0", None).await;
    assert!(ids(&zero).is_empty());
    assert!(zero.body.get("servers_links").is_none());
    cloud.node.shutdown().await.unwrap();
}

async fn cloud_on(backend: Backend) {
    let fresh = fresh_nova_db(backend, "api_lists").await;
    let cloud = cloud_with(&[("database", "connection", fresh.url.as_str())]).await;
    pages_cover_the_list_once(&cloud).await;
    let tagged = seed(&cloud.db, json!({"display_name": "tagged"})).await;
    tag(&cloud.db, &tagged, "blue").await;
    assert_eq!(
        admin_ids(&cloud, "tags=blue&name=^tag").await,
        set(&[&tagged])
    );
    if backend == Backend::Postgres {
        // Valid for the API's check, not for PostgreSQL's regular expressions: a 400.
        let refused = cloud.admin("GET", "/v2.1/servers?name=%5CpL", None).await;
        assert_eq!(refused.status, 400, "{refused:?}");
        assert!(
            fault_message(&refused)
                .starts_with("The database cannot apply the regular expression of this request"),
            "{refused:?}"
        );
    }
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn lists_page_and_filter_on_postgresql() {
    cloud_on(Backend::Postgres).await;
}

#[actix_rt::test]
async fn lists_page_and_filter_on_mariadb() {
    cloud_on(Backend::MySql).await;
}

#[actix_rt::test]
async fn a_list_reads_its_page_not_the_table() {
    let cloud = cloud_with(&[("api", "max_limit", "5")]).await;
    for i in 0..40 {
        seed(&cloud.db, json!({"display_name": format!("vm-{i}")})).await;
    }
    let before = cloud.db.instance_list_rows_read();
    let page = cloud
        .admin("GET", "/v2.1/servers/detail?limit=100", None)
        .await;
    assert_eq!(ids(&page).len(), 5, "limit is capped by [api] max_limit");
    assert_eq!(
        cloud.db.instance_list_rows_read() - before,
        5,
        "one page read, not the table"
    );
    let link = page.body["servers_links"][0]["href"]
        .as_str()
        .expect("a full page links the next one");
    let walked = walk(&cloud, "notused", link.to_owned()).await;
    assert_eq!(walked.len(), 35);
    cloud.node.shutdown().await.unwrap();
}
