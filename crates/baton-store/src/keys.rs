//! API keys: what a server checks a caller's credential against.
//!
//! A key is an id (`bk_` and 16 hex digits) and a secret (`bks_` and 64 hex digits, 256
//! random bits). The store keeps the SHA-256 of the secret, never the secret: with 256
//! random bits no dictionary or brute force applies, so a slow password hash (argon2)
//! would add only cost to every verification, which a server does per request.

use baton_model::Role;
use baton_state::Timestamp;
use sha2::{Digest, Sha256};

/// A stored API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Public id (`bk_…`), shown in lists and the audit trail.
    pub key_id: String,
    /// A label a person chose (`ops-lead`); the audit trail's name for the caller.
    pub name: String,
    /// The authority it gives.
    pub role: Role,
    /// The domain an L2 key is confined to.
    pub domain: Option<String>,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// When it was created (ms since the epoch).
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key authenticates nobody.
    pub revoked_at: Option<Timestamp>,
}

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
#[error("no randomness for a new key: {0}")]
pub struct NoRandomness(String);

impl ApiKey {
    /// A new key and its secret (shown once, never stored).
    pub fn generate(
        name: &str,
        role: Role,
        domain: Option<String>,
        now: Timestamp,
    ) -> Result<(ApiKey, String), NoRandomness> {
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        getrandom::fill(&mut id).map_err(|e| NoRandomness(e.to_string()))?;
        getrandom::fill(&mut secret).map_err(|e| NoRandomness(e.to_string()))?;
        let key_id = format!("bk_{}", hex(&id));
        let secret = format!("bks_{}", hex(&secret));
        let key = ApiKey {
            name: if name.is_empty() {
                key_id.clone()
            } else {
                name.to_string()
            },
            key_id,
            role,
            domain,
            secret_hash: hash_secret(&secret),
            created_at: now,
            revoked_at: None,
        };
        Ok((key, secret))
    }

    /// Whether `secret` is this key's and the key is not revoked (constant time in the
    /// secret).
    pub fn accepts(&self, secret: &str) -> bool {
        self.revoked_at.is_none() && same(&hash_secret(secret), &self.secret_hash)
    }
}

/// Hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality that looks at every byte, so timing tells nothing of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The text form of a role in the store (`L0` … `L3`).
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::L0 => "L0",
        Role::L1 => "L1",
        Role::L2 => "L2",
        Role::L3 => "L3",
    }
}

/// A role from its text form (`l2` reads as `L2`).
pub fn parse_role(text: &str) -> Option<Role> {
    match text.trim().to_ascii_uppercase().as_str() {
        "L0" => Some(Role::L0),
        "L1" => Some(Role::L1),
        "L2" => Some(Role::L2),
        "L3" => Some(Role::L3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_accepts_its_secret_only_until_revoked() {
        let (mut key, secret) = ApiKey::generate("ops", Role::L1, None, 5).expect("random");
        assert!(key.key_id.starts_with("bk_") && key.key_id.len() == 19);
        assert!(secret.starts_with("bks_") && secret.len() == 68);
        assert!(!key.secret_hash.contains(&secret[4..]));
        assert!(key.accepts(&secret));
        assert!(!key.accepts("bks_0"));
        assert!(!key.accepts(""));
        key.revoked_at = Some(6);
        assert!(!key.accepts(&secret));
        let (other, _) = ApiKey::generate("", Role::L3, None, 5).expect("random");
        assert_ne!(other.key_id, key.key_id);
        assert_eq!(
            other.name, other.key_id,
            "an unnamed key is named by its id"
        );
    }
}
