-- novactor's built-in lab network ([lab_network], docs/DEVIATIONS.md): one row per port, the
-- port of one server on that network: its id, MAC and fixed addresses. The unique keys are
-- what keeps two servers from ever sharing an address or a MAC, whatever runs concurrently;
-- a port's row is deleted in the transaction that destroys its instance (the address is free
-- again). NULL addresses (no IPv6 configured, or a fixed_ip of the other family) do not clash.
CREATE TABLE lab_network_ports (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `uuid` VARCHAR(36) NOT NULL,
    `network_uuid` VARCHAR(36) NOT NULL,
    `instance_uuid` VARCHAR(36) NOT NULL,
    `mac_address` VARCHAR(17) NOT NULL,
    `ipv4_address` VARCHAR(15),
    `ipv6_address` VARCHAR(39),
    `created_at` DATETIME(6),
    CONSTRAINT uniq_lab_network_ports0uuid UNIQUE (`uuid`),
    CONSTRAINT uniq_lab_network_ports0network_uuid0mac_address UNIQUE (`network_uuid`, `mac_address`),
    CONSTRAINT uniq_lab_network_ports0network_uuid0ipv4_address UNIQUE (`network_uuid`, `ipv4_address`),
    CONSTRAINT uniq_lab_network_ports0network_uuid0ipv6_address UNIQUE (`network_uuid`, `ipv6_address`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX lab_network_ports_instance_uuid_idx ON lab_network_ports (`instance_uuid`);

-- Nova keeps an instance's network model (NetworkInfo JSON) in instance_info_caches; the
-- slice keeps it as one column, written when the port is allocated, so the Instance objects
-- the conductor answers carry it in info_cache.network_info.
ALTER TABLE instances ADD COLUMN `network_info` TEXT;
