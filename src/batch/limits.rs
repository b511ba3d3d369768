//! Connection limits shared by every probe of a run: at most `--per-host` connections open to
//! one IP address at a time, and at most `--rate` new connections per second overall.
//!
//! The session asks for a [`HostPermit`] before each TCP connect and holds it for the life of
//! the connection; the permit's wait is not part of the connect time. The map of addresses
//! holds only addresses with a connection open (or awaited), so it is bounded by `-j`.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits of a run.
pub struct Limits {
    per_host: usize,
    hosts: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
    rate: Option<DefaultDirectRateLimiter>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("per_host", &self.per_host)
            .field("rate", &self.rate.is_some())
            .finish()
    }
}

/// A connection slot to one address: released (and the address forgotten when nobody else
/// holds or awaits a slot there) when dropped.
pub struct HostPermit {
    permit: Option<OwnedSemaphorePermit>,
    ip: IpAddr,
    limits: Arc<Limits>,
}

impl std::fmt::Debug for HostPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HostPermit({})", self.ip)
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut hosts = self.limits.hosts.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map holds the semaphore: no connection is open or awaited there.
        if hosts
            .get(&self.ip)
            .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            hosts.remove(&self.ip);
        }
    }
}

impl Limits {
    /// `per_host` connections per address at most (0 counts as 1); `rate` new connections per
    /// second overall (None: no cap), spaced evenly (one every 1/rate seconds).
    pub fn new(per_host: usize, rate: Option<f64>) -> Arc<Limits> {
        let rate = rate.filter(|r| r.is_finite() && *r > 0.0).map(|r| {
            let period = Duration::from_secs_f64(1.0 / r).max(Duration::from_nanos(1));
            let quota = Quota::with_period(period)
                .expect("a positive period")
                .allow_burst(NonZeroU32::MIN);
            RateLimiter::direct(quota)
        });
        Arc::new(Limits {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
            rate,
        })
    }

    /// Waits for a slot to `ip` and for the rate, in that order (a connection that waits for
    /// its host does not hold a rate token meanwhile).
    pub async fn admit(self: &Arc<Limits>, ip: IpAddr) -> HostPermit {
        let semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts
                .entry(ip)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        // The permit holds the semaphore; nothing else is left holding it when it is dropped.
        let permit = semaphore.acquire_owned().await.ok();
        if let Some(rate) = &self.rate {
            rate.until_ready().await;
        }
        HostPermit {
            permit,
            ip,
            limits: self.clone(),
        }
    }

    /// Addresses with a connection open or awaited (for tests: the map stays bounded).
    pub fn tracked_hosts(&self) -> usize {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn per_host_is_never_exceeded_and_the_map_empties() {
        let limits = Limits::new(2, None);
        let open = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (limits, open, peak) = (limits.clone(), open.clone(), peak.clone());
            tasks.spawn(async move {
                let _p = limits.admit(ip).await;
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
        while tasks.join_next().await.is_some() {}
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(limits.tracked_hosts(), 0);
    }

    #[tokio::test]
    async fn the_rate_spaces_connections() {
        let limits = Limits::new(100, Some(100.0));
        let started = std::time::Instant::now();
        for i in 0..11u8 {
            let _p = limits.admit(IpAddr::from([127, 0, 0, i])).await;
        }
        // The first is free, the next ten wait 10 ms each.
        assert!(
            started.elapsed() >= Duration::from_millis(95),
            "{:?}",
            started.elapsed()
        );
    }
}
