//! `baton token create|list|revoke`: API keys, on the local database (before any server
//! runs) or through a server for an L0 caller.

use super::target::Target;
use crate::exit::Code;
use baton_control::http::Client;
use baton_server::auth::{KeyInfo, NewKey, NewKeyRequest, new_key};
use baton_store::prelude::*;
use baton_store::sqlite::{Durability, SqliteStore};
use clap::{Args, Subcommand, ValueEnum};

/// `baton token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API key; its id and secret are printed once.
    Create(CreateArgs),
    /// List API keys (never their secrets).
    List(ListArgs),
    /// Revoke an API key: it authenticates nobody from now on.
    Revoke(RevokeArgs),
}

/// A role as the command line spells it.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum RoleArg {
    /// Commander: everything, decides HUMAN tasks and gates, manages keys.
    L0,
    /// Bridge: definitions, start, pause, resume, terminate, restart, retry, rerun, skip.
    L1,
    /// Station ops: start and operate workflows of its own domain (needs --domain).
    L2,
    /// Worker: poll and update tasks only.
    L3,
}

/// Arguments of `baton token create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The authority the key gives.
    #[arg(long, value_enum, ignore_case = true)]
    pub role: RoleArg,
    /// The domain an L2 key acts in.
    #[arg(long)]
    pub domain: Option<String>,
    /// A label, the audit trail's name for its caller (default: the key id).
    #[arg(long)]
    pub name: Option<String>,
    /// Print `{"keyId", "keySecret", "role", "domain", "name"}`.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `baton token list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// One JSON array.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `baton token revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key's id (`bk_…`).
    pub key_id: String,
    #[command(flatten)]
    pub target: Target,
}

/// Runs a `baton token` subcommand.
pub async fn run(command: &TokenCommand) -> anyhow::Result<Code> {
    match command {
        TokenCommand::Create(a) => create(a).await,
        TokenCommand::List(a) => list(a).await,
        TokenCommand::Revoke(a) => revoke(a).await,
    }
}

fn role_text(r: RoleArg) -> &'static str {
    match r {
        RoleArg::L0 => "L0",
        RoleArg::L1 => "L1",
        RoleArg::L2 => "L2",
        RoleArg::L3 => "L3",
    }
}

fn client(target: &Target, url: &str) -> anyhow::Result<Client> {
    Ok(Client::new(url)?.with_token(target.token_for(url)))
}

/// The local store, opened for keys only (no engine runs).
fn store(target: &Target) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(&target.db, Durability::Full).map_err(|e| {
        if matches!(e, baton_store::StoreError::Locked(_)) {
            anyhow::anyhow!(
                "{e}\n  (a running server holds `{}`: manage keys through it with --server URL and an L0 token)",
                target.db.display()
            )
        } else {
            anyhow::anyhow!("cannot open database `{}`: {e}", target.db.display())
        }
    })
}

async fn create(args: &CreateArgs) -> anyhow::Result<Code> {
    let req = NewKeyRequest {
        role: role_text(args.role).to_string(),
        domain: args.domain.clone(),
        name: args.name.clone(),
    };
    let shown: NewKey = match &args.target.server {
        Some(url) => {
            let v = match client(&args.target, url)?
                .create_key(&req.role, req.domain.as_deref(), req.name.as_deref())
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    crate::errln!("error: {e}");
                    return Ok(Code::Failed);
                }
            };
            serde_json::from_value(v)?
        }
        None => {
            let (key, shown) = match new_key(&req, super::local::now_ms()) {
                Ok(k) => k,
                Err(e) => {
                    crate::errln!("error: {e}");
                    return Ok(Code::Usage);
                }
            };
            let mut store = store(&args.target)?;
            let mut tx = store.begin()?;
            tx.insert_api_key(&key)?;
            tx.commit()?;
            shown
        }
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string(&shown)?);
    } else {
        crate::outln!("key id:     {}", shown.key_id);
        crate::outln!("key secret: {}", shown.key_secret);
        crate::outln!(
            "role:       {}{}",
            shown.role,
            shown
                .domain
                .as_ref()
                .map(|d| format!(" (domain {d})"))
                .unwrap_or_default()
        );
        crate::outln!("name:       {}", shown.name);
        crate::errln!(
            "The secret is shown only now. Use it as --token {}:SECRET (or BATON_TOKEN), or give the key id and secret to a Conductor SDK.",
            shown.key_id
        );
    }
    Ok(Code::Ok)
}

async fn list(args: &ListArgs) -> anyhow::Result<Code> {
    let keys: Vec<KeyInfo> = match &args.target.server {
        Some(url) => match client(&args.target, url)?.list_keys().await {
            Ok(v) => serde_json::from_value(v)?,
            Err(e) => {
                crate::errln!("error: {e}");
                return Ok(Code::Failed);
            }
        },
        None => {
            let reader = super::local::open_reader(&args.target.db)?;
            reader.api_keys()?.iter().map(KeyInfo::from).collect()
        }
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&keys)?);
        return Ok(Code::Ok);
    }
    for k in &keys {
        crate::outln!(
            "{}  {:<3} {:<14} {}  created {}{}",
            k.key_id,
            k.role,
            k.domain.as_deref().unwrap_or("-"),
            k.name,
            super::local::time(k.created_at),
            k.revoked_at
                .map(|t| format!("  REVOKED {}", super::local::time(t)))
                .unwrap_or_default()
        );
    }
    Ok(Code::Ok)
}

async fn revoke(args: &RevokeArgs) -> anyhow::Result<Code> {
    let revoked = match &args.target.server {
        Some(url) => match client(&args.target, url)?.revoke_key(&args.key_id).await {
            Ok(()) => true,
            Err(e) if e.kind() == baton_control::ErrorKind::NotFound => false,
            Err(e) => {
                crate::errln!("error: {e}");
                return Ok(Code::Failed);
            }
        },
        None => {
            let mut store = store(&args.target)?;
            let mut tx = store.begin()?;
            let done = tx.revoke_api_key(&args.key_id, super::local::now_ms())?;
            tx.commit()?;
            done
        }
    };
    if !revoked {
        crate::errln!(
            "error: no API key {} to revoke (unknown, or revoked already); see baton token list",
            args.key_id
        );
        return Ok(Code::Usage);
    }
    crate::outln!("revoked {}", args.key_id);
    Ok(Code::Ok)
}
