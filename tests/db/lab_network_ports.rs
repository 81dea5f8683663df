//! The lab network's ports (`lab_network_ports`, migration 0007) on each backend: concurrent
//! allocations never share an address, a full pool and a taken fixed address are Nova's
//! errors, an instance's destroy releases its port in the same transaction, and a
//! transaction whose statement fails leaves nothing behind.

use std::collections::HashSet;
use std::net::IpAddr;

use novactor::db::SqlValue;
use novactor_nova::conf::{LabNetworkConf, NovaConfig};
use novactor_nova::db::{LabPortError, NovaDb, PortAddresses};
use serde_json::json;

use crate::common::Backend;
use crate::scenario::{synced, values, with_db};

/// 192.168.50.0/29, no IPv6: .2 to .6 are the pool.
fn tiny() -> LabNetworkConf {
    NovaConfig::with_overrides(&[
        ("lab_network", "ipv4_cidr", "192.168.50.0/29"),
        ("lab_network", "ipv6_cidr", ""),
    ])
    .expect("config")
    .lab_network
}

async fn instance(db: &NovaDb, name: &str) -> String {
    db.instance_create(&values(json!({"display_name": name, "project_id": "p"})))
        .await
        .unwrap()
        .uuid
}

async fn concurrent_allocations_share_nothing_and_a_destroy_frees_the_address(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let lab = tiny();
        let mut uuids = Vec::new();
        for n in 0..6 {
            uuids.push(instance(&db, &format!("vm{n}")).await);
        }
        let allocations = uuids[..5]
            .iter()
            .map(|uuid| db.lab_network_port_create(&lab, uuid, PortAddresses::Any));
        let ports: Vec<_> = futures::future::join_all(allocations)
            .await
            .into_iter()
            .map(|port| port.expect("a free address"))
            .collect();
        let addresses: HashSet<_> = ports.iter().map(|p| p.ipv4_address.clone()).collect();
        let expected: HashSet<_> = (2..=6).map(|h| Some(format!("192.168.50.{h}"))).collect();
        assert_eq!(addresses, expected);
        assert!(ports.iter().all(|p| p.ipv6_address.is_none()));
        let macs: HashSet<_> = ports.iter().map(|p| p.mac_address.clone()).collect();
        assert_eq!(macs.len(), 5);

        let full = db
            .lab_network_port_create(&lab, &uuids[5], PortAddresses::Any)
            .await
            .unwrap_err();
        assert!(
            matches!(full, LabPortError::NoMoreFixedIps { .. }),
            "{full}"
        );
        assert_eq!(
            full.to_string(),
            format!("No fixed IP addresses available for network: {}", lab.uuid)
        );
        let wanted: IpAddr = "192.168.50.4".parse().unwrap();
        let taken = db
            .lab_network_port_create(&lab, &uuids[5], PortAddresses::Fixed(wanted))
            .await
            .unwrap_err();
        assert_eq!(
            taken.to_string(),
            "Fixed IP 192.168.50.4 is already in use."
        );

        let owner = ports
            .iter()
            .find(|p| p.ipv4_address.as_deref() == Some("192.168.50.4"))
            .unwrap();
        db.instance_destroy(&owner.instance_uuid).await.unwrap();
        let left = db.lab_network_ports_of_instances(&uuids).await.unwrap();
        assert_eq!(left.len(), 4, "the destroyed instance's port went with it");
        let reused = db
            .lab_network_port_create(&lab, &uuids[5], PortAddresses::Fixed(wanted))
            .await
            .unwrap();
        assert_eq!(reused.ipv4_address.as_deref(), Some("192.168.50.4"));
    })
    .await;
}

async fn a_transaction_whose_statement_fails_changes_nothing(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let uuid = instance(&db, "before").await;
        let rename = "UPDATE instances SET display_name = ? WHERE uuid = ?";
        // The second statement breaks the (network, MAC) unique key with itself.
        let insert = "INSERT INTO lab_network_ports (uuid, network_uuid, instance_uuid, \
                      mac_address) VALUES (?, 'n', ?, 'fa:16:3e:00:00:01')";
        let first: [SqlValue; 2] = ["after".into(), uuid.as_str().into()];
        let port = |id: &str| -> [SqlValue; 2] { [id.into(), uuid.as_str().into()] };
        let failed = db
            .database()
            .execute_in_transaction(&[
                (rename, &first),
                (insert, &port("p1")),
                (insert, &port("p2")),
            ])
            .await;
        assert!(failed.is_err(), "{failed:?}");
        let row = db.instance_get_by_uuid(&uuid).await.unwrap();
        assert_eq!(row.display_name.as_deref(), Some("before"));
        assert!(db
            .lab_network_ports_of_instances(std::slice::from_ref(&uuid))
            .await
            .unwrap()
            .is_empty());
        let done = db
            .database()
            .execute_in_transaction(&[(rename, &first), (insert, &port("p3"))])
            .await
            .unwrap();
        assert_eq!(done, vec![1, 1]);
    })
    .await;
}

crate::common::scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        concurrent_allocations_share_nothing_and_a_destroy_frees_the_address,
        a_transaction_whose_statement_fails_changes_nothing,
    ]
}
