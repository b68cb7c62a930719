//! Who is on the other end of a request, and how often it may try a password.
//!
//! The client address is the TCP peer ([serve](crate::serve) records it), or, when the peer is
//! one of [ApiConfig::trusted_proxies](crate::ApiConfig), the right-most `X-Forwarded-For`
//! address that is not itself a trusted proxy. From anyone else `X-Forwarded-For` is ignored.
//! IPv6 clients are grouped by their /64 (one subscriber's network).
//!
//! The routes that check a password (`POST /api/v1/session`; the keypad routes
//! `/api/v1/charging/certify` and `/prepay`; `/api/v1/charging/auto-charge`) are limited per
//! client: a token bucket of [RateLimitConfig::burst] that refills [RateLimitConfig::per_min]
//! a minute, sign-in and charging counted apart. Beyond it: `429 rate_limited` with
//! `Retry-After`, before the body is read. The table of clients is bounded
//! ([RateLimitConfig::max_clients]; idle clients are forgotten first).
use crate::error::ApiError;
use axum::{
    extract::{connect_info::MockConnectInfo, ConnectInfo, MatchedPath, Request, State},
    http::{HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use gridledger_api_types::ClientAddr;
use gridledger_api_types::ErrorCode;
use std::{
    collections::BTreeMap,
    net::{IpAddr, SocketAddr},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Instant,
};

/// Limits per client address on the password routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Attempts a client gets back per minute; 0 turns the limit off.
    pub per_min: u32,
    /// Attempts a client may make at once.
    pub burst: u32,
    /// Most clients remembered per class.
    pub max_clients: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_min: 30,
            burst: 10,
            max_clients: 10_000,
        }
    }
}

/// The routes a limit applies to, counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `POST /api/v1/session`.
    SignIn,
    /// The keypad routes and member auto-charge.
    Charging,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::Charging => "charging",
        }
    }

    /// The class of a route, if it is limited.
    pub fn of(method: &Method, route: &str) -> Option<Self> {
        if method != Method::POST {
            return None;
        }
        match route {
            "/api/v1/session" => Some(Self::SignIn),
            "/api/v1/charging/certify"
            | "/api/v1/charging/prepay"
            | "/api/v1/charging/auto-charge" => Some(Self::Charging),
            _ => None,
        }
    }
}

/// The client address of a request from `peer` with `headers`.
pub fn client_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> ClientAddr {
    let Some(peer) = peer else {
        return ClientAddr(None);
    };
    if !trusted.contains(&peer) {
        return ClientAddr(Some(peer));
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ClientAddr(Some(ip)),
            // Unreadable: everyone behind the proxy shares its bucket.
            Err(_) => return ClientAddr(Some(peer)),
        }
    }
    ClientAddr(Some(peer))
}

/// GCRA buckets of one class: client -> theoretical arrival time (ms since the limiter began).
#[derive(Default)]
struct Buckets {
    tat: BTreeMap<Option<IpAddr>, u64>,
    limited: u64,
}

/// The per-client limits of a node.
pub struct Limiter {
    cfg: RateLimitConfig,
    trusted: Vec<IpAddr>,
    began: Instant,
    classes: Mutex<[Buckets; 2]>,
    forgotten: AtomicU64,
}

impl Limiter {
    pub fn new(cfg: RateLimitConfig, trusted: Vec<IpAddr>) -> Self {
        Self {
            cfg,
            trusted,
            began: Instant::now(),
            classes: Mutex::new(Default::default()),
            forgotten: AtomicU64::new(0),
        }
    }

    fn interval_ms(&self) -> u64 {
        60_000 / u64::from(self.cfg.per_min.max(1))
    }

    /// One attempt by `client` at `now_ms`: `Err(retry_after_ms)` if over the limit. A client
    /// without an address (an in-process router in tests; [serve](crate::serve) always records
    /// one) is not limited.
    pub fn check(&self, class: Class, client: ClientAddr, now_ms: u64) -> Result<(), u64> {
        if self.cfg.per_min == 0 || client.0.is_none() {
            return Ok(());
        }
        let interval = self.interval_ms();
        let tolerance = interval * u64::from(self.cfg.burst.max(1) - 1);
        let key = client.bucket();
        let mut classes = self.classes.lock().unwrap_or_else(|p| p.into_inner());
        let b = &mut classes[class as usize];
        if !b.tat.contains_key(&key) && b.tat.len() >= self.cfg.max_clients.max(1) {
            // Idle clients (a full bucket) first; then the one that would refill soonest.
            let before = b.tat.len();
            b.tat.retain(|_, t| *t > now_ms);
            if b.tat.len() >= self.cfg.max_clients.max(1) {
                if let Some(k) = b.tat.iter().min_by_key(|(_, t)| **t).map(|(k, _)| *k) {
                    b.tat.remove(&k);
                }
            }
            self.forgotten
                .fetch_add((before - b.tat.len()) as u64, Ordering::Relaxed);
        }
        let tat = b.tat.get(&key).copied().unwrap_or(now_ms).max(now_ms);
        if tat - now_ms > tolerance {
            b.limited += 1;
            return Err(tat - now_ms - tolerance);
        }
        b.tat.insert(key, tat + interval);
        Ok(())
    }

    fn now_ms(&self) -> u64 {
        self.began.elapsed().as_millis() as u64
    }

