//! Keystone, as Nova's services meet it: a password login for a service's own token
//! (placement's client, the API's token validator), and the validation of callers' tokens
//! as keystonemiddleware's `auth_token` does it (`spec/keystone-30/README.md`).
//!
//! ```text
//! keystone/password_login.rs   POST /v3/auth/tokens: the body, sending it, reading expiry + catalog
//! keystone/token_validator.rs  TokenValidator: the service session, GET /v3/auth/tokens, retries
//! keystone/validated_token.rs  ValidatedToken: who a 200 says the caller is
//! keystone/token_cache.rs      validated tokens by sha256, until token_cache_time or expiry
//! ```

pub mod password_login;
pub mod token_cache;
pub mod token_validator;
pub mod validated_token;

pub use token_validator::{TokenRejection, TokenValidator};
pub use validated_token::ValidatedToken;
