//! Nova's database layer over MariaDB/MySQL: each test gets a fresh database
//! `novactor_test_<hex>` on the server of `NOVACTOR_TEST_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`), dropped at the end. Fails, never skips, when the
//! server is down (`bash scripts/services.sh` starts it).

const BACKEND: Backend = Backend::MySql;

include!("scenarios/db.rs");
