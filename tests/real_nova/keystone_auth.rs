//! The compute API behind a real Keystone 30.0.0 (`[api] auth_strategy = keystone`): the real
//! `openstack` CLI logs in with a password (clouds.yaml) and boots, lists and deletes a
//! server; another project's member gets Nova's 404, a reader Nova's 403; a missing or
//! invalid token is 401 with `WWW-Authenticate: Keystone uri="…"`; validated tokens are
//! cached (Keystone's own request log counts the validations); Keystone stopped is a 503
//! within the retry bound and started again is success; the API's own service token is
//! renewed before it expires.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::process::{command, free_port, Running};
use crate::keystone_server::RealKeystone;
use crate::nova::BIN;

const VALIDATIONS: &str = "GET /v3/auth/tokens";
const LOGINS: &str = "POST /v3/auth/tokens";

/// novactor (all four services, one process) with Keystone in front of its API.
fn novactor(home: &Path, port: u16, keystone: &RealKeystone) -> Running {
    let (nova_password, _) = keystone.user("nova");
    let conf = home.join("nova.conf");
    std::fs::write(
        &conf,
        format!(
            "[DEFAULT]\nosapi_compute_listen_port = {port}\nreport_interval = 1\n\
             [api]\nauth_strategy = keystone\n\
             [keystone_authtoken]\nauth_type = password\nauth_url = {}\n\
             www_authenticate_uri = {}\nusername = nova\npassword = {nova_password}\n\
             project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n\
             region_name = RegionOne\nmemcached_servers = 127.0.0.1:11211\n",
            keystone.url, keystone.auth_url
        ),
    )
    .expect("write nova.conf");
    let mut command = command(BIN.as_ref(), home);
    command.args([
        "--config-file",
        conf.to_str().expect("utf-8 path"),
        "run",
        "--host",
        "ks1",
    ]);
    let running = Running::spawn(command);
    running.wait_for("api listening on", 1, Duration::from_secs(60));
    running.wait_for("actor ready", 4, Duration::from_secs(60));
    running
}

/// The real `openstack` CLI of the real-Nova venv, with a clouds.yaml of password logins.
struct Cli {
    bin: PathBuf,
    home: PathBuf,
}

impl Cli {
    fn new(home: &Path, keystone: &RealKeystone, api_port: u16) -> Self {
        let cloud = |user: &str, project: &str| {
            let (password, _) = keystone.user(user);
            format!(
                "  {user}:\n    auth:\n      auth_url: {}\n      username: {user}\n      \
                 password: \"{password}\"\n      project_name: {project}\n      \
                 user_domain_name: Default\n      project_domain_name: Default\n    \
                 region_name: RegionOne\n    identity_api_version: 3\n    \
                 image_endpoint_override: http://127.0.0.1:{api_port}/image/v2\n",
                keystone.auth_url
            )
        };
        let dir = home.join(".config/openstack");
        std::fs::create_dir_all(&dir).expect("config dir");
        std::fs::write(
            dir.join("clouds.yaml"),
            format!(
                "clouds:\n{}{}",
                cloud("demo_member", "demo"),
                cloud("alt_member", "alt")
            ),
        )
        .expect("clouds.yaml");
        Cli {
            bin: crate::placement_server::real_nova_venv().join("bin/openstack"),
            home: home.to_owned(),
        }
    }

