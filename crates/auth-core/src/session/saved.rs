//! The seam through which a session sees the connections the layer above saves between processes (for
//! msconnect, the `ContextStore` of its product-free layer): a disconnect forgets the saved connection it stands for, and
//! leaves alone the tokens every other saved connection still uses. How and where they are saved, and
//! what is saved beside them, is the layer above's.

use super::Connection;
use crate::error::Result;

/// The connections saved by the layer above, each under a module and a name, as a session needs them
/// when it disconnects one. An implementation hands back each connection with its built-in cloud found
/// again by name ([`crate::Cloud::find`]), so that it compares equal to the connection of a live handle.
pub trait SavedConnections: std::fmt::Debug + Send + Sync {
    /// The connection saved as `name` of `module`, if there is one.
    fn connection(&self, module: &str, name: &str) -> Result<Option<Connection>>;

    /// Every saved connection, with its module and name. One that cannot be read is left out: it keeps
    /// no token, and must not block a disconnect.
    fn connections(&self) -> Result<Vec<(String, String, Connection)>>;

    /// Forgets the connection saved as `name` of `module`; says whether there was one.
    fn forget(&self, module: &str, name: &str) -> Result<bool>;

    /// The folder the connections are files in, when they are: where the layer above finds its own
    /// store again.
    fn folder(&self) -> Option<&std::path::Path>;
}
