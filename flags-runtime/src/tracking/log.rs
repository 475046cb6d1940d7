//! The event log: a write-ahead log of events in one directory, so that a killed process loses
//! no event `track()` returned from.
//!
//! One file, `events.log`, of frames: the payload's length (4 bytes, little endian), its CRC-32
//! (4 bytes), the payload. A payload is an event (`1`, then the event as JSON) or an
//! acknowledgement (`2`, the exporter's name length on 2 bytes, the name, then 16 bytes per
//! event id). Appends are `write` calls made before `track()` returns: the bytes are then the
//! operating system's, and survive the process. `fsync` follows within the sync interval, at
//! shutdown, and on [`Client::sync_event_log`](crate::Client::sync_event_log).
//!
//! On open, frames are read up to the first that is short or fails its checksum (a torn last
//! write): the file is cut there. Events some exporter has not acknowledged are handed back to
//! be sent again (at least once: ids let receivers drop duplicates). The file is rewritten with
//! only those (compaction) at open, and by the pipeline's thread once events were acknowledged
//! and the file doubled since or is full: the rewrite happens beside the log, and `track()`
//! waits only while what it appended meanwhile is copied over and the file renamed. Past its
//! size cap, events are kept in memory only, with one warning. A lock file keeps a second
//! process out.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::event::{Event, EventId};
use super::exporter::Kinds;

const EVENT: u8 = 1;
const ACK: u8 = 2;
const HEADER: usize = 8;
/// Frames longer than this are not ours (a corrupt length).
const MAX_FRAME: usize = 16 << 20;
const FILE: &str = "events.log";
const TEMP: &str = "events.log.tmp";
const LOCK: &str = "lock";

/// What opening a log found.
pub(crate) struct Opened {
    pub(crate) log: EventLog,
    /// Events still owed, oldest first, with the exporters (bits) that owe them.
    pub(crate) owed: Vec<(Event, u64)>,
}

pub(crate) struct EventLog {
    dir: PathBuf,
    names: Box<[String]>,
    max_bytes: u64,
    /// Bytes cut from the end of the file when it was opened (a torn write).
    torn: u64,
    inner: Mutex<Inner>,
    /// Held while a sync runs.
    syncing: Mutex<()>,
    /// Held (locked) while the log is open.
    _lock: File,
}

struct Inner {
    file: File,
    size: u64,
    dirty: bool,
    /// Events not acknowledged by every exporter that wants them: (wanted, owing) bits.
    pending: HashMap<EventId, (u64, u64)>,
    compact_at: u64,
    /// Acknowledgements since the file was last compacted: compacting helps only once there
    /// are some.
    acked_since: usize,
    /// Compactions so far.
    compactions: u64,
    /// An event was refused for the size cap since the last compaction.
    full: bool,
    full_warned: bool,
    /// A write failed: the log is no longer written (events stay in memory).
    broken: bool,
}

