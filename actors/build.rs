//! Rebuild when a migration is added or changed: the schema is embedded at compile time
//! (`sqlx::migrate!` in actors/db), and cargo does not watch those directories by itself.

fn main() {
    println!("cargo:rerun-if-changed=db/migrations");
}
