//! The demo PKI: a CA made once per process and the rustls server configurations of its certificates.

use rustls::pki_types::pem::PemObject;
use std::io;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::script::{Cert, HOSTNAME};

/// Why the demo PKI could not be made.
pub(super) type PkiError = dyn std::error::Error + Send + Sync;

/// PEM of the demo CA certificate: pass it to a client as trust anchor (`--ca-file`) to get a clean
/// verification of `mx.demo.test`. Generated once per process; empty if generation failed.
pub fn demo_certificate_pem() -> String {
    match pki() {
        Ok(p) => p.ca_pem.clone(),
        Err(_) => String::new(),
    }
}

/// The CA's PEM and one server configuration per [`Cert`].
struct Pki {
    ca_pem: String,
    demo: Arc<ServerConfig>,
    expired: Arc<ServerConfig>,
    expiring: Arc<ServerConfig>,
    wrong_name: Arc<ServerConfig>,
    untrusted: Arc<ServerConfig>,
}

/// Makes the PKI now, so that the first client does not wait for it.
pub(super) fn prepare() {
    let _ = pki();
}

/// The process's PKI, made on first use.
fn pki() -> Result<&'static Pki, &'static PkiError> {
    static PKI: OnceLock<Result<Pki, Box<PkiError>>> = OnceLock::new();
    match PKI.get_or_init(make_pki) {
        Ok(p) => Ok(p),
        Err(e) => Err(e.as_ref()),
    }
}

/// The server configuration presenting `cert`, or why the PKI could not be made.
pub(super) fn tls_config(cert: Cert) -> Result<Arc<ServerConfig>, &'static PkiError> {
    let p = pki()?;
    Ok(Arc::clone(match cert {
        Cert::Demo => &p.demo,
        Cert::Expired => &p.expired,
        Cert::Expiring => &p.expiring,
        Cert::WrongName => &p.wrong_name,
        Cert::Untrusted => &p.untrusted,
    }))
}

/// Seconds in a day.
const DAY: u64 = 24 * 60 * 60;

/// The demo CA and its leaf certificates, valid around now.
fn make_pki() -> Result<Pki, Box<PkiError>> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };

    let now_secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let at = |days_from_now: i64| {
        let secs = now_secs as i64 + days_from_now * DAY as i64;
        epoch + Duration::from_secs(secs.max(0) as u64)
    };

    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "smtpdoctor demo");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "smtpdoctor demo CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = at(-1);
    ca_params.not_after = at(3650);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let good_names = || {
        vec![
            HOSTNAME.to_string(),
            "localhost".into(),
            "127.0.0.1".into(),
            "::1".into(),
        ]
    };
    let leaf =
        |names: Vec<String>, from: i64, until: i64| -> Result<CertificateParams, rcgen::Error> {
            let mut params = CertificateParams::new(names)?;
            params.distinguished_name = rcgen::DistinguishedName::new();
            params
                .distinguished_name
                .push(DnType::OrganizationName, "smtpdoctor demo");
            params.distinguished_name.push(DnType::CommonName, HOSTNAME);
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            params.use_authority_key_identifier_extension = true;
            params.not_before = at(from);
            params.not_after = at(until);
            Ok(params)
        };
    let signed = |params: CertificateParams| -> Result<Arc<ServerConfig>, Box<PkiError>> {
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        server_config(cert.der().clone(), key.serialize_der())
    };

    let demo = signed(leaf(good_names(), -1, 365)?)?;
    let expired = signed(leaf(good_names(), -400, -30)?)?;
    let expiring = signed(leaf(good_names(), -60, 5)?)?;
    let mut wrong = leaf(vec!["mail.other.invalid".into()], -1, 365)?;
    wrong.distinguished_name = rcgen::DistinguishedName::new();
    wrong
        .distinguished_name
        .push(DnType::CommonName, "mail.other.invalid");
    let wrong_name = signed(wrong)?;
    let untrusted = {
        let mut params = leaf(good_names(), -1, 365)?;
        params.use_authority_key_identifier_extension = false;
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        server_config(cert.der().clone(), key.serialize_der())?
    };
    Ok(Pki {
        ca_pem,
        demo,
        expired,
        expiring,
        wrong_name,
        untrusted,
    })
}

/// A TLS server configuration presenting `cert` (ring provider, safe default versions).
fn server_config(
    cert: CertificateDer<'static>,
    key_pkcs8: Vec<u8>,
) -> Result<Arc<ServerConfig>, Box<PkiError>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(super::handshake::AskClientCertificate::new())
        .with_single_cert(
            vec![cert],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8)),
        )?;
    Ok(Arc::new(config))
}

/// A TLS server configuration presenting the certificate chain of `cert_pem` with the private
/// key of `key_pem` (`mock --cert/--key`). Unreadable PEM is [`io::ErrorKind::InvalidData`].
pub fn server_config_from_pem(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Arc<ServerConfig>> {
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}"))
    };
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("certificate PEM", &e))?;
    if chain.is_empty() {
        return Err(invalid("certificate PEM", &"no CERTIFICATE block"));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => invalid("key PEM", &"no PRIVATE KEY block"),
        e => invalid("key PEM", &e),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS", &e))?
        .with_client_cert_verifier(super::handshake::AskClientCertificate::new())
        .with_single_cert(chain, key)
        .map_err(|e| invalid("certificate and key", &e))?;
    Ok(Arc::new(config))
}
