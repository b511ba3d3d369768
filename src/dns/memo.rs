//! What hickory's validator gets from the name servers: one fetch per zone key set, and
//! answers trimmed to what validation needs.
//!
//! hickory's `DnssecDnsHandle` sits below the resolver's answer cache, and it fetches the
//! signer's DNSKEY set (and, up the chain, DS and DNSKEY sets) afresh for every RRset it
//! verifies: a probe of one signed domain asked for the same DNSKEY set a dozen times, one
//! round trip after another. It also checks the signature of every RRset of every section,
//! so the NS records and glue that authoritative servers add to each answer cost a signature
//! check each, per question, for records the report never uses.
//!
//! Both are mended where the validator's questions leave it, in the connection handed to the
//! name-server pool:
//! - a DNSKEY or DS question already asked (or in flight) is answered from the first answer,
//!   held for its TTL (at least [`MIN_HOLD`], at most [`MAX_HOLD`]), at most [`ENTRIES`] of
//!   them; failures and truncated answers are never kept, so a retry (or the pool's TCP retry
//!   of a truncated answer) asks again;
//! - every answer keeps its answer section and, of the authority section, the SOA, NSEC and
//!   NSEC3 records with their signatures (the proofs of denial and of wildcard expansion);
//!   NS records and the additional section are dropped, as a resolver with
//!   `minimal-responses` would send them.

use futures_util::future::{BoxFuture, FutureExt, Shared};
use futures_util::stream::{BoxStream, StreamExt};
use hickory_resolver::config::ConnectionConfig;
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::xfer::{DnsHandle, Protocol};
use hickory_resolver::proto::dnssec::rdata::DNSSECRData;
use hickory_resolver::proto::op::{DnsRequest, DnsResponse, Message};
use hickory_resolver::proto::rr::{LowerName, RData, RecordType};
use hickory_resolver::{ConnectionProvider, PoolContext};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most answers kept: key sets of zones, a few per target domain.
pub const ENTRIES: usize = 1024;
/// The shortest hold: a key set is asked for several times within one probe, whatever its TTL.
pub const MIN_HOLD: Duration = Duration::from_secs(30);
/// The longest hold, within a long run of many targets.
pub const MAX_HOLD: Duration = Duration::from_secs(3600);

type Answer = Result<DnsResponse, NetError>;
type Pending = Shared<BoxFuture<'static, Answer>>;

/// What a question is remembered by. The transport is part of it: a UDP answer is never
/// handed to the TCP connection that retries it.
#[derive(Clone, Hash, PartialEq, Eq)]
struct Key {
    name: LowerName,
    rtype: RecordType,
    dnssec_ok: bool,
    checking_disabled: bool,
    server: IpAddr,
    transport: Protocol,
}

struct Entry {
    asked: Instant,
    answer: Pending,
}

impl Entry {
    /// Whether the entry may answer now: in flight, or answered well within its hold.
    fn usable(&self, now: Instant) -> bool {
        match self.answer.peek() {
            None => true,
            Some(Err(_)) => false,
            Some(Ok(r)) => !r.truncation && now < self.asked + hold(r),
        }
    }
}

/// How long an answer is kept: its smallest TTL, within [`MIN_HOLD`]..=[`MAX_HOLD`].
fn hold(r: &DnsResponse) -> Duration {
    let ttl = r.answers.iter().map(|rec| rec.ttl).min().unwrap_or(0);
    Duration::from_secs(ttl.into()).clamp(MIN_HOLD, MAX_HOLD)
}

/// Drops what validation does not need (see the module text): NS records and their signatures
/// from the authority section, and the additional section.
fn trim(m: &mut Message) {
    let proof = |t: RecordType| matches!(t, RecordType::SOA | RecordType::NSEC | RecordType::NSEC3);
    m.authorities.retain(|r| match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) => proof(sig.input().type_covered),
        _ => proof(r.record_type()),
    });
    m.additionals.clear();
}

fn trimmed(answer: Answer) -> Answer {
    answer.map(|mut r| {
        trim(&mut r);
        r
    })
}

