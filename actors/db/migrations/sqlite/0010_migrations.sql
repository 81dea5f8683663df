-- Nova's migrations table (nova/db/main/models.py Migration): one row per resize, cold
-- migration (and, in Nova, live migration and evacuation) of an instance, with its hosts,
-- nodes, flavors and status, soft-deleted like the other main tables. migration_type is
-- Nova's enum, kept as a checked string in every dialect.
CREATE TABLE migrations (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    "deleted_at" DATETIME,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    "source_compute" VARCHAR(255),
    "dest_compute" VARCHAR(255),
    "source_node" VARCHAR(255),
    "dest_node" VARCHAR(255),
    "dest_compute_id" BIGINT,
    "dest_host" VARCHAR(255),
    "old_instance_type_id" INTEGER,
    "new_instance_type_id" INTEGER,
    "instance_uuid" VARCHAR(36),
    "uuid" VARCHAR(36),
    "status" VARCHAR(255),
    "migration_type" VARCHAR(16),
    "hidden" BOOLEAN NOT NULL DEFAULT FALSE,
    "memory_total" BIGINT,
    "memory_processed" BIGINT,
    "memory_remaining" BIGINT,
    "disk_total" BIGINT,
    "disk_processed" BIGINT,
    "disk_remaining" BIGINT,
    "cross_cell_move" BOOLEAN NOT NULL DEFAULT FALSE,
    "user_id" VARCHAR(255),
    "project_id" VARCHAR(255),
    CONSTRAINT migrations_migration_type_check CHECK ("migration_type" IN ('migration', 'resize', 'live-migration', 'evacuation')),
    CONSTRAINT migrations_uuid UNIQUE ("uuid")
);
CREATE INDEX migrations_instance_uuid_and_status_idx ON migrations ("deleted", "instance_uuid", "status");
CREATE INDEX migrations_by_host_nodes_and_status_idx ON migrations ("deleted", "source_compute", "dest_compute", "source_node", "dest_node", "status");
CREATE INDEX migrations_by_src_host_nodes_and_status_idx ON migrations ("deleted", "source_compute", "source_node", "status");
CREATE INDEX migrations_by_dest_host_nodes_and_status_idx ON migrations ("deleted", "dest_compute", "dest_node", "status");
CREATE INDEX migrations_updated_at_idx ON migrations ("updated_at");
CREATE INDEX migrations_dest_compute_id_deleted_idx ON migrations ("dest_compute_id", "deleted");
