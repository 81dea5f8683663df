-- Nova's key_pairs table (nova/db/api/models.py KeyPair, in the api database): a user's
-- SSH or X.509 public keys by name, hard-deleted as Nova's api database does. And on the
-- instance what Nova keeps of the key pair it booted with: key_data (the public key, on
-- instances) and the KeyPairList primitive (instance_extra.keypairs in Nova; the slice has
-- no instance_extra, so it is a column here).
CREATE TABLE key_pairs (
    "id" BIGSERIAL PRIMARY KEY,
    "created_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ,
    "name" VARCHAR(255) NOT NULL,
    "user_id" VARCHAR(255) NOT NULL,
    "fingerprint" VARCHAR(255),
    "public_key" TEXT,
    "type" VARCHAR(4) NOT NULL DEFAULT 'ssh',
    CONSTRAINT key_pairs_type_check CHECK ("type" IN ('ssh', 'x509')),
    CONSTRAINT uniq_key_pairs0user_id0name UNIQUE ("user_id", "name")
);
ALTER TABLE instances ADD COLUMN "key_data" TEXT;
ALTER TABLE instances ADD COLUMN "keypairs" TEXT;
