-- Nova Instance access_ip_v4, access_ip_v6 (the addresses a user says the server is reached
-- at, shown as accessIPv4/accessIPv6) and auto_disk_config (OS-DCF:diskConfig AUTO).
ALTER TABLE instances ADD COLUMN "access_ip_v4" VARCHAR(39);
ALTER TABLE instances ADD COLUMN "access_ip_v6" VARCHAR(39);
ALTER TABLE instances ADD COLUMN "auto_disk_config" BOOLEAN;
