//! [`ValidatedToken`]: the caller a token validation's 200 names (`GET /v3/auth/tokens`,
//! body `{"token": {user, project, roles, expires_at, system, …}}`).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::password_login::parse_expiry;

/// Who a token is: what keystonemiddleware passes on as `X-User-Id`, `X-Project-Id`,
/// `X-Roles`, … (roles lowercased, implied roles already expanded by Keystone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedToken {
    /// `user.id`.
    pub user_id: String,
    /// `user.name`.
    pub user_name: String,
    /// `project.id`; `None` for unscoped, domain- and system-scoped tokens.
    pub project_id: Option<String>,
    /// `project.name`.
    pub project_name: Option<String>,
    /// Role names, lowercased, in Keystone's (unstable) order.
    pub roles: Vec<String>,
    /// `system.all`: a system-scoped token.
    pub system_scope: bool,
    /// When Keystone stops accepting it.
    pub expires_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Body {
    token: Token,
}

#[derive(Deserialize)]
struct Token {
    user: Named,
    #[serde(default)]
    project: Option<Named>,
    #[serde(default)]
    roles: Vec<Role>,
    #[serde(default)]
    system: Option<serde_json::Value>,
    expires_at: String,
}

#[derive(Deserialize)]
struct Named {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Role {
    name: String,
}

impl ValidatedToken {
    /// Reads a validation's 200 body.
    pub fn from_body(body: &[u8]) -> Result<Self, String> {
        let Body { token } = serde_json::from_slice(body)
            .map_err(|e| format!("the token validation body does not parse: {e}"))?;
        Ok(ValidatedToken {
            user_id: token.user.id,
            user_name: token.user.name,
            project_name: token.project.as_ref().map(|p| p.name.clone()),
            project_id: token.project.map(|p| p.id),
            roles: token
                .roles
                .into_iter()
                .map(|r| r.name.to_lowercase())
                .collect(),
            system_scope: token
                .system
                .as_ref()
                .and_then(|s| s.get("all"))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            expires_at: parse_expiry(&token.expires_at)?,
        })
    }

    /// Whether it carries one of `roles` (lowercase).
    pub fn has_any_role(&self, roles: &[String]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

#[cfg(test)]
mod tests {
    use super::ValidatedToken;

    #[test]
    fn a_project_token_and_a_system_token_read_as_keystone_30_sends_them() {
        let project = br#"{"token": {"methods": ["password"],
            "user": {"domain": {"id": "default", "name": "Default"}, "id": "u1", "name": "demo_member", "password_expires_at": null},
            "audit_ids": ["a"], "expires_at": "2026-12-06T19:00:00.000000Z", "issued_at": "2026-12-06T18:00:00.000000Z",
            "project": {"domain": {"id": "default", "name": "Default"}, "id": "p1", "name": "demo"},
            "is_domain": false, "roles": [{"id": "r2", "name": "reader"}, {"id": "r1", "name": "Member"}]}}"#;
        let token = ValidatedToken::from_body(project).expect("parses");
        assert_eq!(token.user_id, "u1");
        assert_eq!(token.project_id.as_deref(), Some("p1"));
        assert_eq!(token.roles, ["reader", "member"]);
        assert!(!token.system_scope);
        assert!(token.has_any_role(&["member".to_owned()]));
        let system = br#"{"token": {"user": {"id": "u0", "name": "admin"}, "system": {"all": true},
            "roles": [{"id": "r0", "name": "admin"}], "expires_at": "2026-12-06T19:00:00.000000Z"}}"#;
        let token = ValidatedToken::from_body(system).expect("parses");
        assert!(token.system_scope);
        assert_eq!(token.project_id, None);
        for bad in [
            &b"{}"[..],
            b"not json",
            br#"{"token": {"user": {"id": "u"}, "expires_at": "soon"}}"#,
        ] {
            assert!(ValidatedToken::from_body(bad).is_err());
        }
    }
}
