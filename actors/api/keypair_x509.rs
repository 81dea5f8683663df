//! Nova `crypto.generate_winrm_x509_cert`: what a `type: x509` key pair create without a
//! `public_key` generates — a WinRM client certificate for the user, and its private key as
//! PKCS#12. Nova runs `openssl req -x509 -newkey rsa:2048 -days 3650 -subj /CN=<user>` with
//! `extendedKeyUsage = clientAuth` and `subjectAltName = otherName:<UPN>;UTF8:<user>@localhost`,
//! then `openssl pkcs12 -export -password pass:`. This builds the same objects: the
//! self-signed certificate (SHA-256 with RSA, a random serial, the subject key identifier
//! OpenSSL adds and no other extension) and the PKCS#12 as OpenSSL 3 writes it (an empty
//! password, PBES2 with PBKDF2-SHA-256 and AES-256-CBC, an HMAC-SHA-256 MAC, 2048 iterations,
//! the bags' `localKeyID` the certificate's SHA-1).

use std::time::Duration;

use base64::Engine as _;
use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKeyChain};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::asn1::{SetOfVec, Utf8StringRef};
use x509_cert::der::oid::db::rfc4519::CN;
use x509_cert::der::oid::db::rfc5280::ID_KP_CLIENT_AUTH;
use x509_cert::der::oid::AssociatedOid;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::referenced::OwnedToRef as _;
use x509_cert::der::{Any, Encode, EncodePem as _};
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName, SubjectKeyIdentifier};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::keypair_crypto::{GeneratedKeyPair, KeyMaterialError};

/// Microsoft's User Principal Name, the `otherName` WinRM maps a certificate to a user by.
const UPN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2.3");

/// Nova's `-newkey rsa:2048`.
const RSA_BITS: usize = 2048;

/// Nova's `-days 3650`.
const VALIDITY: Duration = Duration::from_secs(3650 * 24 * 60 * 60);

/// OpenSSL 3's PBKDF2 and MAC iterations for `pkcs12 -export`.
const PKCS12_ITERATIONS: u64 = 2048;

/// Nova `crypto.generate_winrm_x509_cert(user_id)`: `private_key` the PKCS#12 (empty
/// password) in base64, `public_key` the certificate as PEM, `fingerprint` the SHA-1 of its
/// DER as Nova prints it. Takes a moment (prime search): call it off the async workers.
pub fn generate_x509_key_pair(user_id: &str) -> Result<GeneratedKeyPair, KeyMaterialError> {
    let failed = |e: &dyn std::fmt::Display| KeyMaterialError::Generation(e.to_string());
    let key =
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS).map_err(|e| failed(&e))?;
    let certificate = self_signed_certificate(&key, user_id)?;
    let certificate_der = certificate.to_der().map_err(|e| failed(&e))?;
    let pem = certificate.to_pem(LineEnding::LF).map_err(|e| failed(&e))?;
    let key_der = key.to_pkcs8_der().map_err(|e| failed(&e))?;
    let fingerprint = Sha1::digest(&certificate_der);
    let chain = PrivateKeyChain::new(
        key_der.as_bytes(),
        fingerprint,
        [p12_keystore::Certificate::from_der(&certificate_der).map_err(|e| failed(&e))?],
    );
    let mut store = KeyStore::new();
    store.add_entry(user_id, KeyStoreEntry::PrivateKeyChain(chain));
    let pkcs12 = store
        .writer("")
        .encryption_iterations(PKCS12_ITERATIONS)
        .mac_iterations(PKCS12_ITERATIONS)
        .write()
        .map_err(|e| failed(&e))?;
    Ok(GeneratedKeyPair {
        private_key: base64::engine::general_purpose::STANDARD.encode(pkcs12),
        public_key: pem,
        fingerprint: super::keypair_crypto::colon_hex(&fingerprint),
    })
}

