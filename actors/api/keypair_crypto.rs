//! The key material of key pairs as Nova's `nova/crypto.py` makes and reads it:
//! `generate_fingerprint` (an OpenSSH public key checked, then the MD5 of its base64 blob as
//! `aa:bb:…`), `generate_x509_fingerprint` (a PEM certificate read, then the SHA-1 of its DER
//! as `aa:bb:…`) and `generate_key_pair` (RSA 2048, the private key as PKCS#1 PEM as
//! paramiko writes it, the public key `ssh-rsa <base64> Generated-by-Nova`). The error texts
//! are the reasons of Nova's `InvalidKeypair`.

use base64::Engine as _;
use md5::{Digest as _, Md5};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use sha1::Sha1;
use x509_cert::der::{DecodePem as _, Encode as _};

/// The bits of a generated RSA key (Nova's `generate_key_pair(bits=2048)`).
const GENERATED_RSA_BITS: usize = 2048;

/// Why key material was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMaterialError {
    /// Nova `InvalidKeypair`: the reason follows "Keypair data is invalid: ".
    #[error("Keypair data is invalid: {0}")]
    Invalid(String),
    /// Generating a key failed (the system's random source).
    #[error("could not generate a key pair: {0}")]
    Generation(String),
}

/// A freshly generated key pair: SSH here, x509 in `keypair_x509.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKeyPair {
    /// SSH: `-----BEGIN RSA PRIVATE KEY-----` …, PKCS#1 PEM; x509: the PKCS#12 in base64.
    pub private_key: String,
    /// SSH: `ssh-rsa <base64> Generated-by-Nova`; x509: the certificate as PEM.
    pub public_key: String,
    /// SSH: the MD5 fingerprint, x509: the certificate's SHA-1, `aa:bb:…`.
    pub fingerprint: String,
}

/// Bytes as lower-case hex pairs joined by `:` (Nova's fingerprint print).
pub(super) fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Nova `crypto.generate_fingerprint`: the key must be an OpenSSH public key line; its
/// fingerprint is the MD5 of the base64 field.
pub fn ssh_fingerprint(public_key: &str) -> Result<String, KeyMaterialError> {
    let failed = || KeyMaterialError::Invalid("failed to generate fingerprint".into());
    ssh_key::PublicKey::from_openssh(public_key.trim()).map_err(|_| failed())?;
    // Nova: base64.b64decode(public_key.split(' ')[1]).
    let blob = public_key.split(' ').nth(1).ok_or_else(failed)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(blob.trim())
        .map_err(|_| failed())?;
    Ok(colon_hex(&Md5::digest(&decoded)))
}

/// Nova `crypto.generate_x509_fingerprint`: a PEM X.509 certificate; its fingerprint is the
/// SHA-1 of its DER encoding.
pub fn x509_fingerprint(pem: &str) -> Result<String, KeyMaterialError> {
    let failed = |why: String| {
        KeyMaterialError::Invalid(format!(
            "failed to generate X509 fingerprint. Error message: {why}"
        ))
    };
    let certificate = x509_cert::Certificate::from_pem(pem.trim().as_bytes())
        .map_err(|e| failed(e.to_string()))?;
    let der = certificate.to_der().map_err(|e| failed(e.to_string()))?;
    Ok(colon_hex(&Sha1::digest(&der)))
}

