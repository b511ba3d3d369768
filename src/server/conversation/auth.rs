//! The mock's AUTH exchange (RFC 4954): PLAIN and LOGIN, any credentials accepted, every credential redacted in the record.

use super::{Conversation, Flow};
use crate::wire::request::{ClientLine, trim};

const AUTH_OK: &[u8] = b"235 2.7.0 Authentication successful\r\n";
const AUTH_ABORTED: &[u8] = b"501 5.7.0 Authentication aborted\r\n";
const MECHANISM_UNKNOWN: &[u8] = b"504 5.5.4 Unrecognized authentication type\r\n";
const PLAIN_CHALLENGE: &[u8] = b"334 \r\n";
/// `Username:` and `Password:`, base64.
const LOGIN_USER: &[u8] = b"334 VXNlcm5hbWU6\r\n";
const LOGIN_PASSWORD: &[u8] = b"334 UGFzc3dvcmQ6\r\n";

impl Conversation {
    /// Runs AUTH with the command's argument (`MECHANISM [initial-response]`; the record holds
    /// the response redacted). Continuation lines are redacted in the record until the final
    /// reply.
    pub(super) async fn auth(&mut self, arg: &[u8]) -> Flow {
        let arg = trim(arg);
        let (mechanism, initial) = match arg.iter().position(|&b| b == b' ') {
            Some(p) => (&arg[..p], !trim(&arg[p + 1..]).is_empty()),
            None => (arg, false),
        };
        let challenges: &[&[u8]] = if mechanism.eq_ignore_ascii_case(b"PLAIN") {
            if initial { &[] } else { &[PLAIN_CHALLENGE] }
        } else if mechanism.eq_ignore_ascii_case(b"LOGIN") {
            if initial {
                &[LOGIN_PASSWORD]
            } else {
                &[LOGIN_USER, LOGIN_PASSWORD]
            }
        } else {
            return self.send(MECHANISM_UNKNOWN).await;
        };
        for challenge in challenges {
            if self.send(challenge).await == Flow::Done {
                return Flow::Done;
            }
            self.record.redact_client_lines(true);
            let line = self.next_line().await;
            self.record.redact_client_lines(false);
            let Some(line) = line else {
                return Flow::Done;
            };
            if is_cancel(&line) {
                return self.send(AUTH_ABORTED).await;
            }
        }
        self.authenticated = true;
        self.send(AUTH_OK).await
    }
}

/// A client's `*`, which cancels the exchange (RFC 4954 §4; the record keeps it unredacted).
fn is_cancel(line: &ClientLine) -> bool {
    line.content == b"*"
}