/// The shared memo.
#[derive(Default)]
struct Memo {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl Memo {
    /// The pending or kept answer of `key`, or the one `ask` starts.
    fn answer(&self, key: Key, ask: impl FnOnce() -> Pending) -> Pending {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = entries.get(&key)
            && e.usable(now)
        {
            return e.answer.clone();
        }
        if entries.len() >= ENTRIES {
            entries.retain(|_, e| e.usable(now));
            if entries.len() >= ENTRIES
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.asked)
                    .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        let answer = ask();
        entries.insert(
            key,
            Entry {
                asked: now,
                answer: answer.clone(),
            },
        );
        answer
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

/// hickory's Tokio connections, with the memo in front of each.
#[derive(Clone, Default)]
pub struct MemoProvider {
    inner: TokioRuntimeProvider,
    memo: Arc<Memo>,
}

impl ConnectionProvider for MemoProvider {
    type Conn = MemoConn;
    type FutureConn = BoxFuture<'static, Result<MemoConn, NetError>>;
    type RuntimeProvider = TokioRuntimeProvider;

    fn new_connection(
        &self,
        ip: IpAddr,
        config: &ConnectionConfig,
        cx: &PoolContext,
    ) -> Result<Self::FutureConn, NetError> {
        let connecting = ConnectionProvider::new_connection(&self.inner, ip, config, cx)?;
        let memo = self.memo.clone();
        let transport = config.protocol.to_protocol();
        Ok(async move {
            Ok(MemoConn {
                inner: connecting.await?,
                memo,
                server: ip,
                transport,
            })
        }
        .boxed())
    }

    fn runtime_provider(&self) -> &Self::RuntimeProvider {
        &self.inner
    }
}

/// One connection of the pool, answering key-set questions from the memo.
#[derive(Clone)]
pub struct MemoConn {
    inner: <TokioRuntimeProvider as ConnectionProvider>::Conn,
    memo: Arc<Memo>,
    server: IpAddr,
    transport: Protocol,
}

impl MemoConn {
    fn key(&self, request: &DnsRequest) -> Option<Key> {
        let [q] = request.queries.as_slice() else {
            return None;
        };
        if !matches!(q.query_type(), RecordType::DNSKEY | RecordType::DS) {
            return None;
        }
        Some(Key {
            name: LowerName::new(q.name()),
            rtype: q.query_type(),
            dnssec_ok: request.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok),
            checking_disabled: request.metadata.checking_disabled,
            server: self.server,
            transport: self.transport,
        })
    }
}

impl DnsHandle for MemoConn {
    type Response = BoxStream<'static, Answer>;
    type Runtime = TokioRuntimeProvider;

    fn is_verifying_dnssec(&self) -> bool {
        self.inner.is_verifying_dnssec()
    }

    fn is_using_edns(&self) -> bool {
        self.inner.is_using_edns()
    }

