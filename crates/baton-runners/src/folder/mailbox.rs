//! One agent folder as Baton sees it: the attempts waiting for a result, and the watch on
//! `0UT` that hands each result file to its attempt, or rejects it with a note.
//!
//! The watch is the `notify` crate plus a full rescan every `rescan` interval, so a result
//! written while Baton was down, or one an overflowed watch missed, is still found.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};

use super::files::{
    self, ARCHIVE, FileFormat, INBOX, OUTBOX, REJECTED, RESULT_SHAPE, ResultDocument,
};
use crate::task::{AttemptLookup, AttemptState};

/// A result file younger than this that does not parse is looked at again later: the
/// agent may still be writing it in place.
const SETTLE: Duration = Duration::from_secs(1);

/// What the watch hands to a waiting attempt.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// A valid result; its file is in `archive/` now.
    Result(ResultDocument),
    /// The attempt's result file was malformed; it is in `rejected/` with its note.
    Malformed(String),
    /// Another claim of the same attempt took over the wait.
    Superseded,
}

/// An attempt waiting for its result file.
struct Waiter {
    workflow_id: String,
    tx: oneshot::Sender<Delivery>,
}

/// The shared state of one agent folder (one per root in a process).
pub(crate) struct Mailbox {
    pub(crate) root: PathBuf,
    waiters: Mutex<HashMap<String, Waiter>>,
    lookup: RwLock<Option<Arc<dyn AttemptLookup>>>,
    wake: Arc<Notify>,
    started: OnceLock<()>,
    rescan: Duration,
}

/// Mailboxes by root, so that two runner entries for one folder share one watch.
static MAILBOXES: Mutex<Vec<(PathBuf, Weak<Mailbox>)>> = Mutex::new(Vec::new());

