//! The token cache in Redis, shared by a fleet of workers: one key per MSAL entry, partitioned by
//! environment, client, tenant and account so a worker reads only the partition it needs, each key
//! expiring with its token; a set per partition indexing its access tokens and one per account indexing
//! everything of that account; the refresh lock (`SET NX PX` with a random owner, extended and released
//! by its owner only); and the optional sealing of each entry's secret. Commands go over one blocking
//! connection with bounded connect and command timeouts, so nothing waits on an unreachable server for
//! long.
//!
//! By job: `options` (what a fleet sets, and how messages name it), `keys` (how entries and indexes are
//! named), `store` (the connection, reading and writing entries) and `lease` (the refresh lock and the
//! worker holding it).

mod keys;
mod lease;
mod options;
mod store;

pub(in crate::cache) use self::lease::Lease;
pub use self::options::{RedisOptions, RedisSettingNames};
pub(in crate::cache) use self::store::RedisStore;
