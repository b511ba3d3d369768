//! What DNS answered: MX hosts with their addresses, reverse DNS and lookup failures.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::net::IpAddr;

/// How a lookup failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LookupFailure {
    /// `nxdomain`, `no-records`, `timeout` or `failed`.
    pub kind: Cow<'static, str>,
    /// The resolver's message.
    pub message: String,
}

/// One MX host (or the implicit MX) with its addresses.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MxHost {
    /// MX preference (0 for the implicit MX).
    pub preference: u16,
    /// The exchange name without the trailing dot (`.` for a null MX).
    pub exchange: String,
    /// Its addresses, after the `-4`/`-6` filter.
    pub addresses: Vec<IpAddr>,
    /// The exchange is an IP literal, which RFC 5321 §5.1 does not allow.
    pub ip_literal: bool,
    /// The exchange is an alias (CNAME) for this name.
    pub cname: Option<String>,
    /// Why the address lookup gave nothing.
    pub error: Option<LookupFailure>,
}

/// What DNS said about the target domain.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DnsReport {
    /// The domain asked for.
    pub query: String,
    /// `system` or the `--resolver` servers.
    pub resolver: String,
    /// MX hosts, best preference first (equal preferences shuffled).
    pub mx: Vec<MxHost>,
    /// No MX record: the domain's own A/AAAA is the implicit MX (RFC 5321 §5.1).
    pub implicit: bool,
    /// A null MX (RFC 7505) was found.
    pub null_mx: bool,
    /// Other MX records stood beside the null MX.
    pub null_mx_with_others: bool,
    /// The MX lookup failed.
    pub error: Option<LookupFailure>,
    /// Time the lookups took.
    pub duration_ms: f64,
}

/// Reverse DNS of a connected address.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PtrResult {
    /// PTR names.
    pub names: Vec<String>,
    /// One of the names resolves back to the address (forward-confirmed rDNS).
    pub confirmed: bool,
    /// Lookup failure, if any.
    pub error: Option<LookupFailure>,
}
