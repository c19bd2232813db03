//! Where the CLI finds a server's token without `--token`: the credentials file.
//!
//! `baton server` writes the L0 key it creates on first start to `DB.key` (beside its
//! database, mode 0600) and records it for its URL in
//! `$XDG_CONFIG_HOME/baton/credentials.json` (else `~/.config/baton/credentials.json`,
//! mode 0600): `{"servers": {"http://127.0.0.1:8080": "KEY_ID:KEY_SECRET"}}`. A command
//! given `--server URL` and no `--token` / `BATON_TOKEN` uses the entry for that URL.

use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The credentials file, when a home or config directory is known.
pub fn file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("baton").join("credentials.json"))
}

/// `http://HOST:PORT` without a trailing slash, as entries are keyed.
pub fn normalize(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// The token recorded for `url`, if any.
pub fn lookup(url: &str) -> Option<String> {
    let text = std::fs::read_to_string(file()?).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v.get("servers")?
        .get(normalize(url))?
        .as_str()
        .map(str::to_string)
}

/// Records `token` for each of `urls` (other entries are kept); the file is 0600.
pub fn remember(urls: &[String], token: &str) -> std::io::Result<PathBuf> {
    let path = file().ok_or_else(|| {
        std::io::Error::other("no HOME or XDG_CONFIG_HOME to keep credentials in")
    })?;
    let mut doc: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let servers = doc.as_object_mut().map(|o| {
        o.entry("servers")
            .or_insert_with(|| Value::Object(Map::new()))
    });
    if let Some(Value::Object(servers)) = servers {
        for url in urls {
            servers.insert(normalize(url), Value::String(token.to_string()));
        }
    }
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    write_private(&path, &text)?;
    Ok(path)
}

/// Writes `text` to `path` readable by its owner only (created so; never wider).
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write as _;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_keyed_without_a_trailing_slash() {
        assert_eq!(normalize("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(normalize(" http://h:1 "), "http://h:1");
    }
}
