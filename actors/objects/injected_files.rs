//! Personality files as the services pass them (Nova: `helpers.get_injected_files`, the
//! `injected_files` argument of the conductor's and the compute's build and rebuild, and
//! `ComputeManager._decode_files`): `[path, contents]` pairs with the contents still base64
//! on the wire, decoded by the compute as Python's `base64.b64decode` decodes them — the
//! same function Nova's API format checker runs, so what the api lets through the compute
//! decodes.

use serde::{Deserialize, Serialize};

/// One file as Nova sends it: `[path, contents]`, contents base64 (a Python tuple,
/// a two-item list on the wire). Anything else is a decoding error of the argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedFile(pub String, pub String);

impl InjectedFile {
    /// The path in the guest.
    pub fn path(&self) -> &str {
        &self.0
    }

    /// The contents, base64 as sent.
    pub fn contents(&self) -> &str {
        &self.1
    }
}

/// A file after `_decode_files`: its path and decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFile {
    /// The path in the guest.
    pub path: String,
    /// The decoded contents.
    pub contents: Vec<u8>,
}

/// Nova `Base64Exception`: a file's contents are not base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid Base 64 data for file {path}")]
pub struct Base64Exception {
    /// The file's path.
    pub path: String,
}

/// Why text is not base64 (Python `binascii.Error` and the `ValueError` of non-ASCII text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    /// A character outside ASCII (`b64decode` refuses such a `str`).
    #[error("string argument should contain only ASCII characters")]
    NotAscii,
    /// One data character more than a multiple of four.
    #[error("Invalid base64-encoded string: number of data characters ({0}) cannot be 1 more than a multiple of 4")]
    Dangling(usize),
    /// Two or three data characters left over without their padding.
    #[error("Incorrect padding")]
    Padding,
}

/// The value of a base64 alphabet byte (standard alphabet), else none.
fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Python's `base64.b64decode(text)` (CPython `binascii.a2b_base64`, not strict): bytes
/// outside the alphabet are skipped, enough padding ends the input (what follows is
/// ignored), and a last quad without its padding is an error.
pub fn b64decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    if !text.is_ascii() {
        return Err(Base64Error::NotAscii);
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut quad_pos, mut pads, mut left) = (0u8, 0u8, 0u8);
    let mut data_chars = 0usize;
    for byte in text.bytes() {
        if byte == b'=' {
            // CPython counts a pad only from the third position of a quad on, and never
            // resets the count.
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(value) = sextet(byte) else {
            continue;
        };
        data_chars += 1;
        match quad_pos {
            0 => left = value,
            1 => {
                out.push((left << 2) | (value >> 4));
                left = value & 0x0f;
            }
            2 => {
                out.push((left << 4) | (value >> 2));
                left = value & 0x03;
            }
            _ => {
                out.push((left << 6) | value);
                left = 0;
            }
        }
        quad_pos = (quad_pos + 1) % 4;
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(Base64Error::Dangling(data_chars)),
        _ => Err(Base64Error::Padding),
    }
}

/// Nova `_decode_files`: every file's contents decoded, or the `Base64Exception` of the
/// first that is not base64.
pub fn decode_files(files: &[InjectedFile]) -> Result<Vec<DecodedFile>, Base64Exception> {
    files
        .iter()
        .map(|file| {
            b64decode(file.contents())
                .map(|contents| DecodedFile {
                    path: file.path().to_owned(),
                    contents,
                })
                .map_err(|_| Base64Exception {
                    path: file.path().to_owned(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    #[test]
    fn decoding_is_pythons_b64decode() {
        // Each case checked against CPython 3.11's base64.b64decode.
        let ok: &[(&str, &[u8])] = &[
            ("YQ==", b"a"),
            ("YWJj", b"abc"),
            ("", b""),
            ("YQ==YQ==", b"a"),
            ("Y Q = =", b"a"),
            ("YQ==junk", b"a"),
            ("YW-Jj", b"abc"),
            ("!!!!", b""),
            ("====", b""),
            ("YQ=a=", b"a\x06"),
            ("YR==", b"a"),
            ("YQ===", b"a"),
            ("abc=d", b"i\xb7"),
            ("YWJ=j", b"ab"),
            ("aGVs\nbG8=\n", b"hello"),
        ];
        for (text, bytes) in ok {
            assert_eq!(b64decode(text).as_deref(), Ok(*bytes), "{text:?}");
        }
        for (text, error) in [
            ("YQ", Base64Error::Padding),
            ("YQ=", Base64Error::Padding),
            ("a=b=c", Base64Error::Padding),
            ("ab=", Base64Error::Padding),
            ("Y", Base64Error::Dangling(1)),
            ("Y===", Base64Error::Dangling(1)),
            ("YWJjZ", Base64Error::Dangling(5)),
            ("é", Base64Error::NotAscii),
        ] {
            assert_eq!(b64decode(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn files_decode_or_name_the_first_bad_one() {
        let files = [
            InjectedFile("/etc/motd".into(), "aGVsbG8=".into()),
            InjectedFile("/bad".into(), "YQ".into()),
            InjectedFile("/worse".into(), "Y".into()),
        ];
        assert_eq!(
            decode_files(&files[..1]),
            Ok(vec![DecodedFile {
                path: "/etc/motd".into(),
                contents: b"hello".to_vec()
            }])
        );
        let error = decode_files(&files).unwrap_err();
        assert_eq!(error.to_string(), "Invalid Base 64 data for file /bad");
        assert_eq!(decode_files(&[]), Ok(Vec::new()));
    }

    #[test]
    fn a_file_is_a_pair_of_strings_on_the_wire() {
        let file = InjectedFile("/a".into(), "YQ==".into());
        assert_eq!(serde_json::to_value(&file).unwrap(), json!(["/a", "YQ=="]));
        let back: Vec<InjectedFile> = serde_json::from_value(json!([["/a", "YQ=="]])).unwrap();
        assert_eq!(back, vec![file]);
        for bad in [
            json!("files"),
            json!([["/a"]]),
            json!([["/a", "YQ==", "x"]]),
            json!([["/a", 1]]),
            json!([{"path": "/a", "contents": "YQ=="}]),
            json!([null]),
        ] {
            assert!(
                serde_json::from_value::<Vec<InjectedFile>>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let none: Option<Vec<InjectedFile>> = serde_json::from_value(Value::Null).unwrap();
        assert_eq!(none, None);
    }
}