    /// Prometheus text of the limits.
    pub fn render(&self) -> String {
        let classes = self.classes.lock().unwrap_or_else(|p| p.into_inner());
        let mut s = String::from(
            "# HELP gridledger_api_rate_limited_total Password-route requests refused with 429 rate_limited, by class.\n\
             # TYPE gridledger_api_rate_limited_total counter\n",
        );
        for class in [Class::SignIn, Class::Charging] {
            s.push_str(&format!(
                "gridledger_api_rate_limited_total{{class=\"{}\"}} {}\n",
                class.label(),
                classes[class as usize].limited
            ));
        }
        s.push_str(
            "# HELP gridledger_api_rate_limit_clients Client addresses remembered by the limits, by class.\n\
             # TYPE gridledger_api_rate_limit_clients gauge\n",
        );
        for class in [Class::SignIn, Class::Charging] {
            s.push_str(&format!(
                "gridledger_api_rate_limit_clients{{class=\"{}\"}} {}\n",
                class.label(),
                classes[class as usize].tat.len()
            ));
        }
        s
    }
}

/// Seconds to wait, rounded up (at least 1).
pub fn retry_after_s(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

/// Middleware: records the client address on every request and limits the password routes.
pub(crate) async fn limit(State(l): State<Arc<Limiter>>, mut req: Request, next: Next) -> Response {
    // As axum's `ConnectInfo` extractor reads it (`MockConnectInfo` in tests).
    let ext = req.extensions();
    let peer = ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| ext.get::<MockConnectInfo<SocketAddr>>().map(|m| m.0.ip()));
    let client = client_of(peer, req.headers(), &l.trusted);
    req.extensions_mut().insert(client);
    let class = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| Class::of(req.method(), p.as_str()));
    if let Some(class) = class {
        if let Err(wait_ms) = l.check(class, client, l.now_ms()) {
            let secs = retry_after_s(wait_ms);
            return ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("too many attempts from this address; try again in {secs} s"),
            )
            .retry_after(secs)
            .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> ClientAddr {
        ClientAddr(Some(s.parse().unwrap()))
    }

    #[test]
    fn a_burst_then_the_refill_rate_per_client_and_class() {
        let l = Limiter::new(
            RateLimitConfig {
                per_min: 30,
                burst: 3,
                max_clients: 100,
            },
            vec![],
        );
        for _ in 0..3 {
            assert_eq!(l.check(Class::SignIn, ip("192.0.2.1"), 0), Ok(()));
        }
        assert_eq!(l.check(Class::SignIn, ip("192.0.2.1"), 0), Err(2_000));
        // Another client and another class have their own buckets.
        assert_eq!(l.check(Class::SignIn, ip("192.0.2.2"), 0), Ok(()));
        assert_eq!(l.check(Class::Charging, ip("192.0.2.1"), 0), Ok(()));
        // One attempt back every 2 s.
        assert_eq!(l.check(Class::SignIn, ip("192.0.2.1"), 1_999), Err(1));
        assert_eq!(l.check(Class::SignIn, ip("192.0.2.1"), 2_000), Ok(()));
        assert_eq!(l.check(Class::SignIn, ip("192.0.2.1"), 2_000), Err(2_000));
        // One IPv6 /64 is one client.
        for i in 0..3 {
            assert_eq!(
                l.check(Class::SignIn, ip(&format!("2001:db8::{i}")), 0),
                Ok(())
            );
        }
        assert!(l.check(Class::SignIn, ip("2001:db8::ff:1"), 0).is_err());
        assert!(l
            .render()
            .contains("rate_limited_total{class=\"sign_in\"} 4\n"));
        // No address (an in-process router): not limited.
        for _ in 0..10 {
            assert_eq!(l.check(Class::SignIn, ClientAddr(None), 0), Ok(()));
        }
        assert_eq!(retry_after_s(1), 1);
        assert_eq!(retry_after_s(2_001), 3);
    }

    #[test]
    fn the_table_is_bounded_and_off_means_off() {
        let l = Limiter::new(
            RateLimitConfig {
                per_min: 60,
                burst: 1,
                max_clients: 4,
            },
            vec![],
        );
        for i in 0..1000u32 {
            let c = ClientAddr(Some(IpAddr::from(i.to_be_bytes())));
            assert_eq!(l.check(Class::Charging, c, u64::from(i)), Ok(()));
        }
        assert!(
            l.classes.lock().unwrap()[Class::Charging as usize]
                .tat
                .len()
                <= 4
        );
        let off = Limiter::new(
            RateLimitConfig {
                per_min: 0,
                ..RateLimitConfig::default()
            },
            vec![],
        );
        for _ in 0..100 {
            assert_eq!(off.check(Class::SignIn, ip("192.0.2.1"), 0), Ok(()));
        }
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "198.51.100.7, 10.0.0.2".parse().unwrap());
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted = [proxy, "10.0.0.2".parse().unwrap()];
        let stranger: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(
            client_of(Some(stranger), &h, &trusted),
            ClientAddr(Some(stranger))
        );
        assert_eq!(client_of(Some(proxy), &h, &trusted), ip("198.51.100.7"));
        assert_eq!(
            client_of(Some(proxy), &HeaderMap::new(), &trusted),
            ClientAddr(Some(proxy))
        );
        let mut junk = HeaderMap::new();
        junk.append("x-forwarded-for", "not-an-ip".parse().unwrap());
        assert_eq!(
            client_of(Some(proxy), &junk, &trusted),
            ClientAddr(Some(proxy))
        );
        assert_eq!(client_of(None, &h, &trusted), ClientAddr(None));
        assert_eq!(ip("2001:db8:1:2:3::4").source(), "2001:db8:1:2::/64");
        assert_eq!(ip("::ffff:192.0.2.1").source(), "192.0.2.1");
        assert_eq!(ClientAddr(None).source(), "unknown");
    }
}
