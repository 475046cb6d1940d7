//! The sync: what a build or a command reads, fetches, compares and writes, by the switches
//! (check, refresh, offline, strict) and the state of the lock.

use std::io::Write;

use flags_schema::Manifest;

use super::{Config, Setup, read_committed};
use crate::files::write_atomic;
use crate::gather::gather;
use crate::{CHECK_ENV, Diff, Error, OFFLINE_ENV, STRICT_ENV, SYNC_ENV, Source, Synced, merge};

impl Config {
    pub(super) fn run(&self, mut directives: Option<&mut dyn Write>) -> Result<Synced, Error> {
        let in_build_script = directives.is_some();
        let mut directive = |line: String| {
            if let Some(out) = directives.as_mut() {
                let _ = writeln!(out, "{line}");
            }
        };
        for var in [CHECK_ENV, SYNC_ENV, OFFLINE_ENV, STRICT_ENV] {
            directive(format!("cargo:rerun-if-env-changed={var}"));
        }
        let setup = self.setup()?;
        if let Some(cargo_toml) = &setup.cargo_toml {
            directive(format!("cargo:rerun-if-changed={}", cargo_toml.display()));
        }
        directive(format!(
            "cargo:rerun-if-changed={}",
            setup.lock_path.display()
        ));
        let Setup {
            root,
            sources,
            file_strict,
            lock_name,
            lock_path,
            ..
        } = &setup;
        let lock_name = lock_name.clone();

        let check = self.check.unwrap_or_else(|| env_flag(CHECK_ENV));
        let refresh = self.refresh.unwrap_or_else(|| env_flag(SYNC_ENV));
        let offline = self
            .offline
            .unwrap_or_else(|| env_flag(OFFLINE_ENV) || env_flag("CARGO_NET_OFFLINE"));
        let strict = self
            .strict
            .or(*file_strict)
            .unwrap_or_else(|| env_flag(STRICT_ENV));

        // Without sources: the named file is the definitions (a lock, or any importable file).
        if sources.is_empty() {
            return Ok(Synced::read(
                read_committed(&setup)?,
                false,
                Vec::new(),
                lock_name,
            ));
        }

        for source in sources {
            if let Some(path) = source.file_path(root.as_deref()) {
                directive(format!("cargo:rerun-if-changed={}", path.display()));
            }
        }
        let remote = sources.iter().any(Source::is_remote);
        let wants_network = remote && (refresh || check);
        if wants_network && !offline && in_build_script && refresh {
            // Asked to refresh in a build: re-run on every build while it is asked, since
            // nothing Cargo tracks says when the service changed.
            directive(format!(
                "cargo:rerun-if-changed={}",
                lock_path.with_extension("always-refresh").display()
            ));
        }
        let current_text = match std::fs::read_to_string(lock_path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(flags_schema::Error::Io {
                    path: lock_name,
                    source,
                }
                .into());
            }
        };
        let mut warnings = Vec::new();
        let parsed = current_text
            .as_deref()
            .map(|text| Manifest::from_lock_str(text, &lock_name))
            .transpose();
        let will_read_sources = !remote || (wants_network && !offline);
        // Only a sync writes the lock: `flags sync`, or a build with `FLAGS_SYNC`. A check, a
        // plain build and the commands that read the lock compare or read, never write.
        let may_write = refresh && !check;
        let current = match parsed {
            Ok(current) => current,
            // A lock that cannot be read (an older format, a bad merge) is replaced by a sync;
            // a build not asked to sync reads the sources instead.
            Err(error) if will_read_sources && !check => {
                warnings.push(if may_write {
                    format!("{error}\nit is replaced with what the sources define")
                } else {
                    format!(
                        "{error}\nthis build reads its sources instead: run `flags sync` (or the \
                         build with `FLAGS_SYNC=1`) to replace it, then commit it"
                    )
                });
                None
            }
            Err(error) => return Err(error.into()),
        };

        // Remote sources not fetched: the lock is used as it is.
        if remote && (!wants_network || offline) {
            let Some(current) = current else {
                let hint = if wants_network {
                    format!(
                        "the network is forbidden (`{OFFLINE_ENV}` or Cargo's `--offline`); run \
                         `flags sync` where the sources can be reached, then commit it"
                    )
                } else {
                    "run `flags sync` in the crate (or the build with `FLAGS_SYNC=1`) to create \
                     it from the sources in `Cargo.toml`, then commit it"
                        .to_owned()
                };
                return Err(Error::MissingLock {
                    lock: lock_name,
                    hint,
                });
            };
            if wants_network {
                let message =
                    format!("offline: `{lock_name}` was not compared with its remote sources");
                if strict && check {
                    return Err(Error::Fetch {
                        source_name: lock_name,
                        message: "check mode needs the network, which is forbidden".to_owned(),
                        unreachable: true,
                    });
                }
                warnings.push(message);
            }
            return Ok(Synced::read(current, false, warnings, lock_name));
        }

