//! The on-disk cache: what a tag pointed at (for `cache_ttl`), and what a digest is (forever).
//!
//! Digests name immutable content, so the facts of a digest never go stale; tags move, so
//! their answer expires. Each entry is one small JSON file named by the SHA-256 of its key
//! and holding the key itself, so a collision or a file swapped in by hand is a miss, not a
//! wrong answer. Files are written to a temporary name and renamed into place, so a reader
//! never sees half an entry, and concurrent writers of the same entry both leave a whole
//! one. Any read problem (missing, unreadable, corrupt, another version) is a miss; any
//! write problem is ignored: the cache may only ever save work, never cause an error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::sha256::{hex, sha256};
use super::time::now_unix;

/// Bumped when the entry format changes: old entries then live in another folder and are
/// simply never read.
const LAYOUT: &str = "registry-v1";

/// A clock this far ahead of an entry's write time means the clock moved, not that the entry
/// is fresh.
const CLOCK_SKEW: i64 = 300;

/// What a tag pointed at when we asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagEntry {
    pub key: String,
    pub digest: String,
    /// Unix seconds when the registry answered.
    pub fetched_at: i64,
    /// Docker Hub API answers carry their facts here (they describe the tag, not the digest,
    /// so they expire with it).
    #[serde(default)]
    pub hub: Option<StoredFacts>,
}

/// The facts of one digest for one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFacts {
    pub digest: String,
    pub platform_digest: Option<String>,
    pub config_digest: Option<String>,
    pub created: Option<i64>,
    pub revision: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct FactsEntry {
    key: String,
    facts: StoredFacts,
}

/// A cache folder and the lifetime of tag answers in it.
#[derive(Debug, Clone)]
pub struct DiskCache {
    root: PathBuf,
    ttl: Duration,
}

impl DiskCache {
    pub fn new(dir: &Path, ttl: Duration) -> DiskCache {
        DiskCache {
            root: dir.join(LAYOUT),
            ttl,
        }
    }

    /// The tag's entry if it was written less than `ttl` ago.
    pub fn tag(&self, key: &str) -> Option<TagEntry> {
        let entry: TagEntry = read(&self.path("tags", key))?;
        let age = now_unix().saturating_sub(entry.fetched_at);
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        (entry.key == key && age < ttl && age > -CLOCK_SKEW).then_some(entry)
    }

    pub fn put_tag(&self, entry: &TagEntry) {
        write(&self.path("tags", &entry.key), entry);
    }

    /// A digest's facts, whenever they were written.
    pub fn facts(&self, key: &str) -> Option<StoredFacts> {
        let entry: FactsEntry = read(&self.path("digests", key))?;
        (entry.key == key).then_some(entry.facts)
    }

    pub fn put_facts(&self, key: &str, facts: &StoredFacts) {
        let entry = FactsEntry {
            key: key.to_string(),
            facts: facts.clone(),
        };
        write(&self.path("digests", key), &entry);
    }

    fn path(&self, kind: &str, key: &str) -> PathBuf {
        self.root
            .join(kind)
            .join(format!("{}.json", hex(&sha256(key.as_bytes()))))
    }
}

/// An entry, or `None` for any reason at all.
fn read<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes an entry atomically (temporary file, then rename); failures are ignored.
fn write<T: Serialize>(path: &Path, value: &T) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let (Some(dir), Ok(bytes)) = (path.parent(), serde_json::to_vec(value)) else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let temporary = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    if std::fs::write(&temporary, bytes).is_err() || std::fs::rename(&temporary, path).is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> StoredFacts {
        StoredFacts {
            digest: "sha256:aa".into(),
            platform_digest: None,
            config_digest: None,
            created: Some(1),
            revision: None,
        }
    }

    #[test]
    fn tags_expire_digests_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = DiskCache::new(dir.path(), Duration::from_secs(3600));
        let entry = TagEntry {
            key: "r/a:t".into(),
            digest: "sha256:aa".into(),
            fetched_at: now_unix(),
            hub: None,
        };
        cache.put_tag(&entry);
        assert_eq!(cache.tag("r/a:t"), Some(entry.clone()));
        cache.put_tag(&TagEntry {
            fetched_at: now_unix() - 3601,
            ..entry.clone()
        });
        assert_eq!(cache.tag("r/a:t"), None);
        cache.put_tag(&TagEntry {
            fetched_at: now_unix() + 3600,
            ..entry
        });
        assert_eq!(
            cache.tag("r/a:t"),
            None,
            "an entry from the future is stale"
        );
        cache.put_facts("k", &facts());
        assert_eq!(cache.facts("k"), Some(facts()));
        assert_eq!(cache.facts("other"), None);
    }

    #[test]
    fn corrupt_and_foreign_entries_are_misses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = DiskCache::new(dir.path(), Duration::from_secs(3600));
        cache.put_facts("k", &facts());
        let path = cache.path("digests", "k");
        std::fs::write(&path, b"{not json").expect("write");
        assert_eq!(cache.facts("k"), None);
        // An entry whose recorded key differs (a collision or a copied file) is not used.
        std::fs::copy(cache.path("digests", "k"), cache.path("digests", "j")).ok();
        cache.put_facts("k", &facts());
        std::fs::copy(cache.path("digests", "k"), cache.path("digests", "j")).expect("copy");
        assert_eq!(cache.facts("j"), None);
    }

    #[test]
    fn an_unwritable_cache_is_silent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").expect("write");
        let cache = DiskCache::new(&blocker, Duration::from_secs(3600));
        cache.put_facts("k", &facts());
        assert_eq!(cache.facts("k"), None);
    }
}
