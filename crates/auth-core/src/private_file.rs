//! Files that hold secrets (the token cache, contexts, custom environments, certificates kept by msconnect):
//! created mode 0600 in folders created mode 0700, written whole (temporary file beside the target,
//! fsync, rename, folder fsync) so no reader sees half a file, and written through a symlink to its
//! target rather than replacing the link. The token cache, contexts and environments all write this way.

#[cfg(unix)]
use std::fs::File;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};

/// Where a path leads after its symlinks (at most 40, as the kernel follows), whether or not the final
/// file exists yet: a cache file that is a symlink is written through to its target, not replaced.
pub(crate) fn resolve_symlinks(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&current) {
                Ok(target) => {
                    current = match current.parent() {
                        Some(dir) if target.is_relative() => dir.join(target),
                        _ => target,
                    };
                }
                Err(_) => break,
            },
            _ => break,
        }
    }
    current
}

/// Marks the temporary files of an interrupted write: `<name>.tmp-<random>`.
pub const TEMP_MARKER: &str = ".tmp-";

/// Options that create a file readable by its owner only (mode 0600 on Unix).
pub fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates a folder (and its parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| Error::Io {
        action: "creating the folder",
        path: dir.to_path_buf(),
        source,
    })
}

/// Replaces `path` with `bytes` so that no reader ever sees a partial file: a new file, mode 0600 from its
/// creation, in the same folder, fsynced, then renamed over the old one (and the folder fsynced so the
/// rename survives a crash). When `path` is a symlink, its target is replaced the same way (the new file
/// beside the target): the link stays, and whoever shares the file through it keeps sharing it. Returns
/// the new file's metadata.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<std::fs::Metadata> {
    let resolved = resolve_symlinks(path);
    let path = resolved.as_path();
    let io = |action: &'static str, path: &Path, source: std::io::Error| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    create_private_dir(dir)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("{TEMP_MARKER}{}", uuid::Uuid::new_v4().simple()));
    let temporary = path.with_file_name(name);
    let written = (|| {
        let mut file = private_options().write(true).create_new(true).open(&temporary)?;
        file.write_all(bytes)?;
        // The kernel stamps files with a coarse clock, which can be behind the precise time MSAL's
        // persistence notes after its own write (`_last_sync = time.time()`): a write of ours right after
        // one of its would then look older, and it would not read the file again before its next write,
        // losing ours. A precise stamp, taken after we obtained the lock it released, is later than its.
        file.set_modified(SystemTime::now())?;
        file.sync_all()?;
        file.metadata()
    })();
    let metadata = match written {
        Ok(metadata) => metadata,
        Err(source) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(io("writing", path, source));
        }
    };
    if let Err(source) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(io("replacing", path, source));
    }
    #[cfg(unix)]
    if let Ok(folder) = File::open(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) {
        // Without this the rename may be lost in a crash; the data is already safe, so failure is not fatal.
        let _ = folder.sync_all();
    }
    Ok(metadata)
}
