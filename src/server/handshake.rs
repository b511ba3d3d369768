//! The server's side of a client's TLS handshake (the mock after STARTTLS, the proxy in terminate mode): the ClientHello read first, then the handshake, each fact recorded as it is known.
//!
//! The server asks for a client certificate without requiring one (as Postfix does with
//! `smtpd_tls_ask_ccert`), so that a certificate the client would present is seen; it is
//! accepted whoever issued it (the client proves it holds the key), never trusted.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{AlertDescription, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;

use crate::record::{ClientHello, ClientTls, ClientTlsFailure};
use crate::wire::escape::escape_bytes;

/// A handshake that went wrong: what of the ClientHello arrived, why, and the library's words.
#[derive(Debug)]
pub(crate) struct Failed {
    /// The ClientHello, when it arrived.
    pub hello: Option<ClientHello>,
    /// Why, as a fact.
    pub failure: ClientTlsFailure,
    /// The library's words (for the transcript).
    pub message: String,
}

/// Reads the client's ClientHello, then completes the handshake with `config`, all within
/// `limit`.
pub(crate) async fn accept(
    config: Arc<rustls::ServerConfig>,
    tcp: TcpStream,
    limit: Duration,
) -> Result<(ClientHello, ClientTls, TlsStream<TcpStream>), Failed> {
    let deadline = Instant::now() + limit;
    let timed_out = |hello| Failed {
        hello,
        failure: ClientTlsFailure::Timeout,
        message: format!("no handshake within {}", humantime::format_duration(limit)),
    };
    let start = match timeout_at(
        deadline,
        LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp),
    )
    .await
    {
        Err(_) => return Err(timed_out(None)),
        Ok(Err(e)) => return Err(failed(None, &e)),
        Ok(Ok(start)) => start,
    };
    let hello = hello_of(&start.client_hello());
    match timeout_at(deadline, start.into_stream(config)).await {
        Err(_) => Err(timed_out(Some(hello))),
        Ok(Err(e)) => Err(failed(Some(hello), &e)),
        Ok(Ok(tls)) => {
            let facts = facts(&hello, &tls);
            Ok((hello, facts, tls))
        }
    }
}

fn hello_of(h: &rustls::server::ClientHello<'_>) -> ClientHello {
    ClientHello {
        sni: h.server_name().map(str::to_string),
        alpn: h
            .alpn()
            .map(|protocols| protocols.map(escape_bytes).collect())
            .unwrap_or_default(),
    }
}

/// What was negotiated: version, cipher, SNI, ALPN, whether a client certificate came.
fn facts(hello: &ClientHello, tls: &TlsStream<TcpStream>) -> ClientTls {
    let conn = tls.get_ref().1;
    ClientTls {
        version: version_name(conn.protocol_version()),
        cipher: conn
            .negotiated_cipher_suite()
            .map_or_else(|| "unknown".to_string(), |s| format!("{:?}", s.suite())),
        sni: conn
            .server_name()
            .map(str::to_string)
            .or_else(|| hello.sni.clone()),
        alpn: conn.alpn_protocol().map(escape_bytes),
        client_certificate: conn.peer_certificates().is_some_and(|c| !c.is_empty()),
    }
}

/// `TLSv1.3`, `TLSv1.2`, ...
pub(crate) fn version_name(v: Option<rustls::ProtocolVersion>) -> String {
    match v {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
        Some(other) => format!("{other:?}"),
        None => "unknown".into(),
    }
}

fn failed(hello: Option<ClientHello>, e: &io::Error) -> Failed {
    Failed {
        hello,
        failure: failure_of(e),
        message: e.to_string(),
    }
}

/// The failure an accept error stands for.
pub(crate) fn failure_of(e: &io::Error) -> ClientTlsFailure {
    use rustls::Error as E;
    if matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    ) {
        return ClientTlsFailure::Closed;
    }
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<E>()) else {
        return ClientTlsFailure::Other;
    };
    match tls {
        E::AlertReceived(alert) => {
            let name = alert_name(*alert);
            match alert {
                AlertDescription::BadCertificate
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnknownCA => {
                    ClientTlsFailure::CertificateRejected { alert: name }
                }
                AlertDescription::ProtocolVersion
                | AlertDescription::HandshakeFailure
                | AlertDescription::InsufficientSecurity => ClientTlsFailure::NoCommonParameters,
                _ => ClientTlsFailure::Alert { alert: name },
            }
        }
        E::PeerIncompatible(_) => ClientTlsFailure::NoCommonParameters,
        _ if crate::session::tls::is_not_tls(e) => ClientTlsFailure::NotTls,
        _ => ClientTlsFailure::Other,
    }
}

/// The RFC 8446 §6 name of an alert (`bad_certificate`).
fn alert_name(a: AlertDescription) -> String {
    let debug = format!("{a:?}");
    let mut out = String::new();
    let mut prev_upper = true;
    for c in debug.chars() {
        if c.is_ascii_uppercase() {
            if !prev_upper {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
        prev_upper = c.is_ascii_uppercase();
    }
    out
}

/// Asks for a client certificate, requires none, and accepts any whose key the client proves
/// it holds (the server records that one came; it does not trust it).
#[derive(Debug)]
pub(crate) struct AskClientCertificate {
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl AskClientCertificate {
    /// The verifier, with the ring provider's signature algorithms.
    pub(crate) fn new() -> Arc<AskClientCertificate> {
        Arc::new(AskClientCertificate {
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for AskClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names_are_the_rfc_ones() {
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::ProtocolVersion),
            "protocol_version"
        );
    }

    #[test]
    fn accept_errors_are_classified() {
        let wrap = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        assert_eq!(
            failure_of(&wrap(rustls::Error::AlertReceived(
                AlertDescription::UnknownCA
            ))),
            ClientTlsFailure::CertificateRejected {
                alert: "unknown_ca".into()
            }
        );
        assert_eq!(
            failure_of(&wrap(rustls::Error::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType
            ))),
            ClientTlsFailure::NotTls
        );
        assert_eq!(
            failure_of(&wrap(rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::NoCipherSuitesInCommon
            ))),
            ClientTlsFailure::NoCommonParameters
        );
        assert_eq!(
            failure_of(&io::Error::from(io::ErrorKind::UnexpectedEof)),
            ClientTlsFailure::Closed
        );
        assert_eq!(
            failure_of(&wrap(rustls::Error::General("x".into()))),
            ClientTlsFailure::Other
        );
    }
}
