//! `[lab_network]`: novactor's one built-in network (there is no Neutron; docs/DEVIATIONS.md
//! D-LABNET). Its options, their typed view checked at start (a bad CIDR stops the process
//! naming the option), and the address arithmetic of its pools: which addresses a server
//! may get and which are free. The allocations themselves are rows
//! (`db/lab_network_ports.rs`).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;

use ipnet::{Ipv4Net, Ipv6Net};
use novactor::config::{ConfigError, OptionDefault, OptionKind, OptionReader, OptionSpec};

const G: &str = "lab_network";

/// The options of `[lab_network]` (novactor's own group).
pub static LAB_NETWORK_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        G,
        "name",
        OptionKind::String,
        OptionDefault::Value("private"),
        "The lab network's name: the label of a server's `addresses` and of \
         GET /servers/{id}/ips/{label}.",
        "novactor (a Neutron network's name)",
    ),
    OptionSpec::new(
        G,
        "uuid",
        OptionKind::String,
        OptionDefault::Value("3c5c6a4e-7d3b-4d8e-9f30-6b1f5a0c2e11"),
        "The lab network's id, as `networks: [{\"uuid\": …}]` asks for it.",
        "novactor (a Neutron network's id)",
    ),
    OptionSpec::new(
        G,
        "ipv4_cidr",
        OptionKind::String,
        OptionDefault::Value("10.0.0.0/16"),
        "The IPv4 subnet. Its first address is the gateway; servers get the addresses \
         after it, up to the one before the broadcast address (a /30 at the smallest).",
        "novactor (a Neutron subnet's cidr)",
    ),
    OptionSpec::new(
        G,
        "ipv6_cidr",
        OptionKind::String,
        OptionDefault::Value("fd00::/64"),
        "The IPv6 subnet, empty for none. Its first address is the gateway; each server \
         also gets one address after it.",
        "novactor (a Neutron subnet's cidr)",
    ),
];

/// `[lab_network]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabNetworkConf {
    /// `name`: the label servers' addresses are shown under.
    pub name: String,
    /// `uuid`, lower case.
    pub uuid: String,
    /// `ipv4_cidr`.
    pub ipv4_cidr: Ipv4Net,
    /// `ipv6_cidr`; `None` when empty.
    pub ipv6_cidr: Option<Ipv6Net>,
}

fn invalid(r: &OptionReader<'_>, name: &'static str, value: &str, expected: String) -> ConfigError {
    ConfigError::InvalidValue {
        group: G,
        name,
        value: value.to_owned(),
        origin: r.origin(G, name),
        expected,
    }
}

/// Reads and checks `[lab_network]`.
pub(super) fn build(r: &OptionReader<'_>) -> Result<LabNetworkConf, ConfigError> {
    let name = r.string(G, "name")?;
    if name.trim().is_empty() || name.contains('/') {
        return Err(invalid(
            r,
            "name",
            &name,
            "a non-empty label without '/' (it is a URL segment of /ips/{label})".into(),
        ));
    }
    let uuid = r.string(G, "uuid")?;
    let parsed = uuid::Uuid::try_parse(uuid.trim())
        .map_err(|_| invalid(r, "uuid", &uuid, "a UUID".into()))?;
    let v4_text = r.string(G, "ipv4_cidr")?;
    let ipv4_cidr: Ipv4Net = v4_text.trim().parse().map_err(|_| {
        invalid(
            r,
            "ipv4_cidr",
            &v4_text,
            "an IPv4 CIDR such as 10.0.0.0/16".into(),
        )
    })?;
    if ipv4_cidr != ipv4_cidr.trunc() {
        return Err(invalid(
            r,
            "ipv4_cidr",
            &v4_text,
            format!(
                "a network address without host bits ({})",
                ipv4_cidr.trunc()
            ),
        ));
    }
    if ipv4_cidr.prefix_len() > 30 {
        return Err(invalid(
            r,
            "ipv4_cidr",
            &v4_text,
            "a prefix of at most /30 (a gateway and one server address)".into(),
        ));
    }
    let v6_text = r.opt_string(G, "ipv6_cidr")?.unwrap_or_default();
    let ipv6_cidr = if v6_text.trim().is_empty() {
        None
    } else {
        let net: Ipv6Net = v6_text.trim().parse().map_err(|_| {
            invalid(
                r,
                "ipv6_cidr",
                &v6_text,
                "an IPv6 CIDR such as fd00::/64, or empty".into(),
            )
        })?;
        if net != net.trunc() {
            return Err(invalid(
                r,
                "ipv6_cidr",
                &v6_text,
                format!("a network address without host bits ({})", net.trunc()),
            ));
        }
        if net.prefix_len() > 126 {
            return Err(invalid(
                r,
                "ipv6_cidr",
                &v6_text,
                "a prefix of at most /126".into(),
            ));
        }
        Some(net)
    };
    Ok(LabNetworkConf {
        name,
        uuid: parsed.hyphenated().to_string(),
        ipv4_cidr,
        ipv6_cidr,
    })
}

/// The first `window` members of `pool` not in `taken`: the candidates an allocation
/// picks from (iterates at most `taken.len() + window` addresses).
fn first_free(pool: RangeInclusive<u128>, taken: &HashSet<u128>, window: usize) -> Vec<u128> {
    pool.filter(|a| !taken.contains(a)).take(window).collect()
}

