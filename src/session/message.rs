//! Message content for DATA: the built-in test message, generated messages of a given size and
//! user content from a file or stdin, all produced in bounded chunks (never loaded whole).

use std::path::PathBuf;
use tokio::io::AsyncReadExt;

/// Size of the chunks content is read and generated in.
pub const CHUNK: usize = 256 * 1024;

/// RFC 5321 §4.5.3.1.6: a text line is at most 998 octets plus CRLF.
pub const MAX_LINE: usize = 998;

/// Where the message comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageSpec {
    /// The short built-in test message (`--data`).
    Test,
    /// A generated message of this many bytes (`--size`).
    Size(u64),
    /// A file (`--body FILE`).
    File(PathBuf),
    /// Standard input (`--body -`).
    Stdin,
}

/// What a scan of a file found (for SIZE=, 8BITMIME and line-length decisions before MAIL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scan {
    /// Bytes as they will be sent before dot-stuffing (line ends as CRLF).
    pub canonical_len: u64,
    /// Any byte ≥ 0x80.
    pub eight_bit: bool,
    /// Longest line without its line end.
    pub longest_line: usize,
}

/// Scans a file in chunks with the same canonicalisation the sender uses.
pub async fn scan_file(path: &std::path::Path) -> std::io::Result<Scan> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; CHUNK];
    let mut stuffer = crate::wire::stuff::DotStuffer::new();
    let mut sink = Vec::with_capacity(CHUNK * 2);
    let mut canonical_len = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        sink.clear();
        stuffer.push(&buf[..n], &mut sink);
        canonical_len += sink.len() as u64;
    }
    sink.clear();
    stuffer.finish(&mut sink);
    Ok(Scan {
        canonical_len: canonical_len + sink.len().saturating_sub(3) as u64,
        eight_bit: stuffer.eight_bit,
        longest_line: stuffer.longest_line,
    })
}

/// RFC 5322 date for Unix seconds (UTC).
pub fn rfc5322_date(unix: u64) -> String {
    let days = (unix / 86400) as i64;
    let secs = unix % 86400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!(
        "{weekday}, {day:02} {mon} {year} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Headers of the messages smtpdoctor writes itself.
pub fn headers(from: &str, to: &[String], helo: &str, subject: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let from = if from.is_empty() {
        format!("smtpdoctor@{helo}")
    } else {
        from.to_string()
    };
    format!(
        "Date: {}\r\nMessage-ID: <smtpdoctor.{}.{:08x}@{helo}>\r\nFrom: <{from}>\r\nTo: {}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nX-Mailer: smtpdoctor {}\r\n\r\n",
        rfc5322_date(now.as_secs()),
        now.as_secs(),
        now.subsec_nanos(),
        to.iter()
            .map(|t| format!("<{t}>"))
            .collect::<Vec<_>>()
            .join(", "),
        env!("CARGO_PKG_VERSION"),
    )
}

/// A source of content chunks.
pub enum Source {
    /// Bytes already in memory (the short test message).
    Memory(Option<Vec<u8>>),
    /// Generated filler after a header, until `remaining` bytes are produced.
    Generated {
        /// Header still to send.
        header: Option<Vec<u8>>,
        /// One chunk of filler lines, repeated.
        block: Vec<u8>,
        /// Bytes left to produce.
        remaining: u64,
    },
    /// A file.
    File(tokio::fs::File),
    /// Standard input.
    Stdin(tokio::io::Stdin),
}

impl Source {
    /// Opens the source for a spec.
    pub async fn open(
        spec: &MessageSpec,
        from: &str,
        to: &[String],
        helo: &str,
    ) -> std::io::Result<Source> {
        Ok(match spec {
            MessageSpec::Test => {
                let mut m = headers(from, to, helo, "smtpdoctor test message").into_bytes();
                m.extend_from_slice(
                    b"This is a test message sent by smtpdoctor, a diagnostic SMTP probe, because\r\n\
                      its user asked for a DATA test (--data). It measures how long the server\r\n\
                      takes to accept a message. It can be deleted.\r\n",
                );
                Source::Memory(Some(m))
            }
            MessageSpec::Size(n) => {
                let header = headers(
                    from,
                    to,
                    helo,
                    &format!("smtpdoctor test message of {n} bytes"),
                )
                .into_bytes();
                let mut block = Vec::with_capacity(CHUNK);
                let mut i = 0u32;
                while block.len() + 78 <= CHUNK {
                    let line = format!("smtpdoctor filler line {i:06} {}\r\n", "x".repeat(46));
                    block.extend_from_slice(line.as_bytes());
                    i += 1;
                }
                let header_len = header.len() as u64;
                Source::Generated {
                    header: Some(header),
                    block,
                    remaining: n.saturating_sub(header_len),
                }
            }
            MessageSpec::File(p) => Source::File(tokio::fs::File::open(p).await?),
            MessageSpec::Stdin => Source::Stdin(tokio::io::stdin()),
        })
    }

    /// Fills `buf` with the next chunk; an empty `buf` means the end.
    pub async fn next(&mut self, buf: &mut Vec<u8>) -> std::io::Result<()> {
        buf.clear();
        match self {
            Source::Memory(m) => {
                if let Some(m) = m.take() {
                    buf.extend_from_slice(&m);
                }
            }
            Source::Generated {
                header,
                block,
                remaining,
            } => {
                if let Some(h) = header.take() {
                    buf.extend_from_slice(&h);
                } else if *remaining > 0 {
                    let n = (*remaining).min(block.len() as u64) as usize;
                    buf.extend_from_slice(&block[..n]);
                    *remaining -= n as u64;
                }
            }
            Source::File(f) => read_chunk(f, buf).await?,
            Source::Stdin(s) => read_chunk(s, buf).await?,
        }
        Ok(())
    }
}

async fn read_chunk<R: tokio::io::AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<()> {
    buf.resize(CHUNK, 0);
    let n = r.read(buf).await?;
    buf.truncate(n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_795_374_000),
            "Sun, 22 Nov 2026 19:00:00 +0000"
        );
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[tokio::test]
    async fn generated_message_has_the_size_and_is_chunked() {
        let mut s = Source::open(&MessageSpec::Size(3_000_000), "", &["a@b".into()], "h")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let mut total = 0;
        let mut chunks = 0;
        loop {
            s.next(&mut buf).await.unwrap();
            if buf.is_empty() {
                break;
            }
            assert!(buf.len() <= CHUNK);
            total += buf.len();
            chunks += 1;
        }
        assert_eq!(total, 3_000_000);
        assert!(chunks >= 5);
    }
}
