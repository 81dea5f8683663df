//! `Dialect`: which SQL the connected server speaks, and the rewrite of one portable SQL
//! text (`?` placeholders, `"quoted"` identifiers) into that dialect.

use std::fmt;

/// The SQL dialect of a [`Database`](super::Database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite 3 (bundled with sqlx).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Dialect {
    /// The dialect's name as in a database URL scheme.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
            Dialect::MySql => "mysql",
        }
    }

    /// `sql` in this dialect: `?` becomes `$1`, `$2`… for PostgreSQL, and `"identifier"`
    /// becomes `` `identifier` `` for MySQL (which reads `"` as a string quote unless
    /// `ANSI_QUOTES` is set). Text inside single quotes is left alone, `''` included.
    pub fn sql(self, sql: &str) -> String {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut in_string = false;
        let mut n = 0;
        for c in sql.chars() {
            match c {
                '\'' => {
                    in_string = !in_string;
                    out.push(c);
                }
                '?' if !in_string && self == Dialect::Postgres => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                '"' if !in_string && self == Dialect::MySql => out.push('`'),
                _ => out.push(c),
            }
        }
        out
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str =
        r#"UPDATE t SET "binary" = ?, note = 'why? "x"' WHERE id = ? AND n = 'it''s'"#;

    #[test]
    fn postgres_numbers_placeholders_outside_strings() {
        assert_eq!(
            Dialect::Postgres.sql(SQL),
            r#"UPDATE t SET "binary" = $1, note = 'why? "x"' WHERE id = $2 AND n = 'it''s'"#
        );
    }

    #[test]
    fn mysql_quotes_identifiers_with_backticks() {
        assert_eq!(
            Dialect::MySql.sql(SQL),
            r#"UPDATE t SET `binary` = ?, note = 'why? "x"' WHERE id = ? AND n = 'it''s'"#
        );
    }

    #[test]
    fn sqlite_takes_the_text_as_written() {
        assert_eq!(Dialect::Sqlite.sql(SQL), SQL);
    }
}
