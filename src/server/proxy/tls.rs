//! TLS of the proxy in terminate mode: the certificate shown to clients (given or generated for the run) and what each handshake negotiated.

use rustls::pki_types::pem::PemObject;
use std::io;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::wire::request::hex;

/// The certificate the proxy presents to clients, and its fingerprint.
#[derive(Debug)]
pub struct ProxyCertificate {
    /// The server configuration presenting it.
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the leaf's DER, hex.
    pub sha256: String,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}"))
}

fn fingerprint(der: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// The certificate of `cert_pem` with the key of `key_pem` (`--cert/--key`); unreadable PEM
/// is [`io::ErrorKind::InvalidData`].
pub fn pem_certificate(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<ProxyCertificate> {
    let config = crate::server::server_config_from_pem(cert_pem, key_pem)?;
    let leaf = rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem)
        .next()
        .ok_or_else(|| invalid("certificate PEM", "no CERTIFICATE block"))?
        .map_err(|e| invalid("certificate PEM", e))?;
    Ok(ProxyCertificate {
        config,
        sha256: fingerprint(leaf.as_ref()),
    })
}

/// A self-signed certificate made for this run (names `localhost`, `127.0.0.1`, `::1` and
/// `names`).
pub fn generated_certificate(names: &[String]) -> io::Result<ProxyCertificate> {
    let mut all = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    all.extend(names.iter().filter(|n| !n.is_empty()).cloned());
    let mut params = rcgen::CertificateParams::new(all).map_err(|e| invalid("certificate", e))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "smtpdoctor proxy");
    let key = rcgen::KeyPair::generate().map_err(|e| invalid("key", e))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| invalid("certificate", e))?;
    let der: CertificateDer<'static> = cert.der().clone();
    let sha256 = fingerprint(der.as_ref());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS", e))?
        .with_client_cert_verifier(crate::server::handshake::AskClientCertificate::new())
        .with_single_cert(
            vec![der],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| invalid("certificate and key", e))?;
    Ok(ProxyCertificate {
        config: Arc::new(config),
        sha256,
    })
}

/// `TLSv1.3`, `TLSv1.2`, ...
pub(super) fn version_name(v: Option<rustls::ProtocolVersion>) -> String {
    match v {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
        Some(other) => format!("{other:?}"),
        None => "unknown".into(),
    }
}

/// The cipher suite's name.
pub(super) fn cipher_name(c: Option<rustls::SupportedCipherSuite>) -> String {
    c.map_or_else(|| "unknown".into(), |c| format!("{:?}", c.suite()))
}
