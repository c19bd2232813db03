//! Serves the API over a SQLite file until Ctrl-C (for manual tests and measurements):
//! `cargo run -p baton-server --example serve -- [DB_PATH] [ADDR]`.

use baton_runtime::{Engine, EngineConfig, SystemClock};
use baton_store::sqlite::{Durability, SqliteStore};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let db = args.next().unwrap_or_else(|| "baton.db".to_string());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let store = SqliteStore::open(&db, Durability::Normal)?;
    let engine = Engine::start(store, Arc::new(SystemClock), EngineConfig::default())?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("serving {} on http://{}", db, listener.local_addr()?);
    baton_server::serve(listener, engine.handle(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    engine.shutdown().await;
    Ok(())
}
