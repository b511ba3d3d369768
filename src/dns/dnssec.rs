//! DNSSEC-validated lookups for the policy checks (SPEC §9), with hickory's own validator
//! (`dnssec-ring`): each answer's proof becomes a [`DnssecStatus`]. Trust anchors are the
//! root KSKs built into hickory, or the DS/DNSKEY records of `--trust-anchor FILE`.

use super::memo::MemoProvider;
use super::{
    LookupFailure, ResolveError, fqdn, resolver_builder, resolver_builder_with, timed_out,
};
use crate::record::policy::{DnssecStatus, Validated, combine};
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS};
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::proto::serialize::txt::Parser;
use hickory_resolver::{ConnectionProvider, Resolver, TokioResolver};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The longest wait for an anchor zone's DNSKEY set before validation is given up.
pub const ANCHOR_PROBE_WAIT: Duration = Duration::from_secs(5);

/// A `--trust-anchor` file that cannot be used (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("cannot use --trust-anchor {path}: {message}")]
pub struct TrustAnchorError {
    /// The path given.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// The DS and DNSKEY records of a `--trust-anchor` file, in zone-file form.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchorFile {
    /// Where it came from.
    pub path: PathBuf,
    /// DNSKEY records: trusted as they are.
    pub dnskeys: Vec<(Name, DNSKEY)>,
    /// DS records: the zone's DNSKEYs they cover are trusted.
    pub ds: Vec<(Name, DS)>,
}