impl LabNetworkConf {
    /// The IPv4 gateway: the subnet's first host, as Neutron's default `gateway_ip`.
    pub fn ipv4_gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.ipv4_cidr.network()) + 1)
    }

    /// The IPv6 gateway, when IPv6 is on.
    pub fn ipv6_gateway(&self) -> Option<Ipv6Addr> {
        self.ipv6_cidr
            .map(|net| Ipv6Addr::from(u128::from(net.network()) + 1))
    }

    fn ipv4_pool(&self) -> RangeInclusive<u128> {
        let first = u32::from(self.ipv4_cidr.network()) + 2;
        let last = u32::from(self.ipv4_cidr.broadcast()) - 1;
        u128::from(first)..=u128::from(last)
    }

    fn ipv6_pool(&self) -> Option<RangeInclusive<u128>> {
        self.ipv6_cidr
            .map(|net| u128::from(net.network()) + 2..=u128::from(net.broadcast()))
    }

    /// Whether a server may be given `address` (in a subnet, not its network, gateway or
    /// broadcast address).
    pub fn in_pool(&self, address: IpAddr) -> bool {
        match address {
            IpAddr::V4(a) => self.ipv4_pool().contains(&u128::from(u32::from(a))),
            IpAddr::V6(a) => self
                .ipv6_pool()
                .is_some_and(|pool| pool.contains(&u128::from(a))),
        }
    }

    /// Up to `window` free IPv4 addresses, lowest first.
    pub fn free_ipv4(&self, taken: &HashSet<Ipv4Addr>, window: usize) -> Vec<Ipv4Addr> {
        let taken = taken.iter().map(|a| u128::from(u32::from(*a))).collect();
        first_free(self.ipv4_pool(), &taken, window)
            .into_iter()
            .filter_map(|a| u32::try_from(a).ok().map(Ipv4Addr::from))
            .collect()
    }

    /// Up to `window` free IPv6 addresses, lowest first; empty without IPv6.
    pub fn free_ipv6(&self, taken: &HashSet<Ipv6Addr>, window: usize) -> Vec<Ipv6Addr> {
        let Some(pool) = self.ipv6_pool() else {
            return Vec::new();
        };
        let taken = taken.iter().map(|a| u128::from(*a)).collect();
        first_free(pool, &taken, window)
            .into_iter()
            .map(Ipv6Addr::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(v4: &str, v6: &str) -> Result<LabNetworkConf, ConfigError> {
        crate::conf::NovaConfig::with_overrides(&[(G, "ipv4_cidr", v4), (G, "ipv6_cidr", v6)])
            .map(|c| c.lab_network)
    }

    #[test]
    fn defaults_are_a_private_dual_stack_network() {
        let net = conf("10.0.0.0/16", "fd00::/64").expect("defaults");
        assert_eq!(net.name, "private");
        assert_eq!(net.ipv4_gateway(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(net.ipv6_gateway(), Some("fd00::1".parse().expect("v6")));
        let free = net.free_ipv4(&HashSet::new(), 2);
        assert_eq!(
            free,
            vec![Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 3)]
        );
        assert!(!net.in_pool("10.0.0.1".parse().expect("ip")));
        assert!(!net.in_pool("10.0.255.255".parse().expect("ip")));
        assert!(net.in_pool("10.0.255.254".parse().expect("ip")));
        assert!(!net.in_pool("10.1.0.5".parse().expect("ip")));
        assert!(net.in_pool("fd00::5".parse().expect("ip")));
    }

    #[test]
    fn a_tiny_pool_runs_out_and_ipv6_may_be_off() {
        let net = conf("192.168.7.0/29", "").expect("tiny");
        assert_eq!(net.ipv6_cidr, None);
        let taken: HashSet<Ipv4Addr> = (2..=5).map(|h| Ipv4Addr::new(192, 168, 7, h)).collect();
        assert_eq!(
            net.free_ipv4(&taken, 8),
            vec![Ipv4Addr::new(192, 168, 7, 6)]
        );
        let all: HashSet<Ipv4Addr> = (2..=6).map(|h| Ipv4Addr::new(192, 168, 7, h)).collect();
        assert!(net.free_ipv4(&all, 8).is_empty());
        assert!(net.free_ipv6(&HashSet::new(), 1).is_empty());
    }

    #[test]
    fn bad_cidrs_name_their_option() {
        for (v4, v6, option) in [
            ("10.0.0.0/33", "", "ipv4_cidr"),
            ("10.0.0.5/16", "", "ipv4_cidr"),
            ("10.0.0.0/31", "", "ipv4_cidr"),
            ("fd00::/64", "", "ipv4_cidr"),
            ("10.0.0.0/24", "10.0.0.0/24", "ipv6_cidr"),
            ("10.0.0.0/24", "fd00::1/64", "ipv6_cidr"),
        ] {
            let error = conf(v4, v6).expect_err(v4).to_string();
            assert!(
                error.contains(&format!("[lab_network] {option}")),
                "{error}"
            );
        }
        let error = crate::conf::NovaConfig::with_overrides(&[(G, "uuid", "not-a-uuid")])
            .expect_err("uuid")
            .to_string();
        assert!(error.contains("[lab_network] uuid"), "{error}");
    }
}
