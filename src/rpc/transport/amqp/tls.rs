//! [`TlsFiles`]: the PEM files of `[oslo_messaging_rabbit]` — `ssl_ca_file` (the CAs that
//! verify the broker) and `ssl_cert_file` + `ssl_key_file` (the client certificate chain
//! and its private key, as oslo takes them) — read and checked once, at start, into what
//! lapin's rustls connector takes (`OwnedTLSConfig`, its identity as PEM chain + PEM key).
//! A file that is missing, unreadable or holds no usable PEM, a key that does not belong to
//! the certificate, or one of the pair without the other, is a [`TlsConfigError`] naming
//! the option and the file — never a panic, never a failure first seen at each reconnect.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub use crate::rpc::transport::tls_config_error::TlsConfigError;

/// The TLS material of the RabbitMQ connection, checked: CA certificates and the client's
/// identity, as PEM text for lapin. `Debug` shows the paths, never the key.
#[derive(Clone, Default)]
pub struct TlsFiles {
    ca: Option<(PathBuf, String)>,
    identity: Option<ClientIdentity>,
}

#[derive(Clone)]
struct ClientIdentity {
    cert_path: PathBuf,
    key_path: PathBuf,
    chain_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles")
            .field("ca_file", &self.ca.as_ref().map(|(path, _)| path))
            .field("cert_file", &self.identity.as_ref().map(|i| &i.cert_path))
            .field("key_file", &self.identity.as_ref().map(|i| &i.key_path))
            .finish()
    }
}

fn read(option: &'static str, path: &Path) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|e| TlsConfigError::Unreadable {
        option,
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn invalid(option: &'static str, path: &Path, reason: impl Into<String>) -> TlsConfigError {
    TlsConfigError::Invalid {
        option,
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// The PEM certificates of `pem`, at least one.
fn certificates(
    option: &'static str,
    path: &Path,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(option, path, format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(
            option,
            path,
            "no PEM certificate in it (expected -----BEGIN CERTIFICATE----- blocks)",
        ));
    }
    Ok(certs)
}

impl TlsFiles {
    /// Read and check the files `ca_file`, `cert_file` and `key_file` name.
    pub fn load(
        ca_file: Option<&Path>,
        cert_file: Option<&Path>,
        key_file: Option<&Path>,
    ) -> Result<Self, TlsConfigError> {
        let ca = match ca_file {
            Some(path) => {
                let pem = read("ssl_ca_file", path)?;
                certificates("ssl_ca_file", path, &pem)?;
                let text = String::from_utf8(pem)
                    .map_err(|_| invalid("ssl_ca_file", path, "not PEM text (invalid UTF-8)"))?;
                Some((path.to_owned(), text))
            }
            None => None,
        };
        let identity = match (cert_file, key_file) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(TlsConfigError::Incomplete {
                    given: "ssl_cert_file",
                    missing: "ssl_key_file",
                })
            }
            (None, Some(_)) => {
                return Err(TlsConfigError::Incomplete {
                    given: "ssl_key_file",
                    missing: "ssl_cert_file",
                })
            }
            (Some(cert_path), Some(key_path)) => Some(ClientIdentity::load(cert_path, key_path)?),
        };
        Ok(Self { ca, identity })
    }

    /// True when a client certificate is configured.
    pub fn has_client_certificate(&self) -> bool {
        self.identity.is_some()
    }

    /// What lapin's TLS connector takes: extra CA certificates (PEM) and the identity
    /// (lapin's `PKCS8` variant reads a PEM certificate chain and a PEM key of any kind:
    /// PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub(super) fn lapin_config(&self) -> lapin::tcp::OwnedTLSConfig {
        lapin::tcp::OwnedTLSConfig {
            cert_chain: self.ca.as_ref().map(|(_, pem)| pem.clone()),
            identity: self
                .identity
                .as_ref()
                .map(|identity| lapin::tcp::OwnedIdentity::PKCS8 {
                    pem: identity.chain_pem.clone(),
                    key: identity.key_pem.clone(),
                }),
        }
    }
}

impl ClientIdentity {
    fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsConfigError> {
        let chain_pem = read("ssl_cert_file", cert_path)?;
        let chain = certificates("ssl_cert_file", cert_path, &chain_pem)?;
        let key_pem = read("ssl_key_file", key_path)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            invalid(
                "ssl_key_file",
                key_path,
                format!(
                    "no PEM private key in it ({e}; expected a -----BEGIN PRIVATE KEY-----, \
                     RSA PRIVATE KEY or EC PRIVATE KEY block, unencrypted)"
                ),
            )
        })?;
        // The checks the handshake would make, now: a key type rustls (ring) can sign
        // with, and the key of the chain's first certificate.
        let provider = rustls::crypto::ring::default_provider();
        rustls::sign::CertifiedKey::from_der(chain, key, &provider).map_err(|e| {
            invalid(
                "ssl_key_file",
                key_path,
                format!(
                    "cannot be used with the certificate of ssl_cert_file = {}: {e}",
                    cert_path.display()
                ),
            )
        })?;
        Ok(Self {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            chain_pem,
            key_pem,
        })
    }
}
