//! Keystone v3's password login on the wire (`POST /v3/auth/tokens`, what keystoneauth1's
//! `v3.Password` plugin sends), sending it, and the reading of its answer: the token's expiry
//! and one service's endpoint from the catalog. Placement's client logs in with it for
//! placement's URL, the API's token validator for Keystone's own (`identity`). Shapes as
//! `spec/keystone-30/README.md` records them (token in the `X-Subject-Token` header,
//! `expires_at` ISO 8601 UTC with `.000000Z`, errors `{"error": {"code", "message", "title"}}`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::conf::{KeystonePassword, NameOrId, ProjectScope};

/// The header Keystone returns the new token in.
pub(crate) const SUBJECT_TOKEN_HEADER: &str = "X-Subject-Token";

/// keystoneauth1's `BaseIdentityPlugin.MIN_TOKEN_LIFE_SECONDS`: a token that expires
/// sooner than this is replaced before use.
pub(crate) const MIN_TOKEN_LIFE: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// `{auth_url}/v3/auth/tokens`.
pub(crate) fn tokens_url(login: &KeystonePassword) -> String {
    format!("{}/v3/auth/tokens", login.auth_url)
}

fn name_or_id(value: &NameOrId) -> Value {
    match value {
        NameOrId::Id(id) => json!({ "id": id }),
        NameOrId::Name(name) => json!({ "name": name }),
    }
}

/// The login body: password method, user in its domain, scoped to the project.
pub(crate) fn password_request(login: &KeystonePassword) -> Value {
    let project = match &login.project {
        ProjectScope::Id(id) => json!({ "id": id }),
        ProjectScope::Name { name, domain } => {
            json!({ "name": name, "domain": name_or_id(domain) })
        }
    };
    json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": login.username,
                        "domain": name_or_id(&login.user_domain),
                        "password": login.password.expose(),
                    }
                }
            },
            "scope": { "project": project }
        }
    })
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    token: Token,
}

#[derive(Debug, Deserialize)]
struct Token {
    expires_at: String,
    #[serde(default)]
    catalog: Vec<CatalogService>,
}

#[derive(Debug, Deserialize)]
struct CatalogService {
    #[serde(rename = "type")]
    service_type: String,
    #[serde(default)]
    endpoints: Vec<CatalogEndpoint>,
}

#[derive(Debug, Deserialize)]
struct CatalogEndpoint {
    interface: String,
    url: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    region_id: Option<String>,
}

/// What a successful login gives the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedToken {
    /// When Keystone stops accepting it.
    pub(crate) expires_at: DateTime<Utc>,
    /// The URL of the login's `service_type` from the catalog (`None` when the catalog has
    /// none that matches).
    pub(crate) endpoint_url: Option<String>,
}

/// Reads a login's 201 body: the expiry, and the first catalog endpoint of
/// `service_type` whose interface is the most preferred of `valid_interfaces` (in order)
/// and, if `region_name` is set, whose `region_id` (or legacy `region`) is it.
pub(crate) fn read_token(login: &KeystonePassword, body: &[u8]) -> Result<IssuedToken, String> {
    let TokenBody { token } =
        serde_json::from_slice(body).map_err(|e| format!("the token body does not parse: {e}"))?;
    let expires_at = parse_expiry(&token.expires_at)?;
    let region_ok = |endpoint: &CatalogEndpoint| match &login.region_name {
        None => true,
        Some(region) => {
            endpoint.region_id.as_ref() == Some(region) || endpoint.region.as_ref() == Some(region)
        }
    };
    let candidates: Vec<&CatalogEndpoint> = token
        .catalog
        .iter()
        .filter(|service| service.service_type == login.service_type)
        .flat_map(|service| service.endpoints.iter())
        .filter(|endpoint| region_ok(endpoint))
        .collect();
    let endpoint_url = login.valid_interfaces.iter().find_map(|interface| {
        candidates
            .iter()
            .find(|endpoint| endpoint.interface == *interface)
            .map(|endpoint| endpoint.url.trim_end_matches('/').to_owned())
    });
    Ok(IssuedToken {
        expires_at,
        endpoint_url,
    })
}

/// A token's `expires_at` as UTC.
pub(crate) fn parse_expiry(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| format!("expires_at {text:?} does not parse: {e}"))
}

/// A login Keystone refused, or could not be reached for.
#[derive(Debug, Clone, thiserror::Error)]
#[error("keystone login at {url} failed: {reason}")]
pub struct LoginFailure {
    /// The token URL.
    pub url: String,
    /// Why: the status and Keystone's message, or the transport's error.
    pub reason: String,
    /// Whether Keystone could not be reached at all (or a gateway said so: 502–504).
    pub unreachable: bool,
}

/// A token Keystone issued.
#[derive(Debug, Clone)]
pub(crate) struct LoggedIn {
    /// The token (`X-Subject-Token`).
    pub(crate) token: std::sync::Arc<str>,
    /// Its expiry and the catalog's endpoint.
    pub(crate) issued: IssuedToken,
}

