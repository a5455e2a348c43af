#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bind;
pub mod choice;
pub mod connections;
pub mod declare;
pub mod environment_store;
pub mod environments;
pub mod error;
pub mod format;
pub mod home;
pub mod lifecycle;
pub mod problem;
#[cfg(test)]
mod sample;
pub mod saved;
pub mod sets;
pub mod variables;

pub use bind::{Argument, Bound};
pub use connections::{ConnectionName, ConnectionStatus, SavedConnection, StatusOptions};
pub use declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets};
pub use environments::EnvironmentNames;
pub use error::{Error, Result};
pub use home::msconnect_home;
pub use lifecycle::{
    Authenticated, Command, Connect, ConnectCommand, Context, Lifecycle, Module, Named, Outcome, Print,
    Request, RunCommand, Runnable, SignInExtras, context_table, print_context,
};
pub use problem::Problem;
pub use saved::{ConnectionFile, ContextKey, ContextStore, SaveConnections};
pub use variables::persistent_options;
