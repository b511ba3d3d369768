//! TLS client set-up with rustls: a verifier that records the verdict instead of aborting, and the
//! certificate and session details that the report shows.

pub use crate::record::tls::{CertInfo, CertProblem, TlsInfo, Verification};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
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
        let v = verify(
            &self.roots,
            self.provider.signature_verification_algorithms.all,
            end_entity,
            intermediates,
            server_name,
            now,
        );
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

/// The verdict on a server's certificate: trust (a path to a trust anchor, or the certificate
/// is a trust anchor itself), validity dates and the server name, each failure in plain words.
pub fn verify(
    roots: &RootCertStore,
    algorithms: &[&'static dyn rustls::pki_types::SignatureVerificationAlgorithm],
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Verification {
    let mut v = Verification {
        name: server_name.to_str().into_owned(),
        ..Verification::default()
    };
    let facts = LeafFacts::of(end_entity);
    let parsed = match ParsedCertificate::try_from(end_entity) {
        Ok(p) => p,
        Err(e) => {
            v.errors.push(
                CertProblem::BadEncoding
                    .message(&format!("the certificate cannot be parsed ({e})")),
            );
            return v;
        }
    };
    if is_trust_anchor(roots, end_entity) {
        // The user named this certificate (its name and key) as a trust anchor: it is trusted
        // as the server's own, as OpenSSL, Postfix and posttls-finger accept it, whatever its
        // basicConstraints say. Its dates still count.
        v.trusted = true;
        match facts.as_ref().map(|f| f.dates(now.as_secs())) {
            Some(Err(e)) => v.errors.push(e),
            _ => v.time_ok = true,
        }
    } else {
        match verify_server_cert_signed_by_trust_anchor(
            &parsed,
            roots,
            intermediates,
            now,
            algorithms,
        ) {
            Ok(()) => {
                v.trusted = true;
                v.time_ok = true;
            }
            Err(e) => {
                let (problem, words) = explain_failure(&e, facts.as_ref(), intermediates.len());
                v.time_ok = problem.area() != "validity";
                v.errors.push(problem.message(&words));
            }
        }
    }
    match verify_server_name(&parsed, server_name) {
        Ok(()) => v.name_ok = true,
        Err(_) => {
            let names = facts
                .as_ref()
                .map(|f| f.names.join(", "))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "no DNS name or IP address".into());
            v.errors.push(CertProblem::NameMismatch.message(&format!(
                "the certificate is not valid for {} (it names {names})",
                server_name.to_str()
            )));
        }
    }
    v
}

/// Whether the certificate is one of the trust anchors itself: the same subject and key.
fn is_trust_anchor(roots: &RootCertStore, cert: &CertificateDer<'_>) -> bool {
    let mut own = RootCertStore::empty();
    if own.add(cert.clone().into_owned()).is_err() {
        return false;
    }
    let Some(me) = own.roots.first() else {
        return false;
    };
    roots.roots.iter().any(|a| {
        a.subject.as_ref() == me.subject.as_ref()
            && a.subject_public_key_info.as_ref() == me.subject_public_key_info.as_ref()
    })
}

/// What the verifier's words need to know about the server's certificate.
struct LeafFacts {
    subject: String,
    issuer: String,
    /// Subject and issuer are the same name.
    self_issued: bool,
    /// basicConstraints CA:TRUE.
    is_ca: bool,
    not_before: i64,
    not_after: i64,
    /// DNS names and IP addresses, as the report shows them.
    names: Vec<String>,
}

impl LeafFacts {
    fn of(der: &CertificateDer<'_>) -> Option<LeafFacts> {
        use x509_parser::prelude::*;
        let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
        let is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
        let info = describe(der);
        Some(LeafFacts {
            subject: info.subject,
            issuer: info.issuer,
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            is_ca,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            names: info.sans,
        })
    }

    /// The validity check at `now` (Unix seconds): the message when it fails.
    fn dates(&self, now: u64) -> Result<(), String> {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        if now > self.not_after {
            Err(CertProblem::Expired.message(&format!(
                "the certificate expired at {} (checked at {})",
                rfc3339(self.not_after),
                rfc3339(now)
            )))
        } else if now < self.not_before {
            Err(CertProblem::NotYetValid.message(&format!(
                "the certificate is valid only from {} (checked at {})",
                rfc3339(self.not_before),
                rfc3339(now)
            )))
        } else {
            Ok(())
        }
    }
}

/// The kind of a failed path check and its explanation, from the verifier's error and what the
/// certificate itself says.
#[allow(deprecated)] // `UnsupportedSignatureAlgorithm` is still what webpki reports for some keys.
fn explain_failure(
    e: &rustls::Error,
    leaf: Option<&LeafFacts>,
    intermediates: usize,
) -> (CertProblem, String) {
    use rustls::CertificateError as C;
    let subject = leaf.map_or("(unparsable)", |l| l.subject.as_str());
    let issuer = leaf.map_or("(unparsable)", |l| l.issuer.as_str());
    let self_signed = || {
        let ca = if leaf.is_some_and(|l| l.is_ca) {
            ", marked as a CA (basicConstraints CA:TRUE, as `openssl req -x509` makes it by \
             default)"
        } else {
            ""
        };
        (
            CertProblem::SelfSigned,
            format!(
                "the certificate is its own issuer ({subject}){ca}, and no trust anchor names it"
            ),
        )
    };
    let self_issued = leaf.is_some_and(|l| l.self_issued) && intermediates == 0;
    let cert_error = match e {
        rustls::Error::InvalidCertificate(c) => c,
        other => return (CertProblem::Other, other.to_string()),
    };
    match cert_error {
        C::Expired | C::ExpiredContext { .. } => (
            CertProblem::Expired,
            leaf.map_or("the certificate has expired".into(), |l| {
                format!("the certificate expired at {}", rfc3339(l.not_after))
            }),
        ),
        C::NotValidYet | C::NotValidYetContext { .. } => (
            CertProblem::NotYetValid,
            leaf.map_or("the certificate is not valid yet".into(), |l| {
                format!(
                    "the certificate is valid only from {}",
                    rfc3339(l.not_before)
                )
            }),
        ),
        C::UnknownIssuer if self_issued => self_signed(),
        C::UnknownIssuer => (
            CertProblem::UnknownIssuer,
            format!(
                "issued by {issuer}, which is not a trust anchor and not in the chain the server \
                 sent ({} intermediate certificate(s)): a private CA, or a missing intermediate",
                intermediates
            ),
        ),
        C::BadSignature => (
            CertProblem::BadSignature,
            "a certificate of the chain is not signed by the key of its issuer".into(),
        ),
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => (
            CertProblem::UnsupportedAlgorithm,
            "a certificate of the chain is signed with an algorithm the verifier does not \
             accept (such as SHA-1 or MD5)"
                .into(),
        ),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => (
            CertProblem::WrongPurpose,
            "the certificate's extended key usage does not include serverAuth".into(),
        ),
        C::Revoked => (CertProblem::Revoked, "the certificate was revoked".into()),
        C::BadEncoding => (
            CertProblem::BadEncoding,
            "a certificate of the chain cannot be parsed".into(),
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => (
            CertProblem::NameMismatch,
            "the certificate does not name the server".into(),
        ),
        C::Other(o) => {
            // webpki's errors without a rustls name; their debug text is their name.
            let name = format!("{o:?}");
            if name.contains("CaUsedAsEndEntity") {
                if self_issued {
                    self_signed()
                } else {
                    (
                        CertProblem::CaAsEndEntity,
                        format!(
                            "the server's certificate ({subject}) is a CA certificate \
                             (basicConstraints CA:TRUE), which verifiers refuse as a server's own"
                        ),
                    )
                }
            } else if name.contains("EndEntityUsedAsCa") {
                (
                    CertProblem::IssuerNotCa,
                    "a certificate of the chain that issues another is not a CA \
                     (basicConstraints CA:FALSE or missing)"
                        .into(),
                )
            } else {
                (
                    CertProblem::Other,
                    format!("the verifier refused the chain ({})", o.0),
                )
            }
        }
        other => (
            CertProblem::Other,
            format!("the verifier refused the chain ({other:?})"),
        ),
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
        for cert in CertificateDer::pem_slice_iter(&pem) {
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

/// Whether a handshake failed because the peer's bytes are not TLS records (rustls' invalid
/// content type or protocol version: plaintext where TLS was due).
pub fn is_not_tls(e: &std::io::Error) -> bool {
    matches!(
        e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType
                | rustls::InvalidMessage::UnknownProtocolVersion
        ))
    )
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
                der: der.as_ref().to_vec(),
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
            der: der.as_ref().to_vec(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    const DAY: i64 = 86_400;

    /// Sets the validity to days relative to now.
    fn set_dates(p: &mut CertificateParams, valid: (i64, i64)) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        p.not_before = epoch + std::time::Duration::from_secs((now + valid.0 * DAY) as u64);
        p.not_after = epoch + std::time::Duration::from_secs((now + valid.1 * DAY) as u64);
    }

    fn params(names: &[&str], ca: bool, valid: (i64, i64)) -> CertificateParams {
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("x"),
        );
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        set_dates(&mut p, valid);
        p
    }

    /// A self-signed certificate, as `openssl req -x509` makes it (CA:TRUE unless told not to).
    fn self_signed(names: &[&str], ca: bool, valid: (i64, i64)) -> CertificateDer<'static> {
        let key = KeyPair::generate().unwrap();
        params(names, ca, valid)
            .self_signed(&key)
            .unwrap()
            .der()
            .clone()
    }

    fn store(anchors: &[&CertificateDer<'static>]) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        for a in anchors {
            roots.add((*a).clone()).unwrap();
        }
        roots
    }

    fn check(
        roots: &RootCertStore,
        leaf: &CertificateDer<'static>,
        chain: &[CertificateDer<'static>],
        name: &str,
    ) -> Verification {
        let provider = rustls::crypto::ring::default_provider();
        verify(
            roots,
            provider.signature_verification_algorithms.all,
            leaf,
            chain,
            &ServerName::try_from(name.to_string()).unwrap(),
            UnixTime::now(),
        )
    }

    fn kinds(v: &Verification) -> Vec<CertProblem> {
        v.errors
            .iter()
            .map(|e| CertProblem::of(e).unwrap_or_else(|| panic!("not plain words: {e}")))
            .collect()
    }

    /// Regression: a self-signed CA:TRUE certificate given with `--ca-file` stayed untrusted
    /// (`CaUsedAsEndEntity`), where `openssl s_client -CAfile` verifies it.
    #[test]
    fn a_ca_true_self_signed_certificate_named_as_trust_anchor_verifies() {
        let cert = self_signed(&["mx.example.test"], true, (-1, 365));
        let v = check(&store(&[&cert]), &cert, &[], "mx.example.test");
        assert!(v.verified(), "{v:?}");
        assert!(v.errors.is_empty());
        // The name and the dates still count.
        let v = check(&store(&[&cert]), &cert, &[], "other.example.test");
        assert!(v.trusted && v.time_ok && !v.name_ok, "{v:?}");
        assert_eq!(kinds(&v), [CertProblem::NameMismatch]);
        assert!(v.errors[0].contains("mx.example.test"), "{:?}", v.errors);
        let old = self_signed(&["mx.example.test"], true, (-30, -1));
        let v = check(&store(&[&old]), &old, &[], "mx.example.test");
        assert!(v.trusted && !v.time_ok, "{v:?}");
        assert_eq!(kinds(&v), [CertProblem::Expired]);
        let early = self_signed(&["mx.example.test"], true, (2, 30));
        let v = check(&store(&[&early]), &early, &[], "mx.example.test");
        assert_eq!(kinds(&v), [CertProblem::NotYetValid]);
    }

    #[test]
    fn verifier_errors_in_plain_words() {
        // Self-signed, CA:TRUE or not, nobody vouching for it.
        for ca in [true, false] {
            let cert = self_signed(&["mx.example.test"], ca, (-1, 365));
            let v = check(&RootCertStore::empty(), &cert, &[], "mx.example.test");
            assert!(!v.trusted && v.time_ok && v.name_ok, "{v:?}");
            assert_eq!(kinds(&v), [CertProblem::SelfSigned], "CA:{ca}");
            let words = &v.errors[0];
            assert!(words.starts_with("trust: self-signed: "), "{words}");
            assert!(
                !words.contains("Other(") && !words.contains("Error"),
                "{words}"
            );
            assert_eq!(words.contains("CA:TRUE"), ca, "{words}");
        }
        // A leaf of a CA nobody trusts; with that CA as anchor it verifies.
        let ca_key = KeyPair::generate().unwrap();
        let ca_params = params(&["Example CA"], true, (-1, 365));
        let ca_cert = ca_params.self_signed(&ca_key).unwrap().der().clone();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = params(&["mx.example.test"], false, (-1, 365))
            .signed_by(&leaf_key, &issuer)
            .unwrap()
            .der()
            .clone();
        let v = check(&RootCertStore::empty(), &leaf, &[], "mx.example.test");
        assert_eq!(kinds(&v), [CertProblem::UnknownIssuer]);
        assert!(v.errors[0].contains("CN=Example CA"), "{:?}", v.errors);
        assert!(check(&store(&[&ca_cert]), &leaf, &[], "mx.example.test").verified());
        // A CA certificate (not itself an anchor) served as the server's certificate.
        let sub_key = KeyPair::generate().unwrap();
        let sub = params(&["mx.example.test"], true, (-1, 365))
            .signed_by(&sub_key, &issuer)
            .unwrap()
            .der()
            .clone();
        let v = check(&store(&[&ca_cert]), &sub, &[], "mx.example.test");
        assert_eq!(kinds(&v), [CertProblem::CaAsEndEntity]);
        // An expired leaf of a trusted CA.
        let old = params(&["mx.example.test"], false, (-30, -1))
            .signed_by(&KeyPair::generate().unwrap(), &issuer)
            .unwrap()
            .der()
            .clone();
        let v = check(&store(&[&ca_cert]), &old, &[], "mx.example.test");
        assert!(!v.time_ok);
        assert_eq!(kinds(&v), [CertProblem::Expired]);
        // Garbage.
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
        let v = check(&RootCertStore::empty(), &junk, &[], "mx.example.test");
        assert_eq!(kinds(&v), [CertProblem::BadEncoding]);
    }

    #[test]
    fn problem_messages_read_back() {
        for p in CertProblem::ALL {
            assert_eq!(CertProblem::of(&p.message("why")), Some(p), "{p:?}");
        }
        assert_eq!(CertProblem::of("trust: something else"), None);
        assert_eq!(CertProblem::of("no colon"), None);
    }
}
