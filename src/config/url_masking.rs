//! Masking of URLs with credentials: [`mask`] (public as `config::mask_url`) replaces every
//! password with `***` — each host's, and query parameters oslo.utils treats as secret. A URL
//! that does not parse, or whose reading depends on where an unencoded `@` `,` `/` `?` `#`
//! falls, is masked from the first `:` after `://` to the last `@`, so a password is never
//! shown (in `config show`, the state report, errors and logs).

use super::secret_query::{mask_query, MASK};
use super::server_url::Layout;

/// `rest` (the URL from somewhere after its host list) with the query's secrets masked.
fn mask_query_in(rest: &str) -> String {
    let Some(start) = rest.find('?') else {
        return rest.to_owned();
    };
    let end = rest[start..].find('#').map_or(rest.len(), |i| start + i);
    format!(
        "{}{}{}",
        &rest[..=start],
        mask_query(&rest[start + 1..end]),
        &rest[end..]
    )
}

/// `text` with every password replaced by `***` (see the module doc). Never fails: what cannot
/// be read exactly is masked generously.
pub(crate) fn mask(text: &str) -> String {
    let exact = Layout::of(text).ok().filter(|layout| {
        layout.is_unambiguous(text) && layout.entries.iter().all(|e| e.parse(text).is_ok())
    });
    let Some(layout) = exact else {
        return mask_generously(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for entry in &layout.entries {
        if let (Some(colon), Some(at)) = (entry.colon, entry.at) {
            out.push_str(&text[copied..=colon]);
            out.push_str(MASK);
            copied = at;
        }
    }
    out.push_str(&mask_query_in(&text[copied..]));
    out
}

/// Masking for text that is not a URL [`mask`] can read exactly: everything between the first
/// `:` after `://` (or the start) and the last `@` is masked, keeping the first user name; with
/// no `@`, a "port" that is not a number is masked (`rabbit://nova:secret`).
fn mask_generously(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let (head, tail) = text.split_at(start);
    if let Some(at) = tail.rfind('@') {
        let userinfo = &tail[..at];
        let shown = match userinfo.find(':') {
            Some(colon) => format!("{}:{MASK}", &userinfo[..colon]),
            None => userinfo.to_owned(),
        };
        return format!("{head}{shown}{}", mask_query_in(&tail[at..]));
    }
    let end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
    let hosts: Vec<String> = tail[..end]
        .split(',')
        .map(|entry| match entry.rsplit_once(':') {
            Some((host, port))
                if !port.is_empty()
                    && !entry.ends_with(']')
                    && !port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                format!("{host}:{MASK}")
            }
            _ => entry.to_owned(),
        })
        .collect();
    format!("{head}{}{}", hosts.join(","), mask_query_in(&tail[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::server_url::ServerUrl;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    use proptest::prelude::*;

    fn check(cases: &[(&str, &str)]) {
        for (url, shown) in cases {
            assert_eq!(mask(url), *shown, "mask({url:?})");
        }
    }

    #[test]
    fn every_hosts_password_is_masked() {
        check(&[
            (
                "rabbit://nova:secret@h1:5672/",
                "rabbit://nova:***@h1:5672/",
            ),
            (
                "rabbit://nova:s1@h1:5672,other:s2@h2:5672/vhost?ssl=1",
                "rabbit://nova:***@h1:5672,other:***@h2:5672/vhost?ssl=1",
            ),
            (
                "rabbit://a:x@h1:5672,b:y@h2,c:z@[::1]:5674/nova%2Fprod?q=1#f",
                "rabbit://a:***@h1:5672,b:***@h2,c:***@[::1]:5674/nova%2Fprod?q=1#f",
            ),
            // %-encoded delimiters are part of the password.
            ("rabbit://u:p%2Fa%3Fb%23c%2Cd@h/", "rabbit://u:***@h/"),
            ("rabbit://u:p%40a%3Ab@h/", "rabbit://u:***@h/"),
            // Unencoded `:` and `@` are read as oslo reads them: first `:`, last `@`.
            ("rabbit://u:p:q@h/", "rabbit://u:***@h/"),
            ("rabbit://u:p@ss@h1/", "rabbit://u:***@h1/"),
            // SQLAlchemy URLs; an empty password is masked too.
            (
                "mysql+pymysql://nova:pw@db/nova?charset=utf8",
                "mysql+pymysql://nova:***@db/nova?charset=utf8",
            ),
            (
                "postgresql://nova:@db/nova",
                "postgresql://nova:***@db/nova",
            ),
            // Nothing to hide.
            ("rabbit://nova@h1:5672/", "rabbit://nova@h1:5672/"),
            ("rabbit://h1,h2:5673/", "rabbit://h1,h2:5673/"),
            ("sqlite:////var/lib/nova.db", "sqlite:////var/lib/nova.db"),
            ("sqlite://", "sqlite://"),
            ("memory://", "memory://"),
            ("", ""),
        ]);
    }

    #[test]
    fn secret_query_parameters_are_masked_as_oslo_utils_masks_them() {
        check(&[
            (
                "postgresql://db/nova?user=nova&password=pw&sslmode=require",
                "postgresql://db/nova?user=nova&password=***&sslmode=require",
            ),
            // Any case, any key containing a secret word, %-encoded keys, a fragment after.
            (
                "mysql://u:p@db/nova?PassWord=a&db_password=b&auth_token=c&pass%77ord=d&x=1#f",
                "mysql://u:***@db/nova?PassWord=***&db_password=***&auth_token=***&pass%77ord=***&x=1#f",
            ),
            ("rabbit://h/?client_secret=s", "rabbit://h/?client_secret=***"),
            // oslo.utils' list has neither `passwd` nor `pwd`.
            ("mysql://db/nova?passwd=a&pwd=b", "mysql://db/nova?passwd=a&pwd=b"),
        ]);
    }

    #[test]
    fn malformed_or_ambiguous_urls_are_masked_generously() {
        check(&[
            // Unencoded `/`, `?`, `#`, `,` in a password: oslo would read another URL; whatever
            // lies between the first `:` and the last `@` is hidden.
            ("rabbit://u:p/a@h/", "rabbit://u:***@h/"),
            ("rabbit://u:1?x@h/v", "rabbit://u:***@h/v"),
            ("rabbit://u:1#x@h/", "rabbit://u:***@h/"),
            ("rabbit://u:1,2@h/", "rabbit://u:***@h/"),
            ("rabbit://u:a,b:c@h/", "rabbit://u:***@h/"),
            ("rabbit://u:a@x,y@h/", "rabbit://u:***@h/"),
            ("rabbit://u:1,x@h1,u:1,x@h2/", "rabbit://u:***@h2/"),
            // Hosts that do not parse.
            ("rabbit://u:pw@:5672/", "rabbit://u:***@:5672/"),
            ("rabbit://u:pw@h:99999/", "rabbit://u:***@h:99999/"),
            ("rabbit://u:pw@[::1/", "rabbit://u:***@[::1/"),
            // No scheme, or a forgotten `@host` (the "port" is hidden).
            ("nova:pw@h1", "nova:***@h1"),
            ("rabbit:/nova:pw@h1", "rabbit:***@h1"),
            ("rabbit://nova:secret", "rabbit://nova:***"),
            (
                "rabbit://nova:secret/vhost?password=x",
                "rabbit://nova:***/vhost?password=***",
            ),
            ("rabbit://h:5672,[::1]:5673/", "rabbit://h:5672,[::1]:5673/"),
            // An `@` in the query: over-masked rather than risked.
            ("rabbit://u:pw@h/v?password=s@t", "rabbit://u:***@t"),
        ]);
    }

    fn password(chars: &'static str) -> impl Strategy<Value = String> {
        proptest::string::string_regex(chars)
            .expect("a valid regex")
            .prop_map(|tail| format!("PW{tail}"))
    }

    proptest! {
        /// Any password, %-encoded as it should be, reads back exactly and is never shown,
        /// whatever the number of hosts and with or without `?password=`.
        #[test]
        fn encoded_passwords_read_back_and_never_show(
            user in "[a-z]{1,6}",
            secret in password("\\PC{0,12}"),
            hosts in 1..4usize,
            in_query in any::<bool>(),
        ) {
            let encoded = utf8_percent_encode(&secret, NON_ALPHANUMERIC).to_string();
            let netloc: Vec<String> =
                (0..hosts).map(|i| format!("{user}:{encoded}@h{i}:567{i}")).collect();
            let query = if in_query { format!("?password={encoded}") } else { String::new() };
            let url = format!("rabbit://{}/vhost{query}", netloc.join(","));
            let parsed = ServerUrl::parse(&url).expect("a well-formed URL");
            prop_assert_eq!(parsed.hosts().len(), hosts);
            for host in parsed.hosts() {
                prop_assert_eq!(host.password.as_deref(), Some(secret.as_str()));
            }
            let masked = mask(&url);
            prop_assert!(!masked.contains(&encoded) && !masked.contains(&secret), "{}", masked);
        }

        /// A password written without %-encoding (any printable ASCII but `@`) is never shown,
        /// even where oslo would read the URL another way.
        #[test]
        fn unencoded_passwords_never_show(
            user in "[a-z]{1,6}",
            secret in password("[ -?A-~]{0,12}"),
            hosts in 1..4usize,
            in_query in any::<bool>(),
        ) {
            let netloc: Vec<String> =
                (0..hosts).map(|i| format!("{user}:{secret}@h{i}:567{i}")).collect();
            let query = if in_query { format!("?password={secret}") } else { String::new() };
            let url = format!("rabbit://{}/vhost{query}", netloc.join(","));
            let masked = mask(&url);
            prop_assert!(!masked.contains(&secret), "{} -> {}", url, masked);
        }
    }
}
