//! TLS client set-up with rustls: a verifier that records the verdict instead of aborting, and the
//! certificate and session details that the report shows.

pub use crate::record::tls::{CertInfo, TlsInfo, Verification};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::{Arc, Mutex};

/// Errors preparing TLS (bad `--ca-file`).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The CA file could not be read or held no certificate.
    #[error("cannot use --ca-file {path}: {message}")]
    CaFile {
        /// The path given.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// The certificate chain the verifier saw, shared with the session.
#[derive(Debug, Default)]
pub struct Observed {
    /// DER certificates, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Verdict.
    pub verification: Verification,
}

/// A server-certificate verifier that checks everything but never fails the handshake: the
/// verdict goes into [`Observed`] and becomes findings.
#[derive(Debug)]
struct RecordingVerifier {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    observed: Arc<Mutex<Observed>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut v = Verification {
            name: server_name.to_str().into_owned(),
            ..Verification::default()
        };
        match ParsedCertificate::try_from(end_entity) {
            Ok(parsed) => {
                match verify_server_cert_signed_by_trust_anchor(
                    &parsed,
                    &self.roots,
                    intermediates,
                    now,
                    self.provider.signature_verification_algorithms.all,
                ) {
                    Ok(()) => {
                        v.trusted = true;
                        v.time_ok = true;
                    }
                    Err(rustls::Error::InvalidCertificate(
                        e @ (rustls::CertificateError::Expired
                        | rustls::CertificateError::ExpiredContext { .. }
                        | rustls::CertificateError::NotValidYet
                        | rustls::CertificateError::NotValidYetContext { .. }),
                    )) => v.errors.push(format!("validity: {e}")),
                    Err(e) => {
                        v.time_ok = true;
                        v.errors.push(format!("trust: {e}"));
                    }
                }
                match verify_server_name(&parsed, server_name) {
                    Ok(()) => v.name_ok = true,
                    Err(e) => v.errors.push(format!("name: {e}")),
                }
            }
            Err(e) => v.errors.push(format!("certificate: {e}")),
        }
        let mut obs = self.observed.lock().unwrap_or_else(|p| p.into_inner());
        obs.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        obs.verification = v;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Trust anchors: webpki-roots plus the certificates of `--ca-file`.
pub fn root_store(ca_file: Option<&std::path::Path>) -> Result<Arc<RootCertStore>, TlsSetupError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        let err = |message: String| TlsSetupError::CaFile {
            path: path.display().to_string(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let mut added = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| err(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| err(format!("not a usable trust anchor: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(err("no PEM certificate in the file".into()));
        }
    }
    Ok(Arc::new(roots))
}

/// A client config whose verifier records into a fresh [`Observed`].
pub fn client_config(
    roots: Arc<RootCertStore>,
) -> (Arc<rustls::ClientConfig>, Arc<Mutex<Observed>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let observed = Arc::new(Mutex::new(Observed::default()));
    let verifier = Arc::new(RecordingVerifier {
        roots,
        provider: provider.clone(),
        observed: observed.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    (Arc::new(config), observed)
}

/// Describes a DER certificate for the report.
pub fn describe(der: &CertificateDer<'_>) -> CertInfo {
    use x509_parser::prelude::*;
    match X509Certificate::from_der(der.as_ref()) {
        Ok((_, cert)) => {
            let mut sans = Vec::new();
            if let Ok(Some(ext)) = cert.subject_alternative_name() {
                for n in &ext.value.general_names {
                    match n {
                        GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                        GeneralName::IPAddress(b) => sans.push(match b.len() {
                            4 => format!("IP:{}", std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])),
                            16 => {
                                let mut a = [0u8; 16];
                                a.copy_from_slice(b);
                                format!("IP:{}", std::net::Ipv6Addr::from(a))
                            }
                            _ => "IP:?".into(),
                        }),
                        _ => {}
                    }
                }
            }
            let validity = cert.validity();
            CertInfo {
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                not_before: rfc3339(validity.not_before.timestamp()),
                not_after: rfc3339(validity.not_after.timestamp()),
                not_after_unix: validity.not_after.timestamp(),
                sans,
                der_len: der.as_ref().len(),
            }
        }
        Err(e) => CertInfo {
            subject: format!("(unparsable certificate: {e})"),
            issuer: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            not_after_unix: i64::MAX,
            sans: vec![],
            der_len: der.as_ref().len(),
        },
    }
}

/// Formats Unix seconds as RFC 3339 UTC.
pub fn rfc3339(unix: i64) -> String {
    match u64::try_from(unix) {
        Ok(s) => humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(s),
        )
        .to_string(),
        Err(_) => format!("{unix}s before 1970"),
    }
}
