//! The options of who a process is to Keystone and how the compute API authenticates and
//! authorizes its callers: keystoneauth1's password login (in `[placement]` and in
//! `[keystone_authtoken]`, the same option names), keystonemiddleware's `[keystone_authtoken]`,
//! `[api] auth_strategy` and oslo.policy's `[oslo_policy]`. Data, as `options.rs`.

use novactor::config::{OptionDefault, OptionKind, OptionSpec};

use OptionDefault::{Unset, Value};

/// keystoneauth1's `password` plugin options of `group`, as one array.
macro_rules! password_login_options {
    ($group:literal) => {
        [
            OptionSpec::new(
                $group,
                "auth_url",
                OptionKind::String,
                Unset,
                "auth_type password: Keystone's URL, e.g. http://controller:5000 (…/v3 is accepted).",
                "keystoneauth1/loading/identity.py",
            ),
            OptionSpec::new(
                $group,
                "username",
                OptionKind::String,
                Unset,
                "auth_type password: the user to log in as.",
                "keystoneauth1/loading/_plugins/identity/generic.py Password",
            ),
            OptionSpec::new(
                $group,
                "password",
                OptionKind::String,
                Unset,
                "auth_type password: the user's password.",
                "keystoneauth1/loading/_plugins/identity/generic.py Password",
            )
            .secret(),
            OptionSpec::new(
                $group,
                "user_domain_name",
                OptionKind::String,
                Unset,
                "auth_type password: the user's domain by name (e.g. Default).",
                "keystoneauth1/loading/_plugins/identity/generic.py Password",
            ),
            OptionSpec::new(
                $group,
                "user_domain_id",
                OptionKind::String,
                Unset,
                "auth_type password: the user's domain by id (e.g. default).",
                "keystoneauth1/loading/_plugins/identity/generic.py Password",
            ),
            OptionSpec::new(
                $group,
                "project_name",
                OptionKind::String,
                Unset,
                "auth_type password: the project the token is scoped to, by name.",
                "keystoneauth1/loading/identity.py",
            ),
            OptionSpec::new(
                $group,
                "project_id",
                OptionKind::String,
                Unset,
                "auth_type password: the project the token is scoped to, by id (wins over \
                 project_name).",
                "keystoneauth1/loading/identity.py",
            ),
            OptionSpec::new(
                $group,
                "project_domain_name",
                OptionKind::String,
                Unset,
                "auth_type password: the domain of project_name, by name.",
                "keystoneauth1/loading/identity.py",
            ),
            OptionSpec::new(
                $group,
                "project_domain_id",
                OptionKind::String,
                Unset,
                "auth_type password: the domain of project_name, by id.",
                "keystoneauth1/loading/identity.py",
            ),
        ]
    };
}

/// `[placement]`'s login options (the rest of `[placement]` is in `options.rs`).
pub(super) static PLACEMENT_LOGIN_OPTIONS: [OptionSpec; 9] = password_login_options!("placement");

/// `[keystone_authtoken]`'s login options: the API's own service user.
pub(super) static AUTHTOKEN_LOGIN_OPTIONS: [OptionSpec; 9] =
    password_login_options!("keystone_authtoken");

/// `[api] auth_strategy`, keystonemiddleware's `[keystone_authtoken]` and `[oslo_policy]`.
pub(super) static AUTH_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "api",
        "auth_strategy",
        OptionKind::Choices(&["keystone", "noauth2"]),
        Value("noauth2"),
        "How the compute API authenticates its callers. keystone: every request carries a \
         Keystone token, validated as keystonemiddleware does ([keystone_authtoken]). \
         noauth2: no authentication, a token names its own user and project (`user:project`), \
         user `admin` is an administrator: for a lab on loopback only.",
        "nova/conf/api.py before Nova 34.0.0, which serves keystone only (novactor's default \
         stays noauth2 for the embedded lab; deviation D-AUTH)",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "auth_type",
        OptionKind::Choices(&["password", "v3password"]),
        Unset,
        "The plugin the API logs in to Keystone with, to validate its callers' tokens. \
         Required with [api] auth_strategy = keystone.",
        "keystonemiddleware/auth_token/_opts.py (keystoneauth1's plugin loader)",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "www_authenticate_uri",
        OptionKind::String,
        Unset,
        "The Keystone URL a client is sent to in `WWW-Authenticate: Keystone uri=\"…\"` when \
         its token is missing or invalid. Unset means auth_url.",
        "keystonemiddleware/auth_token/_opts.py",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "interface",
        OptionKind::Choices(&["public", "internal", "admin"]),
        Value("internal"),
        "Which of the catalog's identity endpoints tokens are validated at (auth_url when \
         the catalog has none).",
        "keystonemiddleware/auth_token/_opts.py",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "region_name",
        OptionKind::String,
        Unset,
        "Take the catalog's identity endpoint of this region only.",
        "keystonemiddleware/auth_token/_opts.py",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "token_cache_time",
        OptionKind::integer(Some(-1), Some(86_400)),
        Value("300"),
        "Seconds a validated token is trusted without asking Keystone again (never beyond \
         its expiry); -1 disables the cache. Invalid tokens are never cached.",
        "keystonemiddleware/auth_token/_opts.py (novactor bounds it to a day)",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "memcached_servers",
        OptionKind::List,
        Unset,
        "Accepted for existing nova.conf files; novactor keeps validated tokens in the API \
         process's own memory (one cache for all its HTTP workers) and says so at start.",
        "keystonemiddleware/auth_token/_opts.py (novactor: not used, warned)",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "service_token_roles",
        OptionKind::List,
        Value("service"),
        "A service token (X-Service-Token) with one of these roles lets an expired user \
         token through (validated with allow_expired).",
        "keystonemiddleware/auth_token/_opts.py",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "service_token_roles_required",
        OptionKind::Boolean,
        Value("true"),
        "Refuse (401) a service token that has none of service_token_roles; off, such a \
         token is ignored with a warning and the user token must stand on its own.",
        "keystonemiddleware/auth_token/_opts.py (default True in keystonemiddleware 13)",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "cafile",
        OptionKind::String,
        Unset,
        "PEM bundle of the CA that signed Keystone's HTTPS certificate (besides the system's).",
        "keystonemiddleware/auth_token/_opts.py",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "http_connect_timeout",
        OptionKind::integer(Some(1), Some(300)),
        Unset,
        "Seconds a request to Keystone may take, connection included. Unset means 10 \
         (keystonemiddleware: no timeout; novactor answers 503 instead of hanging).",
        "keystonemiddleware/auth_token/_opts.py",
    ),
    OptionSpec::new(
        "keystone_authtoken",
        "http_request_max_retries",
        OptionKind::integer(Some(0), Some(10)),
        Value("3"),
        "How many times a request to Keystone that could not connect is tried again.",
        "keystonemiddleware/auth_token/_opts.py",
    ),
    OptionSpec::new(
        "oslo_policy",
        "policy_file",
        OptionKind::String,
        Value("policy.yaml"),
        "Rules that override Nova's defaults (YAML or JSON, `\"rule name\": \"check\"`), \
         looked up beside the configuration files when relative. A missing file is fine \
         unless it was named explicitly; rules novactor does not enforce are warned.",
        "oslo_policy/opts.py",
    ),
];
