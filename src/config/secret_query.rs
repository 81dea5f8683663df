//! Which query parameters of a URL are secrets, and a query with their values masked
//! (oslo.utils' rule). Shared by the URL reader's `Debug` and by URL masking.

use percent_encoding::percent_decode_str;

/// What a secret is replaced with.
pub(super) const MASK: &str = "***";

/// Query parameters shown masked: a key is secret when its lowercased, decoded name contains one
/// of these (oslo.utils `strutils._SANITIZE_KEYS`, as `mask_dict_password` applies them; so
/// `db_password` is secret, `passwd` and `pwd` are not, as in oslo).
const SECRET_QUERY_KEYS: &[&str] = &[
    "adminpass",
    "admin_pass",
    "password",
    "admin_password",
    "auth_token",
    "new_pass",
    "auth_password",
    "secret_uuid",
    "secret",
    "sys_pswd",
    "token",
    "configdrive",
    "chappassword",
    "encrypted_key",
    "private_key",
    "fernetkey",
    "sslkey",
    "passphrase",
    "cephclusterfsid",
    "octaviaheartbeatkey",
    "rabbitcookie",
    "cephmanilaclientkey",
    "pacemakerremoteauthkey",
    "designaterndckey",
    "cephadminkey",
    "heatauthencryptionkey",
    "cephclientkey",
    "keystonecredential",
    "barbicansimplecryptokek",
    "cephrgwkey",
    "swifthashsuffix",
    "migrationsshkey",
    "cephmdskey",
    "cephmonkey",
    "chapsecret",
];

/// Whether a query key names a secret (see [`SECRET_QUERY_KEYS`]).
fn is_secret_key(key: &str) -> bool {
    let key = percent_decode_str(&key.replace('+', " "))
        .decode_utf8_lossy()
        .to_lowercase();
    SECRET_QUERY_KEYS.iter().any(|secret| key.contains(secret))
}

/// A query (without `?`) with the value of every secret parameter replaced.
pub(super) fn mask_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_key(key) => format!("{key}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}
