//! The personality files a fake guest keeps (Nova hands `injected_files` to the driver's
//! `spawn` and `rebuild`; its own fake driver ignores them): each file's path and size, no
//! contents, and the console lines that show them — one cloud-init-like line per file —
//! so `os-getConsoleOutput` proves the files arrived.

use crate::objects::injected_files::DecodedFile;

/// A file written into a fake guest: where, and how many bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFile {
    /// The path in the guest.
    pub path: String,
    /// The decoded contents' length.
    pub bytes: usize,
}

impl GuestFile {
    /// The record of a decoded file (its contents are not kept).
    pub fn of(file: &DecodedFile) -> Self {
        Self {
            path: file.path.clone(),
            bytes: file.contents.len(),
        }
    }

    /// The console line saying this file was written; control characters in the path are
    /// escaped so one file is always one line.
    pub fn console_line(&self) -> String {
        let path: String = self
            .path
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
        format!("injected file {path} ({} bytes)", self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_one_console_line_with_its_decoded_size() {
        let file = GuestFile::of(&DecodedFile {
            path: "/etc/motd".into(),
            contents: b"hello world\n".to_vec(),
        });
        assert_eq!(file.console_line(), "injected file /etc/motd (12 bytes)");
        let odd = GuestFile {
            path: "/a\nb\tc".into(),
            bytes: 0,
        };
        assert_eq!(odd.console_line(), "injected file /a\\nb\\tc (0 bytes)");
    }
}
