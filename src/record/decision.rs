//! What the dialogue decided not to do, and why: facts for the checks, never prose for them to
//! pass on (a message not sent, a TLS policy that stopped the dialogue).

use std::fmt;

/// Why `--starttls require` could not be met; the dialogue stopped there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsPolicyFailure {
    /// The EHLO reply did not advertise STARTTLS.
    NotAdvertised,
    /// STARTTLS was answered with this code instead of 220.
    Refused {
        /// The reply code.
        code: u16,
    },
    /// The TLS handshake failed or stalled.
    HandshakeFailed {
        /// The handshake error.
        error: String,
    },
    /// The handshake completed but the certificate did not verify.
    CertificateNotVerified {
        /// The verifier's messages.
        errors: Vec<String>,
    },
}

impl fmt::Display for TlsPolicyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsPolicyFailure::NotAdvertised => f.write_str("STARTTLS is not advertised"),
            TlsPolicyFailure::Refused { code } => write!(f, "STARTTLS was answered with {code}"),
            TlsPolicyFailure::HandshakeFailed { error } => {
                write!(f, "the TLS handshake failed: {error}")
            }
            TlsPolicyFailure::CertificateNotVerified { errors } => {
                write!(f, "the certificate did not verify ({})", errors.join("; "))
            }
        }
    }
}

/// Why the message of `--data`/`--body`/`--size` was not sent (or not completed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// Decided before MAIL: the message is larger than the advertised SIZE.
    OverSizeLimit {
        /// The message size.
        size: u64,
        /// The advertised limit.
        limit: u64,
    },
    /// A line is longer than RFC 5321 §4.5.3.1.6 allows.
    LineTooLong {
        /// Octets of the longest line.
        octets: usize,
        /// Found while streaming: the connection was dropped without the final dot.
        aborted: bool,
    },
    /// 8-bit content for a server that does not advertise 8BITMIME.
    EightBitWithout8BitMime {
        /// Found while streaming: the connection was dropped without the final dot.
        aborted: bool,
    },
    /// The content could not be read.
    Unreadable {
        /// The I/O error.
        error: String,
        /// Reading failed while streaming: the connection was dropped without the final dot.
        aborted: bool,
    },
    /// No recipient was accepted, so DATA was not sent.
    NoRecipientAccepted,
}

impl fmt::Display for NotSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DROPPED: &str = "connection dropped without the final dot";
        match self {
            NotSent::OverSizeLimit { size, limit } => write!(
                f,
                "the message is {size} bytes but the server advertises SIZE {limit}: not sent"
            ),
            NotSent::LineTooLong {
                octets,
                aborted: false,
            } => write!(
                f,
                "the content has a line of {octets} octets; RFC 5321 §4.5.3.1.6 allows 998: wrap or encode it"
            ),
            NotSent::LineTooLong {
                octets,
                aborted: true,
            } => write!(
                f,
                "a line of {octets} octets exceeds the 998 allowed (RFC 5321 §4.5.3.1.6); {DROPPED}"
            ),
            NotSent::EightBitWithout8BitMime { aborted: false } => f.write_str(
                "the content has 8-bit bytes and the server does not advertise 8BITMIME: encode it (quoted-printable or base64) first",
            ),
            NotSent::EightBitWithout8BitMime { aborted: true } => {
                write!(f, "8-bit content but no 8BITMIME; {DROPPED}")
            }
            NotSent::Unreadable {
                error,
                aborted: false,
            } => write!(f, "cannot read the message: {error}"),
            NotSent::Unreadable {
                error,
                aborted: true,
            } => write!(f, "reading the message failed: {error}; {DROPPED}"),
            NotSent::NoRecipientAccepted => {
                f.write_str("no recipient was accepted: DATA not sent")
            }
        }
    }
}
