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

/// Seconds since the Unix epoch (what tokens and the MSAL cache count in).
pub fn epoch_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}

/// The time `seconds` after the Unix epoch.
pub fn from_epoch_seconds(seconds: i64) -> SystemTime {
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}

#[cfg(any(test, feature = "test-util"))]
pub use fake::FakeTimer;

#[cfg(any(test, feature = "test-util"))]
mod fake {
    use super::*;
    use std::sync::Mutex;

    /// A timer whose sleeps return at once and move its clock forward, recording each sleep.
    #[derive(Debug, Clone)]
    pub struct FakeTimer {
        state: Arc<Mutex<(SystemTime, Vec<Duration>)>>,
    }

    impl FakeTimer {
        /// A fake clock standing at `start`.
        pub fn at(start: SystemTime) -> Self {
            Self {
                state: Arc::new(Mutex::new((start, Vec::new()))),
            }
        }

        /// A fake clock standing at the given epoch second.
        pub fn at_epoch(seconds: i64) -> Self {
            Self::at(from_epoch_seconds(seconds))
        }

        /// Every sleep asked for so far, in order.
        pub fn sleeps(&self) -> Vec<Duration> {
            self.lock().1.clone()
        }

        /// Moves the clock forward without a sleep.
        pub fn advance(&self, by: Duration) {
            self.lock().0 += by;
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, (SystemTime, Vec<Duration>)> {
            self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    impl Timer for FakeTimer {
        fn now(&self) -> SystemTime {
            self.lock().0
        }

        fn sleep(&self, duration: Duration) -> Sleep {
            let mut state = self.lock();
            state.0 += duration;
            state.1.push(duration);
            Box::pin(std::future::ready(()))
        }
    }
}
