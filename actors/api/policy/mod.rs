//! Who may do what: Nova's policy rules (oslo.policy's language, Nova's rule names and
//! defaults, `[oslo_policy] policy_file` overrides), decided per request from the caller's
//! roles and project against the target's project.
//!
//! ```text
//! policy/mod.rs       Policy: the rule set, the policy file, is_admin and allows()
//! policy/check.rs     the check language: parse once, evaluate per request
//! policy/defaults.rs  Nova's default rules for the APIs novactor serves, and their names
//! ```

pub mod check;
pub mod defaults;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use check::{Check, Credentials, Rules};

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file cannot be read.
    #[error("[oslo_policy] policy_file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file is not a YAML/JSON mapping of rule names to check strings.
    #[error("[oslo_policy] policy_file {path} is not a mapping of rule names to check strings: {reason}")]
    NotAMapping {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// A rule's check string does not parse.
    #[error("[oslo_policy] policy_file {path}: rule {rule:?}: {reason}")]
    BadCheck {
        /// The file.
        path: PathBuf,
        /// The rule.
        rule: String,
        /// What does not parse.
        reason: String,
    },
}

/// The rule set in force.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: HashMap<String, Check>,
}

impl Rules for Policy {
    fn rule(&self, name: &str) -> Option<&Check> {
        self.rules.get(name)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Policy {
    /// Nova's defaults.
    ///
    /// # Panics
    /// Never: the defaults parse (unit-tested).
    pub fn defaults() -> Self {
        let rules = defaults::DEFAULT_RULES
            .iter()
            .map(|(name, check)| {
                let parsed = Check::parse(check)
                    .unwrap_or_else(|e| panic!("default rule {name} does not parse: {e}"));
                ((*name).to_owned(), parsed)
            })
            .collect();
        Self { rules }
    }

    /// Nova's defaults with `path`'s rules over them, and a warning per rule novactor never
    /// consults. `path` must exist when `explicit`; otherwise a missing file means defaults.
    pub fn load(path: &Path, explicit: bool) -> Result<(Self, Vec<String>), PolicyError> {
        let mut policy = Self::defaults();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok((policy, Vec::new()))
            }
            Err(e) => {
                return Err(PolicyError::Unreadable {
                    path: path.to_owned(),
                    reason: e.to_string(),
                })
            }
        };
        // JSON is YAML: one parser reads both of oslo's formats. An empty file is no rules.
        let overrides: Option<HashMap<String, String>> =
            yaml_serde::from_str(&text).map_err(|e| PolicyError::NotAMapping {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let mut warnings = Vec::new();
        for (name, check) in overrides.unwrap_or_default() {
            let parsed = Check::parse(&check).map_err(|reason| PolicyError::BadCheck {
                path: path.to_owned(),
                rule: name.clone(),
                reason,
            })?;
            if !policy.rules.contains_key(&name) {
                warnings.push(format!(
                    "[oslo_policy] policy_file {}: rule {name:?} is not one novactor enforces \
                     (it serves only some of Nova's APIs); it is kept for rule:{name} references",
                    path.display()
                ));
            }
            policy.rules.insert(name, parsed);
        }
        Ok((policy, warnings))
    }

    /// Nova's `context.is_admin`: the caller passes `context_is_admin`.
    pub fn is_admin(&self, roles: &[String], user_id: &str, project_id: &str) -> bool {
        let creds = credentials(roles, user_id, project_id, false);
        let target = HashMap::from([
            ("project_id", project_id.to_owned()),
            ("user_id", user_id.to_owned()),
        ]);
        self.allows("context_is_admin", &creds, &target)
    }

    /// Whether `creds` pass rule `name` against `target`; an unknown rule allows nobody.
    pub fn allows(&self, name: &str, creds: &Credentials, target: &HashMap<&str, String>) -> bool {
        self.rules
            .get(name)
            .is_some_and(|rule| rule.allows(creds, target, self))
    }
}

/// oslo.policy's credentials of a Nova request context.
pub fn credentials(
    roles: &[String],
    user_id: &str,
    project_id: &str,
    is_admin: bool,
) -> Credentials {
    let mut values = HashMap::from([
        ("user_id", user_id.to_owned()),
        (
            "is_admin",
            if is_admin { "True" } else { "False" }.to_owned(),
        ),
    ]);
    // A token without a project (unscoped, system-scoped) has no project_id credential, so
    // no project_id:%(project_id)s check can pass.
    if !project_id.is_empty() {
        values.insert("project_id", project_id.to_owned());
    }
    Credentials {
        roles: roles.to_vec(),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|r| (*r).to_owned()).collect()
    }

    fn may(policy: &Policy, rule: &str, who: &[&str], own: &str, target: &str) -> bool {
        let is_admin = policy.is_admin(&roles(who), "u", own);
        let creds = credentials(&roles(who), "u", own, is_admin);
        policy.allows(
            rule,
            &creds,
            &HashMap::from([("project_id", target.to_owned())]),
        )
    }

    #[test]
    fn nova_defaults_separate_admin_member_reader_and_projects() {
        let p = Policy::defaults();
        use defaults::*;
        assert!(may(&p, SERVERS_CREATE, &["member", "reader"], "p1", "p1"));
        assert!(!may(&p, SERVERS_CREATE, &["reader"], "p1", "p1"));
        assert!(!may(&p, SERVERS_DELETE, &["member"], "p1", "p2"));
        assert!(may(&p, SERVERS_SHOW, &["reader"], "p1", "p1"));
        assert!(may(&p, SERVERS_DELETE, &["admin"], "p1", "p2"));
        assert!(!may(&p, SERVERS_INDEX_ALL_TENANTS, &["member"], "p1", "p1"));
        assert!(may(&p, HYPERVISORS_LIST, &["admin"], "p1", "p1"));
        assert!(!may(
            &p,
            HYPERVISORS_LIST,
            &["member", "manager"],
            "p1",
            "p1"
        ));
        assert!(
            !may(&p, SERVERS_SHOW, &["member"], "", ""),
            "no project, no project rule"
        );
        assert!(!may(&p, "os_compute_api:unknown", &["admin"], "p1", "p1"));
    }

    #[test]
    fn a_policy_file_overrides_by_nova_rule_name_and_warns_about_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("policy.yaml");
        std::fs::write(
            &file,
            "# operators may list hypervisors\n\
             \"os_compute_api:os-hypervisors:list\": \"rule:context_is_admin or role:operator\"\n\
             \"os_compute_api:servers:create\": \"rule:project_member_api and not role:frozen\"\n\
             \"os_compute_api:os-floating-ip-pools\": \"!\"\n",
        )
        .expect("write");
        let (p, warnings) = Policy::load(&file, true).expect("loads");
        assert!(may(&p, defaults::HYPERVISORS_LIST, &["operator"], "p", "p"));
        assert!(!may(
            &p,
            defaults::SERVERS_CREATE,
            &["member", "frozen"],
            "p",
            "p"
        ));
        assert!(may(&p, defaults::SERVERS_CREATE, &["member"], "p", "p"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("os-floating-ip-pools"), "{warnings:?}");

        std::fs::write(&file, "{\"os_compute_api:servers:show\": \"role:a and\"}").expect("write");
        let error = Policy::load(&file, true).expect_err("bad check");
        assert!(
            error.to_string().contains("os_compute_api:servers:show"),
            "{error}"
        );
        std::fs::write(&file, "- a list\n").expect("write");
        assert!(matches!(
            Policy::load(&file, true),
            Err(PolicyError::NotAMapping { .. })
        ));
        let missing = dir.path().join("none.yaml");
        assert!(Policy::load(&missing, false).is_ok());
        assert!(matches!(
            Policy::load(&missing, true),
            Err(PolicyError::Unreadable { .. })
        ));
    }
}
