//! Windows' Data Protection API (DPAPI): the data key is wrapped by `CryptProtectData` under the user's
//! logon credentials and kept, wrapped, in `%LOCALAPPDATA%\msconnect\cache-keys\<id>.dpapi` (mode 0600's
//! equivalent: the user's profile), as msal-extensions keeps the whole cache wrapped by DPAPI. Only this
//! user on this machine can unwrap it; a copy of the file on another machine or under another account
//! is useless. `CRYPTPROTECT_UI_FORBIDDEN`: never a prompt.
//!
//! Compiled by CI for Windows (`cargo xtask test` runs clippy for `x86_64-pc-windows-gnu`); run only on
//! Windows, where no test of this workspace runs yet.
#![allow(unsafe_code)] // the two DPAPI calls and the LocalFree of their result; see each block

use std::path::PathBuf;

use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Cryptography::{
    CRYPT_INTEGER_BLOB, CRYPTPROTECT_UI_FORBIDDEN, CryptProtectData, CryptUnprotectData,
};
use zeroize::Zeroizing;

use super::{DataKey, KeyStore, KeyStoreKind, Unavailable};
use crate::private_file::write_private_file;
use crate::read_file::read_regular;

/// A wrapped key is 32 bytes plus DPAPI's header and MAC: a few hundred bytes.
const MAX_WRAPPED_BYTES: usize = 4096;

pub(super) struct Dpapi {
    folder: PathBuf,
}

impl Dpapi {
    /// The folder of the wrapped keys under `%LOCALAPPDATA%`; an error when the variable is not set (a
    /// service account without a profile).
    pub(super) fn open() -> Result<Self, Unavailable> {
        let local = std::env::var_os("LOCALAPPDATA")
            .filter(|value| !value.is_empty())
            .ok_or_else(|| {
                Unavailable("LOCALAPPDATA is not set: DPAPI has no profile folder to keep keys in".into())
            })?;
        Ok(Self {
            folder: PathBuf::from(local).join("msconnect").join("cache-keys"),
        })
    }

    fn path(&self, id: &str) -> PathBuf {
        self.folder.join(format!("{id}.dpapi"))
    }
}

impl KeyStore for Dpapi {
    fn kind(&self) -> KeyStoreKind {
        KeyStoreKind::Dpapi
    }

    fn load(&self, id: &str) -> Result<Option<DataKey>, Unavailable> {
        let path = self.path(id);
        let wrapped = read_regular(&path, MAX_WRAPPED_BYTES, "reading", "a wrapped key")
            .map_err(|e| Unavailable(e.to_string()))?;
        let Some(wrapped) = wrapped else {
            return Ok(None);
        };
        // A key wrapped for another user or machine, or a damaged file, does not unwrap: the key is gone.
        Ok(unprotect(&wrapped).and_then(|bytes| DataKey::from_bytes(&bytes)))
    }

    fn store(&self, id: &str, key: &DataKey) -> Result<(), Unavailable> {
        let wrapped = protect(key.0.as_slice())?;
        write_private_file(&self.path(id), &wrapped)
            .map(drop)
            .map_err(|e| Unavailable(e.to_string()))
    }
}

/// `CryptProtectData` of `plain` for the current user, without any prompt.
fn protect(plain: &[u8]) -> Result<Vec<u8>, Unavailable> {
    let input = blob(plain)?;
    let mut output = CRYPT_INTEGER_BLOB::default();
    // SAFETY: `input` points at `plain`, alive and unchanged for the call (DPAPI only reads it); the
    // optional arguments are null, which the API allows; `output` is written by the call.
    let ok = unsafe {
        CryptProtectData(
            &input,
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            CRYPTPROTECT_UI_FORBIDDEN,
            &mut output,
        )
    };
    if ok == 0 {
        return Err(Unavailable(format!(
            "DPAPI refused to protect the key ({})",
            std::io::Error::last_os_error()
        )));
    }
    Ok(take(output).to_vec())
}

/// `CryptUnprotectData` of `wrapped`; `None` when it does not unwrap for this user on this machine.
fn unprotect(wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let input = blob(wrapped).ok()?;
    let mut output = CRYPT_INTEGER_BLOB::default();
    // SAFETY: as in `protect`; the description out-parameter is null, which the API allows.
    let ok = unsafe {
        CryptUnprotectData(
            &input,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            CRYPTPROTECT_UI_FORBIDDEN,
            &mut output,
        )
    };
    (ok != 0).then(|| take(output))
}

/// A read-only blob over `bytes` for DPAPI's input.
fn blob(bytes: &[u8]) -> Result<CRYPT_INTEGER_BLOB, Unavailable> {
    let length = u32::try_from(bytes.len()).map_err(|_| Unavailable("a key too large for DPAPI".into()))?;
    Ok(CRYPT_INTEGER_BLOB {
        cbData: length,
        // DPAPI takes a mutable pointer but does not write through an input blob
        pbData: bytes.as_ptr().cast_mut(),
    })
}

/// Copies DPAPI's output into memory that is wiped on drop, then wipes and frees DPAPI's.
fn take(output: CRYPT_INTEGER_BLOB) -> Zeroizing<Vec<u8>> {
    if output.pbData.is_null() {
        return Zeroizing::new(Vec::new());
    }
    // SAFETY: on success DPAPI sets `pbData` to a LocalAlloc'ed buffer of `cbData` bytes, ours to free
    // with LocalFree; it is read, wiped, then freed once and never used again.
    unsafe {
        let bytes = std::slice::from_raw_parts_mut(output.pbData, output.cbData as usize);
        let copy = Zeroizing::new(bytes.to_vec());
        zeroize::Zeroize::zeroize(bytes);
        LocalFree(output.pbData.cast());
        copy
    }
}
