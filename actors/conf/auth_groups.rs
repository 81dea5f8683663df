//! The typed view of how the compute API authenticates and authorizes: `[api] auth_strategy`,
//! keystonemiddleware's `[keystone_authtoken]` (checked as its loader would refuse it, each
//! missing option named) and `[oslo_policy] policy_file`. Also keystoneauth1's password
//! login, which `[placement]` reads with the same option names.

use std::path::PathBuf;
use std::time::Duration;

use novactor::config::{ConfigError, OptionReader, SecretString, ValueOrigin};

/// A Keystone v3 password login, and which endpoint of its catalog is wanted (placement's
/// for `[placement]`, identity's for `[keystone_authtoken]`).
#[derive(Debug, Clone, PartialEq)]
pub struct KeystonePassword {
    /// `auth_url`, without a trailing `/` or `/v3`.
    pub auth_url: String,
    /// `username`.
    pub username: String,
    /// `password`.
    pub password: SecretString,
    /// `user_domain_id` or `user_domain_name`.
    pub user_domain: NameOrId,
    /// The project the token is scoped to.
    pub project: ProjectScope,
    /// `service_type` (placement).
    pub service_type: String,
    /// `valid_interfaces`, most preferred first.
    pub valid_interfaces: Vec<String>,
    /// `region_name`.
    pub region_name: Option<String>,
}

/// A Keystone domain (or other object) named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOrId {
    /// `…_id`.
    Id(String),
    /// `…_name`.
    Name(String),
}

/// The project a token is scoped to (`project_id`, or `project_name` in its domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectScope {
    /// `project_id`.
    Id(String),
    /// `project_name` with `project_domain_id` / `project_domain_name`.
    Name {
        /// `project_name`.
        name: String,
        /// Its domain.
        domain: NameOrId,
    },
}

/// `[api] auth_strategy` and `[oslo_policy]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthConf {
    /// Who a caller is.
    pub strategy: AuthStrategy,
    /// `[oslo_policy] policy_file` as configured (resolved against the configuration files'
    /// directories at start).
    pub policy_file: PathBuf,
    /// Whether `policy_file` was set explicitly (then a missing file is an error).
    pub policy_file_explicit: bool,
}

/// `[api] auth_strategy`.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthStrategy {
    /// `noauth2`: a token names its own user and project.
    NoAuth2,
    /// `keystone`: tokens validated with Keystone.
    Keystone(Box<AuthTokenConf>),
}

/// keystonemiddleware's `[keystone_authtoken]`, as novactor's token validator uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthTokenConf {
    /// The API's own login (its service user), and where the identity endpoint is: service
    /// type `identity`, `interface`, `region_name`.
    pub login: KeystonePassword,
    /// `www_authenticate_uri` (unset: `auth_url`).
    pub www_authenticate_uri: String,
    /// `token_cache_time`; `None` when -1 (no cache).
    pub token_cache_time: Option<Duration>,
    /// `memcached_servers`: accepted, not used (warned at start).
    pub memcached_servers: Vec<String>,
    /// `service_token_roles`.
    pub service_token_roles: Vec<String>,
    /// `service_token_roles_required`.
    pub service_token_roles_required: bool,
    /// `cafile`.
    pub cafile: Option<PathBuf>,
    /// `http_connect_timeout` (unset: 10 s).
    pub timeout: Duration,
    /// `http_request_max_retries`.
    pub max_retries: u32,
}

impl AuthTokenConf {
    /// What `http_connect_timeout` means when unset.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
}

/// Reads `[api] auth_strategy`, `[keystone_authtoken]` (only when the strategy is keystone)
/// and `[oslo_policy]`.
pub(super) fn build(r: &OptionReader<'_>) -> Result<AuthConf, ConfigError> {
    let strategy = match r.string("api", "auth_strategy")?.as_str() {
        "keystone" => AuthStrategy::Keystone(Box::new(authtoken(r)?)),
        _ => AuthStrategy::NoAuth2,
    };
    Ok(AuthConf {
        strategy,
        policy_file: PathBuf::from(r.string("oslo_policy", "policy_file")?),
        policy_file_explicit: r.origin("oslo_policy", "policy_file") != ValueOrigin::Default,
    })
}

