-- Server lists read one page in the API's default order (created_at desc, id desc), of one
-- project or of all: these indexes serve that order and the marker's range directly, so a
-- page costs its own rows, not the table (Nova has instances_deleted_created_at_idx and
-- instances_project_id_deleted_idx; id is added here as the order's last key).
CREATE INDEX instances_deleted_created_at_id_idx ON instances (`deleted`, `created_at`, `id`);
CREATE INDEX instances_project_id_deleted_created_at_id_idx ON instances (`project_id`, `deleted`, `created_at`, `id`);
