//! Time as a dependency: the clock and the sleep that retries and polling use, injectable so tests never
//! wait for real time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A boxed future that completes after a sleep.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A clock and a way to sleep.
pub trait Timer: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// Real time: the system clock and tokio's sleep.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTimer;

impl Timer for SystemTimer {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A shared timer.
pub type SharedTimer = Arc<dyn Timer>;

/// The latest time msconnect believes in: 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
/// Times from servers and files are clamped to `-MAX_EPOCH_SECONDS..=MAX_EPOCH_SECONDS`, so that no
/// arithmetic on them can overflow (an `expires_on` of `i64::MIN` once made every later `token` panic)
/// and every platform's `SystemTime` can hold them.
pub(crate) const MAX_EPOCH_SECONDS: i64 = 253_402_300_799;

/// Seconds since the Unix epoch (what tokens and the MSAL cache count in), clamped to
/// ±`MAX_EPOCH_SECONDS`.
pub fn epoch_seconds(time: SystemTime) -> i64 {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    };
    clamp_epoch(seconds)
}

/// `seconds` limited to the times msconnect believes in (±[`MAX_EPOCH_SECONDS`]).
pub(crate) fn clamp_epoch(seconds: i64) -> i64 {
    seconds.clamp(-MAX_EPOCH_SECONDS, MAX_EPOCH_SECONDS)
}

/// The epoch second `seconds` after `now`, for a lifetime a server gave (`expires_in`, `refresh_in`):
/// saturating, then clamped, so that no value a server sends can overflow.
pub(crate) fn epoch_after(now: i64, seconds: i64) -> i64 {
    clamp_epoch(now.saturating_add(seconds))
}

/// The time `seconds` after the Unix epoch, clamped to ±`MAX_EPOCH_SECONDS` (a `SystemTime` cannot
/// hold every `i64`: adding one would panic).
pub fn from_epoch_seconds(seconds: i64) -> SystemTime {
    let seconds = clamp_epoch(seconds);
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}

/// An epoch second as an RFC 3339 UTC timestamp (`2026-11-22T10:00:00Z`), the form contexts show times in.
pub fn format_rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count since 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_341_600), "2026-11-22T10:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn extreme_times_are_clamped_not_overflowed() {
        // issue 18: i64::MIN and i64::MAX reached these from token responses and cache entries
        for extreme in [i64::MIN, i64::MIN + 1, -1 << 62, 1 << 62, i64::MAX] {
            let time = from_epoch_seconds(extreme);
            let back = epoch_seconds(time);
            assert_eq!(back, extreme.clamp(-MAX_EPOCH_SECONDS, MAX_EPOCH_SECONDS));
            assert_eq!(epoch_after(extreme, extreme), clamp_epoch(extreme));
            assert_eq!(epoch_after(1_795_341_600, extreme).signum(), extreme.signum());
            // RFC 3339 of any i64 is written without overflow
            let _ = format_rfc3339(extreme);
        }
        assert_eq!(format_rfc3339(MAX_EPOCH_SECONDS), "9999-12-31T23:59:59Z");
        assert_eq!(epoch_after(10, 5), 15);
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(1 << 62)) {
            assert_eq!(epoch_seconds(far), MAX_EPOCH_SECONDS);
        }
    }
}