/// Reads a trust anchor file: DS and/or DNSKEY records in zone-file form (as `ldns-keygen`,
/// `dnssec-keygen` and `ldns-key2ds` write them).
pub fn read_trust_anchor(path: &Path) -> Result<TrustAnchorFile, TrustAnchorError> {
    let err = |message: String| TrustAnchorError {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let mut out = TrustAnchorFile {
        path: path.to_path_buf(),
        ..TrustAnchorFile::default()
    };
    // One record a line, as key tools write them: DNSKEY lines go to hickory's trust anchor
    // parser, DS lines to its zone-file parser.
    let (mut keys, mut ds) = (String::new(), String::from("$TTL 3600\n"));
    for line in text.lines() {
        let data = line.split(';').next().unwrap_or("").trim();
        if data.is_empty() {
            continue;
        }
        let words: Vec<String> = data
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect();
        if words.iter().any(|w| w == "DNSKEY") {
            keys.push_str(data);
            keys.push('\n');
        } else if words.iter().any(|w| w == "DS") {
            ds.push_str(data);
            ds.push('\n');
        } else {
            return Err(err(format!(
                "{:?}: only DS and DNSKEY records are trust anchors",
                crate::wire::escape::escape_str(data)
            )));
        }
    }
    let bad = |e: &dyn std::fmt::Display| {
        err(format!("not DS or DNSKEY records in zone-file form ({e})"))
    };
    for entry in hickory_resolver::proto::serialize::txt::trust_anchor::Parser::new(keys)
        .parse()
        .map_err(|e| bad(&e))?
    {
        if let hickory_resolver::proto::serialize::txt::trust_anchor::Entry::DNSKEY(r) = entry {
            out.dnskeys.push((r.name().clone(), r.data().clone()));
        }
    }
    let (_, sets) = Parser::new(ds, None, Some(Name::root()))
        .parse()
        .map_err(|e| bad(&e))?;
    for set in sets.values() {
        for r in set.records_without_rrsigs() {
            if let RData::DNSSEC(DNSSECRData::DS(d)) = &r.data {
                out.ds.push((r.name.clone(), d.clone()));
            }
        }
    }
    if out.dnskeys.is_empty() && out.ds.is_empty() {
        return Err(err("no DS or DNSKEY record in it".into()));
    }
    Ok(out)
}

/// A resolver for the policy lookups: validating unless DNSSEC is not asked for.
///
/// A resolver path that drops signatures (many stubs and home routers), or servers that do not
/// serve the anchor's zone, make every answer look bogus: that is no verdict on the domain. So
/// validation counts only once the anchor zone's DNSKEY set has validated; that check runs
/// beside the first lookups (not before them), and when it fails every lookup is made again
/// without validation and its status is `indeterminate`.
pub struct SecureDns {
    /// hickory's validator, with DNSKEY and DS answers shared between its checks.
    validator: Option<Resolver<MemoProvider>>,
    plain: TokioResolver,
    wait: Duration,
    zones: Vec<Name>,
    label: String,
    /// `None`: validation works; `Some(why)`: it could not be done.
    verdict: tokio::sync::OnceCell<Option<String>>,
    /// What the trust anchors are, in words (for the report).
    pub anchors: String,
}

impl SecureDns {
    /// Builds the resolvers. With `validate`, hickory's validator checks every answer against
    /// the root anchors or, when `anchor` is given, only against its keys; DS anchors are
    /// turned into the DNSKEYs they cover by asking for the zone's DNSKEY set.
    pub async fn new(
        servers: &[SocketAddr],
        wait: Duration,
        validate: bool,
        anchor: Option<&TrustAnchorFile>,
    ) -> Result<SecureDns, ResolveError> {
        SecureDns::build(servers, wait, validate, anchor, None).await
    }

    /// The resolvers shared by the probes of a run (SPEC §10), as [`super::Dns::for_run`]:
    /// each cache holds up to `entries` answers for the whole run, so the anchor check is
    /// made once per run and the DNSKEY/DS chain of a zone is fetched once, however many
    /// targets are in it.
    pub async fn for_run(
        servers: &[SocketAddr],
        wait: Duration,
        validate: bool,
        anchor: Option<&TrustAnchorFile>,
        entries: u64,
    ) -> Result<SecureDns, ResolveError> {
        SecureDns::build(servers, wait, validate, anchor, Some(entries)).await
    }

    async fn build(
        servers: &[SocketAddr],
        wait: Duration,
        validate: bool,
        anchor: Option<&TrustAnchorFile>,
        run_cache: Option<u64>,
    ) -> Result<SecureDns, ResolveError> {
        fn build<P: ConnectionProvider>(
            mut b: hickory_resolver::ResolverBuilder<P>,
            run_cache: Option<u64>,
        ) -> Result<Resolver<P>, ResolveError> {
            if let Some(entries) = run_cache {
                let opts = b.options_mut();
                opts.cache_size = entries;
                opts.positive_min_ttl = Some(Duration::from_secs(3600));
            }
            b.build()
                .map_err(|e| ResolveError::SystemConfig(e.to_string()))
        }
        let plain = build(resolver_builder(servers, wait)?.0, run_cache)?;
        let mut anchors = "the root zone's KSKs".to_string();
        let mut zones = vec![Name::root()];
        let validator = if validate {
            let (mut builder, _) = resolver_builder_with(servers, wait, MemoProvider::default())?;
            if let Some(file) = anchor {
                let set = trust_anchors(file, servers, wait).await?;
                anchors = format!("{} ({} keys)", file.path.display(), set.0);
                builder = builder.with_trust_anchor(Arc::new(set.1));
                zones = file
                    .dnskeys
                    .iter()
                    .map(|(n, _)| n.clone())
                    .chain(file.ds.iter().map(|(n, _)| n.clone()))
                    .collect();
                zones.dedup();
            }
            builder.options_mut().validate = true;
            Some(build(builder, run_cache)?)
        } else {
            None
        };
        let label = if servers.is_empty() {
            "system".to_string()
        } else {
            servers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        Ok(SecureDns {
            validator,
            plain,
            wait,
            zones,
            label,
            verdict: tokio::sync::OnceCell::new(),
            anchors,
        })
    }

    /// Why validation was asked for but could not be done, if so.
    pub fn unavailable(&self) -> Option<&str> {
        self.verdict.get().and_then(|v| v.as_deref())
    }

    /// Whether validation was asked for and works (after the first lookup).
    pub fn validating(&self) -> bool {
        self.validator.is_some() && self.verdict.get().is_some_and(|v| v.is_none())
    }

    /// The anchor check, once: the anchor zones' DNSKEY sets must validate. The keys are in
    /// every validating resolver's cache, so a resolver slow to give them is not one to
    /// validate through: the check waits at most [`ANCHOR_PROBE_WAIT`].
    async fn anchors_validate(&self, validator: &Resolver<MemoProvider>) -> bool {
        let verdict = self
            .verdict
            .get_or_init(|| async {
                let wait = self.wait.min(ANCHOR_PROBE_WAIT);
                let mut why = String::new();
                for z in self.zones.iter().take(4) {
                    let (v, _) =
                        query(validator, true, wait, &z.to_ascii(), RecordType::DNSKEY).await;
                    if v.status == DnssecStatus::Secure {
                        return None;
                    }
                    why = format!(
                        "the DNSKEY set of {} did not validate ({}{})",
                        z,
                        v.status.name(),
                        v.error
                            .map(|e| format!(": {}", e.message))
                            .unwrap_or_default()
                    );
                }
                Some(format!(
                    "DNSSEC not validated: {why} through resolver {}, so every status is \
                     indeterminate (a resolver path that strips signatures, or servers without \
                     the anchor's zone)",
                    self.label
                ))
            })
            .await;
        verdict.is_none()
    }

    /// A lookup that was not made (`-4` or `-6` rules its family out).
    pub fn not_asked(&self, name: &str, rtype: RecordType) -> Validated {
        Validated {
            name: name.trim_end_matches('.').to_string(),
            rtype: type_name(rtype),
            status: DnssecStatus::Indeterminate,
            error: Some(LookupFailure {
                kind: "no-records".into(),
                message: "not asked (another address family was chosen)".into(),
            }),
        }
    }

    /// One lookup within the wait, never validated (its status is `indeterminate`): for names
    /// whose proof no policy asks for, such as the MTA-STS policy host, whose trust is PKIX.
    pub async fn lookup_unvalidated(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> (Validated, Vec<RData>) {
        query(&self.plain, false, self.wait, name, rtype).await
    }

    /// One lookup within the wait: its status and the records of the asked type.
    ///
    /// Until the anchor check has decided, the question goes to the validator beside that
    /// check (which shares its key set fetch); only when the check fails is it asked again
    /// without validation. A path that strips signatures fails the check within a round trip,
    /// so that costs one more round trip there, and none on a path that validates.
    pub async fn lookup(&self, name: &str, rtype: RecordType) -> (Validated, Vec<RData>) {
        let plain = || query(&self.plain, false, self.wait, name, rtype);
        let Some(validator) = &self.validator else {
            return plain().await;
        };
        match self.verdict.get() {
            Some(None) => query(validator, true, self.wait, name, rtype).await,
            Some(Some(_)) => plain().await,
            None => {
                let (usable, validated) = tokio::join!(
                    self.anchors_validate(validator),
                    query(validator, true, self.wait, name, rtype),
                );
                if usable { validated } else { plain().await }
            }
        }
    }
}

/// One query within `wait`; statuses only when `validating`.
async fn query<P: ConnectionProvider>(
    resolver: &Resolver<P>,
    validating: bool,
    wait: Duration,
    name: &str,
    rtype: RecordType,
) -> (Validated, Vec<RData>) {
    let mut v = Validated {
        name: name.trim_end_matches('.').to_string(),
        rtype: type_name(rtype),
        status: DnssecStatus::Indeterminate,
        error: None,
    };
    let status = |proofs: &mut dyn Iterator<Item = Proof>| {
        if validating {
            combine(proofs.map(status_of))
        } else {
            DnssecStatus::Indeterminate
        }
    };
    let answer = tokio::time::timeout(wait, resolver.lookup(fqdn(name).as_str(), rtype)).await;
    let mut rdata = Vec::new();
    match answer {
        Err(_) => v.error = Some(timed_out(wait)),
        Ok(Ok(lookup)) => {
            let wanted: Vec<&Record> = lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() == rtype || r.record_type() == RecordType::CNAME)
                .collect();
            v.status = status(&mut wanted.iter().map(|r| r.proof));
            rdata = wanted
                .iter()
                .filter(|r| r.record_type() == rtype)
                .map(|r| r.data.clone())
                .collect();
            if rdata.is_empty() {
                v.error = Some(LookupFailure {
                    kind: "no-records".into(),
                    message: "the name exists but has no record of this type (NODATA)".into(),
                });
            }
        }
        Ok(Err(e)) => {
            v.status = if validating {
                match &e {
                    NetError::Dns(DnsError::DnssecBogus) => DnssecStatus::Bogus,
                    NetError::Dns(DnsError::Nsec { proof, .. }) => status_of(*proof),
                    NetError::Dns(DnsError::NoRecordsFound(n)) => {
                        let soa = n.soa.as_ref().map(|s| s.proof);
                        let auth = n.authorities.iter().flat_map(|a| a.iter().map(|r| r.proof));
                        status(&mut soa.into_iter().chain(auth))
                    }
                    _ => DnssecStatus::Indeterminate,
                }
            } else {
                DnssecStatus::Indeterminate
            };
            v.error = Some(failure(&e));
        }
    }
    (v, rdata)
}

fn status_of(p: Proof) -> DnssecStatus {
    match p {
        Proof::Secure => DnssecStatus::Secure,
        Proof::Insecure => DnssecStatus::Insecure,
        Proof::Bogus => DnssecStatus::Bogus,
        _ => DnssecStatus::Indeterminate,
    }
}

/// A lookup failure in the words of the report; SERVFAIL is named, never "no records".
fn failure(e: &NetError) -> LookupFailure {
    match e {
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => LookupFailure {
            kind: "servfail".into(),
            message: "the server answered SERVFAIL".into(),
        },
        NetError::Dns(DnsError::DnssecBogus) => LookupFailure {
            kind: "failed".into(),
            message: "the answer failed DNSSEC validation (bogus)".into(),
        },
        NetError::Dns(DnsError::Nsec { proof, .. }) if *proof == Proof::Bogus => LookupFailure {
            kind: "failed".into(),
            message: "the proof of non-existence failed DNSSEC validation (bogus)".into(),
        },
        NetError::Dns(DnsError::Nsec { response, .. }) => {
            if response.response_code == ResponseCode::NXDomain {
                LookupFailure {
                    kind: "nxdomain".into(),
                    message: "the name does not exist (NXDOMAIN)".into(),
                }
            } else {
                LookupFailure {
                    kind: "no-records".into(),
                    message: "the name exists but has no record of this type (NODATA)".into(),
                }
            }
        }
        _ => LookupFailure::from_error(e),
    }
}

fn type_name(t: RecordType) -> &'static str {
    match t {
        RecordType::MX => "MX",
        RecordType::A => "A",
        RecordType::AAAA => "AAAA",
        RecordType::TLSA => "TLSA",
        RecordType::TXT => "TXT",
        RecordType::DNSKEY => "DNSKEY",
        _ => "other",
    }
}

/// The trust anchor set of a file, and how many keys it holds: DNSKEYs as they are, DS
/// records through the DNSKEY set of their zone (asked without validation, then matched by
/// digest, RFC 4034 §5.1.4).
async fn trust_anchors(
    file: &TrustAnchorFile,
    servers: &[SocketAddr],
    wait: Duration,
) -> Result<(usize, TrustAnchors), ResolveError> {
    let mut set = TrustAnchors::empty();
    let mut n = 0;
    for (name, key) in &file.dnskeys {
        if set.insert_with_name(key.public_key(), name.into()) {
            n += 1;
        }
    }
    let mut owners: Vec<&Name> = file.ds.iter().map(|(n, _)| n).collect();
    owners.dedup();
    if owners.is_empty() {
        return Ok((n, set));
    }
    let plain = resolver_builder(servers, wait)?
        .0
        .build()
        .map_err(|e| ResolveError::SystemConfig(e.to_string()))?;
    for owner in owners {
        let Ok(Ok(lookup)) =
            tokio::time::timeout(wait, plain.lookup(owner.clone(), RecordType::DNSKEY)).await
        else {
            continue;
        };
        for r in lookup.answers() {
            let RData::DNSSEC(DNSSECRData::DNSKEY(key)) = &r.data else {
                continue;
            };
            let covered = file
                .ds
                .iter()
                .filter(|(n, _)| n == owner)
                .any(|(_, ds)| ds.covers(owner, key).unwrap_or(false));
            if covered && set.insert_with_name(key.public_key(), owner.into()) {
                n += 1;
            }
        }
    }
    Ok((n, set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_anchor_files_in_zone_file_form() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("anchor");
        std::fs::write(
            &p,
            "; ldns-keygen output\ntest.\tIN\tDNSKEY\t257 3 13 \
             xnbO16+jcn3x+FbPdLnqAwyAfX62ux5siwssuiMRoJ2IjCkDawO4snijVPx5Tt39hkdwK9xqc5Rf0/QMEAYLmw== \
             ;{id = 60867 (ksk), size = 256b}\n\
             test.\t3600\tIN\tDS\t60867 13 2 \
             6f553b961f27aaba26237c29d8fa3e67ab2050f10ff8b09f532ae00e32805987\n",
        )
        .unwrap();
        let a = read_trust_anchor(&p).unwrap();
        assert_eq!(a.dnskeys.len(), 1);
        assert_eq!(a.ds.len(), 1);
        assert_eq!(a.dnskeys[0].0.to_ascii(), "test.");
        std::fs::write(&p, "test. IN A 127.0.0.1\n").unwrap();
        assert!(
            read_trust_anchor(&p)
                .unwrap_err()
                .message
                .contains("only DS and DNSKEY")
        );
        std::fs::write(&p, "garbage ((\n").unwrap();
        assert!(read_trust_anchor(&p).is_err());
        std::fs::write(&p, "; nothing\n").unwrap();
        assert!(read_trust_anchor(&p).is_err());
        assert!(read_trust_anchor(&dir.path().join("missing")).is_err());
    }
}
