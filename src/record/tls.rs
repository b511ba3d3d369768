//! What a TLS handshake showed: the negotiated session, the chain and the verification verdict.

use serde::{Deserialize, Serialize};

/// The verification verdict, recorded during the handshake.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verification {
    /// The chain leads to a trust anchor (webpki-roots plus `--ca-file`).
    pub trusted: bool,
    /// The leaf certificate is valid for the server name.
    pub name_ok: bool,
    /// The name checked.
    pub name: String,
    /// Validity period check at handshake time.
    pub time_ok: bool,
    /// The verifier's messages for each failed check, in plain words
    /// (`AREA: KEY: explanation`, see [`CertProblem`]).
    pub errors: Vec<String>,
}

impl Verification {
    /// Trusted, valid for the name and within its dates: what `--starttls require` and a
    /// PKIX-verifying sender demand.
    pub fn verified(&self) -> bool {
        self.trusted && self.name_ok && self.time_ok
    }
}

/// Why a certificate did not verify, in plain words. The verifier writes each failed check
/// into [`Verification::errors`] as `AREA: KEY: explanation` (see [`CertProblem::message`]);
/// [`CertProblem::of`] reads the kind back, so that a saved or replayed report judges alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertProblem {
    /// The certificate is its own issuer and no trust anchor names it.
    SelfSigned,
    /// Issued by a CA that is not a trust anchor (or an intermediate is missing).
    UnknownIssuer,
    /// A CA certificate (basicConstraints CA:TRUE) presented as the server's own.
    CaAsEndEntity,
    /// A certificate of the chain that should issue another is not a CA.
    IssuerNotCa,
    /// The current time is after notAfter.
    Expired,
    /// The current time is before notBefore.
    NotYetValid,
    /// The certificate does not name the server.
    NameMismatch,
    /// A signature in the chain does not verify with its issuer's key.
    BadSignature,
    /// A signature algorithm the verifier does not support.
    UnsupportedAlgorithm,
    /// The certificate is not for TLS servers (extended key usage).
    WrongPurpose,
    /// The certificate was revoked.
    Revoked,
    /// The certificate could not be parsed.
    BadEncoding,
    /// Anything else the verifier said.
    Other,
}

impl CertProblem {
    /// Every kind, for the tests and for reading messages back.
    pub const ALL: [CertProblem; 13] = [
        CertProblem::SelfSigned,
        CertProblem::UnknownIssuer,
        CertProblem::CaAsEndEntity,
        CertProblem::IssuerNotCa,
        CertProblem::Expired,
        CertProblem::NotYetValid,
        CertProblem::NameMismatch,
        CertProblem::BadSignature,
        CertProblem::UnsupportedAlgorithm,
        CertProblem::WrongPurpose,
        CertProblem::Revoked,
        CertProblem::BadEncoding,
        CertProblem::Other,
    ];

    /// The check it failed: `trust`, `validity`, `name` or `certificate`.
    pub fn area(self) -> &'static str {
        match self {
            CertProblem::Expired | CertProblem::NotYetValid => "validity",
            CertProblem::NameMismatch => "name",
            CertProblem::BadEncoding => "certificate",
            _ => "trust",
        }
    }

    /// Its name in plain words.
    pub fn key(self) -> &'static str {
        match self {
            CertProblem::SelfSigned => "self-signed",
            CertProblem::UnknownIssuer => "unknown issuer",
            CertProblem::CaAsEndEntity => "CA certificate used as server certificate",
            CertProblem::IssuerNotCa => "issuer is not a CA",
            CertProblem::Expired => "expired",
            CertProblem::NotYetValid => "not yet valid",
            CertProblem::NameMismatch => "name mismatch",
            CertProblem::BadSignature => "bad signature",
            CertProblem::UnsupportedAlgorithm => "unsupported signature algorithm",
            CertProblem::WrongPurpose => "not for TLS servers",
            CertProblem::Revoked => "revoked",
            CertProblem::BadEncoding => "bad encoding",
            CertProblem::Other => "other",
        }
    }

    /// The message recorded for it: `AREA: KEY: explanation`.
    pub fn message(self, explanation: &str) -> String {
        format!("{}: {}: {explanation}", self.area(), self.key())
    }

    /// The kind of a recorded message, when it is one of [`CertProblem::message`]'s.
    pub fn of(message: &str) -> Option<CertProblem> {
        let (area, rest) = message.split_once(": ")?;
        let key = rest.split_once(": ").map_or(rest, |(k, _)| k);
        CertProblem::ALL
            .into_iter()
            .find(|p| p.area() == area && p.key() == key)
    }
}

/// One certificate of the chain, as the report shows it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertInfo {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Not-before, RFC 3339.
    pub not_before: String,
    /// Not-after, RFC 3339.
    pub not_after: String,
    /// Not-after as Unix seconds (for expiry checks).
    pub not_after_unix: i64,
    /// Subject alternative names (DNS names and IP addresses).
    pub sans: Vec<String>,
    /// Size of the DER encoding.
    pub der_len: usize,
    /// The DER encoding itself, for DANE matching (not in the JSON).
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// What the TLS session negotiated.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsInfo {
    /// e.g. `TLSv1.3`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// SNI sent (None for an IP address).
    pub sni: Option<String>,
    /// Certificate chain as presented, leaf first.
    pub chain: Vec<CertInfo>,
    /// Verification verdict.
    pub verification: Verification,
}