impl Mailbox {
    /// The mailbox of `root`, made when there is none.
    pub(crate) fn for_root(root: &Path, rescan: Duration) -> Arc<Mailbox> {
        let mut all = MAILBOXES.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|(_, w)| w.strong_count() > 0);
        if let Some(m) = all
            .iter()
            .find(|(r, _)| r == root)
            .and_then(|(_, w)| w.upgrade())
        {
            return m;
        }
        let m = Arc::new(Mailbox {
            root: root.to_path_buf(),
            waiters: Mutex::new(HashMap::new()),
            lookup: RwLock::new(None),
            wake: Arc::new(Notify::new()),
            started: OnceLock::new(),
            rescan,
        });
        all.push((root.to_path_buf(), Arc::downgrade(&m)));
        m
    }

    pub(crate) fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Creates the four folders.
    pub(crate) fn ensure_dirs(&self) -> std::io::Result<()> {
        for d in [INBOX, OUTBOX, ARCHIVE, REJECTED] {
            std::fs::create_dir_all(self.dir(d))?;
        }
        Ok(())
    }

    pub(crate) fn attach(&self, lookup: Arc<dyn AttemptLookup>) {
        *self.lookup.write().unwrap_or_else(|p| p.into_inner()) = Some(lookup);
        self.wake.notify_one();
    }

    /// Starts the watch and the rescan loop (once; needs a tokio runtime).
    pub(crate) fn ensure_started(self: &Arc<Self>) {
        if self.started.set(()).is_err() {
            return;
        }
        let wake = Arc::clone(&self.wake);
        let watcher = notify::recommended_watcher(move |_res: notify::Result<notify::Event>| {
            // Any event (or a watch error, e.g. an overflow) means: look again.
            wake.notify_one();
        });
        let watcher = match watcher {
            Ok(mut w) => {
                use notify::Watcher as _;
                match w.watch(&self.dir(OUTBOX), notify::RecursiveMode::NonRecursive) {
                    Ok(()) => Some(w),
                    Err(e) => {
                        tracing_warn(&format!(
                            "cannot watch {}: {e}; rescanning every {:?} instead",
                            self.dir(OUTBOX).display(),
                            self.rescan
                        ));
                        None
                    }
                }
            }
            Err(e) => {
                tracing_warn(&format!("cannot start a file watch: {e}; rescanning only"));
                None
            }
        };
        let weak = Arc::downgrade(self);
        let (wake, rescan) = (Arc::clone(&self.wake), self.rescan);
        tokio::spawn(async move {
            let _watcher = watcher;
            loop {
                let Some(me) = weak.upgrade() else { return };
                let _ = tokio::task::spawn_blocking(move || me.scan_outbox()).await;
                tokio::select! {
                    () = wake.notified() => {
                        // Let a burst of events settle into one scan.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    () = tokio::time::sleep(rescan) => {}
                }
            }
        });
    }

    /// Registers an attempt's wait; an earlier wait for the same attempt is superseded.
    pub(crate) fn wait_for(&self, workflow_id: &str, task_id: &str) -> oneshot::Receiver<Delivery> {
        let (tx, rx) = oneshot::channel();
        let old = self.lock_waiters().insert(
            task_id.to_owned(),
            Waiter {
                workflow_id: workflow_id.to_owned(),
                tx,
            },
        );
        if let Some(old) = old {
            let _ = old.tx.send(Delivery::Superseded);
        }
        self.wake.notify_one();
        rx
    }

    /// Ends an attempt's wait; `false` when a delivery already took it.
    pub(crate) fn stop_waiting(&self, task_id: &str) -> bool {
        self.lock_waiters().remove(task_id).is_some()
    }

    fn lock_waiters(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiter>> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Looks at every result file in `0UT` once.
    pub(crate) fn scan_outbox(&self) {
        let Ok(entries) = std::fs::read_dir(self.dir(OUTBOX)) else {
            return;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !files::is_in_progress(n))
            .collect();
        names.sort();
        for name in names {
            self.take_result(&name);
        }
    }

    /// Handles one file in `0UT`.
    fn take_result(&self, name: &str) {
        let path = self.dir(OUTBOX).join(name);
        let Some(parsed) = files::parse_file_name(name, "result") else {
            if files::is_fresh(&path, SETTLE) {
                return;
            }
            self.reject(
                &path,
                "its name does not name an attempt",
                "result-{workflowId}-{taskId}.yaml (or .json), the task file's name with \
                 `task-` changed to `result-`",
            );
            return;
        };
        let waiting = self
            .lock_waiters()
            .get(&parsed.task_id)
            .is_some_and(|w| w.workflow_id == parsed.workflow_id);
        if waiting {
            let checked = files::read_result(&path, parsed.format);
            if checked.is_err() && files::is_fresh(&path, SETTLE) {
                return;
            }
            let Some(waiter) = self.lock_waiters().remove(&parsed.task_id) else {
                // The wait ended meanwhile (timeout, shutdown): look again next scan.
                return;
            };
            let delivery = match checked {
                Ok(doc) => match files::move_into(&path, &self.dir(ARCHIVE)) {
                    Ok(_) => {
                        self.archive_task_file(&parsed.workflow_id, &parsed.task_id);
                        Delivery::Result(doc)
                    }
                    Err(e) => {
                        // Cannot move it: leave it where it is and keep waiting.
                        tracing_warn(&format!("cannot archive {}: {e}", path.display()));
                        self.lock_waiters().insert(parsed.task_id, waiter);
                        return;
                    }
                },
                Err(what) => {
                    let note = self.reject(&path, &what, RESULT_SHAPE);
                    self.archive_task_file(&parsed.workflow_id, &parsed.task_id);
                    Delivery::Malformed(format!("{what} ({note})"))
                }
            };
            let _ = waiter.tx.send(delivery);
            return;
        }
        let lookup = self
            .lookup
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(lookup) = lookup else { return };
        match lookup.attempt(&parsed.workflow_id, &parsed.task_id) {
            // Its attempt is live but not claimed here yet (e.g. just after a restart):
            // the claim's runner takes the file from `0UT`.
            AttemptState::Live => {}
            AttemptState::Unknown => {
                self.reject(
                    &path,
                    &format!(
                        "Baton has no task `{}` in workflow `{}`",
                        parsed.task_id, parsed.workflow_id
                    ),
                    "a result for a task file Baton wrote to 1N: the same name, with `task-` \
                     changed to `result-`",
                );
            }
            AttemptState::Ended(status) => {
                let applied = [FileFormat::Yaml, FileFormat::Json].into_iter().any(|f| {
                    self.dir(ARCHIVE)
                        .join(files::result_file_name(
                            &parsed.workflow_id,
                            &parsed.task_id,
                            f,
                        ))
                        .exists()
                });
                let what = if applied {
                    format!(
                        "a duplicate: a result for this attempt was already applied (see \
                         archive/); the attempt ended {status}"
                    )
                } else {
                    format!("the attempt already ended ({status}) before this result came")
                };
                self.reject(
                    &path,
                    &what,
                    "one result per attempt, written before the deadline in its task file; \
                     a retry has a new task file with a new task id",
                );
            }
        }
    }

    /// Moves an attempt's task file from `1N` to `archive/` (its result was taken).
    pub(crate) fn archive_task_file(&self, workflow_id: &str, task_id: &str) {
        for f in [FileFormat::Yaml, FileFormat::Json] {
            let p = self
                .dir(INBOX)
                .join(files::task_file_name(workflow_id, task_id, f));
            if p.exists()
                && let Err(e) = files::move_into(&p, &self.dir(ARCHIVE))
            {
                tracing_warn(&format!("cannot archive {}: {e}", p.display()));
            }
        }
    }

    /// Moves a file to `rejected/` and writes `NAME.error` beside it; returns where both
    /// went, for reasons.
    pub(crate) fn reject(&self, path: &Path, what: &str, expected: &str) -> String {
        let rejected = self.dir(REJECTED);
        let original = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dest = files::free_name(&rejected, &original);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The note first: whoever sees the rejected file finds its note beside it.
        let note = format!(
            "file: {name}\nrejected at: {}\nwhat is wrong: {what}\nexpected: {expected}\n",
            files::now()
        );
        if let Err(e) = files::write_atomic(&rejected, &format!("{name}.error"), note.as_bytes()) {
            tracing_warn(&format!("cannot write the note for {name}: {e}"));
        }
        if let Err(e) = files::move_to(path, &dest) {
            tracing_warn(&format!("cannot move {} to rejected/: {e}", path.display()));
            return format!("left in place: {e}");
        }
        format!("see rejected/{name}.error")
    }
}

fn tracing_warn(message: &str) {
    tracing::warn!("folder agent: {message}");
}