fn authtoken(r: &OptionReader<'_>) -> Result<AuthTokenConf, ConfigError> {
    const G: &str = "keystone_authtoken";
    let needs = |name: &'static str, why: &str| ConfigError::Conflict {
        group: "api",
        name: "auth_strategy",
        origin: r.origin("api", "auth_strategy"),
        other_group: G,
        other_name: name,
        reason: format!("auth_strategy = keystone needs [{G}] {name} ({why}); set it"),
    };
    r.opt_string(G, "auth_type")?
        .ok_or_else(|| needs("auth_type", "password: the API's own Keystone login"))?;
    let url = |name: &'static str, value: String| http_url(r, G, name, value);
    let login = keystone_password(
        r,
        G,
        &needs,
        &url,
        "identity".to_owned(),
        vec![r.string(G, "interface")?],
    )?;
    let www_authenticate_uri = match r
        .opt_string(G, "www_authenticate_uri")?
        .filter(|v| !v.trim().is_empty())
    {
        Some(uri) => url("www_authenticate_uri", uri)?,
        None => login.auth_url.clone(),
    };
    let cache_secs = r.int(G, "token_cache_time")?;
    Ok(AuthTokenConf {
        login,
        www_authenticate_uri,
        token_cache_time: u64::try_from(cache_secs).ok().map(Duration::from_secs),
        memcached_servers: r.list(G, "memcached_servers")?,
        service_token_roles: r
            .list(G, "service_token_roles")?
            .into_iter()
            .map(|role| role.to_lowercase())
            .collect(),
        service_token_roles_required: r.boolean(G, "service_token_roles_required")?,
        cafile: r
            .opt_string(G, "cafile")?
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from),
        timeout: match r.opt_int(G, "http_connect_timeout")? {
            Some(secs) => Duration::from_secs(secs.unsigned_abs()),
            None => AuthTokenConf::DEFAULT_TIMEOUT,
        },
        max_retries: u32::try_from(r.int(G, "http_request_max_retries")?)
            .map_err(|_| r.mismatch(G, "http_request_max_retries", "a count"))?,
    })
}

/// An `http://` or `https://` URL with a host, without its trailing `/`.
pub(super) fn http_url(
    r: &OptionReader<'_>,
    group: &'static str,
    name: &'static str,
    value: String,
) -> Result<String, ConfigError> {
    match reqwest::Url::parse(&value) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError::InvalidValue {
            group,
            name,
            value,
            origin: r.origin(group, name),
            expected: "an http:// or https:// URL".to_owned(),
        }),
    }
}

/// `auth_type = password` in `group`: the login, and the catalog filter of the endpoint
/// wanted (`service_type` at the first of `valid_interfaces` it has).
pub(super) fn keystone_password(
    r: &OptionReader<'_>,
    group: &'static str,
    needs: &dyn Fn(&'static str, &str) -> ConfigError,
    url: &dyn Fn(&'static str, String) -> Result<String, ConfigError>,
    service_type: String,
    valid_interfaces: Vec<String>,
) -> Result<KeystonePassword, ConfigError> {
    let opt = |name: &'static str| -> Result<Option<String>, ConfigError> {
        Ok(r.opt_string(group, name)?
            .filter(|value| !value.trim().is_empty()))
    };
    let required = |name: &'static str, why: &str| -> Result<String, ConfigError> {
        opt(name)?.ok_or_else(|| needs(name, why))
    };
    let name_or_id = |id: &'static str, name: &'static str, why: &str| match (opt(id)?, opt(name)?)
    {
        (Some(id), _) => Ok(NameOrId::Id(id)),
        (None, Some(name)) => Ok(NameOrId::Name(name)),
        (None, None) => Err(needs(name, why)),
    };
    let auth_url = url("auth_url", required("auth_url", "Keystone's URL")?)?;
    let auth_url = auth_url.strip_suffix("/v3").unwrap_or(&auth_url).to_owned();
    let project = match opt("project_id")? {
        Some(id) => ProjectScope::Id(id),
        None => ProjectScope::Name {
            name: required(
                "project_name",
                "the project to scope the token to, or project_id",
            )?,
            domain: name_or_id(
                "project_domain_id",
                "project_domain_name",
                "the domain of project_name, e.g. Default, or project_domain_id",
            )?,
        },
    };
    Ok(KeystonePassword {
        auth_url,
        username: required("username", "the user to log in as")?,
        password: SecretString::new(required("password", "the user's password")?),
        user_domain: name_or_id(
            "user_domain_id",
            "user_domain_name",
            "the user's domain, e.g. Default, or user_domain_id",
        )?,
        project,
        service_type,
        valid_interfaces,
        region_name: opt("region_name")?,
    })
}
