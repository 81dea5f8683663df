//! Nova `API._check_injected_file_quota` (`nova/compute/api.py`, create and rebuild):
//! the number of personality files first, then the longest path and the longest contents
//! — measured as Nova measures them, in characters of the path and of the still-base64
//! contents — against `[quota] injected_files`, `injected_file_path_length` and
//! `injected_file_content_bytes`. Over a limit is Nova's `OnsetFile*LimitExceeded`, a 403
//! with its text; a path over its limit is reported before contents over theirs.

use super::compute_api::ApiError;
use crate::conf::InjectedFileQuota;
use crate::objects::injected_files::InjectedFile;

/// Whether `value` is over `limit` (`None`: unlimited).
fn over(value: usize, limit: Option<i64>) -> bool {
    limit.is_some_and(|limit| i64::try_from(value).unwrap_or(i64::MAX) > limit)
}

/// 403 when `files` exceed `quota`, as Nova's check words it.
pub fn check(quota: &InjectedFileQuota, files: &[InjectedFile]) -> Result<(), ApiError> {
    if files.is_empty() {
        return Ok(());
    }
    if over(files.len(), quota.files) {
        return Err(ApiError::Forbidden(
            "Personality file limit exceeded".into(),
        ));
    }
    let longest = |measure: fn(&InjectedFile) -> usize| files.iter().map(measure).max();
    let path = longest(|file| file.path().chars().count()).unwrap_or(0);
    let content = longest(|file| file.contents().chars().count()).unwrap_or(0);
    match (quota.path_length, quota.content_bytes) {
        (Some(allowed), _) if over(path, Some(allowed)) => Err(ApiError::Forbidden(format!(
            "Personality file path exceeds maximum {allowed}"
        ))),
        (_, Some(allowed)) if over(content, Some(allowed)) => Err(ApiError::Forbidden(format!(
            "Personality file content exceeds maximum {allowed}"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOVA_DEFAULTS: InjectedFileQuota = InjectedFileQuota {
        files: Some(5),
        content_bytes: Some(10240),
        path_length: Some(255),
    };

    fn file(path_chars: usize, content_chars: usize) -> InjectedFile {
        InjectedFile("p".repeat(path_chars), "A".repeat(content_chars))
    }

    fn refusal(quota: &InjectedFileQuota, files: &[InjectedFile]) -> String {
        match check(quota, files) {
            Err(ApiError::Forbidden(message)) => message,
            other => panic!("not a 403: {other:?}"),
        }
    }

    #[test]
    fn within_the_limits_passes() {
        let files = vec![file(255, 10240); 5];
        assert!(check(&NOVA_DEFAULTS, &files).is_ok());
        assert!(check(&NOVA_DEFAULTS, &[]).is_ok());
        let unlimited = InjectedFileQuota::default();
        assert!(check(&unlimited, &vec![file(5000, 20000); 50]).is_ok());
    }

    #[test]
    fn each_limit_has_novas_text() {
        assert_eq!(
            refusal(&NOVA_DEFAULTS, &vec![file(1, 1); 6]),
            "Personality file limit exceeded"
        );
        assert_eq!(
            refusal(&NOVA_DEFAULTS, &[file(1, 1), file(256, 1)]),
            "Personality file path exceeds maximum 255"
        );
        assert_eq!(
            refusal(&NOVA_DEFAULTS, &[file(1, 10241)]),
            "Personality file content exceeds maximum 10240"
        );
        // Both over: the path is reported, as Nova favours it.
        assert_eq!(
            refusal(&NOVA_DEFAULTS, &[file(256, 10241)]),
            "Personality file path exceeds maximum 255"
        );
        // Characters, not bytes, as Python's len().
        let wide = InjectedFile("é".repeat(255), "YQ==".into());
        assert!(check(&NOVA_DEFAULTS, &[wide]).is_ok());
        let none = InjectedFileQuota {
            files: Some(0),
            ..NOVA_DEFAULTS
        };
        assert_eq!(
            refusal(&none, &[file(1, 1)]),
            "Personality file limit exceeded"
        );
    }
}
