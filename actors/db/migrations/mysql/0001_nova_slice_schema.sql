-- The Nova slice schema (mysql). Same tables, columns and keys in migrations/sqlite,
-- migrations/postgres and migrations/mysql; change all three together.
-- Timestamps are UTC, written by novactor (never server defaults). Soft-deleted rows
-- have deleted = id, live rows deleted = 0, so unique keys include deleted.

-- Nova nova/db/main/models.py Service (spec section 3.1).
CREATE TABLE services (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `uuid` VARCHAR(36) NOT NULL,
    `host` VARCHAR(255),
    `binary` VARCHAR(255),
    `topic` VARCHAR(255),
    `report_count` INT NOT NULL DEFAULT 0,
    `disabled` BOOLEAN NOT NULL DEFAULT FALSE,
    `disabled_reason` VARCHAR(255),
    `last_seen_up` DATETIME(6),
    `forced_down` BOOLEAN NOT NULL DEFAULT FALSE,
    `version` INT NOT NULL DEFAULT 0,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    `deleted_at` DATETIME(6),
    `deleted` INT NOT NULL DEFAULT 0,
    CONSTRAINT uniq_services0host0topic0deleted UNIQUE (`host`, `topic`, `deleted`),
    CONSTRAINT uniq_services0host0binary0deleted UNIQUE (`host`, `binary`, `deleted`),
    CONSTRAINT uniq_services0uuid UNIQUE (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Nova ComputeNode (spec section 3.4).
CREATE TABLE compute_nodes (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `uuid` VARCHAR(36) NOT NULL,
    `service_id` INT,
    `host` VARCHAR(255),
    `hypervisor_hostname` VARCHAR(255),
    `vcpus` INT NOT NULL,
    `memory_mb` INT NOT NULL,
    `local_gb` INT NOT NULL,
    `vcpus_used` INT NOT NULL DEFAULT 0,
    `memory_mb_used` INT NOT NULL DEFAULT 0,
    `local_gb_used` INT NOT NULL DEFAULT 0,
    `free_ram_mb` INT,
    `free_disk_gb` INT,
    `current_workload` INT,
    `running_vms` INT,
    `disk_available_least` INT,
    `hypervisor_type` MEDIUMTEXT NOT NULL,
    `hypervisor_version` INT NOT NULL,
    `cpu_info` MEDIUMTEXT NOT NULL,
    `host_ip` VARCHAR(39),
    `supported_instances` TEXT,
    `metrics` TEXT,
    `pci_stats` TEXT,
    `extra_resources` TEXT,
    `stats` TEXT,
    `numa_topology` TEXT,
    `cpu_allocation_ratio` DOUBLE,
    `ram_allocation_ratio` DOUBLE,
    `disk_allocation_ratio` DOUBLE,
    `mapped` INT NOT NULL DEFAULT 0,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    `deleted_at` DATETIME(6),
    `deleted` INT NOT NULL DEFAULT 0,
    CONSTRAINT uniq_compute_nodes0host0hypervisor_hostname0deleted UNIQUE (`host`, `hypervisor_hostname`, `deleted`),
    CONSTRAINT compute_nodes_uuid_idx UNIQUE (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Nova Instance, flavor snapshot inline (spec section 7).
CREATE TABLE instances (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `uuid` VARCHAR(36) NOT NULL,
    `display_name` VARCHAR(255),
    `display_description` TEXT,
    `hostname` VARCHAR(255),
    `user_id` VARCHAR(255),
    `project_id` VARCHAR(255),
    `image_ref` VARCHAR(255),
    `instance_type_id` INT,
    `memory_mb` INT,
    `vcpus` INT,
    `root_gb` INT,
    `ephemeral_gb` INT,
    `swap` INT,
    `flavor` TEXT,
    `vm_state` VARCHAR(255),
    `task_state` VARCHAR(255),
    `power_state` INT,
    `host` VARCHAR(255),
    `node` VARCHAR(255),
    `compute_id` BIGINT,
    `launched_on` TEXT,
    `launched_at` DATETIME(6),
    `terminated_at` DATETIME(6),
    `availability_zone` VARCHAR(255),
    `reservation_id` VARCHAR(255),
    `launch_index` INT,
    `key_name` VARCHAR(255),
    `user_data` MEDIUMTEXT,
    `config_drive` VARCHAR(255),
    `locked_by` VARCHAR(5),
    `progress` INT,
    `metadata` TEXT,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    `deleted_at` DATETIME(6),
    `deleted` INT NOT NULL DEFAULT 0,
    CONSTRAINT uniq_instances0uuid UNIQUE (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX instances_host_deleted_idx ON instances (`host`, `deleted`);
CREATE INDEX instances_project_id_deleted_idx ON instances (`project_id`, `deleted`);

-- Nova InstanceFault.
CREATE TABLE instance_faults (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `instance_uuid` VARCHAR(36) NOT NULL,
    `code` INT NOT NULL,
    `message` VARCHAR(255),
    `details` MEDIUMTEXT,
    `host` VARCHAR(255),
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    `deleted_at` DATETIME(6),
    `deleted` INT NOT NULL DEFAULT 0,
    CONSTRAINT fk_instance_faults_instance_uuid FOREIGN KEY (`instance_uuid`) REFERENCES instances (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX instance_faults_instance_uuid_deleted_created_at_idx ON instance_faults (`instance_uuid`, `deleted`, `created_at`);

-- Nova API DB Flavors (no soft delete there).
CREATE TABLE flavors (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `flavorid` VARCHAR(255) NOT NULL,
    `name` VARCHAR(255) NOT NULL,
    `memory_mb` INT NOT NULL,
    `vcpus` INT NOT NULL,
    `root_gb` INT,
    `ephemeral_gb` INT NOT NULL DEFAULT 0,
    `swap` INT NOT NULL DEFAULT 0,
    `rxtx_factor` DOUBLE NOT NULL DEFAULT 1,
    `vcpu_weight` INT,
    `is_public` BOOLEAN NOT NULL DEFAULT TRUE,
    `disabled` BOOLEAN NOT NULL DEFAULT FALSE,
    `description` TEXT,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    CONSTRAINT uniq_flavors0flavorid UNIQUE (`flavorid`),
    CONSTRAINT uniq_flavors0name UNIQUE (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Nova API DB RequestSpec: the JSON blob rescheduling needs.
CREATE TABLE request_specs (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `instance_uuid` VARCHAR(36) NOT NULL,
    `spec` MEDIUMTEXT NOT NULL,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    CONSTRAINT uniq_request_specs0instance_uuid UNIQUE (`instance_uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Nova InstanceAction.
CREATE TABLE instance_actions (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `action` VARCHAR(255),
    `instance_uuid` VARCHAR(36),
    `request_id` VARCHAR(255),
    `user_id` VARCHAR(255),
    `project_id` VARCHAR(255),
    `start_time` DATETIME(6),
    `finish_time` DATETIME(6),
    `message` VARCHAR(255),
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    `deleted_at` DATETIME(6),
    `deleted` INT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX instance_uuid_idx ON instance_actions (`instance_uuid`);
CREATE INDEX request_id_idx ON instance_actions (`request_id`);

-- Nova InstanceActionEvent.
CREATE TABLE instance_actions_events (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `event` VARCHAR(255),
    `action_id` INT,
    `start_time` DATETIME(6),
    `finish_time` DATETIME(6),
    `result` VARCHAR(255),
    `traceback` TEXT,
    `host` VARCHAR(255),
    `details` TEXT,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    `deleted_at` DATETIME(6),
    `deleted` INT NOT NULL DEFAULT 0,
    CONSTRAINT fk_instance_actions_events_action_id FOREIGN KEY (`action_id`) REFERENCES instance_actions (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
