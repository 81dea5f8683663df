//! `/servers/{id}/metadata` and `/servers/{id}/tags` CRUD, with Nova's state, lock and
//! policy checks and texts; tags in the views and at create.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::cloud::*;
use crate::common::wait_until;

#[actix_rt::test]
async fn metadata_crud_with_novas_checks_and_texts() {
    let cloud = cloud().await;
    let id = boot(&cloud, BOB, "meta", json!({"metadata": {"a": "1"}})).await;
    let base = format!("/v2.1/servers/{id}/metadata");
    let get = |path: String| {
        let cloud = &cloud;
        async move { call(cloud, BOB, "2.1", "GET", &path, None).await }
    };
    assert_eq!(
        get(base.clone()).await.body,
        json!({"metadata": {"a": "1"}})
    );
    let merged = call(
        &cloud,
        BOB,
        "2.1",
        "POST",
        &base,
        Some(r#"{"metadata": {"b": "2"}}"#),
    )
    .await;
    assert_eq!(
        (merged.status, merged.body.clone()),
        (200, json!({"metadata": {"a": "1", "b": "2"}}))
    );
    let replaced = call(
        &cloud,
        BOB,
        "2.1",
        "PUT",
        &base,
        Some(r#"{"metadata": {"c": "3"}}"#),
    )
    .await;
    assert_eq!(replaced.body, json!({"metadata": {"c": "3"}}));
    assert_eq!(
        get(format!("{base}/c")).await.body,
        json!({"meta": {"c": "3"}})
    );
    let missing = get(format!("{base}/a")).await;
    assert_eq!(
        (missing.status, message(&missing)),
        (404, "Metadata item was not found".into())
    );
    let item = call(
        &cloud,
        BOB,
        "2.1",
        "PUT",
        &format!("{base}/d"),
        Some(r#"{"meta": {"d": "4"}}"#),
    )
    .await;
    assert_eq!(
        (item.status, item.body.clone()),
        (200, json!({"meta": {"d": "4"}}))
    );
    let shown = call(
        &cloud,
        BOB,
        "2.1",
        "GET",
        &format!("/v2.1/servers/{id}"),
        None,
    )
    .await;
    assert_eq!(
        shown.body["server"]["metadata"],
        json!({"c": "3", "d": "4"})
    );

    let bad: &[(&str, &str, &str, u16, &str)] = &[
        (
            "PUT",
            "/d",
            r#"{"meta": {"e": "4"}}"#,
            400,
            "Request body and URI mismatch",
        ),
        ("PUT", "/d", r#"{"meta": {}}"#, 400, "should be non-empty"),
        (
            "PUT",
            "/d",
            r#"{"meta": {"d": "1", "e": "2"}}"#,
            400,
            "has too many properties",
        ),
        (
            "POST",
            "",
            r#"{"metadata": {"bad/key": "v"}}"#,
            400,
            "('bad/key' was unexpected)",
        ),
        (
            "POST",
            "",
            r#"{"meta": {"k": "v"}}"#,
            400,
            "('meta' was unexpected)",
        ),
        (
            "POST",
            "",
            r#"{"metadata": {"k": 1}}"#,
            400,
            "1 is not of type 'string'",
        ),
        ("DELETE", "/nope", "", 404, "Metadata item was not found"),
    ];
    for (method, suffix, body, status, text) in bad {
        let body = (!body.is_empty()).then_some(*body);
        let reply = call(&cloud, BOB, "2.1", method, &format!("{base}{suffix}"), body).await;
        assert_eq!(
            reply.status, *status,
            "{method} {suffix} {body:?}: {reply:?}"
        );
        assert!(
            message(&reply).contains(text),
            "{method} {suffix}: {reply:?}"
        );
    }
    let many: serde_json::Map<String, Value> =
        (0..127).map(|i| (format!("k{i}"), json!("v"))).collect();
    let over = json!({ "metadata": many }).to_string();
    let quota = call(&cloud, BOB, "2.1", "POST", &base, Some(&over)).await;
    assert_eq!(quota.status, 403, "{quota:?}");
    assert!(message(&quota).contains("Maximum number of metadata items exceeds 128"));
    let stranger = call(&cloud, "eve:p3", "2.1", "GET", &base, None).await;
    assert_eq!(stranger.status, 404);

    let deleted = call(&cloud, BOB, "2.1", "DELETE", &format!("{base}/c"), None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        get(base.clone()).await.body,
        json!({"metadata": {"d": "4"}})
    );

    // Nova's check_instance_lock and check_instance_state.
    let lock = json!({"locked_by": "admin"});
    cloud
        .db
        .instance_update_and_get(&id, lock.as_object().unwrap(), None, None)
        .await
        .unwrap();
    let locked = call(
        &cloud,
        BOB,
        "2.1",
        "POST",
        &base,
        Some(r#"{"metadata": {"x": "1"}}"#),
    )
    .await;
    assert_eq!(
        (locked.status, message(&locked)),
        (409, format!("Instance {id} is locked"))
    );
    let admin = call(
        &cloud,
        ADMIN,
        "2.1",
        "POST",
        &base,
        Some(r#"{"metadata": {"x": "1"}}"#),
    )
    .await;
    assert_eq!(admin.status, 200, "an admin passes the lock: {admin:?}");
    force_vm_state(&cloud, &id, "error").await;
    let error = call(&cloud, ADMIN, "2.1", "DELETE", &format!("{base}/x"), None).await;
    assert_eq!(error.status, 409);
    assert_eq!(
        message(&error),
        format!("Cannot 'delete metadata' instance {id} while it is in vm_state error")
    );
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn tags_crud_in_the_views_and_at_create() {
    let cloud = cloud().await;
    let early = json!({"server": {"name": "t0", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none", "tags": ["a"]}})
    .to_string();
    let refused = call(&cloud, BOB, "2.51", "POST", "/v2.1/servers", Some(&early)).await;
    assert_eq!(refused.status, 400);
    assert!(
        message(&refused).contains("('tags' was unexpected)"),
        "{refused:?}"
    );
    let id = boot(&cloud, BOB, "tagged", json!({"tags": ["b", "a"]})).await;
    let server = format!("/v2.1/servers/{id}");
    let shown = call(&cloud, BOB, "2.26", "GET", &server, None).await;
    assert_eq!(shown.body["server"]["tags"], json!(["a", "b"]));
    let before = call(&cloud, BOB, "2.25", "GET", &server, None).await;
    assert!(before.body["server"].get("tags").is_none());
    let listed = call(&cloud, BOB, "2.26", "GET", "/v2.1/servers/detail", None).await;
    assert_eq!(listed.body["servers"][0]["tags"], json!(["a", "b"]));

    let tags = format!("{server}/tags");
    let old = call(&cloud, BOB, "2.25", "GET", &tags, None).await;
    assert_eq!(
        (old.status, message(&old)),
        (404, "The resource could not be found.".into())
    );
    let added = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/c"), None).await;
    assert_eq!(added.status, 201, "{added:?}");
    assert_eq!(
        added.header("location"),
        Some(format!("{}{tags}/c", cloud.base))
    );
    let again = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/c"), None).await;
    assert_eq!(again.status, 204);
    assert_eq!(
        call(&cloud, BOB, "2.26", "GET", &format!("{tags}/c"), None)
            .await
            .status,
        204
    );
    let absent = call(&cloud, BOB, "2.26", "GET", &format!("{tags}/z"), None).await;
    assert_eq!(
        (absent.status, message(&absent)),
        (404, format!("Server {id} has no tag 'z'"))
    );
    let comma = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/a,b"), None).await;
    assert_eq!(comma.status, 400);
    assert!(
        message(&comma).starts_with("Tag 'a,b' is invalid. It must be a non empty string"),
        "{comma:?}"
    );
    let long = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &format!("{tags}/{}", "t".repeat(61)),
        None,
    )
    .await;
    assert_eq!(long.status, 400);
    let body = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/d"), Some("{}")).await;
    assert_eq!(body.status, 400, "{body:?}");

    let set = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(r#"{"tags": ["y", "x"]}"#),
    )
    .await;
    assert_eq!(
        (set.status, set.body.clone()),
        (200, json!({"tags": ["x", "y"]}))
    );
    assert_eq!(
        call(&cloud, BOB, "2.26", "GET", &tags, None).await.body,
        json!({"tags": ["x", "y"]})
    );
    let slash = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(r#"{"tags": ["a/b"]}"#),
    )
    .await;
    assert_eq!(slash.status, 400);
    assert!(
        message(&slash).contains("does not match '^[^,/]*$'"),
        "{slash:?}"
    );
    let fifty: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    let full = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(&json!({ "tags": fifty }).to_string()),
    )
    .await;
    assert_eq!(full.status, 200);
    let one_more = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/t50"), None).await;
    assert_eq!(
        (one_more.status, message(&one_more)),
        (
            400,
            "The number of tags exceeded the per-server limit 50".into()
        )
    );
    let mut fifty_one: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    fifty_one.sort();
    let too_many = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(&json!({ "tags": fifty_one }).to_string()),
    )
    .await;
    assert_eq!(too_many.status, 400);

    let removed = call(&cloud, BOB, "2.26", "DELETE", &format!("{tags}/t0"), None).await;
    assert_eq!(removed.status, 204);
    let twice = call(&cloud, BOB, "2.26", "DELETE", &format!("{tags}/t0"), None).await;
    assert_eq!(
        (twice.status, message(&twice)),
        (404, format!("Instance {id} has no tag 't0'"))
    );
    assert_eq!(
        call(&cloud, BOB, "2.26", "DELETE", &tags, None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&cloud, BOB, "2.26", "GET", &tags, None).await.body,
        json!({"tags": []})
    );

    let unknown = call(&cloud, BOB, "2.26", "GET", "/v2.1/servers/nope/tags", None).await;
    assert_eq!(
        (unknown.status, message(&unknown)),
        (404, "Instance nope has no mapping to a cell.".into())
    );
    let stranger = call(&cloud, "eve:p3", "2.26", "GET", &tags, None).await;
    assert_eq!(
        stranger.status, 403,
        "the tag API checks policy on the mapping: {stranger:?}"
    );
    assert_eq!(
        message(&stranger),
        "Policy doesn't allow os_compute_api:os-server-tags:index to be performed."
    );
    force_vm_state(&cloud, &id, "error").await;
    let error = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/q"), None).await;
    assert_eq!(
        (error.status, message(&error)),
        (
            409,
            format!("Cannot 'update tag' instance {id} while it is in vm_state error")
        )
    );
    force_vm_state(&cloud, &id, "active").await;
    call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/kept"), None).await;
    let deleted = call(&cloud, BOB, "2.26", "DELETE", &server, None).await;
    assert_eq!(deleted.status, 204);
    wait_until(
        Duration::from_secs(30),
        "the deleted server's tags to go",
        async || cloud.db.tags_get(&id).await.unwrap().is_empty(),
    )
    .await;
    cloud.node.shutdown().await.unwrap();
}
