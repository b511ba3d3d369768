//! Hand-built client records for the client checks' tests: a simulated correct server that
//! reads the client's bytes into the record and answers each complete line the way the mock
//! does (the same record API, the same replies), at times the test chooses.

use crate::record::{
    ClientHandshake, ClientHello, ClientTls, ClientTlsFailure, EventKind, Peer, Record, Stage,
};
use crate::server::{
    BYE, DATA_GO, EHLO_PLAIN, EHLO_TLS, GREETING, HELO_OK, MAIL_OK, OK, QUEUED, RCPT_OK,
    STARTTLS_READY, UNRECOGNIZED,
};
use crate::wire::request::{ClientLineKind, Verb};

/// What the simulated server's handshake reports (the mock's format).
pub const TLS_MESSAGE: &str = "TLSv1.3, TLS13_AES_256_GCM_SHA384, SNI mx.demo.test";

/// The facts of the simulated server's handshakes.
pub fn tls_facts() -> ClientTls {
    ClientTls {
        version: "TLSv1.3".into(),
        cipher: "TLS13_AES_256_GCM_SHA384".into(),
        sni: Some("mx.demo.test".into()),
        alpn: None,
        client_certificate: false,
    }
}

/// A simulated server recording one connection.
pub struct Sim {
    /// The record being built.
    pub rec: Record,
    tls: bool,
    closed: bool,
    /// The stage of the command answered last (NOOP and the like stay in it, as in the mock).
    stage: Stage,
    /// The EHLO reply before TLS.
    pub ehlo: &'static [u8],
    /// The EHLO reply inside TLS.
    pub ehlo_tls: &'static [u8],
}

impl Sim {
    /// A connection accepted at time 0, nothing written yet.
    pub fn new() -> Sim {
        let mut rec = Record::default();
        rec.push(0, EventKind::Connected { local: None });
        Sim {
            rec,
            tls: false,
            closed: false,
            stage: Stage::Greeting,
            ehlo: EHLO_PLAIN,
            ehlo_tls: EHLO_TLS,
        }
    }

    /// A connection whose EHLO replies are `plain` and `tls`.
    pub fn with_ehlo(plain: &'static [u8], tls: &'static [u8]) -> Sim {
        Sim {
            ehlo: plain,
            ehlo_tls: tls,
            ..Sim::new()
        }
    }

    /// A connection greeted at `at_ms` with the mock's greeting.
    pub fn greeted(at_ms: u64) -> Sim {
        let mut s = Sim::new();
        s.write(at_ms, Stage::Greeting, GREETING);
        s
    }

    /// A server write at `at_ms`; returns its event.
    pub fn write(&mut self, at_ms: u64, stage: Stage, bytes: &[u8]) -> usize {
        self.write_us(at_ms * 1000, stage, bytes)
    }

    fn write_us(&mut self, at_us: u64, stage: Stage, bytes: &[u8]) -> usize {
        self.rec
            .push_server_write(at_us, self.tls, stage, bytes)
            .expect("within the event budget")
    }

    /// A client read at `at_ms`, not yet cut into lines; returns its event.
    pub fn read(&mut self, at_ms: u64, bytes: &[u8]) -> usize {
        self.read_us(at_ms * 1000, bytes)
    }

    /// A client read at `at_us`.
    pub fn read_us(&mut self, at_us: u64, bytes: &[u8]) -> usize {
        self.rec.push_client_read(at_us, self.tls, bytes)
    }

