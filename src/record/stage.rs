//! Dialogue stages: which step of the conversation a write, a reply or a finding belongs to.

use serde::Serialize;
use std::fmt;

/// The stage of the dialogue a finding or a transcript line belongs to (SPEC §5 `stage`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The target as given (a line of `--targets` that is no target).
    Input,
    /// MX, A/AAAA and PTR lookups.
    Dns,
    /// TCP connect.
    Connect,
    /// Waiting for and reading the 220 greeting.
    Greeting,
    /// EHLO (before or after TLS).
    Ehlo,
    /// HELO, the fallback after a refused EHLO.
    Helo,
    /// The STARTTLS command and its reply.
    Starttls,
    /// The TLS handshake and certificate.
    Tls,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA, its 354 and the message.
    Data,
    /// The final dot and the wait for its reply.
    Dot,
    /// RSET.
    Rset,
    /// QUIT.
    Quit,
    /// An opt-in active test (`test:<name>`).
    Test(&'static str),
}

impl Stage {
    /// The RFC 5321 §4.5.3.2 minimum wait for this stage's reply, when the RFC gives one.
    pub fn rfc_minimum(&self) -> Option<std::time::Duration> {
        use crate::wire::timeouts::{GREETING, MAIL, RCPT};
        match self {
            Stage::Greeting => Some(GREETING),
            Stage::Mail => Some(MAIL),
            Stage::Rcpt => Some(RCPT),
            _ => None,
        }
    }

    /// The stage a client command opens, on either side of the wire (the probe's own commands,
    /// the commands a mock or a proxy reads); `None` for commands of no stage of their own
    /// (NOOP, VRFY, AUTH, unknown ones). The final dot is [`Stage::Dot`], not a command.
    pub fn of_verb(verb: crate::wire::request::Verb) -> Option<Stage> {
        use crate::wire::request::Verb;
        Some(match verb {
            Verb::Ehlo => Stage::Ehlo,
            Verb::Helo => Stage::Helo,
            Verb::Starttls => Stage::Starttls,
            Verb::Mail => Stage::Mail,
            Verb::Rcpt => Stage::Rcpt,
            Verb::Data | Verb::Bdat => Stage::Data,
            Verb::Rset => Stage::Rset,
            Verb::Quit => Stage::Quit,
            _ => return None,
        })
    }

    /// The name used in JSON (`dns`, `connect`, ..., `test:<name>`).
    pub fn name(&self) -> String {
        match self {
            Stage::Input => "input".into(),
            Stage::Dns => "dns".into(),
            Stage::Connect => "connect".into(),
            Stage::Greeting => "greeting".into(),
            Stage::Ehlo => "ehlo".into(),
            Stage::Helo => "helo".into(),
            Stage::Starttls => "starttls".into(),
            Stage::Tls => "tls".into(),
            Stage::Mail => "mail".into(),
            Stage::Rcpt => "rcpt".into(),
            Stage::Data => "data".into(),
            Stage::Dot => "dot".into(),
            Stage::Rset => "rset".into(),
            Stage::Quit => "quit".into(),
            Stage::Test(name) => format!("test:{name}"),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}
