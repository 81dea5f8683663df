//! A generated x509 key pair read by the real thing: Python's `cryptography` (the library
//! Nova's own code reads certificates with) opens its PKCS#12 with the empty password
//! Nova's `openssl pkcs12 -export -password pass:` sets, finds the key of the returned
//! certificate, and the real `nova.crypto.generate_x509_fingerprint` prints the
//! fingerprint novactor answered; the certificate is the WinRM client certificate Nova's
//! `generate_winrm_x509_cert` makes (CN, clientAuth, the UPN `<user>@localhost`, 3650 days).

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::cloud::cloud;
use crate::placement_server::real_nova_venv;

/// Reads `{"private_key", "public_key", "fingerprint", "user_id"}` from stdin; prints `ok`
/// or fails with what differs.
const CHECK: &str = r#"
import base64, datetime, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from nova import crypto

pair = json.load(sys.stdin)
key, cert, extra = pkcs12.load_key_and_certificates(
    base64.b64decode(pair["private_key"]), b"")
returned = x509.load_pem_x509_certificate(pair["public_key"].encode())
assert cert == returned, "the PKCS#12's certificate is not the one returned"
assert not extra, extra
spki = serialization.PublicFormat.SubjectPublicKeyInfo
der = serialization.Encoding.DER
assert key.public_key().public_bytes(der, spki) == \
    cert.public_key().public_bytes(der, spki), "the key is not the certificate's"
assert key.key_size == 2048, key.key_size
assert crypto.generate_x509_fingerprint(pair["public_key"]) == pair["fingerprint"]
user = pair["user_id"]
cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
assert [a.value for a in cn] == [user], cert.subject
assert cert.issuer == cert.subject, cert.issuer
eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
assert list(eku.value) == [ExtendedKeyUsageOID.CLIENT_AUTH] and not eku.critical, eku
san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
upn = san.get_values_for_type(x509.OtherName)
assert [(o.type_id.dotted_string, o.value) for o in upn] == \
    [("1.3.6.1.4.1.311.20.2.3", b"\x0c" + bytes([len(user) + 10]) + f"{user}@localhost".encode())], upn
lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
assert lifetime == datetime.timedelta(days=3650), lifetime
print("ok")
"#;

#[actix_rt::test]
async fn a_generated_x509_key_pair_is_read_by_pythons_cryptography_and_novas_fingerprint() {
    let cloud = cloud().await;
    let reply = cloud
        .send(
            "POST",
            "/v2.1/os-keypairs",
            &[
                ("X-Auth-Token", "admin:admin"),
                ("OpenStack-API-Version", "compute 2.2"),
            ],
            Some(&json!({"keypair": {"name": "winrm", "type": "x509"}}).to_string()),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let pair = &reply.body["keypair"];
    let input = json!({
        "private_key": pair["private_key"], "public_key": pair["public_key"],
        "fingerprint": pair["fingerprint"], "user_id": pair["user_id"],
    })
    .to_string();
    let python = real_nova_venv().join("bin/python");
    let mut child = Command::new(&python)
        .args(["-c", CHECK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("the check reads the key pair");
    let output = child.wait_with_output().expect("the check ends");
    assert!(
        output.status.success() && output.stdout == b"ok\n",
        "the key pair as Python reads it: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
