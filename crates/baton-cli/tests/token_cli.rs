//! `baton token` and `baton server`'s first-start key, as a user meets them.

mod common;

use common::{baton, ok, secure_server};
use serde_json::Value;
use std::time::Duration;

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap_or_else(|e| panic!("not JSON ({e})"))
}

#[test]
fn keys_are_made_listed_and_revoked_on_the_local_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("baton.db");
    let made = json(
        &baton()
            .args([
                "token",
                "create",
                "--role",
                "L2",
                "--domain",
                "station-a",
                "--name",
                "ops",
                "--json",
                "--db",
            ])
            .arg(&db)
            .output()
            .expect("run"),
    );
    for field in ["keyId", "keySecret", "role", "domain", "name"] {
        assert!(made.get(field).is_some(), "{field} in {made}");
    }
    assert_eq!(made["role"], "L2");
    assert_eq!(made["domain"], "station-a");
    assert_eq!(made["name"], "ops");
    let key_id = made["keyId"].as_str().unwrap_or_default().to_string();
    let secret = made["keySecret"].as_str().unwrap_or_default().to_string();

    // An L2 key needs its domain; a bad role is refused by clap.
    let no_domain = baton()
        .args(["token", "create", "--role", "L2", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(no_domain.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_domain.stderr).contains("domain"));

    let listed = ok(&baton()
        .args(["token", "list", "--db"])
        .arg(&db)
        .output()
        .expect("run"));
    assert!(
        listed.contains(&key_id) && listed.contains("station-a"),
        "{listed}"
    );
    assert!(
        !listed.contains(&secret),
        "secrets are never listed: {listed}"
    );
    let db_bytes = std::fs::read(&db).expect("db");
    let text = String::from_utf8_lossy(&db_bytes);
    assert!(!text.contains(&secret), "the secret is stored hashed only");

    ok(&baton()
        .args(["token", "revoke", &key_id, "--db"])
        .arg(&db)
        .output()
        .expect("run"));
    let again = baton()
        .args(["token", "revoke", &key_id, "--db"])
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(2));
    let listed = ok(&baton()
        .args(["token", "list", "--db"])
        .arg(&db)
        .output()
        .expect("run"));
    assert!(listed.contains("REVOKED"), "{listed}");
}

#[test]
fn a_server_makes_its_first_key_once_and_the_cli_finds_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("baton.db");
    let home = dir.path().join("config");
    let (mut child, url) = secure_server(&db, &home, &[]);
    let key_file = dir.path().join("baton.db.key");
    let token = std::fs::read_to_string(&key_file).expect("key file");
    assert!(
        token.trim().starts_with("bk_") && token.contains(":bks_"),
        "{token}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the key file is the owner's only");
        let creds = home.join("baton/credentials.json");
        let mode = std::fs::metadata(&creds)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let at = |args: &[&str]| {
        baton()
            .args(args)
            .args(["--server", &url])
            .env("XDG_CONFIG_HOME", &home)
            .output()
            .expect("run")
    };
    // The CLI authenticates by itself, as L0: it may make keys through the server.
    let bridge = json(&at(&[
        "token", "create", "--role", "L1", "--name", "bridge", "--json",
    ]));
    let bridge_token = format!(
        "{}:{}",
        bridge["keyId"].as_str().unwrap_or_default(),
        bridge["keySecret"].as_str().unwrap_or_default()
    );
    let listed = ok(&at(&["token", "list"]));
    assert!(
        listed.contains("admin") && listed.contains("bridge"),
        "{listed}"
    );
    // An L1 may not manage keys: 403, with the role it needs.
    let refused = at(&["token", "create", "--role", "L0", "--token", &bridge_token]);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(said.contains("managing API keys needs L0"), "{said}");
    // A wrong token is 401 whatever the credentials file says.
    let bad = at(&["list", "--token", "bk_0000000000000000:bks_nope"]);
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not valid"));
    // While the server runs, the local database is its: say how to manage keys.
    let locked = baton()
        .args(["token", "list", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(locked.status.code(), Some(0), "reading keys needs no lock");
    let locked = baton()
        .args(["token", "create", "--role", "L3", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(locked.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&locked.stderr).contains("--server"));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    common::wait_exit(&mut child, Duration::from_secs(30), "server");

    // A second start makes no new key and keeps serving the kept one.
    let (mut child, url) = secure_server(&db, &home, &[]);
    assert_eq!(std::fs::read_to_string(&key_file).expect("key file"), token);
    let listed = ok(&baton()
        .args(["token", "list", "--json", "--server", &url])
        .env("XDG_CONFIG_HOME", &home)
        .output()
        .expect("run"));
    let keys: Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(keys.as_array().map(Vec::len), Some(2), "{keys}");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    common::wait_exit(&mut child, Duration::from_secs(30), "server");
}

#[test]
fn insecure_no_auth_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("baton.db");
    let mut child = baton()
        .args([
            "server",
            "--bind",
            "127.0.0.1:0",
            "--insecure-no-auth",
            "--db",
        ])
        .arg(&db)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(first.contains("warning: --insecure-no-auth"), "{first}");
    assert!(!dir.path().join("baton.db.key").exists(), "no key is made");
    let _ = child.kill();
    let _ = child.wait();
}
