-- The Nova slice schema (sqlite). Same tables, columns and keys in migrations/sqlite,
-- migrations/postgres and migrations/mysql; change all three together.
-- Timestamps are UTC, written by novactor (never server defaults). Soft-deleted rows
-- have deleted = id, live rows deleted = 0, so unique keys include deleted.

-- Nova nova/db/main/models.py Service (spec section 3.1).
CREATE TABLE services (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "uuid" VARCHAR(36) NOT NULL,
    "host" VARCHAR(255),
    "binary" VARCHAR(255),
    "topic" VARCHAR(255),
    "report_count" INTEGER NOT NULL DEFAULT 0,
    "disabled" BOOLEAN NOT NULL DEFAULT FALSE,
    "disabled_reason" VARCHAR(255),
    "last_seen_up" DATETIME,
    "forced_down" BOOLEAN NOT NULL DEFAULT FALSE,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    "deleted_at" DATETIME,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT uniq_services0host0topic0deleted UNIQUE ("host", "topic", "deleted"),
    CONSTRAINT uniq_services0host0binary0deleted UNIQUE ("host", "binary", "deleted"),
    CONSTRAINT uniq_services0uuid UNIQUE ("uuid")
);

-- Nova ComputeNode (spec section 3.4).
CREATE TABLE compute_nodes (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "uuid" VARCHAR(36) NOT NULL,
    "service_id" INTEGER,
    "host" VARCHAR(255),
    "hypervisor_hostname" VARCHAR(255),
    "vcpus" INTEGER NOT NULL,
    "memory_mb" INTEGER NOT NULL,
    "local_gb" INTEGER NOT NULL,
    "vcpus_used" INTEGER NOT NULL DEFAULT 0,
    "memory_mb_used" INTEGER NOT NULL DEFAULT 0,
    "local_gb_used" INTEGER NOT NULL DEFAULT 0,
    "free_ram_mb" INTEGER,
    "free_disk_gb" INTEGER,
    "current_workload" INTEGER,
    "running_vms" INTEGER,
    "disk_available_least" INTEGER,
    "hypervisor_type" TEXT NOT NULL,
    "hypervisor_version" INTEGER NOT NULL,
    "cpu_info" TEXT NOT NULL,
    "host_ip" VARCHAR(39),
    "supported_instances" TEXT,
    "metrics" TEXT,
    "pci_stats" TEXT,
    "extra_resources" TEXT,
    "stats" TEXT,
    "numa_topology" TEXT,
    "cpu_allocation_ratio" REAL,
    "ram_allocation_ratio" REAL,
    "disk_allocation_ratio" REAL,
    "mapped" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    "deleted_at" DATETIME,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT uniq_compute_nodes0host0hypervisor_hostname0deleted UNIQUE ("host", "hypervisor_hostname", "deleted"),
    CONSTRAINT compute_nodes_uuid_idx UNIQUE ("uuid")
);

-- Nova Instance, flavor snapshot inline (spec section 7).
CREATE TABLE instances (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "uuid" VARCHAR(36) NOT NULL,
    "display_name" VARCHAR(255),
    "display_description" TEXT,
    "hostname" VARCHAR(255),
    "user_id" VARCHAR(255),
    "project_id" VARCHAR(255),
    "image_ref" VARCHAR(255),
    "instance_type_id" INTEGER,
    "memory_mb" INTEGER,
    "vcpus" INTEGER,
    "root_gb" INTEGER,
    "ephemeral_gb" INTEGER,
    "swap" INTEGER,
    "flavor" TEXT,
    "vm_state" VARCHAR(255),
    "task_state" VARCHAR(255),
    "power_state" INTEGER,
    "host" VARCHAR(255),
    "node" VARCHAR(255),
    "compute_id" INTEGER,
    "launched_on" TEXT,
    "launched_at" DATETIME,
    "terminated_at" DATETIME,
    "availability_zone" VARCHAR(255),
    "reservation_id" VARCHAR(255),
    "launch_index" INTEGER,
    "key_name" VARCHAR(255),
    "user_data" TEXT,
    "config_drive" VARCHAR(255),
    "locked_by" VARCHAR(5),
    "progress" INTEGER,
    "metadata" TEXT,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    "deleted_at" DATETIME,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT uniq_instances0uuid UNIQUE ("uuid")
);
CREATE INDEX instances_host_deleted_idx ON instances ("host", "deleted");
CREATE INDEX instances_project_id_deleted_idx ON instances ("project_id", "deleted");

-- Nova InstanceFault.
CREATE TABLE instance_faults (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "instance_uuid" VARCHAR(36) NOT NULL,
    "code" INTEGER NOT NULL,
    "message" VARCHAR(255),
    "details" TEXT,
    "host" VARCHAR(255),
    "created_at" DATETIME,
    "updated_at" DATETIME,
    "deleted_at" DATETIME,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT fk_instance_faults_instance_uuid FOREIGN KEY ("instance_uuid") REFERENCES instances ("uuid")
);
CREATE INDEX instance_faults_instance_uuid_deleted_created_at_idx ON instance_faults ("instance_uuid", "deleted", "created_at");

-- Nova API DB Flavors (no soft delete there).
CREATE TABLE flavors (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "flavorid" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "memory_mb" INTEGER NOT NULL,
    "vcpus" INTEGER NOT NULL,
    "root_gb" INTEGER,
    "ephemeral_gb" INTEGER NOT NULL DEFAULT 0,
    "swap" INTEGER NOT NULL DEFAULT 0,
    "rxtx_factor" REAL NOT NULL DEFAULT 1,
    "vcpu_weight" INTEGER,
    "is_public" BOOLEAN NOT NULL DEFAULT TRUE,
    "disabled" BOOLEAN NOT NULL DEFAULT FALSE,
    "description" TEXT,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    CONSTRAINT uniq_flavors0flavorid UNIQUE ("flavorid"),
    CONSTRAINT uniq_flavors0name UNIQUE ("name")
);

-- Nova API DB RequestSpec: the JSON blob rescheduling needs.
CREATE TABLE request_specs (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "instance_uuid" VARCHAR(36) NOT NULL,
    "spec" TEXT NOT NULL,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    CONSTRAINT uniq_request_specs0instance_uuid UNIQUE ("instance_uuid")
);

-- Nova InstanceAction.
CREATE TABLE instance_actions (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "action" VARCHAR(255),
    "instance_uuid" VARCHAR(36),
    "request_id" VARCHAR(255),
    "user_id" VARCHAR(255),
    "project_id" VARCHAR(255),
    "start_time" DATETIME,
    "finish_time" DATETIME,
    "message" VARCHAR(255),
    "created_at" DATETIME,
    "updated_at" DATETIME,
    "deleted_at" DATETIME,
    "deleted" INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX instance_uuid_idx ON instance_actions ("instance_uuid");
CREATE INDEX request_id_idx ON instance_actions ("request_id");

-- Nova InstanceActionEvent.
CREATE TABLE instance_actions_events (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "event" VARCHAR(255),
    "action_id" INTEGER,
    "start_time" DATETIME,
    "finish_time" DATETIME,
    "result" VARCHAR(255),
    "traceback" TEXT,
    "host" VARCHAR(255),
    "details" TEXT,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    "deleted_at" DATETIME,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT fk_instance_actions_events_action_id FOREIGN KEY ("action_id") REFERENCES instance_actions ("id")
);
