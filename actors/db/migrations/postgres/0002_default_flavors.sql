-- The m1.* flavors older Nova releases seeded and devstack still creates:
-- flavorid = id, public, rxtx_factor 1.

INSERT INTO flavors (id, flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb, "swap", rxtx_factor, is_public, disabled, created_at) VALUES
    (1, '1', 'm1.tiny', 512, 1, 1, 0, 0, 1, TRUE, FALSE, now()),
    (2, '2', 'm1.small', 2048, 1, 20, 0, 0, 1, TRUE, FALSE, now()),
    (3, '3', 'm1.medium', 4096, 2, 40, 0, 0, 1, TRUE, FALSE, now()),
    (4, '4', 'm1.large', 8192, 4, 80, 0, 0, 1, TRUE, FALSE, now()),
    (5, '5', 'm1.xlarge', 16384, 8, 160, 0, 0, 1, TRUE, FALSE, now());

-- Explicit ids leave the sequence behind; move it past them.
SELECT setval(pg_get_serial_sequence('flavors', 'id'), (SELECT MAX(id) FROM flavors));
