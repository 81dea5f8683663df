-- The Nova slice schema (postgres). Same tables, columns and keys in migrations/sqlite,
-- migrations/postgres and migrations/mysql; change all three together.
-- Timestamps are UTC, written by novactor (never server defaults). Soft-deleted rows
-- have deleted = id, live rows deleted = 0, so unique keys include deleted.

-- Nova nova/db/main/models.py Service (spec section 3.1).
CREATE TABLE services (
    "id" BIGSERIAL PRIMARY KEY,
    "uuid" VARCHAR(36) NOT NULL,
    "host" VARCHAR(255),
    "binary" VARCHAR(255),
    "topic" VARCHAR(255),
    "report_count" BIGINT NOT NULL DEFAULT 0,
    "disabled" BOOLEAN NOT NULL DEFAULT FALSE,
    "disabled_reason" VARCHAR(255),
    "last_seen_up" TIMESTAMPTZ,
    "forced_down" BOOLEAN NOT NULL DEFAULT FALSE,
    "version" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "deleted_at" TIMESTAMPTZ,
    "deleted" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT uniq_services0host0topic0deleted UNIQUE ("host", "topic", "deleted"),
    CONSTRAINT uniq_services0host0binary0deleted UNIQUE ("host", "binary", "deleted"),
    CONSTRAINT uniq_services0uuid UNIQUE ("uuid")
);

-- Nova ComputeNode (spec section 3.4).
CREATE TABLE compute_nodes (
    "id" BIGSERIAL PRIMARY KEY,
    "uuid" VARCHAR(36) NOT NULL,
    "service_id" BIGINT,
    "host" VARCHAR(255),
    "hypervisor_hostname" VARCHAR(255),
    "vcpus" BIGINT NOT NULL,
    "memory_mb" BIGINT NOT NULL,
    "local_gb" BIGINT NOT NULL,
    "vcpus_used" BIGINT NOT NULL DEFAULT 0,
    "memory_mb_used" BIGINT NOT NULL DEFAULT 0,
    "local_gb_used" BIGINT NOT NULL DEFAULT 0,
    "free_ram_mb" BIGINT,
    "free_disk_gb" BIGINT,
    "current_workload" BIGINT,
    "running_vms" BIGINT,
    "disk_available_least" BIGINT,
    "hypervisor_type" TEXT NOT NULL,
    "hypervisor_version" BIGINT NOT NULL,
    "cpu_info" TEXT NOT NULL,
    "host_ip" VARCHAR(39),
    "supported_instances" TEXT,
    "metrics" TEXT,
    "pci_stats" TEXT,
    "extra_resources" TEXT,
    "stats" TEXT,
    "numa_topology" TEXT,
    "cpu_allocation_ratio" DOUBLE PRECISION,
    "ram_allocation_ratio" DOUBLE PRECISION,
    "disk_allocation_ratio" DOUBLE PRECISION,
    "mapped" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "deleted_at" TIMESTAMPTZ,
    "deleted" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT uniq_compute_nodes0host0hypervisor_hostname0deleted UNIQUE ("host", "hypervisor_hostname", "deleted"),
    CONSTRAINT compute_nodes_uuid_idx UNIQUE ("uuid")
);

