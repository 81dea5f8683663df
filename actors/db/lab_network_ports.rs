//! The lab network's ports (`lab_network_ports`, migration 0007): one row per server on
//! `[lab_network]`, with its MAC and fixed addresses. Allocation picks free addresses and
//! inserts; the table's unique keys (network, address) and (network, MAC) are what make two
//! servers never share one, so a concurrent create that took the same candidate makes the
//! insert fail, and the allocation reads again and retries. A port is released (its row
//! deleted) in the transaction that destroys its instance (`instances.rs`).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};
use rand::seq::IndexedRandom;
use rand::Rng;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;
use crate::conf::LabNetworkConf;
use novactor::db::{DbError, SqlValue};

const TABLE: &str = "lab_network_ports";

/// Deletes the ports of one instance (bound: its uuid); run with the instance's destroy.
pub(super) const RELEASE_INSTANCE_PORTS: &str =
    "DELETE FROM lab_network_ports WHERE instance_uuid = ?";

/// Candidates an allocation chooses among at random (Neutron's IPAM also picks within a
/// window of free addresses), so concurrent creates rarely pick the same one.
const CANDIDATE_WINDOW: usize = 16;

/// Inserts tried before giving up when every one met a concurrent create's address.
const ALLOCATION_ATTEMPTS: usize = 64;

/// One server's port on the lab network.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
#[allow(missing_docs)] // the columns of migration 0007
pub struct LabPortRow {
    pub id: i64,
    pub uuid: String,
    pub network_uuid: String,
    pub instance_uuid: String,
    pub mac_address: String,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// Which addresses a new port gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortAddresses {
    /// One free IPv4 address, and one free IPv6 address when IPv6 is on.
    Any,
    /// Exactly this address (as Neutron's `fixed_ips` on a port: only that one).
    Fixed(IpAddr),
}

/// Why no port was allocated.
#[derive(Debug, thiserror::Error)]
pub enum LabPortError {
    /// Nova `NoMoreFixedIps` (Neutron's `IpAddressGenerationFailure`).
    #[error("No fixed IP addresses available for network: {network}")]
    NoMoreFixedIps {
        /// The network's uuid.
        network: String,
    },
    /// Nova `FixedIpAlreadyInUse`, as `nova/network/neutron.py` words it.
    #[error("Fixed IP {address} is already in use.")]
    FixedIpAlreadyInUse {
        /// The address asked for.
        address: IpAddr,
    },
    /// Every attempt met a concurrent allocation of the same candidate.
    #[error(
        "could not allocate an address on network {network} after {ALLOCATION_ATTEMPTS} \
         attempts: too many concurrent creates; try again"
    )]
    Contended {
        /// The network's uuid.
        network: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] NovaDbError),
}

/// A Neutron-style MAC: OpenStack's `fa:16:3e` prefix and three random octets.
fn random_mac() -> String {
    let mut rng = rand::rng();
    let tail: [u8; 3] = rng.random();
    format!("fa:16:3e:{:02x}:{:02x}:{:02x}", tail[0], tail[1], tail[2])
}

fn parsed<T: std::str::FromStr>(text: Option<&str>) -> Option<T> {
    text.and_then(|t| t.parse().ok())
}

impl NovaDb {
    /// The ports of `network`, in allocation order.
    async fn lab_ports_of_network(&self, network: &str) -> Result<Vec<LabPortRow>, NovaDbError> {
        let sql = format!("SELECT * FROM {TABLE} WHERE network_uuid = ? ORDER BY id");
        Ok(self.db.fetch_all(&sql, &[network.into()]).await?)
    }

