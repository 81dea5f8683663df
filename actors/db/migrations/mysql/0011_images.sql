-- novactor's image catalog (D-IMAGE): the images the /image/v2 stand-in serves, shared by
-- every api process and written by createImage, createBackup and the computes' uploads
-- (through the conductor). Glance's own shapes: status queued → active, visibility,
-- owner project, formats, size, and the free-form properties as one JSON object. Rows are
-- hard-deleted, as a deleted image is gone for Glance's users. The built-in cirros is
-- seeded.
CREATE TABLE novactor_images (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `uuid` VARCHAR(36) NOT NULL,
    `name` VARCHAR(255),
    `status` VARCHAR(30) NOT NULL,
    `visibility` VARCHAR(20) NOT NULL,
    `owner` VARCHAR(255),
    `size` BIGINT,
    `disk_format` VARCHAR(20),
    `container_format` VARCHAR(20),
    `min_disk` BIGINT NOT NULL DEFAULT 0,
    `min_ram` BIGINT NOT NULL DEFAULT 0,
    `protected` BOOLEAN NOT NULL DEFAULT FALSE,
    `properties` TEXT,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    CONSTRAINT novactor_images_uuid UNIQUE (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO novactor_images (uuid, name, status, visibility, owner, size, disk_format, container_format, properties, created_at, updated_at) VALUES
    ('70a599e0-31e7-49b7-b260-868f441e862b', 'cirros', 'active', 'public', 'admin', 21430272, 'qcow2', 'bare', '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
