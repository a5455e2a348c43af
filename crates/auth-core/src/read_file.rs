//! Reading the files msconnect is given or keeps (certificates, keys, federated token files, the token
//! cache, contexts, `azureProfile.json`…): only regular files, and never more than a bound. A FIFO in a
//! file's place would block the open or the read forever, and a device such as `/dev/zero` never ends:
//! either would hang a connect (or a renewal) or fill memory. So the file is opened without blocking
//! (`O_NONBLOCK`, which a FIFO's open obeys and a regular file ignores), its type is taken from the open
//! handle (`fstat`, so it cannot be swapped after the look), and anything but a regular file is refused
//! by name; then at most the bound, and one byte more to tell an oversized file from one at the limit, is
//! read. [`private_file`](crate::private_file) is the writing side.

use std::fs::{File, Metadata};
use std::io::{ErrorKind, Read as _};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The most a file holding one credential may hold (a certificate with its chain and key, a key, a
/// federated token): 1 MiB, far more than any real one.
pub(crate) const MAX_CREDENTIAL_FILE_BYTES: usize = 1024 * 1024;

/// The most one of msconnect's small saved files may hold (a context, `environments.json`): a few KiB
/// each in practice.
pub const MAX_SAVED_FILE_BYTES: usize = 1024 * 1024;

/// Opens `path` for reading if it is a regular file (after its symlinks), with its metadata from the
/// open handle; `None` when there is no such file. A FIFO, a device, a socket or a folder is an error
/// naming the path, and opening a FIFO does not wait for a writer. A failing open says it was `action`.
pub(crate) fn open_regular(path: &Path, action: &'static str) -> Result<Option<(File, Metadata)>> {
    let io = |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(io(source)),
    };
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Err(Error::InvalidFile {
            path: path.to_path_buf(),
            reason: format!(
                "not a regular file ({} is in its place): msconnect reads only regular files",
                kind(&metadata)
            ),
        });
    }
    Ok(Some((file, metadata)))
}

/// The bytes of the regular file `path`, at most `limit` of them; `None` when there is no such file.
/// A larger file is an error naming it and `what` it should have held (`a certificate`), with nothing
/// past the limit read; a failing read says it was `action` (`reading SSL_CERT_FILE`). The bytes are
/// wiped from memory when dropped: they may be a key or a token.
pub fn read_regular(
    path: &Path,
    limit: usize,
    action: &'static str,
    what: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let Some((file, _)) = open_regular(path, action)? else {
        return Ok(None);
    };
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() > limit {
        return Err(Error::InvalidFile {
            path: path.to_path_buf(),
            reason: format!(
                "larger than {}, more than {what} ever holds: it was not read",
                size(limit)
            ),
        });
    }
    Ok(Some(bytes))
}

/// [`read_regular`] for a file that must exist: no file is the usual error naming it.
pub(crate) fn read_existing(
    path: &Path,
    limit: usize,
    action: &'static str,
    what: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    read_regular(path, limit, action, what)?.ok_or_else(|| Error::Io {
        action,
        path: path.to_path_buf(),
        source: std::io::Error::from(ErrorKind::NotFound),
    })
}

/// What is in a file's place, for the error.
fn kind(metadata: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if metadata.is_dir() {
        "a folder"
    } else {
        "something else"
    }
}

/// `limit` bytes as a person says it: `1 MiB`, `4 KiB`, `100 bytes`.
fn size(limit: usize) -> String {
    match limit {
        n if n >= 1024 * 1024 && n % (1024 * 1024) == 0 => format!("{} MiB", n / (1024 * 1024)),
        n if n >= 1024 && n % 1024 == 0 => format!("{} KiB", n / 1024),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(error: Error, dir: &Path) -> String {
        error.to_string().replace(dir.to_str().unwrap(), "<dir>")
    }

    #[test]
    fn a_regular_file_is_read_whole_up_to_the_limit_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(
            &**read_regular(&file, 10, "reading", "a token").unwrap().unwrap(),
            b"0123456789"
        );
        assert!(
            read_regular(&dir.path().join("none"), 10, "reading", "a token")
                .unwrap()
                .is_none()
        );
        let error = read_existing(&dir.path().join("none"), 10, "reading", "a token").unwrap_err();
        assert!(matches!(&error, Error::Io { source, .. } if source.kind() == ErrorKind::NotFound));
        insta::assert_snapshot!(shown(read_regular(&file, 9, "reading", "a token").unwrap_err(), dir.path()), @"<dir>/token: larger than 9 bytes, more than a token ever holds: it was not read");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_a_device_and_a_folder_are_refused_by_name_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        // no writer ever comes: a blocking open would never return
        insta::assert_snapshot!(shown(read_regular(&fifo, 1024, "reading", "a token").unwrap_err(), dir.path()), @"<dir>/fifo: not a regular file (a FIFO (named pipe) is in its place): msconnect reads only regular files");
        insta::assert_snapshot!(read_regular(Path::new("/dev/zero"), 1024, "reading", "a token").unwrap_err(), @"/dev/zero: not a regular file (a device is in its place): msconnect reads only regular files");
        insta::assert_snapshot!(shown(read_regular(dir.path(), 1024, "reading", "a token").unwrap_err(), dir.path()), @"<dir>: not a regular file (a folder is in its place): msconnect reads only regular files");
        // through a symlink too
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(read_regular(&link, 1024, "reading", "a token").is_err());
    }

    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        let made = std::process::Command::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success());
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size(1024 * 1024), "1 MiB");
        assert_eq!(size(4096), "4 KiB");
        assert_eq!(size(100), "100 bytes");
    }
}
