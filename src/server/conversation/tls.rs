//! STARTTLS on the scripted server's side: the handshake, and what the client negotiated recorded as facts.

use super::{Conn, Conversation, Flow, HANDSHAKE_MAX};
use crate::record::{ClientHandshake, ClientTls, ClientTlsFailure, EventKind, Stage};
use crate::server::handshake::accept;
use crate::server::pki::tls_config;

impl Conversation {
    pub(super) async fn start_tls(&mut self) -> Flow {
        if self.tls {
            return Flow::Go;
        }
        if !self.script.starttls_keeps_input {
            // A correct server forgets whatever plaintext arrived with the STARTTLS command.
            let len = self.record.discard_client_input();
            if len > 0 {
                let at = self.now_us();
                self.record.push(at, EventKind::PlaintextDiscarded { len });
            }
        }
        let config = match self
            .run
            .tls
            .clone()
            .map_or_else(|| tls_config(self.script.cert), Ok)
        {
            Ok(config) => config,
            Err(e) => {
                self.note(&format!(
                    "no TLS: the demo certificates could not be made: {e}"
                ));
                self.close().await;
                return Flow::Done;
            }
        };
        let Conn::Plain(tcp) = std::mem::replace(&mut self.conn, Conn::Gone) else {
            return Flow::Done;
        };
        let result = accept(config, tcp, HANDSHAKE_MAX).await;
        let at = self.now_us();
        match result {
            Ok((hello, tls, stream)) => {
                let message = describe(&tls);
                let event = self
                    .record
                    .push(at, EventKind::TlsHandshake { ok: true, message });
                self.record.client_handshake(ClientHandshake {
                    event,
                    hello: Some(hello),
                    result: Ok(tls),
                });
                self.conn = Conn::Tls(Box::new(stream));
                self.tls = true;
                self.greeted = false;
                self.mail = false;
                self.rcpts = 0;
                Flow::Go
            }
            Err(f) => {
                let kind = if f.failure == ClientTlsFailure::Timeout {
                    EventKind::Timeout {
                        stage: Stage::Tls,
                        waited_ms: HANDSHAKE_MAX.as_millis() as u64,
                    }
                } else {
                    EventKind::TlsHandshake {
                        ok: false,
                        message: f.message,
                    }
                };
                let event = self.record.push(at, kind);
                self.record.client_handshake(ClientHandshake {
                    event,
                    hello: f.hello,
                    result: Err(f.failure),
                });
                Flow::Done
            }
        }
    }
}

/// `TLSv1.3, TLS13_AES_256_GCM_SHA384, SNI mx.demo.test` (the transcript's line; the facts
/// are in the record).
pub(crate) fn describe(tls: &ClientTls) -> String {
    format!(
        "{}, {}, SNI {}",
        tls.version,
        tls.cipher,
        tls.sni.as_deref().unwrap_or("none")
    )
}
