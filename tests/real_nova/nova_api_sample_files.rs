//! Nova's API sample templates on disk (the real-Nova venv's
//! `nova/tests/functional/api_sample_tests/api_samples/`): where they are, which a family
//! holds at which microversion, and a template filled into a request body.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::placement_server::real_nova_venv;

/// The samples directory of the real-Nova venv's `nova` package.
pub(crate) fn samples_dir() -> PathBuf {
    let lib = real_nova_venv().join("lib");
    let python = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .expect("a python3.* dir in the venv");
    python
        .path()
        .join("site-packages/nova/tests/functional/api_sample_tests/api_samples")
}

/// `family/[v2.X/]file` with its microversion ("2.1" at the family's top).
pub(crate) fn samples(
    root: &Path,
    family: &str,
    wanted: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let top = root.join(family);
    for entry in std::fs::read_dir(&top).expect("the family's directory") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            let Some(version) = name.strip_prefix('v') else {
                continue;
            };
            for inner in std::fs::read_dir(entry.path()).expect("a version directory") {
                let inner = inner
                    .expect("a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                if wanted(&inner) {
                    found.push((format!("{family}/{name}/{inner}"), version.to_owned()));
                }
            }
        } else if wanted(&name) {
            found.push((format!("{family}/{name}"), "2.1".to_owned()));
        }
    }
    found.sort();
    found
}

/// The template with its `%(name)s` placeholders filled from `subs`; an unknown one fails
/// the test (a new sample needs a value chosen for it).
pub(crate) fn fill(template: &str, subs: &[(&str, String)], sample: &str) -> Value {
    let mut text = template.to_owned();
    while let Some(start) = text.find("%(") {
        let end = text[start..]
            .find(")s")
            .map(|e| start + e)
            .expect("a closed placeholder");
        let key = &text[start + 2..end];
        let value = subs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{sample}: no value for %({key})s"));
        text.replace_range(start..end + 2, &value);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{sample}: not JSON once filled: {e}"))
}
