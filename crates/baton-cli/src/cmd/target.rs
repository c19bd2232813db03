//! Where a command acts — a server (`--server URL`) or the local database (`--db FILE`) —
//! as one [`Control`]: every verb and view has one code path whichever it is.
//!
//! A command that changes a local database another `baton run` / `baton resume` holds
//! talks to that process over its control socket (`cmd/socket.rs`) instead of failing
//! on the lock.

use super::local::{self, DEFAULT_DB};
use super::resume::whoami;
use super::socket::{self, Found};
use baton_control::{Control, EngineControl, HttpControl};
use baton_core::Principal;
use baton_model::Role;
use baton_runtime::Engine;
use clap::Args;
use std::path::{Path, PathBuf};

/// Where a command acts: a running server, or the embedded database.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// A Baton (or Conductor) server, e.g. http://127.0.0.1:8080. Without it, the command
    /// works on the local database (`--db`).
    #[arg(long, env = "BATON_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The local SQLite database (when no --server is given).
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// The server's token (KEY_ID:KEY_SECRET, from `baton token create`). Default: the
    /// one `baton server` recorded for this URL in the credentials file.
    #[arg(
        long,
        env = "BATON_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// What a command needs of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: locally, a read-only view (no engine, no lock), so a database that
    /// `baton run` is running can be looked at.
    Read,
    /// Commands on workflows that must exist already: as [`Access::Write`], but a
    /// missing local database is an error (an operator verb never creates one).
    Operate,
    /// Commands too: locally, an engine on the file (created if missing), or, when a
    /// `baton run` / `baton resume` holds the file, that process over its control socket.
    Write,
}

/// An opened target. [`Opened::close`] stops the local engine, if one was started.
pub struct Opened {
    /// The operator API.
    pub control: Box<dyn Control>,
    engine: Option<Engine>,
    socket: Option<PathBuf>,
}

impl Opened {
    /// The control socket of the local process this talks to, when another `baton run`
    /// or `baton resume` holds the database.
    pub fn socket(&self) -> Option<&Path> {
        self.socket.as_deref()
    }

    /// Whether this opened an engine on the local database itself (so nothing runs
    /// what it records once the command ends).
    pub fn is_own_engine(&self) -> bool {
        self.engine.is_some()
    }

    /// Finishes what the local engine was sent and stops it.
    pub async fn close(self) {
        if let Some(engine) = self.engine {
            engine.shutdown().await;
        }
    }
}

impl Target {
    /// The target as a [`Control`].
    pub fn open(&self, access: Access) -> anyhow::Result<Opened> {
        if let Some(url) = &self.server {
            return Ok(Opened {
                control: Box::new(HttpControl::new(url)?.with_token(self.token_for(url))),
                engine: None,
                socket: None,
            });
        }
        match access {
            Access::Read => {
                // Open once now, so a missing or unreadable file is reported up front.
                drop(local::open_reader(&self.db)?);
                let db = self.db.clone();
                Ok(Opened {
                    control: Box::new(EngineControl::read_only(move || {
                        let r = baton_store::sqlite::SqliteReader::open(&db)?;
                        Ok(Box::new(baton_runtime::CaughtUpReader::new(Box::new(r))))
                    })),
                    engine: None,
                    socket: None,
                })
            }
            Access::Operate if !self.db.exists() => anyhow::bail!(
                "no database at `{}`; pass the file a run used with --db (or --server URL)",
                self.db.display()
            ),
            Access::Write | Access::Operate => match local::open_engine(&self.db) {
                Ok(engine) => Ok(Opened {
                    control: Box::new(EngineControl::new(engine.handle())),
                    engine: Some(engine),
                    socket: None,
                }),
                Err(e) if local::is_locked(&e) => {
                    let path = live_socket(&self.db, e)?;
                    Ok(Opened {
                        control: Box::new(HttpControl::unix(&path)?),
                        engine: None,
                        socket: Some(path),
                    })
                }
                Err(e) => Err(e),
            },
        }
    }

    /// The token to send to `url`: `--token` / `BATON_TOKEN`, else the credentials file's.
    pub fn token_for(&self, url: &str) -> Option<String> {
        self.token
            .clone()
            .or_else(|| super::credentials::lookup(url))
    }

    /// Whether the command works on the local database.
    pub fn is_local(&self) -> bool {
        self.server.is_none()
    }
}

/// The control socket of the process that holds `db` (opening it failed with `locked`),
/// or `locked` with what was found instead.
pub fn live_socket(db: &Path, locked: anyhow::Error) -> anyhow::Result<PathBuf> {
    let note = match socket::find(db) {
        Found::Answers(path) => return Ok(path),
        Found::Silent(path) => format!(
            "its control socket {} does not answer: the process that holds it serves none (a `baton server`: use --server URL)",
            path.display()
        ),
        Found::Foreign(path) => format!(
            "its control socket {} belongs to another user; run the command as that user",
            path.display()
        ),
        Found::Nothing => {
            "it serves no control socket (a `baton server` holds it? use --server URL)".to_string()
        }
    };
    Err(anyhow::anyhow!("{locked:#}\n  ({note})"))
}

/// Who the local user is, for the audit trail (a server decides this itself).
pub fn actor() -> Principal {
    Principal::new(whoami(), Role::L0)
}
