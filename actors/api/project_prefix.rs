//! The legacy project-id prefix of every compute route, `/v2.1/{project_id}/…` (Nova's
//! `ProjectMapper`: a project id is `[0-9a-f-]+`). The router strips it before routing and
//! leaves the id in the request's extensions; [`Ctx`](super::auth::Ctx) then refuses a
//! project id that is not the caller's (Nova `wsgi.Resource`: 400 "Malformed request URL")
//! and links in bodies carry the prefix, as Nova's `_get_project_id` makes them.

use actix_web::dev::ServiceRequest;
use actix_web::http::Uri;
use actix_web::HttpMessage;

/// The project id a request's URL named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlProject(pub String);

/// Whether `segment` can be a project id in a URL (Nova's route requirement).
fn is_project_id(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
}

/// `/v2.1/{project_id}/rest` → (`project_id`, `/v2.1/rest`); other paths are left alone.
fn split(path: &str) -> Option<(&str, String)> {
    let rest = path.strip_prefix("/v2.1/")?;
    let (first, tail) = rest.split_once('/')?;
    (is_project_id(first) && !tail.is_empty()).then(|| (first, format!("/v2.1/{tail}")))
}

/// Routes `req` without its project-id prefix, noting the id in its extensions.
pub fn strip(req: &mut ServiceRequest) {
    let Some((project, path)) = split(req.path()) else {
        return;
    };
    let project = project.to_owned();
    let target = match req.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let Ok(uri) = target.parse::<Uri>() else {
        return;
    };
    req.match_info_mut().get_mut().update(&uri);
    req.head_mut().uri = uri;
    req.extensions_mut().insert(UrlProject(project));
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn only_hex_project_ids_before_a_route_are_prefixes() {
        assert_eq!(
            split("/v2.1/0a1b-2c/servers/detail"),
            Some(("0a1b-2c", "/v2.1/servers/detail".to_owned()))
        );
        assert_eq!(split("/v2.1/servers/detail"), None);
        assert_eq!(split("/v2.1/admin/servers"), None);
        assert_eq!(split("/v2.1/abc"), None);
        assert_eq!(split("/v2.1/abc/"), None);
        assert_eq!(split("/image/v2/images"), None);
    }
}
