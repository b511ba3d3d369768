//! What a TLS handshake showed: the negotiated session, the chain and the verification verdict.

use serde::Serialize;

/// The verification verdict, recorded during the handshake.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    /// The chain leads to a trust anchor (webpki-roots plus `--ca-file`).
    pub trusted: bool,
    /// The leaf certificate is valid for the server name.
    pub name_ok: bool,
    /// The name checked.
    pub name: String,
    /// Validity period check at handshake time.
    pub time_ok: bool,
    /// The verifier's messages for each failed check.
    pub errors: Vec<String>,
}

impl Verification {
    /// Trusted, valid for the name and within its dates: what `--starttls require` and a
    /// PKIX-verifying sender demand.
    pub fn verified(&self) -> bool {
        self.trusted && self.name_ok && self.time_ok
    }
}

/// One certificate of the chain, as the report shows it.
#[derive(Debug, Clone, Serialize)]
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
}

/// What the TLS session negotiated.
#[derive(Debug, Clone, Serialize)]
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