    fn send(&self, request: DnsRequest) -> Self::Response {
        let Some(key) = self.key(&request) else {
            return self.inner.send(request).map(trimmed).boxed();
        };
        let inner = self.inner.clone();
        let answer = self.memo.answer(key, move || {
            async move {
                let mut responses = inner.send(request);
                trimmed(
                    responses
                        .next()
                        .await
                        .unwrap_or(Err(NetError::Message("no answer"))),
                )
            }
            .boxed()
            .shared()
        });
        futures_util::stream::once(answer).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::ready;
    use hickory_resolver::proto::op::{Message, MessageType, OpCode, Query};
    use hickory_resolver::proto::rr::Name;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(name: &str) -> Key {
        Key {
            name: LowerName::new(&Name::from_ascii(name).unwrap()),
            rtype: RecordType::DNSKEY,
            dnssec_ok: true,
            checking_disabled: false,
            server: IpAddr::from([127, 0, 0, 1]),
            transport: Protocol::Udp,
        }
    }

    fn response(truncated: bool) -> Answer {
        let mut m = Message::new(1, MessageType::Response, OpCode::Query);
        m.metadata.truncation = truncated;
        m.add_query(Query::query(Name::root(), RecordType::DNSKEY));
        Ok(DnsResponse::from_message(m).unwrap())
    }

    fn counted(n: &Arc<AtomicUsize>, a: Answer) -> impl FnOnce() -> Pending {
        let n = n.clone();
        move || {
            n.fetch_add(1, Ordering::SeqCst);
            ready(a).boxed().shared()
        }
    }

    #[tokio::test]
    async fn one_fetch_per_key_set_and_none_kept_when_it_failed() {
        let memo = Memo::default();
        let asked = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            assert!(
                memo.answer(key("lab.test."), counted(&asked, response(false)))
                    .await
                    .is_ok()
            );
        }
        assert_eq!(
            asked.load(Ordering::SeqCst),
            1,
            "the second and third come from the memo"
        );
        // A different name is its own question.
        let _ = memo
            .answer(key("other.test."), counted(&asked, response(false)))
            .await;
        assert_eq!(asked.load(Ordering::SeqCst), 2);

        // A failure is handed to those waiting for it, then asked again.
        let failed = Arc::new(AtomicUsize::new(0));
        let err: Answer = Err(NetError::Message("timed out"));
        assert!(
            memo.answer(key("down.test."), counted(&failed, err.clone()))
                .await
                .is_err()
        );
        let _ = memo
            .answer(key("down.test."), counted(&failed, response(false)))
            .await;
        assert_eq!(failed.load(Ordering::SeqCst), 2);

        // A truncated answer is not kept: the pool retries it over TCP.
        let tc = Arc::new(AtomicUsize::new(0));
        let _ = memo
            .answer(key("big.test."), counted(&tc, response(true)))
            .await;
        let _ = memo
            .answer(key("big.test."), counted(&tc, response(false)))
            .await;
        assert_eq!(tc.load(Ordering::SeqCst), 2);
    }

    /// An authoritative answer as NSD sends it: the answer, NS records and glue with their
    /// signatures, an NSEC proof; validation keeps the answer, the SOA and the proof.
    #[test]
    fn answers_keep_what_validation_needs() {
        use hickory_resolver::proto::dnssec::rdata::{NSEC, RRSIG};
        use hickory_resolver::proto::dnssec::{Algorithm, rdata::sig::SigInput};
        use hickory_resolver::proto::rr::rdata::{A, NS};
        use hickory_resolver::proto::rr::{Record, SerialNumber};
        let name = Name::from_ascii("lab.test.").unwrap();
        let rec = |data: RData| Record::from_rdata(name.clone(), 300, data);
        let sig = |covered: RecordType| {
            let input = SigInput {
                type_covered: covered,
                algorithm: Algorithm::ECDSAP256SHA256,
                num_labels: 2,
                original_ttl: 300,
                sig_expiration: SerialNumber::new(0),
                sig_inception: SerialNumber::new(0),
                key_tag: 1,
                signer_name: name.clone(),
            };
            rec(RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(
                input,
                vec![0; 64],
            ))))
        };
        let mut m = Message::new(1, MessageType::Response, OpCode::Query);
        m.answers = vec![rec(RData::A(A::new(127, 0, 0, 1))), sig(RecordType::A)];
        m.authorities = vec![
            rec(RData::NS(NS(name.clone()))),
            sig(RecordType::NS),
            rec(RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(
                name.clone(),
                vec![RecordType::A],
            )))),
            sig(RecordType::NSEC),
        ];
        m.additionals = vec![rec(RData::A(A::new(127, 0, 0, 53))), sig(RecordType::A)];
        trim(&mut m);
        assert_eq!(m.answers.len(), 2, "the answer and its signature stay");
        let kept: Vec<RecordType> = m
            .authorities
            .iter()
            .map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::RRSIG(s)) => s.input().type_covered,
                d => d.record_type(),
            })
            .collect();
        assert_eq!(kept, vec![RecordType::NSEC, RecordType::NSEC], "{kept:?}");
        assert!(m.additionals.is_empty());
    }

    #[tokio::test]
    async fn the_memo_stays_within_its_bound() {
        let memo = Memo::default();
        let asked = Arc::new(AtomicUsize::new(0));
        for i in 0..ENTRIES + 10 {
            let _ = memo
                .answer(
                    key(&format!("z{i}.test.")),
                    counted(&asked, response(false)),
                )
                .await;
        }
        assert_eq!(memo.len(), ENTRIES);
        assert_eq!(asked.load(Ordering::SeqCst), ENTRIES + 10);
    }
}