impl EventLog {
    /// Opens (or creates) the log in `dir` for exporters `names` taking `kinds`.
    pub(crate) fn open(
        dir: &Path,
        names: &[String],
        kinds: &[Kinds],
        max_bytes: u64,
    ) -> Result<Opened, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the directory: {e}"))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK))
            .map_err(|e| format!("cannot open its lock file: {e}"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(
                    "another client or process uses it; give each its own directory".to_owned(),
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock it: {e}"));
            }
        }
        let path = dir.join(FILE);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut file) => {
                file.read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot read `{FILE}`: {e}"))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read `{FILE}`: {e}")),
        }
        let (frames, good) = frames(&bytes);
        let torn = (bytes.len() - good) as u64;
        let mut events = Vec::new();
        let mut acks: HashMap<&str, HashSet<EventId>> = HashMap::new();
        for (kind, body) in frames {
            match kind {
                EVENT => {
                    if let Some(event) = Event::decode(body) {
                        events.push(event);
                    }
                }
                ACK => {
                    if let Some((name, ids)) = decode_ack(body) {
                        acks.entry(name).or_default().extend(ids);
                    }
                }
                _ => {}
            }
        }
        let mut pending = HashMap::new();
        let mut owed = Vec::new();
        for event in events {
            let wanted = mask(kinds, &event);
            let mut owing = wanted;
            for (i, name) in names.iter().enumerate() {
                if acks
                    .get(name.as_str())
                    .is_some_and(|ids| ids.contains(&event.id))
                {
                    owing &= !(1 << i);
                }
            }
            if owing != 0 && pending.insert(event.id, (wanted, owing)).is_none() {
                owed.push((event, owing));
            }
        }
        if torn > 0 {
            tracing::warn!(
                target: "flags",
                bytes = torn,
                "the event log ended in a torn or corrupt record, which is skipped"
            );
        }
        let file = append_to(&path)?;
        let good = good as u64;
        let log = EventLog {
            dir: dir.to_owned(),
            names: names.into(),
            max_bytes,
            torn,
            syncing: Mutex::new(()),
            inner: Mutex::new(Inner {
                file,
                size: good,
                dirty: false,
                pending,
                compact_at: 0,
                acked_since: 0,
                compactions: 0,
                full: false,
                full_warned: false,
                broken: false,
            }),
            _lock: lock,
        };
        if torn > 0 {
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| format!("cannot open `{FILE}`: {e}"))?;
            file.set_len(good)
                .map_err(|e| format!("cannot cut the torn end of `{FILE}`: {e}"))?;
        }
        // Rewritten with what is owed only.
        log.compact()?;
        Ok(Opened { log, owed })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends `event`, owed to the exporters `owing`; `false` when it is not logged (the log is
    /// full or broken).
    pub(crate) fn append(&self, event: &Event, owing: u64) -> bool {
        let frame = event_frame(event);
        let mut inner = self.lock();
        if inner.broken {
            return false;
        }
        // Warnings are given once the lock is released (a log subscriber may track events).
        if inner.size + frame.len() as u64 > self.max_bytes {
            // The pipeline's thread compacts (`maintain`): never the caller.
            inner.full = true;
            let warn = !std::mem::replace(&mut inner.full_warned, true);
            drop(inner);
            if warn {
                tracing::warn!(
                    target: "flags",
                    max_bytes = self.max_bytes,
                    "the event log is full of events not yet exported; new events are kept in \
                     memory only until it drains"
                );
            }
            return false;
        }
        if let Err(error) = inner.file.write_all(&frame) {
            inner.broken = true;
            drop(inner);
            tracing::warn!(
                target: "flags",
                "cannot write the event log ({error}); events are kept in memory only"
            );
            return false;
        }
        inner.size += frame.len() as u64;
        inner.dirty = true;
        inner.full_warned = false;
        inner.pending.insert(event.id, (owing, owing));
        true
    }

    /// Records that exporter `index` (`name`) acknowledged `ids`.
    pub(crate) fn ack(&self, index: usize, name: &str, ids: &[EventId]) {
        let mut inner = self.lock();
        let mut owned = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some((_, owing)) = inner.pending.get_mut(id) {
                *owing &= !(1 << index);
                if *owing == 0 {
                    inner.pending.remove(id);
                }
                owned.push(*id);
            }
        }
        if owned.is_empty() || inner.broken {
            return;
        }
        inner.acked_since += owned.len();
        let frame = frame(ACK, &encode_ack(name, &owned));
        if inner.file.write_all(&frame).is_err() {
            inner.broken = true;
            return;
        }
        inner.size += frame.len() as u64;
        inner.dirty = true;
    }

    /// Syncs what was written to disk.
    /// The `fsync` runs on a second handle of the file, without the lock that `track()` takes:
    /// appends go on meanwhile (and count for the next sync). Syncs follow one another, so that
    /// a sync that finds nothing new to sync returns after the one in flight.
    pub(crate) fn sync(&self) {
        let _syncing = self
            .syncing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let file = {
            let mut inner = self.lock();
            if !inner.dirty {
                return;
            }
            inner.dirty = false;
            inner.file.try_clone()
        };
        if let Err(error) = file.and_then(|file| file.sync_data()) {
            self.lock().dirty = true;
            tracing::warn!(target: "flags", "cannot sync the event log: {error}");
        }
    }

    /// The events not yet acknowledged by every exporter that wants them.
    pub(crate) fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// Bytes cut from the end of the file when it was opened.
    pub(crate) fn torn(&self) -> u64 {
        self.torn
    }

    /// Compactions so far (the one at open included).
    #[cfg(test)]
    pub(crate) fn compactions(&self) -> u64 {
        self.lock().compactions
    }

    /// The file's size in bytes.
    #[cfg(test)]
    pub(crate) fn size(&self) -> u64 {
        self.lock().size
    }

    /// Compacts the file when it is due: events were acknowledged since the last compaction,
    /// and the file grew past twice its size after it, or is full. Called by the pipeline's thread only
    /// (which alone acknowledges), after acknowledgements and at its sync points.
    pub(crate) fn maintain(&self) {
        let due = {
            let inner = self.lock();
            !inner.broken && inner.acked_since > 0 && (inner.size > inner.compact_at || inner.full)
        };
        if due && let Err(error) = self.compact() {
            tracing::warn!(target: "flags", "cannot compact the event log: {error}");
        }
    }

    /// Rewrites the file with the pending events only (and their partial acknowledgements):
    /// the part written so far is read and filtered without the lock (appends meanwhile go
    /// after it, and acknowledgements come from this thread only), written to a temporary
    /// file and synced; then, under the lock, what was appended meanwhile is copied after it
    /// and the temporary file renamed over the log. `track()` waits for that last step only.
    fn compact(&self) -> Result<(), String> {
        let path = self.dir.join(FILE);
        let io = |what: &str, e: std::io::Error| format!("cannot {what} `{FILE}`: {e}");
        let start = self.lock().size;
        let mut prefix = Vec::new();
        File::open(&path)
            .and_then(|file| file.take(start).read_to_end(&mut prefix))
            .map_err(|e| io("read", e))?;
        let mut out = Vec::new();
        let mut partial: Vec<Vec<EventId>> = vec![Vec::new(); self.names.len()];
        let mut written = HashSet::new();
        let records = frames(&prefix).0;
        // The lock is taken per chunk of records, not for the whole file.
        for chunk in records.chunks(512) {
            let inner = self.lock();
            for &(kind, body) in chunk {
                if kind != EVENT {
                    continue;
                }
                let Some(id) = event_id(body) else { continue };
                let Some(&(wanted, owing)) = inner.pending.get(&id) else {
                    continue;
                };
                if !written.insert(id) {
                    continue;
                }
                out.extend_from_slice(&frame(EVENT, body));
                for (i, acked) in partial.iter_mut().enumerate() {
                    if wanted & !owing & (1 << i) != 0 {
                        acked.push(id);
                    }
                }
            }
        }
        for (name, ids) in self.names.iter().zip(&partial) {
            if !ids.is_empty() {
                out.extend_from_slice(&frame(ACK, &encode_ack(name, ids)));
            }
        }
        let temp = self.dir.join(TEMP);
        let mut file = File::create(&temp).map_err(|e| io("rewrite", e))?;
        file.write_all(&out)
            .and_then(|()| file.sync_all())
            .map_err(|e| io("rewrite", e))?;
        {
            let mut inner = self.lock();
            // What `track()` appended meanwhile.
            let mut tail = Vec::new();
            if inner.size > start {
                let mut current = File::open(&path).map_err(|e| io("read", e))?;
                std::io::Seek::seek(&mut current, std::io::SeekFrom::Start(start))
                    .and_then(|_| current.take(inner.size - start).read_to_end(&mut tail))
                    .map_err(|e| io("read", e))?;
            }
            file.write_all(&tail).map_err(|e| io("rewrite", e))?;
            std::fs::rename(&temp, &path).map_err(|e| io("replace", e))?;
            inner.file = append_to(&path)?;
            inner.size = (out.len() + tail.len()) as u64;
            inner.dirty = !tail.is_empty();
            inner.full = false;
            inner.acked_since = 0;
            inner.compactions += 1;
            let floor = (self.max_bytes / 8).max(64 << 10);
            inner.compact_at = floor
                .max(inner.size.saturating_mul(2))
                .min(self.max_bytes - self.max_bytes / 4);
        }
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

fn append_to(path: &Path) -> Result<File, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open `{FILE}` for appending: {e}"))
}