/// Nova `crypto.generate_key_pair`: a new RSA 2048 key. Takes a moment (prime search): call
/// it off the async workers.
pub fn generate_ssh_key_pair() -> Result<GeneratedKeyPair, KeyMaterialError> {
    let generation = |e: &dyn std::fmt::Display| KeyMaterialError::Generation(e.to_string());
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, GENERATED_RSA_BITS)
        .map_err(|e| generation(&e))?;
    let private_key = key
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| generation(&e))?
        .to_string();
    let public = ssh_key::public::RsaPublicKey {
        e: ssh_key::Mpint::from_positive_bytes(&key.e().to_bytes_be())
            .map_err(|e| generation(&e))?,
        n: ssh_key::Mpint::from_positive_bytes(&key.n().to_bytes_be())
            .map_err(|e| generation(&e))?,
    };
    let public_key =
        ssh_key::PublicKey::new(ssh_key::public::KeyData::Rsa(public), "Generated-by-Nova")
            .to_openssh()
            .map_err(|e| generation(&e))?;
    let fingerprint = ssh_fingerprint(&public_key)?;
    Ok(GeneratedKeyPair {
        private_key,
        public_key,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nova's api sample key (`doc/api_samples/os-keypairs/keypairs-import-post-req.json`)
    /// and the fingerprint Nova answers for it.
    const SAMPLE_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated-by-Nova";
    const SAMPLE_FINGERPRINT: &str = "1e:2c:9b:56:79:4b:45:77:f9:ca:7a:98:2c:b0:d5:3c";

    #[test]
    fn an_ssh_key_prints_novas_md5_fingerprint() {
        assert_eq!(
            ssh_fingerprint(SAMPLE_KEY).as_deref(),
            Ok(SAMPLE_FINGERPRINT)
        );
        assert_eq!(
            ssh_fingerprint(&format!("{SAMPLE_KEY}\n")).as_deref(),
            Ok(SAMPLE_FINGERPRINT)
        );
    }

    #[test]
    fn what_is_no_ssh_key_is_refused_in_novas_words() {
        for bad in [
            "",
            "ssh-rsa",
            "ssh-rsa AAAA",
            "not a key at all",
            "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv",
        ] {
            assert_eq!(
                ssh_fingerprint(bad).map_err(|e| e.to_string()),
                Err("Keypair data is invalid: failed to generate fingerprint".to_owned()),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_generated_key_is_rsa_2048_with_its_fingerprint() {
        let pair = generate_ssh_key_pair().expect("generated");
        assert!(pair
            .private_key
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(pair.public_key.starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
        assert!(pair.public_key.ends_with(" Generated-by-Nova"));
        assert_eq!(
            ssh_fingerprint(&pair.public_key),
            Ok(pair.fingerprint.clone())
        );
        assert_eq!(pair.fingerprint.len(), 47);
    }

    /// Nova's test certificate (`nova/tests/unit/fake_crypto.py`) and its fingerprint.
    const NOVA_TEST_CERT: &str = "-----BEGIN CERTIFICATE-----\n\
MIIDIjCCAgqgAwIBAgIJAIE8EtWfZhhFMA0GCSqGSIb3DQEBCwUAMCQxIjAgBgNV\n\
BAMTGWNsb3VkYmFzZS1pbml0LXVzZXItMTM1NTkwHhcNMTUwMTI5MTgyMzE4WhcN\n\
MjUwMTI2MTgyMzE4WjAkMSIwIAYDVQQDExljbG91ZGJhc2UtaW5pdC11c2VyLTEz\n\
NTU5MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAv4lv95ofkXLIbALU\n\
UEb1f949TYNMUvMGNnLyLgGOY+D61TNG7RZn85cRg9GVJ7KDjSLN3e3LwH5rgv5q\n\
pU+nM/idSMhG0CQ1lZeExTsMEJVT3bG7LoU5uJ2fJSf5+hA0oih2M7/Kap5ggHgF\n\
h+h8MWvDC9Ih8x1aadkk/OEmJsTrziYm0C/V/FXPHEuXfZn8uDNKZ/tbyfI6hwEj\n\
nLz5Zjgg29n6tIPYMrnLNDHScCwtNZOcnixmWzsxCt1bxsAEA/y9gXUT7xWUf52t\n\
2+DGQbLYxo0PHjnPf3YnFXNavfTt+4c7ZdHhOQ6ZA8FGQ2LJHDHM1r2/8lK4ld2V\n\
qgNTcQIDAQABo1cwVTATBgNVHSUEDDAKBggrBgEFBQcDAjA+BgNVHREENzA1oDMG\n\
CisGAQQBgjcUAgOgJQwjY2xvdWRiYXNlLWluaXQtdXNlci0xMzU1OUBsb2NhbGhv\n\
c3QwDQYJKoZIhvcNAQELBQADggEBAHHX/ZUOMR0ZggQnfXuXLIHWlffVxxLOV/bE\n\
7JC/dtedHqi9iw6sRT5R6G1pJo0xKWr2yJVDH6nC7pfxCFkby0WgVuTjiu6iNRg2\n\
4zNJd8TGrTU+Mst+PPJFgsxrAY6vjwiaUtvZ/k8PsphHXu4ON+oLurtVDVgog7Vm\n\
fQCShx434OeJj1u8pb7o2WyYS5nDVrHBhlCAqVf2JPKu9zY+i9gOG2kimJwH7fJD\n\
xXpMIwAQ+flwlHR7OrE0L8TNcWwKPRAY4EPcXrT+cWo1k6aTqZDSK54ygW2iWtni\n\
ZBcstxwcB4GIwnp1DrPW9L2gw5eLe1Sl6wdz443TW8K/KPV9rWQ=\n\
-----END CERTIFICATE-----\n";

    #[test]
    fn an_x509_certificate_prints_the_sha1_of_its_der() {
        assert_eq!(
            x509_fingerprint(NOVA_TEST_CERT).as_deref(),
            Ok("a1:6f:6d:ea:a6:36:d0:3a:c6:eb:b6:ee:07:94:3e:2a:90:98:2b:c9")
        );
        assert!(matches!(
            x509_fingerprint("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            Err(KeyMaterialError::Invalid(why)) if why.starts_with("failed to generate X509 fingerprint. Error message: ")
        ));
    }
}
