//! A hypervisor node's identity that survives restarts (Nova's `compute_id` rule,
//! `nova/virt/node.py`): the node's uuid is kept in a file under `state_path`, so a
//! restarted compute re-joins as the same node — the same `compute_nodes` row and the same
//! placement resource provider — instead of registering a new one.
//!
//! Nova keeps one file, `<state_path>/compute_id`, for the one compute of a process; a
//! novactor process may host many computes (`[compute] fake_hosts`, or several in one test
//! process), so each keeps its own, `<state_path>/compute_nodes/<host>/compute_id` (the
//! same content: the uuid on one line). A missing file is written on first start:
//! with the uuid of the node already registered for this host (an upgrade from a
//! novactor that kept no file, as Nova's `_ensure_existing_node_identity` adopts it), else
//! with a new uuid.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the node identity could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum NodeIdentityError {
    /// The file could not be read or written.
    #[error("node identity file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file holds something other than a uuid.
    #[error("node identity file {path} holds {content:?}, not a uuid")]
    NotAUuid {
        /// The file.
        path: PathBuf,
        /// Its first line.
        content: String,
    },
}

/// Where one compute keeps its node's uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    path: PathBuf,
}

impl NodeIdentity {
    /// The identity of the compute of `host`: `<state_path>/compute_nodes/<host>/compute_id`.
    pub fn of_host(state_path: &Path, host: &str) -> Self {
        Self {
            path: state_path
                .join("compute_nodes")
                .join(directory_name(host))
                .join("compute_id"),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kept uuid, or `None` when there is no file yet.
    pub fn read(&self) -> Result<Option<String>, NodeIdentityError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(NodeIdentityError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let line = text.lines().next().unwrap_or("").trim();
        match uuid::Uuid::parse_str(line) {
            Ok(uuid) => Ok(Some(uuid.hyphenated().to_string())),
            Err(_) => Err(NodeIdentityError::NotAUuid {
                path: self.path.clone(),
                content: line.chars().take(64).collect(),
            }),
        }
    }

    /// Keep `uuid` (written to a temporary file and renamed, so a crash never leaves half a
    /// uuid behind).
    pub fn write(&self, uuid: &str) -> Result<(), NodeIdentityError> {
        let io = |source| NodeIdentityError::Io {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        writeln!(file, "{uuid}").map_err(io)?;
        file.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// `host` as a directory name: itself when it is a plain name; else `_` and its letters,
/// digits, `-`, `_`, `.` with anything else as `_` (a host name never names another
/// directory).
fn directory_name(host: &str) -> String {
    let plain =
        !host.is_empty() && host != "." && host != ".." && !host.contains(['/', '\\', '\0']);
    if plain {
        return host.to_owned();
    }
    let safe: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("_{safe}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_written_is_read_back_and_survives() {
        let dir = tempfile::tempdir().unwrap();
        let identity = NodeIdentity::of_host(dir.path(), "host-1");
        assert_eq!(identity.read().unwrap(), None);
        let uuid = uuid::Uuid::new_v4().to_string();
        identity.write(&uuid).unwrap();
        assert_eq!(identity.read().unwrap(), Some(uuid.clone()));
        assert_eq!(
            NodeIdentity::of_host(dir.path(), "host-1").read().unwrap(),
            Some(uuid)
        );
        assert_eq!(
            identity.path(),
            dir.path().join("compute_nodes/host-1/compute_id")
        );
    }

    #[test]
    fn garbage_is_an_error_and_odd_host_names_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let identity = NodeIdentity::of_host(dir.path(), "h");
        identity.write(&uuid::Uuid::new_v4().to_string()).unwrap();
        std::fs::write(identity.path(), "not-a-uuid\n").unwrap();
        assert!(matches!(
            identity.read(),
            Err(NodeIdentityError::NotAUuid { .. })
        ));
        for (bad, kept) in [("", "_"), ("..", "_.."), ("a/b", "_a_b")] {
            let path = NodeIdentity::of_host(dir.path(), bad).path().to_path_buf();
            assert_eq!(
                path,
                dir.path()
                    .join("compute_nodes")
                    .join(kept)
                    .join("compute_id")
            );
        }
    }
}
