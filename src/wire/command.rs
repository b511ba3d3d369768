//! SMTP commands and their exact wire form (RFC 5321 §4.1).

/// A command the probe sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO name`.
    Ehlo(String),
    /// `HELO name`.
    Helo(String),
    /// `STARTTLS`.
    StartTls,
    /// `MAIL FROM:<path> params`.
    Mail {
        /// Reverse-path without brackets (empty for `<>`).
        from: String,
        /// ESMTP parameters such as `SIZE=1000`.
        params: Vec<String>,
    },
    /// `RCPT TO:<path>`.
    Rcpt(String),
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
}

impl Command {
    /// The exact bytes, CRLF included.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut s = match self {
            Command::Ehlo(n) => format!("EHLO {n}"),
            Command::Helo(n) => format!("HELO {n}"),
            Command::StartTls => "STARTTLS".into(),
            Command::Mail { from, params } => {
                let mut s = format!("MAIL FROM:<{from}>");
                for p in params {
                    s.push(' ');
                    s.push_str(p);
                }
                s
            }
            Command::Rcpt(to) => format!("RCPT TO:<{to}>"),
            Command::Data => "DATA".into(),
            Command::Rset => "RSET".into(),
            Command::Noop => "NOOP".into(),
            Command::Quit => "QUIT".into(),
        }
        .into_bytes();
        s.extend_from_slice(b"\r\n");
        s
    }
}

/// Whether a string is safe to put in a command argument: printable ASCII, no spaces or
/// angle brackets, at most `max` bytes. User input failing this is refused before connecting.
pub fn is_safe_argument(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms() {
        assert_eq!(Command::Ehlo("a.b".into()).to_wire(), b"EHLO a.b\r\n");
        assert_eq!(
            Command::Mail {
                from: String::new(),
                params: vec![]
            }
            .to_wire(),
            b"MAIL FROM:<>\r\n"
        );
        assert_eq!(
            Command::Mail {
                from: "a@b".into(),
                params: vec!["SIZE=10".into()]
            }
            .to_wire(),
            b"MAIL FROM:<a@b> SIZE=10\r\n"
        );
        assert_eq!(Command::Rcpt("x@y".into()).to_wire(), b"RCPT TO:<x@y>\r\n");
    }

    #[test]
    fn argument_safety() {
        assert!(is_safe_argument("user@example.com", 256));
        assert!(!is_safe_argument("a b", 256));
        assert!(!is_safe_argument("a\r\nRCPT", 256));
        assert!(!is_safe_argument("<a>", 256));
        assert!(!is_safe_argument("", 256));
    }
}
