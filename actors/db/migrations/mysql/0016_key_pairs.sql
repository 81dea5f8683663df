-- Nova's key_pairs table (nova/db/api/models.py KeyPair, in the api database): a user's
-- SSH or X.509 public keys by name, hard-deleted as Nova's api database does. And on the
-- instance what Nova keeps of the key pair it booted with: key_data (the public key, on
-- instances) and the KeyPairList primitive (instance_extra.keypairs in Nova; the slice has
-- no instance_extra, so it is a column here).
CREATE TABLE key_pairs (
    `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `created_at` DATETIME(6),
    `updated_at` DATETIME(6),
    `name` VARCHAR(255) NOT NULL,
    `user_id` VARCHAR(255) NOT NULL,
    `fingerprint` VARCHAR(255),
    `public_key` MEDIUMTEXT,
    `type` VARCHAR(4) NOT NULL DEFAULT 'ssh',
    CONSTRAINT key_pairs_type_check CHECK (`type` IN ('ssh', 'x509')),
    CONSTRAINT uniq_key_pairs0user_id0name UNIQUE (`user_id`, `name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
ALTER TABLE instances ADD COLUMN `key_data` MEDIUMTEXT;
ALTER TABLE instances ADD COLUMN `keypairs` MEDIUMTEXT;
