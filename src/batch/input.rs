//! The targets of a run, streamed: the command line's first, then each line of `--targets`.
//!
//! A line is trimmed (CRLF ends and surrounding whitespace), a `#` at its start or after
//! whitespace starts a comment, blank lines are skipped. Targets compare by their key: the
//! target without a trailing dot, its domain in lower case. A target whose key was seen before
//! is skipped; the set of seen keys keeps a 128-bit hash per target (16 bytes, tens with the
//! table's overhead), never the targets. With `--shard`, targets of other shards are skipped
//! before they are remembered. Lines are read in pieces: one longer than [`MAX_LINE`] bytes is
//! reported as invalid without being held.

use crate::batch::shard::Shard;
use std::collections::HashSet;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The longest line taken as a target candidate (an address is at most 256 bytes).
pub const MAX_LINE: usize = 1024;
/// How much of an over-long or invalid line is kept for its document.
const SHOWN: usize = 256;

/// One thing to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A target to probe, as given (trimmed).
    Target(String),
    /// A line that is no target: as given (escaped, perhaps cut), and why.
    Invalid {
        /// The line, escaped.
        given: String,
        /// The reason, for the finding's detail.
        why: String,
    },
}

/// The streamed list of targets.
pub struct Input {
    args: std::vec::IntoIter<String>,
    reader: Option<Box<dyn AsyncBufRead + Unpin + Send>>,
    seen: HashSet<u128>,
    shard: Option<Shard>,
    /// The line being read; kept across calls so that a read cancelled halfway (the engine
    /// selects over it) loses nothing.
    line: Vec<u8>,
    too_long: bool,
    /// `line` was handed out: clear it before reading on.
    line_taken: bool,
    /// Lines (and command-line targets) looked at so far.
    pub lines: u64,
    /// Targets skipped as duplicates.
    pub duplicates: u64,
    /// Targets that belong to other shards.
    pub other_shards: u64,
}

/// The key a target is compared and sharded by.
pub fn key(target: &str) -> String {
    let t = target.trim_end_matches('.');
    match t.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => t.to_ascii_lowercase(),
    }
}

/// A line without its comment and surrounding whitespace (`None`: nothing left).
pub fn clean(line: &str) -> Option<&str> {
    let mut end = line.len();
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            end = i;
            break;
        }
    }
    let t = line[..end].trim();
    (!t.is_empty()).then_some(t)
}

impl Input {
    /// The command line's targets, then the lines of `reader` (if any).
    pub fn new(
        args: Vec<String>,
        reader: Option<Box<dyn AsyncBufRead + Unpin + Send>>,
        shard: Option<Shard>,
    ) -> Input {
        Input {
            args: args.into_iter(),
            reader,
            seen: HashSet::new(),
            shard,
            line: Vec::new(),
            too_long: false,
            line_taken: false,
            lines: 0,
            duplicates: 0,
            other_shards: 0,
        }
    }

    /// Targets remembered (for the memory bound: 16 bytes of hash each).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    /// The next item of this shard not seen before; `None` at the end of the input.
    pub async fn next(&mut self) -> std::io::Result<Option<Item>> {
        loop {
            let candidate = if let Some(a) = self.args.next() {
                self.lines += 1;
                match clean(&a) {
                    Some(t) => candidate(t),
                    None => continue,
                }
            } else {
                let Some(too_long) = self.read_line().await? else {
                    return Ok(None);
                };
                self.lines += 1;
                if too_long {
                    let shown = String::from_utf8_lossy(&self.line[..self.line.len().min(SHOWN)])
                        .into_owned();
                    (
                        format!("long:{}", crate::wire::escape::escape_str(&shown)),
                        Item::Invalid {
                            given: format!("{}…", crate::wire::escape::escape_str(&shown)),
                            why: format!("the line is longer than {MAX_LINE} bytes"),
                        },
                    )
                } else {
                    match std::str::from_utf8(&self.line) {
                        Ok(s) => match clean(s) {
                            Some(t) => candidate(t),
                            None => continue,
                        },
                        Err(_) => {
                            let given = crate::wire::escape::escape_bytes(&self.line);
                            (
                                given.clone(),
                                Item::Invalid {
                                    given,
                                    why: "the line is not valid UTF-8".into(),
                                },
                            )
                        }
                    }
                }
            };
            let (key, item) = candidate;
            if let Some(shard) = &self.shard
                && !shard.contains(&key)
            {
                self.other_shards += 1;
                continue;
            }
            if !self
                .seen
                .insert(xxhash_rust::xxh3::xxh3_128(key.as_bytes()))
            {
                self.duplicates += 1;
                continue;
            }
            return Ok(Some(item));
        }
    }

