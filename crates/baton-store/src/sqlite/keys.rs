//! The `api_keys` table: one set of SQL for the write transaction and the readers.

use super::db;
use super::read::{PooledReader, SqliteReader};
use super::write::SqliteTx;
use crate::keys::{parse_role, role_name};
use crate::{ApiKey, KeysRead, KeysTx, StoreError};
use baton_state::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

const COLUMNS: &str = "key_id, name, role, domain, secret_hash, created_at, revoked_at";

fn key_of(r: &Row<'_>) -> rusqlite::Result<(ApiKey, String)> {
    let role: String = r.get(2)?;
    Ok((
        ApiKey {
            key_id: r.get(0)?,
            name: r.get(1)?,
            role: baton_model::Role::L3,
            domain: r.get(3)?,
            secret_hash: r.get(4)?,
            created_at: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
            revoked_at: r
                .get::<_, Option<i64>>(6)?
                .map(|v| u64::try_from(v).unwrap_or(0)),
        },
        role,
    ))
}

/// A row's role, or corruption: a key must never read as more authority than stored.
fn with_role((mut key, role): (ApiKey, String)) -> Result<ApiKey, StoreError> {
    key.role = parse_role(&role).ok_or_else(|| StoreError::Corrupt {
        what: format!("api key {}", key.key_id),
        message: format!("unknown role `{role}`"),
    })?;
    Ok(key)
}

pub(crate) fn api_key(conn: &Connection, key_id: &str) -> Result<Option<ApiKey>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE key_id = ?1"))
        .map_err(db)?
        .query_row([key_id], key_of)
        .optional()
        .map_err(db)?
        .map(with_role)
        .transpose()
}

pub(crate) fn api_keys(conn: &Connection) -> Result<Vec<ApiKey>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, key_id"
        ))
        .map_err(db)?;
    let rows = stmt.query_map([], key_of).map_err(db)?;
    rows.map(|r| r.map_err(db).and_then(with_role)).collect()
}

impl KeysTx for SqliteTx<'_> {
    fn insert_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO api_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))
            .map_err(db)?
            .execute(params![
                key.key_id,
                key.name,
                role_name(key.role),
                key.domain,
                key.secret_hash,
                i64::try_from(key.created_at).unwrap_or(i64::MAX),
                key.revoked_at.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
            ])
            .map_err(db)?;
        Ok(())
    }

    fn revoke_api_key(&mut self, key_id: &str, at: Timestamp) -> Result<bool, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE api_keys SET revoked_at = ?2 WHERE key_id = ?1 AND revoked_at IS NULL",
            )
            .map_err(db)?
            .execute(params![key_id, i64::try_from(at).unwrap_or(i64::MAX)])
            .map_err(db)?;
        Ok(n > 0)
    }
}

impl KeysRead for SqliteTx<'_> {
    fn api_key(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError> {
        api_key(&self.tx, key_id)
    }
    fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        api_keys(&self.tx)
    }
}

impl KeysRead for SqliteReader {
    fn api_key(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError> {
        api_key(self.connection(), key_id)
    }
    fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        api_keys(self.connection())
    }
}

impl KeysRead for PooledReader {
    fn api_key(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError> {
        self.get()?.api_key(key_id)
    }
    fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.get()?.api_keys()
    }
}
