//! STARTTLS on the scripted server's side: the handshake, and what the client negotiated recorded as facts.

use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::{Conn, Conversation, Flow, HANDSHAKE_MAX};
use crate::record::{EventKind, Record, Stage};
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
        let result = timeout(HANDSHAKE_MAX, TlsAcceptor::from(config).accept(tcp)).await;
        let at = self.now_us();
        match result {
            Ok(Ok(tls)) => {
                record_client_tls(&mut self.record, &tls);
                let message = describe_tls(&tls);
                self.record
                    .push(at, EventKind::TlsHandshake { ok: true, message });
                self.conn = Conn::Tls(Box::new(tls));
                self.tls = true;
                self.greeted = false;
                self.mail = false;
                self.rcpts = 0;
                Flow::Go
            }
            Ok(Err(e)) => {
                let message = e.to_string();
                self.record
                    .push(at, EventKind::TlsHandshake { ok: false, message });
                Flow::Done
            }
            Err(_) => {
                self.record.push(
                    at,
                    EventKind::Timeout {
                        stage: Stage::Tls,
                        waited_ms: HANDSHAKE_MAX.as_millis() as u64,
                    },
                );
                Flow::Done
            }
        }
    }
}

/// Records what the client negotiated, as facts: version, cipher, SNI.
fn record_client_tls(record: &mut Record, tls: &TlsStream<TcpStream>) {
    let conn = tls.get_ref().1;
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "unknown".to_string(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map_or_else(|| "unknown".to_string(), |s| format!("{:?}", s.suite()));
    record.set_client_tls(version, cipher, conn.server_name().map(str::to_string));
}

/// `TLSv1.3, TLS13_AES_256_GCM_SHA384, SNI mx.demo.test`: what the client negotiated.
fn describe_tls(tls: &TlsStream<TcpStream>) -> String {
    let conn = tls.get_ref().1;
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "unknown version".to_string(),
    };
    let suite = conn.negotiated_cipher_suite().map_or_else(
        || "unknown cipher".to_string(),
        |s| format!("{:?}", s.suite()),
    );
    let sni = conn.server_name().unwrap_or("none");
    format!("{version}, {suite}, SNI {sni}")
}
