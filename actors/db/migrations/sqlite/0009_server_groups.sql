-- Nova's server groups (API database: nova/db/api/models.py InstanceGroup,
-- InstanceGroupPolicy, InstanceGroupMember). Like Nova's API database these rows are
-- hard-deleted: a deleted group takes its policy and member rows with it. A member row
-- outlives its instance (Nova keeps it too); readers count only live instances.
CREATE TABLE instance_groups (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "uuid" VARCHAR(36) NOT NULL,
    "name" VARCHAR(255),
    "user_id" VARCHAR(255),
    "project_id" VARCHAR(255),
    "created_at" DATETIME,
    "updated_at" DATETIME,
    CONSTRAINT uniq_instance_groups0uuid UNIQUE ("uuid")
);
CREATE INDEX instance_groups_project_id_idx ON instance_groups ("project_id");

CREATE TABLE instance_group_policy (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "policy" VARCHAR(255),
    "rules" TEXT,
    "group_id" INTEGER NOT NULL,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    CONSTRAINT instance_group_policy_group_id_fkey FOREIGN KEY ("group_id") REFERENCES instance_groups ("id")
);
CREATE INDEX instance_group_policy_policy_idx ON instance_group_policy ("policy");

CREATE TABLE instance_group_member (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "instance_uuid" VARCHAR(255),
    "group_id" INTEGER NOT NULL,
    "created_at" DATETIME,
    "updated_at" DATETIME,
    CONSTRAINT instance_group_member_group_id_fkey FOREIGN KEY ("group_id") REFERENCES instance_groups ("id")
);
CREATE INDEX instance_group_member_instance_idx ON instance_group_member ("instance_uuid");
