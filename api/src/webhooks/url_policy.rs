//! Which URLs may receive webhooks: the server must not become a way to
//! reach the network it runs in (request forgery).
//!
//! By default an endpoint must be https, and every address its host
//! resolves to must be public: loopback, private, link-local, unique-local,
//! carrier-grade NAT, multicast, unspecified, broadcast and reserved
//! addresses are refused, for IPv4 and IPv6 alike (IPv4-mapped,
//! -compatible and NAT64 IPv6 addresses are judged by the IPv4 address
//! inside). The check runs when an endpoint is created or changed, and
//! again at delivery: [`GuardedResolver`] is the HTTP client's DNS
//! resolver, so the client connects only to addresses that passed the
//! check at that moment (DNS can change between the two). Redirects are
//! not followed.
//!
//! `SEATWISE_WEBHOOK_ALLOW_PRIVATE=1` lifts the address rule, and allows
//! plain http to receivers whose addresses are all non-public (tests,
//! on-premises receivers); public receivers still need https.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Which receivers are allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow non-public addresses (and plain http to them).
    pub allow_private: bool,
}

/// Why a URL may not receive webhooks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// Not a URL at all.
    #[error("is not a valid URL")]
    Malformed,
    /// Not https (and not an allowed plain-http private receiver).
    #[error("must use https")]
    NotHttps,
    /// Carries a user name or password.
    #[error("must not carry a user name or password")]
    Credentials,
    /// The host resolves to an address that is not public.
    #[error("resolves to {0}, which is not a public address")]
    PrivateAddress(IpAddr),
    /// The host does not resolve.
    #[error("its host does not resolve")]
    Unresolvable,
}

/// Whether `ip` is anything but a public unicast address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96)
    // addresses reach the IPv4 address inside.
    let embedded = Ipv4Addr::new(
        (segments[6] >> 8) as u8,
        segments[6] as u8,
        (segments[7] >> 8) as u8,
        segments[7] as u8,
    );
    if segments[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return forbidden_v4(embedded);
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(embedded);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
}

impl UrlPolicy {
    /// Check `url`, resolving its host: the URL to send to, or why not.
    pub async fn check(&self, url: &str) -> Result<Url, UrlRefusal> {
        let parsed = Url::parse(url.trim()).map_err(|_| UrlRefusal::Malformed)?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(UrlRefusal::Credentials);
        }
        let https = match parsed.scheme() {
            "https" => true,
            "http" if self.allow_private => false,
            _ => return Err(UrlRefusal::NotHttps),
        };
        let addresses = resolve(&parsed).await?;
        if !https && addresses.iter().any(|a| !is_forbidden(*a)) {
            // Plain http only ever to private receivers.
            return Err(UrlRefusal::NotHttps);
        }
        if !self.allow_private
            && let Some(bad) = addresses.iter().find(|a| is_forbidden(**a))
        {
            return Err(UrlRefusal::PrivateAddress(*bad));
        }
        Ok(parsed)
    }
}

/// Every address `url`'s host stands for (an IP literal is itself).
async fn resolve(url: &Url) -> Result<Vec<IpAddr>, UrlRefusal> {
    let port = url.port_or_known_default().unwrap_or(443);
    let host = url.host_str().ok_or(UrlRefusal::Malformed)?;
    // IPv6 literals come bracketed (`[::1]`).
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let found: Vec<IpAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| UrlRefusal::Unresolvable)?
        .map(|a| a.ip())
        .collect();
    if found.is_empty() {
        Err(UrlRefusal::Unresolvable)
    } else {
        Ok(found)
    }
}

/// The HTTP client's DNS resolver: resolves, then keeps only addresses the
/// policy allows, so the client connects to nothing else.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// The policy applied to every answer.
    pub policy: UrlPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.policy.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_forbidden(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn non_public_addresses_are_forbidden_in_both_families() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(is_forbidden(ip(bad)), "{bad} is refused");
        }
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(!is_forbidden(ip(good)), "{good} is allowed");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_by_scheme_credentials_and_address() {
        let strict = UrlPolicy::default();
        assert_eq!(
            strict.check("http://1.1.1.1/hook").await,
            Err(UrlRefusal::NotHttps)
        );
        assert_eq!(
            strict.check("ftp://1.1.1.1/").await,
            Err(UrlRefusal::NotHttps)
        );
        assert_eq!(strict.check("not a url").await, Err(UrlRefusal::Malformed));
        assert_eq!(
            strict.check("https://u:p@1.1.1.1/").await,
            Err(UrlRefusal::Credentials)
        );
        assert_eq!(
            strict.check("https://127.0.0.1/").await,
            Err(UrlRefusal::PrivateAddress(ip("127.0.0.1")))
        );
        assert_eq!(
            strict.check("https://[::1]:8443/").await,
            Err(UrlRefusal::PrivateAddress(ip("::1")))
        );
        assert!(matches!(
            strict.check("https://localhost/").await,
            Err(UrlRefusal::PrivateAddress(a)) if a.is_loopback()
        ));
        assert!(strict.check("https://1.1.1.1/hook").await.is_ok());

        let open = UrlPolicy {
            allow_private: true,
        };
        assert!(open.check("http://127.0.0.1:9/hook").await.is_ok());
        assert_eq!(
            open.check("http://1.1.1.1/").await,
            Err(UrlRefusal::NotHttps)
        );
    }
}