    /// Answers every complete line like a correct server, the replies written from `at_ms` on
    /// (one µs apart).
    pub fn answer(&mut self, at_ms: u64) {
        let mut at = at_ms * 1000;
        while !self.closed
            && let Some(line) = self.rec.next_client_line()
        {
            let (stage, reply): (Stage, &[u8]) = match line.kind {
                ClientLineKind::Message(_) => (Stage::Dot, QUEUED),
                ClientLineKind::Command(verb) => match verb {
                    Verb::Ehlo if self.tls => (Stage::Ehlo, self.ehlo_tls),
                    Verb::Ehlo => (Stage::Ehlo, self.ehlo),
                    Verb::Helo => (Stage::Helo, HELO_OK),
                    Verb::Mail => (Stage::Mail, MAIL_OK),
                    Verb::Rcpt => (Stage::Rcpt, RCPT_OK),
                    Verb::Data => (Stage::Data, DATA_GO),
                    Verb::Rset => (Stage::Rset, OK),
                    Verb::Noop => (self.stage.clone(), OK),
                    Verb::Quit => (Stage::Quit, BYE),
                    Verb::Starttls => (Stage::Starttls, STARTTLS_READY),
                    Verb::Auth => (Stage::Ehlo, b"235 2.7.0 Authentication successful\r\n"),
                    _ => (Stage::Ehlo, UNRECOGNIZED),
                },
            };
            self.stage = stage.clone();
            self.write_us(at, stage, reply);
            at += 1;
            match line.verb() {
                Some(Verb::Data) => self.rec.start_client_data(false),
                Some(Verb::Quit) => {
                    self.rec.push(
                        at,
                        EventKind::Eof {
                            from: Peer::Server,
                            tls: self.tls,
                        },
                    );
                    self.closed = true;
                }
                Some(Verb::Starttls) => {
                    let len = self.rec.discard_client_input();
                    if len > 0 {
                        self.rec.push(at, EventKind::PlaintextDiscarded { len });
                    }
                    let hello = ClientHello {
                        sni: Some("mx.demo.test".into()),
                        alpn: vec![],
                    };
                    self.handshake_us(at, Some(hello), Ok(tls_facts()), TLS_MESSAGE);
                }
                _ => {}
            }
            at += 1;
        }
    }

    /// A TLS handshake at `at_ms` with these facts (TLS is on from here when it succeeded); the
    /// transcript's words are `message`.
    pub fn handshake(
        &mut self,
        at_ms: u64,
        hello: Option<ClientHello>,
        result: Result<ClientTls, ClientTlsFailure>,
        message: &str,
    ) {
        let len = self.rec.discard_client_input();
        if len > 0 {
            self.rec
                .push(at_ms * 1000, EventKind::PlaintextDiscarded { len });
        }
        self.handshake_us(at_ms * 1000, hello, result, message);
    }

    fn handshake_us(
        &mut self,
        at_us: u64,
        hello: Option<ClientHello>,
        result: Result<ClientTls, ClientTlsFailure>,
        message: &str,
    ) {
        let ok = result.is_ok();
        let event = self.rec.push(
            at_us,
            EventKind::TlsHandshake {
                ok,
                message: message.into(),
            },
        );
        self.rec.client_handshake(ClientHandshake {
            event,
            hello,
            result,
        });
        self.tls = ok;
    }

    /// Takes the next complete line without answering it (a server that holds its reply).
    pub fn take(&mut self) -> Option<crate::wire::request::ClientLine> {
        self.rec.next_client_line()
    }

    /// A client read at `at_ms`, answered 1 ms later.
    pub fn talk(&mut self, at_ms: u64, bytes: &[u8]) {
        self.read(at_ms, bytes);
        self.answer(at_ms + 1);
    }

    /// The client closes at `at_ms`.
    pub fn eof(&mut self, at_ms: u64) -> usize {
        self.rec.push_client_eof(at_ms * 1000, self.tls)
    }

    /// The connection ended: unread input becomes discarded lines.
    pub fn finish(mut self) -> Record {
        self.rec.finish_client();
        self.rec
    }
}

/// A patient client that does everything right: EHLO, STARTTLS, EHLO again, one message,
/// QUIT, each command after the reply to the one before.
pub fn patient_client() -> Record {
    let mut s = Sim::greeted(1);
    s.talk(10, b"EHLO client.example.org\r\n");
    s.talk(20, b"STARTTLS\r\n");
    s.talk(30, b"EHLO client.example.org\r\n");
    s.talk(40, b"MAIL FROM:<a@example.org> SIZE=100\r\n");
    s.talk(50, b"RCPT TO:<postmaster@demo.test>\r\n");
    s.talk(60, b"DATA\r\n");
    s.talk(
        70,
        b"Subject: hi\r\nMessage-ID: <1@example.org>\r\n\r\n..leading dot\r\nbody\r\n.\r\n",
    );
    s.talk(80, b"QUIT\r\n");
    s.eof(90);
    s.finish()
}
