//! Reading definition files (a lock, or any format `flags-schema` imports), and writing files
//! atomically.

use std::path::{Path, PathBuf};

use flags_schema::Manifest;

use crate::Error;

/// Reads any importable file. The provenance of an imported definition file names it as
/// written (relative), not by the machine's absolute path, so that a committed lock file is the
/// same on every machine. A lock file keeps the provenance it carries.
pub(crate) fn read_definitions(path: &Path, written: &Path) -> Result<Manifest, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| flags_schema::Error::Io {
        path: written.display().to_string(),
        source,
    })?;
    read_definitions_text(&text, path, written)
}

/// [`read_definitions`] of text already read.
pub(crate) fn read_definitions_text(
    text: &str,
    path: &Path,
    written: &Path,
) -> Result<Manifest, Error> {
    let origin = path.display().to_string();
    if let Ok(lock) = Manifest::from_lock_str(text, &origin) {
        return Ok(lock);
    }
    let mut manifest = flags_schema::import_str(text, &written.display().to_string())?;
    for provenance in &mut manifest.sources {
        provenance.location = Some(written.display().to_string());
    }
    Ok(manifest)
}

/// Writes through a temporary file in the same directory and renames it into place, so that a
/// reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
    let fail = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}
