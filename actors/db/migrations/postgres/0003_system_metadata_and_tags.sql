-- Nova keeps per-instance facts of its own (the lock's reason, the server password, the
-- image properties of a shelved server …) in instance_system_metadata and user tags in tags.
-- The slice keeps system metadata as one JSON object per instance, like `metadata`.
ALTER TABLE instances ADD COLUMN "system_metadata" TEXT;

-- Nova Tag (resource_id is the instance uuid; a tag is at most 60 characters).
CREATE TABLE tags (
    "resource_id" VARCHAR(36) NOT NULL,
    "tag" VARCHAR(80) NOT NULL,
    PRIMARY KEY ("resource_id", "tag")
);
CREATE INDEX tags_tag_idx ON tags ("tag");
