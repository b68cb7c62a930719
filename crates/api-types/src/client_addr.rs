//! Who is on the other end of a request: the client address its rate limits and lockouts are
//! kept under.
use std::net::{IpAddr, Ipv6Addr};

/// The client of a request as the API sees it (a request extension set for every request);
/// `None` when the server did not record peers (a bare router in tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address its limits and lockouts are kept under: IPv4 as is (IPv4-mapped IPv6 as
    /// IPv4), IPv6 as its /64.
    pub fn bucket(&self) -> Option<IpAddr> {
        self.0.map(|ip| match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
        })
    }

    /// The source string lockouts use: `203.0.113.7`, `2001:db8:1:2::/64`, or `unknown`.
    pub fn source(&self) -> String {
        match self.bucket() {
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => format!("{v6}/64"),
            None => "unknown".to_string(),
        }
    }
}