    /// A port for `instance_uuid` on `network` with `addresses`. Errors: the pool has no
    /// free address ([`LabPortError::NoMoreFixedIps`]); the fixed address is another
    /// server's ([`LabPortError::FixedIpAlreadyInUse`]). The caller checked that a fixed
    /// address is in the pool ([`LabNetworkConf::in_pool`]).
    pub async fn lab_network_port_create(
        &self,
        network: &LabNetworkConf,
        instance_uuid: &str,
        addresses: PortAddresses,
    ) -> Result<LabPortRow, LabPortError> {
        let no_more = || LabPortError::NoMoreFixedIps {
            network: network.uuid.clone(),
        };
        for _ in 0..ALLOCATION_ATTEMPTS {
            let ports = self.lab_ports_of_network(&network.uuid).await?;
            let (ipv4, ipv6) = match addresses {
                PortAddresses::Fixed(address) => {
                    let text = address.to_string();
                    let in_use = ports.iter().any(|p| {
                        p.ipv4_address.as_deref() == Some(text.as_str())
                            || p.ipv6_address.as_deref() == Some(text.as_str())
                    });
                    if in_use {
                        return Err(LabPortError::FixedIpAlreadyInUse { address });
                    }
                    match address {
                        IpAddr::V4(_) => (Some(text), None),
                        IpAddr::V6(_) => (None, Some(text)),
                    }
                }
                PortAddresses::Any => {
                    let taken_v4: HashSet<Ipv4Addr> = ports
                        .iter()
                        .filter_map(|p| parsed(p.ipv4_address.as_deref()))
                        .collect();
                    let taken_v6: HashSet<Ipv6Addr> = ports
                        .iter()
                        .filter_map(|p| parsed(p.ipv6_address.as_deref()))
                        .collect();
                    let mut rng = rand::rng();
                    let v4 = network.free_ipv4(&taken_v4, CANDIDATE_WINDOW);
                    let v4 = v4.choose(&mut rng).ok_or_else(no_more)?;
                    let v6 = match network.ipv6_cidr {
                        None => None,
                        Some(_) => {
                            let free = network.free_ipv6(&taken_v6, CANDIDATE_WINDOW);
                            Some(free.choose(&mut rng).ok_or_else(no_more)?.to_string())
                        }
                    };
                    (Some(v4.to_string()), v6)
                }
            };
            let row = LabPortRow {
                id: 0,
                uuid: uuid::Uuid::new_v4().to_string(),
                network_uuid: network.uuid.clone(),
                instance_uuid: instance_uuid.to_owned(),
                mac_address: random_mac(),
                ipv4_address: ipv4,
                ipv6_address: ipv6,
                created_at: Some(utc_now()),
            };
            let columns: [(&'static str, SqlValue); 7] = [
                ("uuid", row.uuid.as_str().into()),
                ("network_uuid", row.network_uuid.as_str().into()),
                ("instance_uuid", row.instance_uuid.as_str().into()),
                ("mac_address", row.mac_address.as_str().into()),
                ("ipv4_address", SqlValue::Text(row.ipv4_address.clone())),
                ("ipv6_address", SqlValue::Text(row.ipv6_address.clone())),
                ("created_at", utc_now().into()),
            ];
            match self.db.insert(TABLE, &columns).await {
                Ok(id) => {
                    tracing::info!(
                        instance = instance_uuid, mac = %row.mac_address,
                        ipv4 = ?row.ipv4_address, ipv6 = ?row.ipv6_address,
                        "lab network port allocated"
                    );
                    return Ok(LabPortRow { id, ..row });
                }
                // A concurrent create took an address (or, rarely, the MAC): read again.
                Err(DbError::Duplicate { message }) => {
                    tracing::debug!(instance = instance_uuid, %message, "lab network candidate taken; retrying");
                }
                Err(other) => return Err(NovaDbError::from(other).into()),
            }
        }
        Err(LabPortError::Contended {
            network: network.uuid.clone(),
        })
    }

    /// The ports of `instance_uuids` (one query whatever their number), in allocation
    /// order.
    pub async fn lab_network_ports_of_instances(
        &self,
        instance_uuids: &[String],
    ) -> Result<Vec<LabPortRow>, NovaDbError> {
        if instance_uuids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; instance_uuids.len()].join(", ");
        let sql = format!("SELECT * FROM {TABLE} WHERE instance_uuid IN ({marks}) ORDER BY id");
        let params: Vec<SqlValue> = instance_uuids.iter().map(|u| u.as_str().into()).collect();
        Ok(self.db.fetch_all(&sql, &params).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::random_mac;

    #[test]
    fn macs_carry_openstacks_prefix() {
        let mac = random_mac();
        assert!(mac.starts_with("fa:16:3e:"), "{mac}");
        assert_eq!(mac.len(), 17);
    }
}