/// The certificate `openssl req -x509` makes with Nova's configuration.
fn self_signed_certificate(
    key: &rsa::RsaPrivateKey,
    user_id: &str,
) -> Result<x509_cert::Certificate, KeyMaterialError> {
    let failed = |e: &dyn std::fmt::Display| KeyMaterialError::Generation(e.to_string());
    // The user id as a UTF8String, as `-subj /CN=…` writes it (built, not parsed from a
    // string: an id with `,` or `=` stays one value).
    let common_name = Any::from(Utf8StringRef::new(user_id).map_err(|e| failed(&e))?);
    let subject = RdnSequence(vec![RelativeDistinguishedName(
        SetOfVec::try_from(vec![x509_cert::attr::AttributeTypeAndValue {
            oid: CN,
            value: common_name,
        }])
        .map_err(|e| failed(&e))?,
    )]);
    let signer = SigningKey::<Sha256>::new(key.clone());
    let public_key =
        SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).map_err(|e| failed(&e))?;
    // OpenSSL's serial: 159 random bits, so positive and at most 20 octets.
    let mut serial: [u8; 20] = rand::random();
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let mut builder = CertificateBuilder::new(
        Profile::Manual { issuer: None },
        SerialNumber::new(&serial).map_err(|e| failed(&e))?,
        Validity::from_now(VALIDITY).map_err(|e| failed(&e))?,
        Name::from(subject),
        public_key.clone(),
        &signer,
    )
    .map_err(|e| failed(&e))?;
    let upn = Utf8StringRef::new(&format!("{user_id}@localhost"))
        .map(Any::from)
        .map_err(|e| failed(&e))?;
    builder
        .add_extension(&ClientAuthentication(ExtendedKeyUsage(vec![
            ID_KP_CLIENT_AUTH,
        ])))
        .map_err(|e| failed(&e))?;
    builder
        .add_extension(&SubjectAltName(vec![GeneralName::OtherName(OtherName {
            type_id: UPN,
            value: upn,
        })]))
        .map_err(|e| failed(&e))?;
    builder
        .add_extension(
            &SubjectKeyIdentifier::try_from(public_key.owned_to_ref()).map_err(|e| failed(&e))?,
        )
        .map_err(|e| failed(&e))?;
    builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| failed(&e))
}

/// Nova's `extendedKeyUsage = clientAuth`, not critical as OpenSSL writes it (x509-cert
/// marks its own `ExtendedKeyUsage` critical).
struct ClientAuthentication(ExtendedKeyUsage);

impl AssociatedOid for ClientAuthentication {
    const OID: ObjectIdentifier = ExtendedKeyUsage::OID;
}

impl Encode for ClientAuthentication {
    fn encoded_len(&self) -> x509_cert::der::Result<x509_cert::der::Length> {
        self.0.encoded_len()
    }

    fn encode(&self, writer: &mut impl x509_cert::der::Writer) -> x509_cert::der::Result<()> {
        self.0.encode(writer)
    }
}

impl AsExtension for ClientAuthentication {
    fn critical(&self, _subject: &Name, _extensions: &[Extension]) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
    use x509_cert::der::DecodePem as _;

    #[test]
    fn a_generated_key_pair_reads_back_as_nova_makes_it() {
        let generated = generate_x509_key_pair("admin").expect("generated");
        let certificate =
            x509_cert::Certificate::from_pem(generated.public_key.as_bytes()).expect("PEM");
        let tbs = &certificate.tbs_certificate;
        assert_eq!(tbs.subject.to_string(), "CN=admin");
        assert_eq!(tbs.issuer, tbs.subject);
        let lifetime =
            tbs.validity.not_after.to_unix_duration() - tbs.validity.not_before.to_unix_duration();
        assert_eq!(lifetime, VALIDITY);
        let extensions: Vec<String> = tbs
            .extensions
            .iter()
            .flatten()
            .map(|e| e.extn_id.to_string())
            .collect();
        // extendedKeyUsage, subjectAltName, subjectKeyIdentifier — nothing else, and none
        // critical.
        assert_eq!(extensions, ["2.5.29.37", "2.5.29.17", "2.5.29.14"]);
        assert!(tbs.extensions.iter().flatten().all(|e| !e.critical));
        assert_eq!(
            super::super::keypair_crypto::x509_fingerprint(&generated.public_key),
            Ok(generated.fingerprint.clone())
        );
        let pkcs12 = base64::engine::general_purpose::STANDARD
            .decode(&generated.private_key)
            .expect("base64");
        let store = KeyStore::from_pkcs12(&pkcs12, "").expect("PKCS#12 with an empty password");
        let (_, chain) = store.private_key_chain().expect("a key and its chain");
        assert_eq!(
            chain.chain()[0].as_der(),
            certificate.to_der().expect("DER")
        );
        let key = rsa::RsaPrivateKey::from_pkcs8_der(chain.key()).expect("PKCS#8 key");
        assert_eq!(
            key.to_public_key()
                .to_public_key_der()
                .expect("SPKI")
                .as_bytes(),
            tbs.subject_public_key_info.to_der().expect("SPKI")
        );
    }

    #[test]
    fn a_user_id_with_separators_stays_one_common_name() {
        let generated = generate_x509_key_pair("a,b=c").expect("generated");
        let certificate =
            x509_cert::Certificate::from_pem(generated.public_key.as_bytes()).expect("PEM");
        let names = &certificate.tbs_certificate.subject.0;
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].0.len(), 1);
    }
}
