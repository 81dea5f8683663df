//! Nova's database layer over PostgreSQL: each test gets a fresh database
//! `novactor_test_<hex>` on the server of `NOVACTOR_TEST_POSTGRES_URL` (default
//! `postgresql://postgres@127.0.0.1:5432/test`), dropped at the end. Fails, never skips,
//! when the server is down (`bash scripts/services.sh` starts it).

const BACKEND: Backend = Backend::Postgres;

include!("scenarios/db.rs");
