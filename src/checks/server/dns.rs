//! DNS findings (RFC 5321 §5.1, RFC 7505, RFC 1912 §2.1 for reverse DNS).

use crate::checks::{Anchor, Finding};
use crate::knowledge::Severity;
use crate::record::Stage;
use crate::record::dns::{DnsReport, PtrResult};

/// Findings about the MX set.
pub fn check(d: &DnsReport) -> Vec<Finding> {
    let mut out = Vec::new();
    let q = crate::wire::escape::escape_str(&d.query);
    if let Some(e) = &d.error {
        let id = if e.kind == "nxdomain" {
            "mx-nxdomain"
        } else {
            "mx-lookup-failed"
        };
        out.push(Finding::new(
            id,
            Stage::Dns,
            Anchor::None,
            if id == "mx-nxdomain" {
                format!("{q} does not exist (NXDOMAIN)")
            } else {
                format!("the MX lookup for {q} failed")
            },
            format!(
                "resolver {}: {}",
                d.resolver,
                crate::wire::escape::escape_str(&e.message)
            ),
        ));
        return out;
    }
    if d.null_mx {
        let f = Finding::new(
            "mx-null",
            Stage::Dns,
            Anchor::None,
            format!("{q} publishes a null MX: it accepts no mail"),
            if d.null_mx_with_others {
                "a null MX (0 .) stands beside other MX records; RFC 7505 §3 says it must be the only one".to_string()
            } else {
                "MX 0 . (RFC 7505): senders bounce mail for this domain at once".to_string()
            },
        );
        out.push(if d.null_mx_with_others {
            f.with_severity(Severity::Error)
        } else {
            f
        });
    }
    if d.implicit {
        out.push(Finding::new(
            "mx-implicit",
            Stage::Dns,
            Anchor::None,
            format!("{q} has no MX record; its address is used as an implicit MX"),
            "RFC 5321 §5.1 falls back to the A/AAAA record of the domain itself",
        ));
    }
    for h in &d.mx {
        if h.exchange == "." {
            continue;
        }
        let ex = crate::wire::escape::escape_str(&h.exchange);
        let problem = if h.ip_literal {
            Some("the MX target is an IP address, not a host name".to_string())
        } else if let Some(c) = &h.cname {
            Some(format!(
                "the MX target is an alias (CNAME to {})",
                crate::wire::escape::escape_str(c)
            ))
        } else {
            h.error.as_ref().map(|e| {
                format!(
                    "the MX target has no address ({}: {})",
                    e.kind,
                    crate::wire::escape::escape_str(&e.message)
                )
            })
        };
        if let Some(p) = problem {
            out.push(Finding::new(
                "mx-target-invalid",
                Stage::Dns,
                Anchor::None,
                format!("MX {} {ex}: {p}", h.preference),
                "RFC 5321 §5.1 and RFC 2181 §10.3: an MX must name a host with A/AAAA records directly".to_string(),
            ));
        }
    }
    out
}

/// The finding for a DNS answer that left nothing to connect to.
pub fn none_usable(d: &DnsReport) -> Finding {
    Finding::new(
        "mx-none-usable",
        Stage::Dns,
        Anchor::None,
        format!(
            "no usable mail server for {}",
            crate::wire::escape::escape_str(&d.query)
        ),
        if d.null_mx {
            "the domain declares that it accepts no mail (null MX)".to_string()
        } else {
            format!(
                "{} MX host(s), none with an address of the wanted family",
                d.mx.len()
            )
        },
    )
}

/// Reverse-DNS findings for one connected address.
pub fn ptr(p: &PtrResult, addr: std::net::IpAddr, attempt: usize) -> Option<Finding> {
    let mut f = if p.names.is_empty() {
        Finding::new(
            "ptr-missing",
            Stage::Dns,
            Anchor::None,
            format!("{addr} has no PTR record"),
            p.error.as_ref().map_or_else(
                || "no PTR names".into(),
                |e| crate::wire::escape::escape_str(&e.message),
            ),
        )
    } else if !p.confirmed {
        Finding::new(
            "ptr-mismatch",
            Stage::Dns,
            Anchor::None,
            format!("the PTR name of {addr} does not resolve back to it"),
            format!(
                "PTR: {}",
                crate::wire::escape::escape_str(&p.names.join(", "))
            ),
        )
    } else {
        return None;
    };
    f.attempt = Some(attempt);
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::dns::{LookupFailure, MxHost};

    fn report() -> DnsReport {
        DnsReport {
            query: "example.test".into(),
            resolver: "127.0.0.1:53".into(),
            mx: vec![],
            implicit: false,
            null_mx: false,
            null_mx_with_others: false,
            error: None,
            duration_ms: 1.0,
        }
    }

    fn host(ex: &str, addrs: usize) -> MxHost {
        MxHost {
            preference: 10,
            exchange: ex.into(),
            addresses: (0..addrs)
                .map(|i| std::net::IpAddr::from([127, 0, 0, i as u8 + 1]))
                .collect(),
            ip_literal: false,
            cname: None,
            error: (addrs == 0).then(|| LookupFailure {
                kind: "no-records".into(),
                message: "no A".into(),
            }),
        }
    }

    #[test]
    fn table() {
        let mut d = report();
        d.mx = vec![host("mx1.example.test", 1)];
        assert!(check(&d).is_empty());
        d.mx.push(host("ghost.example.test", 0));
        assert_eq!(
            check(&d).iter().map(|f| f.id).collect::<Vec<_>>(),
            vec!["mx-target-invalid"]
        );
        let mut d = report();
        d.error = Some(LookupFailure {
            kind: "nxdomain".into(),
            message: "NXDOMAIN".into(),
        });
        assert_eq!(check(&d)[0].id, "mx-nxdomain");
        let mut d = report();
        d.null_mx = true;
        assert_eq!(check(&d)[0].severity, Severity::Info);
        d.null_mx_with_others = true;
        assert_eq!(check(&d)[0].severity, Severity::Error);
        let mut d = report();
        d.implicit = true;
        d.mx = vec![host("example.test", 1)];
        assert_eq!(check(&d)[0].id, "mx-implicit");
    }

    #[test]
    fn reverse_dns() {
        let ip = "127.0.0.1".parse().unwrap();
        let p = PtrResult {
            names: vec![],
            confirmed: false,
            error: None,
        };
        assert_eq!(ptr(&p, ip, 0).unwrap().id, "ptr-missing");
        let p = PtrResult {
            names: vec!["mx.example".into()],
            confirmed: false,
            error: None,
        };
        assert_eq!(ptr(&p, ip, 0).unwrap().id, "ptr-mismatch");
        let p = PtrResult {
            names: vec!["mx.example".into()],
            confirmed: true,
            error: None,
        };
        assert!(ptr(&p, ip, 0).is_none());
    }
}