fn mask(kinds: &[Kinds], event: &Event) -> u64 {
    kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| k.wants(event))
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

/// A frame: length, checksum, kind, body.
fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(body.len() + 1);
    payload.push(kind);
    payload.extend_from_slice(body);
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&crate::crc32::checksum(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// An event's frame, encoded in place (one allocation).
fn event_frame(event: &Event) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&[0; HEADER]);
    out.push(EVENT);
    event.encode_into(&mut out);
    let len = u32::try_from(out.len() - HEADER).unwrap_or(u32::MAX);
    let crc = crate::crc32::checksum(&out[HEADER..]);
    out[..4].copy_from_slice(&len.to_le_bytes());
    out[4..HEADER].copy_from_slice(&crc.to_le_bytes());
    out
}

/// The frames of `bytes` (kind, body) up to the first that is short or corrupt, and the
/// length of the good part.
fn frames(bytes: &[u8]) -> (Vec<(u8, &[u8])>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len == 0 || len > MAX_FRAME {
            break;
        }
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        if crate::crc32::checksum(payload) != crc {
            break;
        }
        out.push((payload[0], &payload[1..]));
        at += HEADER + len;
    }
    (out, at)
}

fn encode_ack(name: &str, ids: &[EventId]) -> Vec<u8> {
    let name = &name.as_bytes()[..name.len().min(u16::MAX as usize)];
    let mut out = Vec::with_capacity(2 + name.len() + 16 * ids.len());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(name);
    for id in ids {
        out.extend_from_slice(&id.as_u128().to_le_bytes());
    }
    out
}