    /// Reads one line into `self.line` (without its LF), keeping at most [`MAX_LINE`] + 1
    /// bytes; returns whether it was longer, or `None` at the end of the input. Cancel-safe:
    /// bytes are consumed from the reader only once they are in `self.line`.
    async fn read_line(&mut self) -> std::io::Result<Option<bool>> {
        if self.line_taken {
            self.line.clear();
            self.too_long = false;
            self.line_taken = false;
        }
        let Some(reader) = self.reader.as_mut() else {
            return Ok(None);
        };
        loop {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                self.reader = None;
                if self.line.is_empty() && !self.too_long {
                    return Ok(None);
                }
                break;
            }
            let (chunk, used, end) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = (MAX_LINE + 1).saturating_sub(self.line.len());
            self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if self.line.len() > MAX_LINE {
                self.too_long = true;
            }
            reader.consume(used);
            if end {
                break;
            }
        }
        self.line_taken = true;
        Ok(Some(self.too_long))
    }
}

/// A cleaned line as a target, or as an invalid item when it is none.
fn candidate(t: &str) -> (String, Item) {
    match crate::probe::parse_target(t) {
        Ok(_) => (key(t), Item::Target(t.to_string())),
        Err(e) => (
            key(t),
            Item::Invalid {
                given: crate::wire::escape::escape_str(t),
                why: e.to_string(),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(args: &[&str], text: &'static [u8], shard: Option<Shard>) -> Vec<Item> {
        let mut input = Input::new(
            args.iter().map(|s| s.to_string()).collect(),
            Some(Box::new(text)),
            shard,
        );
        let mut out = vec![];
        while let Some(i) = input.next().await.unwrap() {
            out.push(i);
        }
        out
    }

    fn t(s: &str) -> Item {
        Item::Target(s.into())
    }

    #[tokio::test]
    async fn lines_are_cleaned_and_deduplicated() {
        let got = all(
            &["a.test"],
            b"# a list\r\n  A.test.  \r\nb.test # second\n\n\t\nuser@B.TEST\nuser@b.test.\nc.test#x\n127.0.0.1",
            None,
        )
        .await;
        assert_eq!(got[0], t("a.test"));
        assert_eq!(got[1], t("b.test"));
        assert_eq!(got[2], t("user@B.TEST"));
        assert!(matches!(&got[3], Item::Invalid { given, .. } if given == "c.test#x"));
        assert_eq!(got[4], t("127.0.0.1"));
        assert_eq!(got.len(), 5, "{got:?}");
    }

    #[tokio::test]
    async fn bad_lines_become_invalid_items_without_being_held() {
        let mut long = b"x".repeat(10 * MAX_LINE);
        long.extend_from_slice(b"\nbad domain!\n\xff\xfe\nok.test\n");
        let got = all(&[], long.leak(), None).await;
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(
            matches!(&got[0], Item::Invalid { given, why } if given.len() < 300 && why.contains("longer"))
        );
        assert!(matches!(&got[1], Item::Invalid { given, .. } if given == "bad domain!"));
        assert!(matches!(&got[2], Item::Invalid { given, .. } if given == "\\xff\\xfe"));
        assert_eq!(got[3], t("ok.test"));
    }

    /// The engine selects over `next()`: a read cancelled halfway through a line loses nothing.
    #[tokio::test]
    async fn a_cancelled_read_loses_no_bytes() {
        use tokio::io::AsyncWriteExt;
        let (mut w, r) = tokio::io::duplex(64);
        let mut input = Input::new(vec![], Some(Box::new(tokio::io::BufReader::new(r))), None);
        w.write_all(b"half.te").await.unwrap();
        let waited = tokio::time::timeout(std::time::Duration::from_millis(20), input.next()).await;
        assert!(waited.is_err(), "no whole line yet");
        w.write_all(b"st\nnext.test\n").await.unwrap();
        drop(w);
        assert_eq!(input.next().await.unwrap(), Some(t("half.test")));
        assert_eq!(input.next().await.unwrap(), Some(t("next.test")));
        assert_eq!(input.next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn shards_partition_the_list() {
        let text: &'static [u8] = (0..200)
            .map(|i| format!("d{i}.test\n"))
            .collect::<String>()
            .into_bytes()
            .leak();
        let whole = all(&[], text, None).await;
        let mut union = vec![];
        for i in 0..3 {
            union.extend(all(&[], text, Some(Shard { index: i, count: 3 })).await);
        }
        assert_eq!(union.len(), whole.len());
        let mut a: Vec<_> = whole.iter().map(|i| format!("{i:?}")).collect();
        let mut b: Vec<_> = union.iter().map(|i| format!("{i:?}")).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}
