//! RFC 5321 §4.5.3.2 minimum timeouts, and the waits the RFC does not give (connect, QUIT, TLS).

use std::time::Duration;
/// Connect (not in the RFC; a common default).
pub const CONNECT: Duration = Duration::from_secs(30);
/// Initial 220 message: 5 minutes.
pub const GREETING: Duration = Duration::from_secs(300);
/// MAIL command: 5 minutes.
pub const MAIL: Duration = Duration::from_secs(300);
/// RCPT command: 5 minutes.
pub const RCPT: Duration = Duration::from_secs(300);
/// DATA initiation: 2 minutes.
pub const DATA_INIT: Duration = Duration::from_secs(120);
/// Data block: 3 minutes.
pub const DATA_BLOCK: Duration = Duration::from_secs(180);
/// DATA termination (reply to the final dot): 10 minutes.
pub const DATA_END: Duration = Duration::from_secs(600);
/// Other commands (EHLO, STARTTLS, RSET): the RFC's 5 minutes.
pub const OTHER: Duration = Duration::from_secs(300);
/// QUIT reply: not in the RFC; a short courtesy wait.
pub const QUIT: Duration = Duration::from_secs(30);
/// TLS handshake: not in the RFC; treated like a command.
pub const TLS_HANDSHAKE: Duration = Duration::from_secs(120);
