//! TLS-RPT (RFC 8460 §3): the `_smtp._tls` TXT record and its `rua` URIs.
//!
//! The record is two tags; a parser of a few lines here, rather than a mail-authentication
//! crate with its own resolver stack, for one record.

use super::txt_strings;
use crate::dns::dnssec::SecureDns;
use crate::record::policy::TlsRptFacts;
use hickory_resolver::proto::rr::RecordType;

/// The lookup, and the record parsed when exactly one is published.
pub async fn gather(dns: &SecureDns, domain: &str) -> TlsRptFacts {
    let (lookup, rdata) = dns
        .lookup(&format!("_smtp._tls.{domain}"), RecordType::TXT)
        .await;
    let records: Vec<String> = txt_strings(&rdata)
        .into_iter()
        .filter(|t| t.starts_with("v=TLSRPTv1"))
        .collect();
    let (rua, error) = match records.as_slice() {
        [] => (vec![], None),
        [one] => match parse(one) {
            Ok(rua) => (rua, None),
            Err(e) => (vec![], Some(e)),
        },
        many => (
            vec![],
            Some(format!(
                "{} records start with v=TLSRPTv1; RFC 8460 §3 allows one",
                many.len()
            )),
        ),
    };
    TlsRptFacts {
        lookup,
        records,
        rua,
        error,
    }
}

/// `v=TLSRPTv1; rua=URI[,URI]` (RFC 8460 §3): the URIs, each `mailto:` or `https:`.
pub fn parse(record: &str) -> Result<Vec<String>, String> {
    let mut fields = record.split(';').map(str::trim);
    if fields.next() != Some("v=TLSRPTv1") {
        return Err("the record must begin with v=TLSRPTv1".into());
    }
    let mut rua = None;
    for f in fields.filter(|f| !f.is_empty()) {
        let Some((k, v)) = f.split_once('=') else {
            return Err(format!("{f:?} is not a key=value field"));
        };
        if k.trim() == "rua" {
            if rua.is_some() {
                return Err("rua is given twice".into());
            }
            rua = Some(v.trim().to_string());
        }
    }
    let rua = rua.ok_or("no rua field: reports have nowhere to go")?;
    let uris: Vec<String> = rua.split(',').map(|u| u.trim().to_string()).collect();
    for u in &uris {
        let ok = match u.split_once(':') {
            Some(("mailto", rest)) => rest.contains('@'),
            Some(("https", rest)) => rest.starts_with("//") && rest.len() > 2,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "rua URI {u:?} is neither mailto:ADDRESS nor https://…"
            ));
        }
    }
    Ok(uris)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn records() {
        assert_eq!(
            parse("v=TLSRPTv1; rua=mailto:tls@example.com").unwrap(),
            ["mailto:tls@example.com"]
        );
        assert_eq!(
            parse("v=TLSRPTv1;rua=mailto:a@b.example,https://r.example/tlsrpt")
                .unwrap()
                .len(),
            2
        );
        assert!(parse("v=TLSRPTv1;").is_err());
        assert!(parse("v=TLSRPTv1; rua=ftp://x").is_err());
        assert!(parse("v=TLSRPTv1; rua=mailto:nobody").is_err());
        assert!(parse("v=TLSRPTv2; rua=mailto:a@b").is_err());
        assert!(parse("v=TLSRPTv1; rua=mailto:a@b; rua=mailto:c@d").is_err());
    }
}
