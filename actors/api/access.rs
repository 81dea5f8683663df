//! The API's [`ApiAuth`] from its configuration: the token validator of
//! `[api] auth_strategy = keystone` (or noauth2's rules) and the policy of
//! `[oslo_policy] policy_file`, built once per process; what cannot work stops the start.

use std::sync::Arc;

use super::auth::{ApiAuth, Authentication};
use super::policy::{Policy, PolicyError};
use crate::conf::{ApiConf, AuthStrategy};
use crate::keystone::TokenValidator;

/// Why the API's access control cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// `[keystone_authtoken]` cannot be used (its `cafile`).
    #[error("{0}")]
    Keystone(String),
    /// The policy file cannot be used.
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// `conf`'s authentication and policy, with the warnings to log at start.
pub fn api_auth(conf: &ApiConf) -> Result<(ApiAuth, Vec<String>), AccessError> {
    let (policy, mut warnings) =
        Policy::load(&conf.auth.policy_file, conf.auth.policy_file_explicit)?;
    let authentication = match &conf.auth.strategy {
        AuthStrategy::NoAuth2 => Authentication::NoAuth {
            notused_is_admin: conf.noauth_notused_is_admin,
        },
        AuthStrategy::Keystone(authtoken) => {
            if !authtoken.memcached_servers.is_empty() {
                warnings.push(format!(
                    "[keystone_authtoken] memcached_servers = {} is not used: novactor keeps \
                     validated tokens in this process's memory, one cache for all its API workers",
                    authtoken.memcached_servers.join(",")
                ));
            }
            Authentication::Keystone(Arc::new(
                TokenValidator::new((**authtoken).clone()).map_err(AccessError::Keystone)?,
            ))
        }
    };
    Ok((
        ApiAuth {
            authentication,
            policy: Arc::new(policy),
        },
        warnings,
    ))
}