    /// `openstack --os-cloud <cloud> <args>`: stdout, or a panic with stderr.
    fn run(&self, cloud: &str, args: &[&str]) -> String {
        let output = Command::new("timeout")
            .arg("120")
            .arg(&self.bin)
            .args(["--os-cloud", cloud])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .output()
            .expect("openstack runs");
        assert!(
            output.status.success(),
            "openstack {args:?} as {cloud} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// One request with `token` (if any): status, `WWW-Authenticate`, body.
async fn call(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.header("X-Auth-Token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.expect("the API answers");
    let status = reply.status().as_u16();
    let challenge = reply
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = reply.json().await.unwrap_or(Value::Null);
    (status, challenge, body)
}

/// `GET {api}/servers` with `token`: the status.
async fn list_status(api: &str, token: Option<&str>) -> u16 {
    call(reqwest::Method::GET, &format!("{api}/servers"), token, None)
        .await
        .0
}

#[actix_rt::test]
async fn keystone_guards_the_compute_api_as_keystonemiddleware_and_nova_policy_do() {
    let home = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let api = format!("http://127.0.0.1:{port}/v2.1");
    let mut keystone = RealKeystone::start(&api, Duration::from_secs(3600));
    let novactor = novactor(home.path(), port, &keystone);
    assert!(
        novactor.count("memcached_servers = 127.0.0.1:11211 is not used") == 1,
        "the unused memcached_servers is said at start:\n{}",
        novactor.lines().join("\n")
    );
    let cli = Cli::new(home.path(), &keystone, port);

    // The real CLI, logged in with a password, boots, lists and later deletes a server.
    let created = cli.run(
        "demo_member",
        &[
            "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--nic", "none",
            "--wait", "vm1", "-f", "json",
        ],
    );
    let created: Value = serde_json::from_str(&created).expect("server create -f json");
    assert_eq!(created["status"], "ACTIVE", "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let listed = cli.run(
        "demo_member",
        &[
            "server", "list", "-f", "value", "-c", "Name", "-c", "Status",
        ],
    );
    assert_eq!(listed.trim(), "vm1 ACTIVE");
    assert_eq!(
        cli.run("alt_member", &["server", "list", "-f", "value"])
            .trim(),
        ""
    );

    // Another project's member: Nova's 404 for show and delete, as if it did not exist.
    let server = format!("{api}/servers/{id}");
    let alt = keystone.token("alt_member").await;
    let (status, _, body) = call(reqwest::Method::GET, &server, Some(&alt), None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["itemNotFound"]["message"],
        format!("Instance {id} could not be found.")
    );
    let (status, _, _) = call(reqwest::Method::DELETE, &server, Some(&alt), None).await;
    assert_eq!(status, 404);
    let (status, _, body) = call(
        reqwest::Method::GET,
        &format!("{api}/servers?all_tenants=1"),
        Some(&alt),
        None,
    )
    .await;
    assert_eq!(status, 403, "all_tenants is admin-only: {body}");

    // A reader sees its project's server and cannot create one.
    let reader = keystone.token("demo_reader").await;
    let (status, _, body) = call(reqwest::Method::GET, &server, Some(&reader), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["server"].get("OS-EXT-SRV-ATTR:host").is_none(),
        "admin-only attributes: {body}"
    );
    let boot = json!({"server": {"name": "r", "flavorRef": "1", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "networks": "none"}});
    let (status, _, body) = call(
        reqwest::Method::POST,
        &format!("{api}/servers"),
        Some(&reader),
        Some(boot.clone()),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:servers:create to be performed."
    );
    let (status, _, _) = call(
        reqwest::Method::GET,
        &format!("{api}/os-hypervisors"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let admin = keystone.token("admin").await;
    let (status, _, body) = call(reqwest::Method::GET, &server, Some(&admin), None).await;
    assert_eq!(status, 200, "an admin sees every project's servers: {body}");
    assert_eq!(body["server"]["OS-EXT-SRV-ATTR:host"], "ks1");

    // No token, a garbage token: 401 with the challenge naming Keystone.
    let challenge = format!("Keystone uri=\"{}\"", keystone.auth_url);
    for token in [None, Some("garbage"), Some("gAAAAABnot-a-fernet-token")] {
        let (status, www, body) =
            call(reqwest::Method::GET, &format!("{api}/servers"), token, None).await;
        assert_eq!(status, 401, "{token:?}: {body}");
        assert_eq!(www.as_deref(), Some(challenge.as_str()), "{token:?}");
    }

    // X-Service-Token (keystonemiddleware's service tokens): one with the service role is
    // accepted beside the user's; one without it, or garbage, is a 401.
    let service = keystone.token("nova").await;
    let member = keystone.token("demo_member").await;
    let servers = format!("{api}/servers");
    let with_service = |service: &str| {
        reqwest::Client::new()
            .get(&servers)
            .header("X-Auth-Token", &member)
            .header("X-Service-Token", service)
            .send()
    };
    let reply = with_service(&service).await.expect("answers");
    assert_eq!(reply.status(), 200);
    let reader_as_service = keystone.token("demo_reader").await;
    for refused in [reader_as_service.as_str(), "garbage"] {
        let reply = with_service(refused).await.expect("answers");
        assert_eq!(reply.status(), 401, "service token {refused:.12}…");
        assert_eq!(
            reply
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some(challenge.as_str())
        );
    }

    // Cached: a validated token is not validated again; an invalid one every time.
    let member = keystone.token("demo_member").await;
    let before = keystone.requests(VALIDATIONS).await;
    for _ in 0..5 {
        assert_eq!(list_status(&api, Some(&member)).await, 200);
    }
    assert_eq!(
        keystone.requests(VALIDATIONS).await - before,
        1,
        "one validation for five requests"
    );
    let before = keystone.requests(VALIDATIONS).await;
    for _ in 0..3 {
        assert_eq!(list_status(&api, Some("garbage")).await, 401);
    }
    assert_eq!(
        keystone.requests(VALIDATIONS).await - before,
        3,
        "invalid tokens are never cached"
    );

    // Keystone down: an unvalidated token is a 503 within the retry bound; a cached one
    // still works; Keystone back: the same token is accepted.
    let unseen = keystone.token("demo_member").await;
    keystone.stop();
    let asked = Instant::now();
    let (status, _, body) = call(
        reqwest::Method::GET,
        &format!("{api}/servers"),
        Some(&unseen),
        None,
    )
    .await;
    let took = asked.elapsed();
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["serviceUnavailable"]["message"],
        "The Keystone service is temporarily unavailable."
    );
    assert!(took < Duration::from_secs(15), "the 503 took {took:?}");
    assert_eq!(
        list_status(&api, Some(&member)).await,
        200,
        "a cached token needs no Keystone"
    );
    keystone.restart();
    let (status, _, body) = call(
        reqwest::Method::GET,
        &format!("{api}/servers"),
        Some(&unseen),
        None,
    )
    .await;
    assert_eq!(status, 200, "after the outage: {body}");

    cli.run("demo_member", &["server", "delete", "--wait", "vm1"]);
    assert_eq!(
        cli.run("demo_member", &["server", "list", "-f", "value"])
            .trim(),
        ""
    );
    novactor.signal("TERM");
    let mut novactor = novactor;
    assert_eq!(novactor.wait_exit(Duration::from_secs(30)).code(), Some(0));
    drop(keystone);
}

#[actix_rt::test]
async fn the_api_renews_its_service_token_before_it_expires() {
    let home = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let api = format!("http://127.0.0.1:{port}/v2.1");
    // Tokens live 125 s; keystoneauth's rule renews one with less than 120 s left, so the
    // API's token is due 5 s after each login.
    let keystone = RealKeystone::start(&api, Duration::from_secs(125));
    let novactor = novactor(home.path(), port, &keystone);
    // Logins before ours are keystone.py's provisioning.
    let mine = std::cell::Cell::new(keystone.requests(LOGINS).await);
    let logins_by_novactor = async || keystone.requests(LOGINS).await - mine.get();
    let first = keystone.token("demo_member").await;
    mine.set(mine.get() + 1);
    assert_eq!(list_status(&api, Some(&first)).await, 200);
    assert_eq!(
        logins_by_novactor().await,
        1,
        "one service login:\n{}",
        keystone.log()
    );
    // Fresh user tokens (never cached) until the API has logged in a second time.
    let started = Instant::now();
    loop {
        let token = keystone.token("demo_member").await;
        mine.set(mine.get() + 1);
        let (status, _, body) = call(
            reqwest::Method::GET,
            &format!("{api}/servers"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if logins_by_novactor().await >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the service token was never renewed:\n{}",
            keystone.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "renewed too early: {:?}",
        started.elapsed()
    );
    drop(novactor);
}