        // Every source is read: files from disk, remote ones over the network.
        let gathered = match gather(sources, root.as_deref()) {
            Ok(gathered) => gathered,
            Err(error) => {
                let unreachable = matches!(
                    error,
                    Error::Fetch {
                        unreachable: true,
                        ..
                    }
                );
                match current {
                    Some(current) if unreachable && !strict => {
                        warnings.push(format!(
                            "{error}\n`{lock_name}` is used as it is (set `{STRICT_ENV}=1` to make this an error)"
                        ));
                        return Ok(Synced::read(current, false, warnings, lock_name));
                    }
                    None if unreachable => {
                        return Err(Error::MissingLock {
                            lock: lock_name,
                            hint: format!(
                                "it is created from its sources, and {error}; fix the source and run `flags sync` again"
                            ),
                        });
                    }
                    _ => return Err(error),
                }
            }
        };
        let fresh = merge::merge(gathered, &mut warnings)?;

        // Written only when the definitions or the sources changed: a fetch time alone is no
        // change.
        let diff = match &current {
            Some(current) => Diff::between(current, &fresh),
            None => Diff::between(&Manifest::new(), &fresh),
        };
        let unchanged = current
            .as_ref()
            .is_some_and(|current| same_but_fetch_times(current, &fresh));
        if unchanged {
            let current = current.unwrap_or_default();
            // Line endings may be rewritten by a checkout (CRLF on Windows); the text is kept.
            return Ok(Synced::read(current, remote, warnings, lock_name));
        }
        if check {
            return Err(match current {
                None => Error::MissingLock {
                    lock: lock_name,
                    hint: "run `flags sync` (or the build without `FLAGS_CHECK`) to create it, \
                           then commit it"
                        .to_owned(),
                },
                Some(_) => Error::Drift {
                    lock: lock_name,
                    diff,
                },
            });
        }
        if !may_write {
            // A build not asked to sync never writes the lock. Its sources are local files
            // here (remote ones are only read when asked), so the macros see them as they are
            // now, and the difference from the lock is a warning: `flags sync` updates it.
            match &current {
                Some(_) => warnings.push(drift_warning(&lock_name, &diff)),
                None if current_text.is_none() => warnings.push(format!(
                    "`{lock_name}` does not exist; this build reads its sources instead: run \
                     `flags sync` (or the build with `FLAGS_SYNC=1`) to create it, then commit it"
                )),
                // Unreadable: said above.
                None => {}
            }
            let name = sources
                .iter()
                .filter_map(|source| source.recorded_location(None))
                .collect::<Vec<_>>()
                .join(", ");
            return Ok(Synced::read(fresh, remote, warnings, name));
        }
        let text = fresh.to_lock_string();
        if current_text.as_deref().map(|t| t.replace("\r\n", "\n")) != Some(text.clone()) {
            write_atomic(lock_path, &text)?;
        }
        Ok(Synced {
            manifest: fresh,
            out_file: None,
            lock_written: true,
            lock_created: current_text.is_none(),
            fetched: remote,
            warnings,
            diff,
            name: lock_name,
        })
    }
}

/// The warning of a build that finds the lock out of date with its sources: the first
/// changes, and the command that updates it.
fn drift_warning(lock: &str, diff: &Diff) -> String {
    const SHOWN: usize = 10;
    let text = diff.to_string();
    let mut out = format!("`{lock}` differs from its sources, which this build reads instead:\n");
    for line in text.lines().take(SHOWN) {
        out.push_str(line);
        out.push('\n');
    }
    let more = text.lines().count().saturating_sub(SHOWN);
    if more > 0 {
        out.push_str(&format!("  … and {more} more\n"));
    }
    out.push_str(
        "run `flags sync` (or the build with `FLAGS_SYNC=1`) to update it, then commit it",
    );
    out
}

/// Whether two manifests differ in nothing but their sources' fetch times.
fn same_but_fetch_times(a: &Manifest, b: &Manifest) -> bool {
    let strip = |m: &Manifest| {
        let mut m = m.clone();
        for source in &mut m.sources {
            source.fetched_at = None;
        }
        m
    };
    strip(a) == strip(b)
}

fn env_flag(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}