-- Nova Instance, flavor snapshot inline (spec section 7).
CREATE TABLE instances (
    "id" BIGSERIAL PRIMARY KEY,
    "uuid" VARCHAR(36) NOT NULL,
    "display_name" VARCHAR(255),
    "display_description" TEXT,
    "hostname" VARCHAR(255),
    "user_id" VARCHAR(255),
    "project_id" VARCHAR(255),
    "image_ref" VARCHAR(255),
    "instance_type_id" BIGINT,
    "memory_mb" BIGINT,
    "vcpus" BIGINT,
    "root_gb" BIGINT,
    "ephemeral_gb" BIGINT,
    "swap" BIGINT,
    "flavor" TEXT,
    "vm_state" VARCHAR(255),
    "task_state" VARCHAR(255),
    "power_state" BIGINT,
    "host" VARCHAR(255),
    "node" VARCHAR(255),
    "compute_id" BIGINT,
    "launched_on" TEXT,
    "launched_at" TIMESTAMPTZ,
    "terminated_at" TIMESTAMPTZ,
    "availability_zone" VARCHAR(255),
    "reservation_id" VARCHAR(255),
    "launch_index" BIGINT,
    "key_name" VARCHAR(255),
    "user_data" TEXT,
    "config_drive" VARCHAR(255),
    "locked_by" VARCHAR(5),
    "progress" BIGINT,
    "metadata" TEXT,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "deleted_at" TIMESTAMPTZ,
    "deleted" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT uniq_instances0uuid UNIQUE ("uuid")
);
CREATE INDEX instances_host_deleted_idx ON instances ("host", "deleted");
CREATE INDEX instances_project_id_deleted_idx ON instances ("project_id", "deleted");

-- Nova InstanceFault.
CREATE TABLE instance_faults (
    "id" BIGSERIAL PRIMARY KEY,
    "instance_uuid" VARCHAR(36) NOT NULL,
    "code" BIGINT NOT NULL,
    "message" VARCHAR(255),
    "details" TEXT,
    "host" VARCHAR(255),
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "deleted_at" TIMESTAMPTZ,
    "deleted" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT fk_instance_faults_instance_uuid FOREIGN KEY ("instance_uuid") REFERENCES instances ("uuid")
);
CREATE INDEX instance_faults_instance_uuid_deleted_created_at_idx ON instance_faults ("instance_uuid", "deleted", "created_at");

-- Nova API DB Flavors (no soft delete there).
CREATE TABLE flavors (
    "id" BIGSERIAL PRIMARY KEY,
    "flavorid" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "memory_mb" BIGINT NOT NULL,
    "vcpus" BIGINT NOT NULL,
    "root_gb" BIGINT,
    "ephemeral_gb" BIGINT NOT NULL DEFAULT 0,
    "swap" BIGINT NOT NULL DEFAULT 0,
    "rxtx_factor" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "vcpu_weight" BIGINT,
    "is_public" BOOLEAN NOT NULL DEFAULT TRUE,
    "disabled" BOOLEAN NOT NULL DEFAULT FALSE,
    "description" TEXT,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    CONSTRAINT uniq_flavors0flavorid UNIQUE ("flavorid"),
    CONSTRAINT uniq_flavors0name UNIQUE ("name")
);

-- Nova API DB RequestSpec: the JSON blob rescheduling needs.
CREATE TABLE request_specs (
    "id" BIGSERIAL PRIMARY KEY,
    "instance_uuid" VARCHAR(36) NOT NULL,
    "spec" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    CONSTRAINT uniq_request_specs0instance_uuid UNIQUE ("instance_uuid")
);

-- Nova InstanceAction.
CREATE TABLE instance_actions (
    "id" BIGSERIAL PRIMARY KEY,
    "action" VARCHAR(255),
    "instance_uuid" VARCHAR(36),
    "request_id" VARCHAR(255),
    "user_id" VARCHAR(255),
    "project_id" VARCHAR(255),
    "start_time" TIMESTAMPTZ,
    "finish_time" TIMESTAMPTZ,
    "message" VARCHAR(255),
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "deleted_at" TIMESTAMPTZ,
    "deleted" BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX instance_uuid_idx ON instance_actions ("instance_uuid");
CREATE INDEX request_id_idx ON instance_actions ("request_id");

-- Nova InstanceActionEvent.
CREATE TABLE instance_actions_events (
    "id" BIGSERIAL PRIMARY KEY,
    "event" VARCHAR(255),
    "action_id" BIGINT,
    "start_time" TIMESTAMPTZ,
    "finish_time" TIMESTAMPTZ,
    "result" VARCHAR(255),
    "traceback" TEXT,
    "host" VARCHAR(255),
    "details" TEXT,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "deleted_at" TIMESTAMPTZ,
    "deleted" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT fk_instance_actions_events_action_id FOREIGN KEY ("action_id") REFERENCES instance_actions ("id")
);
