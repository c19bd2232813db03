//! Where a command acts — a server (`--server URL`) or the local database (`--db FILE`) —
//! as one [`Control`]: every verb and view has one code path whichever it is.

use super::local::{self, DEFAULT_DB};
use super::resume::whoami;
use baton_control::{Control, EngineControl, HttpControl};
use baton_core::Principal;
use baton_model::Role;
use baton_runtime::Engine;
use clap::Args;
use std::path::PathBuf;

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
}

/// What a command needs of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: locally, a read-only view (no engine, no lock), so a database that
    /// `baton run` is running can be looked at.
    Read,
    /// Commands too: locally, an engine on the file (created if missing).
    Write,
}

/// An opened target. [`Opened::close`] stops the local engine, if one was started.
pub struct Opened {
    /// The operator API.
    pub control: Box<dyn Control>,
    engine: Option<Engine>,
}

impl Opened {
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
                control: Box::new(HttpControl::new(url)?),
                engine: None,
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
                })
            }
            Access::Write => {
                let engine = local::open_engine(&self.db)?;
                Ok(Opened {
                    control: Box::new(EngineControl::new(engine.handle())),
                    engine: Some(engine),
                })
            }
        }
    }

    /// Whether the command works on the local database.
    pub fn is_local(&self) -> bool {
        self.server.is_none()
    }
}

/// Who the local user is, for the audit trail (a server decides this itself).
pub fn actor() -> Principal {
    Principal::new(whoami(), Role::L0)
}
