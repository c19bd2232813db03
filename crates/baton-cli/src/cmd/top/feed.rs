//! Live updates for `baton top`: the server's event stream (`/api/v1/events`, resumed
//! with `Last-Event-ID` after a disconnect or a server restart), or the local
//! database's event log. Each says only "something changed"; the dashboard then reads
//! what it shows, at most a few times a second however fast events come.

use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Longest line of the event stream kept while it has no end of line yet.
const MAX_LINE: usize = 1 << 20;

/// What the feed reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// Updates flow (again).
    Live,
    /// Something changed.
    Changed,
    /// The stream broke; the feed reconnects by itself.
    Lost(String),
}

/// Follows `url`'s event stream until `tx` closes.
pub async fn server(url: String, token: Option<String>, tx: UnboundedSender<Feed>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let mut last_id: Option<String> = None;
    loop {
        let mut req = client
            .get(format!("{}/api/v1/events", url.trim_end_matches('/')))
            .header("Accept", "text/event-stream");
        if let Some(t) = &token {
            req = req.header("X-Authorization", t);
        }
        if let Some(id) = &last_id {
            req = req.header("Last-Event-ID", id);
        }
        match req.send().await {
            Ok(mut resp) if resp.status().is_success() => {
                if tx.send(Feed::Live).is_err() {
                    return;
                }
                // Anything may have happened while disconnected.
                let _ = tx.send(Feed::Changed);
                let mut pending = String::new();
                loop {
                    match resp.chunk().await {
                        Ok(Some(bytes)) => {
                            let mut changed = false;
                            pending.push_str(&String::from_utf8_lossy(&bytes));
                            // A line longer than any event is not an event stream:
                            // bound what is kept and look at what comes next.
                            if pending.len() > MAX_LINE && !pending.contains('\n') {
                                pending.clear();
                                changed = true;
                            }
                            while let Some(end) = pending.find('\n') {
                                let line: String = pending.drain(..=end).collect();
                                let line = line.trim_end();
                                if let Some(id) = line.strip_prefix("id:") {
                                    last_id = Some(id.trim().to_string());
                                } else if line.starts_with("data:") {
                                    changed = true;
                                }
                            }
                            if changed && tx.send(Feed::Changed).is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            if tx.send(Feed::Lost(e.to_string())).is_err() {
                                return;
                            }
                            break;
                        }
                    }
                }
                if tx
                    .send(Feed::Lost("the server closed the stream".into()))
                    .is_err()
                {
                    return;
                }
            }
            Ok(resp) => {
                if tx
                    .send(Feed::Lost(format!("the server answered {}", resp.status())))
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                if tx.send(Feed::Lost(e.to_string())).is_err() {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Follows the event log of the database at `db` (written by whichever process runs
/// it) until `tx` closes: a cheap read of the newest event id twice a second.
pub async fn database(db: PathBuf, tx: UnboundedSender<Feed>) {
    let mut last: Option<u64> = None;
    let mut live = false;
    loop {
        let path = db.clone();
        let read = tokio::task::spawn_blocking(move || {
            use baton_store::prelude::*;
            baton_store::sqlite::SqliteReader::open(&path)
                .and_then(|r| r.last_event_id())
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let sent = match read {
            Ok(id) => {
                let mut ok = true;
                if !live {
                    live = true;
                    ok = tx.send(Feed::Live).is_ok();
                }
                if last != Some(id) {
                    last = Some(id);
                    ok = ok && tx.send(Feed::Changed).is_ok();
                }
                ok
            }
            Err(e) => {
                live = false;
                tx.send(Feed::Lost(e)).is_ok()
            }
        };
        if !sent {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