/// One `POST /v3/auth/tokens` with `login`'s password.
pub(crate) async fn log_in(
    http: &reqwest::Client,
    login: &KeystonePassword,
) -> Result<LoggedIn, LoginFailure> {
    let url = tokens_url(login);
    let failed = |reason: String, unreachable: bool| LoginFailure {
        url: url.clone(),
        reason,
        unreachable,
    };
    let response = http
        .post(&url)
        .json(&password_request(login))
        .send()
        .await
        .map_err(|e| failed(transport_reason(&e), true))?;
    let status = response.status().as_u16();
    let token = response
        .headers()
        .get(SUBJECT_TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(std::sync::Arc::<str>::from);
    let body = response
        .bytes()
        .await
        .map_err(|e| failed(transport_reason(&e), true))?;
    if status != 201 {
        return Err(failed(
            format!("{status}: {}", error_message(&body)),
            matches!(status, 502..=504),
        ));
    }
    let token = token.ok_or_else(|| failed(format!("no {SUBJECT_TOKEN_HEADER} header"), false))?;
    let issued = read_token(login, &body).map_err(|reason| failed(reason, false))?;
    Ok(LoggedIn { token, issued })
}

/// A transport error's text with its causes ("error sending request for url (…): client
/// error (Connect): tcp connect error: Connection refused (os error 111)").
pub(crate) fn transport_reason(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Keystone's error body message (`{"error": {"message"}}`), or the body's start.
pub(crate) fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: ErrorItem,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        message: String,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => parsed.error.message,
        Err(_) => String::from_utf8_lossy(body).chars().take(300).collect(),
    }
}

#[cfg(test)]
mod tests {
    use novactor::config::SecretString;

    use super::*;

    fn login(interfaces: &[&str], region: Option<&str>) -> KeystonePassword {
        KeystonePassword {
            auth_url: "http://keystone:5000".into(),
            username: "nova".into(),
            password: SecretString::new("s3cret"),
            user_domain: NameOrId::Name("Default".into()),
            project: ProjectScope::Name {
                name: "service".into(),
                domain: NameOrId::Id("default".into()),
            },
            service_type: "placement".into(),
            valid_interfaces: interfaces.iter().map(|i| (*i).to_owned()).collect(),
            region_name: region.map(str::to_owned),
        }
    }

    /// A project-scoped token in the shape spec/keystone-30/README.md records for Keystone
    /// 30.0.0 (`expires_at` with `.000000Z`; catalog entries with `type` and `endpoints` of
    /// `interface`, `region_id`, legacy `region`, `url`), abridged (user, project, roles,
    /// audit_ids, issued_at left out), with a devstack-like catalog of two regions. Not a
    /// byte-for-byte recording: the spec records no catalog body.
    const TOKEN: &str = r#"{"token": {
        "methods": ["password"],
        "expires_at": "2026-12-06T13:04:05.000000Z",
        "catalog": [
          {"endpoints": [
             {"id": "e1", "interface": "public", "region_id": "RegionOne", "url": "http://10.0.0.1:5000/v3/", "region": "RegionOne"}],
           "id": "s1", "type": "identity", "name": "keystone"},
          {"endpoints": [
             {"id": "e2", "interface": "public", "region_id": "RegionOne", "url": "http://10.0.0.1/placement", "region": "RegionOne"},
             {"id": "e3", "interface": "internal", "region_id": "RegionOne", "url": "http://192.168.0.1:8778/", "region": "RegionOne"},
             {"id": "e4", "interface": "internal", "region_id": "RegionTwo", "url": "http://192.168.1.1:8778", "region": "RegionTwo"},
             {"id": "e5", "interface": "admin", "region_id": "RegionTwo", "url": "http://172.16.1.1:8778", "region": "RegionTwo"}],
           "id": "s2", "type": "placement", "name": "placement"}]}}"#;

    fn placement_url(interfaces: &[&str], region: Option<&str>) -> Option<String> {
        read_token(&login(interfaces, region), TOKEN.as_bytes())
            .expect("token parses")
            .endpoint_url
    }

    #[test]
    fn the_catalog_gives_the_first_valid_interface_in_the_region() {
        // Nova's default valid_interfaces = internal,public: internal wins.
        assert_eq!(
            placement_url(&["internal", "public"], Some("RegionOne")).as_deref(),
            Some("http://192.168.0.1:8778")
        );
        assert_eq!(
            placement_url(&["public", "internal"], None).as_deref(),
            Some("http://10.0.0.1/placement")
        );
        assert_eq!(
            placement_url(&["internal"], Some("RegionTwo")).as_deref(),
            Some("http://192.168.1.1:8778")
        );
        assert_eq!(placement_url(&["public"], Some("RegionTwo")), None);
        assert_eq!(placement_url(&["admin"], Some("RegionThree")), None);
    }

    #[test]
    fn the_expiry_is_read_as_utc() {
        let issued = read_token(&login(&["public"], None), TOKEN.as_bytes()).expect("parses");
        assert_eq!(issued.expires_at.to_rfc3339(), "2026-12-06T13:04:05+00:00");
        let bad = read_token(
            &login(&["public"], None),
            br#"{"token": {"expires_at": "soon"}}"#,
        )
        .expect_err("bad expiry");
        assert!(bad.contains("expires_at \"soon\""), "{bad}");
    }

    #[test]
    fn the_login_body_is_a_project_scoped_password_login() {
        let body = password_request(&login(&["public"], None));
        assert_eq!(
            body,
            json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "nova", "domain": {"name": "Default"}, "password": "s3cret"}}},
                "scope": {"project": {"name": "service", "domain": {"id": "default"}}}}})
        );
        let mut by_id = login(&["public"], None);
        by_id.project = ProjectScope::Id("p-1".into());
        assert_eq!(
            password_request(&by_id)["auth"]["scope"],
            json!({"project": {"id": "p-1"}})
        );
    }

    #[test]
    fn keystone_errors_give_their_message() {
        let body = br#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#;
        assert_eq!(
            error_message(body),
            "The request you have made requires authentication."
        );
        assert_eq!(error_message(b"<html>oops</html>"), "<html>oops</html>");
    }
}