fn decode_ack(body: &[u8]) -> Option<(&str, impl Iterator<Item = EventId>)> {
    let len = u16::from_le_bytes([*body.first()?, *body.get(1)?]) as usize;
    let name = std::str::from_utf8(body.get(2..2 + len)?).ok()?;
    let ids = body.get(2 + len..)?;
    Some((
        name,
        ids.chunks_exact(16).map(|chunk| {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(chunk);
            EventId::from_u128(u128::from_le_bytes(bytes))
        }),
    ))
}

/// The id of an encoded event, without decoding the rest.
fn event_id(body: &[u8]) -> Option<EventId> {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        id: &'a str,
    }
    let id: Id<'_> = serde_json::from_slice(body).ok()?;
    EventId::parse(id.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::tracking::event::{EventKind, TrackingDetails, TrackingEvent};

    fn event(name: &str) -> Event {
        Event::new(EventKind::Tracked(TrackingEvent {
            name: name.into(),
            context: Context::new("u"),
            details: TrackingDetails::new(),
        }))
    }

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "flags-log-{name}-{}-{}",
            std::process::id(),
            EventId::next()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn names(owed: &[(Event, u64)]) -> Vec<String> {
        owed.iter()
            .map(|(e, _)| match &e.kind {
                EventKind::Tracked(t) => t.name.clone(),
                EventKind::Evaluated(e) => e.flag_key.clone(),
            })
            .collect()
    }

    const ONE: &[Kinds] = &[Kinds::TRACKING];

    #[test]
    fn unacknowledged_events_come_back_after_a_restart() {
        let dir = dir("restart");
        let exporters = ["a".to_owned()];
        let opened = EventLog::open(&dir, &exporters, ONE, 1 << 20).unwrap();
        let (a, b, c) = (event("a"), event("b"), event("c"));
        for e in [&a, &b, &c] {
            assert!(opened.log.append(e, 1));
        }
        opened.log.ack(0, "a", &[a.id, c.id]);
        drop(opened);
        let opened = EventLog::open(&dir, &exporters, ONE, 1 << 20).unwrap();
        assert_eq!(names(&opened.owed), ["b"]);
        assert_eq!(opened.owed[0].0, b, "read back whole, id included");
        assert_eq!(opened.log.torn(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_second_open_of_the_same_directory_is_refused() {
        let dir = dir("lock");
        let exporters = ["a".to_owned()];
        let _first = EventLog::open(&dir, &exporters, ONE, 1 << 20).unwrap();
        let error = EventLog::open(&dir, &exporters, ONE, 1 << 20)
            .err()
            .unwrap();
        assert!(error.contains("another client or process"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_last_record_is_skipped_and_cut() {
        let dir = dir("torn");
        let exporters = ["a".to_owned()];
        let opened = EventLog::open(&dir, &exporters, ONE, 1 << 20).unwrap();
        opened.log.append(&event("whole"), 1);
        opened.log.append(&event("torn"), 1);
        drop(opened);
        let path = dir.join(FILE);
        let len = std::fs::metadata(&path).unwrap().len();
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len - 5).unwrap();
        drop(file);
        let opened = EventLog::open(&dir, &exporters, ONE, 1 << 20).unwrap();
        assert_eq!(names(&opened.owed), ["whole"]);
        assert!(opened.log.torn() > 0);
        drop(opened);
        // A flipped byte in the last record: its checksum fails.
        let opened = EventLog::open(&dir, &exporters, ONE, 1 << 20).unwrap();
        opened.log.append(&event("flipped"), 1);
        drop(opened);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0x55;
        std::fs::write(&path, &bytes).unwrap();
        let opened = EventLog::open(&dir, &exporters, ONE, 1 << 20).unwrap();
        assert_eq!(names(&opened.owed), ["whole"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn events_are_owed_to_each_exporter_that_has_not_acknowledged_them() {
        let dir = dir("two");
        let exporters = ["a".to_owned(), "b".to_owned()];
        let kinds = [Kinds::TRACKING, Kinds::TRACKING];
        let opened = EventLog::open(&dir, &exporters, &kinds, 1 << 20).unwrap();
        let (x, y) = (event("x"), event("y"));
        opened.log.append(&x, 0b11);
        opened.log.append(&y, 0b11);
        opened.log.ack(0, "a", &[x.id, y.id]);
        opened.log.ack(1, "b", &[x.id]);
        drop(opened);
        let opened = EventLog::open(&dir, &exporters, &kinds, 1 << 20).unwrap();
        assert_eq!(names(&opened.owed), ["y"]);
        assert_eq!(opened.owed[0].1, 0b10, "owed to `b` only");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Compaction runs while another thread appends: what is appended meanwhile is carried
    /// over, nothing is lost or revived.
    #[test]
    fn events_appended_during_a_compaction_are_kept() {
        let dir = dir("concurrent");
        let exporters = ["a".to_owned()];
        let opened = EventLog::open(&dir, &exporters, ONE, 8 << 20).unwrap();
        let log = &opened.log;
        let kept = std::thread::scope(|scope| {
            let appender = scope.spawn(|| {
                let mut n = 0;
                for i in 0..20_000 {
                    if log.append(&event(&format!("keep-{i}")), 1) {
                        n += 1;
                    }
                }
                n
            });
            let at_open = log.compactions();
            let mut during = 0;
            while !appender.is_finished() {
                for _ in 0..200 {
                    let e = event("acknowledged");
                    log.append(&e, 1);
                    log.ack(0, "a", &[e.id]);
                }
                log.maintain();
                if !appender.is_finished() {
                    during = log.compactions() - at_open;
                }
            }
            assert!(during > 0, "no compaction ran while appending");
            appender.join().unwrap()
        });
        drop(opened);
        let opened = EventLog::open(&dir, &exporters, ONE, 8 << 20).unwrap();
        let names = names(&opened.owed);
        assert_eq!(names.len(), kept);
        assert!(names.iter().all(|n| n.starts_with("keep-")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn compaction_keeps_the_file_small_and_the_cap_holds() {
        let dir = dir("compact");
        let exporters = ["a".to_owned()];
        let opened = EventLog::open(&dir, &exporters, ONE, 256 << 10).unwrap();
        for _ in 0..20_000 {
            let e = event("n");
            assert!(opened.log.append(&e, 1));
            opened.log.ack(0, "a", &[e.id]);
            opened.log.maintain();
        }
        assert!(opened.log.size() <= 256 << 10, "{}", opened.log.size());
        assert_eq!(opened.log.pending(), 0);
        // Nothing acknowledged: the cap stops the log, not the caller.
        let mut refused = 0;
        for _ in 0..5_000 {
            if !opened.log.append(&event("kept"), 1) {
                refused += 1;
            }
            opened.log.maintain();
        }
        assert!(refused > 0);
        assert!(opened.log.size() <= 256 << 10);
        let logged = opened.log.pending();
        drop(opened);
        let opened = EventLog::open(&dir, &exporters, ONE, 256 << 10).unwrap();
        assert_eq!(opened.owed.len(), logged);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
