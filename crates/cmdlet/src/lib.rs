#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bind;
pub mod choice;
pub mod connections;
pub mod declare;
pub mod environments;
pub mod error;
pub mod format;
pub mod lifecycle;
pub mod problem;
#[cfg(test)]
mod sample;
pub mod sets;

pub use auth_core;
pub use bind::{Argument, Bound};
pub use connections::{ConnectionName, ConnectionStatus, SavedConnection, StatusOptions};
pub use declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets};
pub use environments::EnvironmentNames;
pub use error::{Error, Result};
pub use lifecycle::{
    Command, Connect, ContextOf, Done, Lifecycle, Module, Named, Outcome, Planned, Request, Run, Runs,
    SignIn, SignInExtras,
};
pub use problem::Problem;
