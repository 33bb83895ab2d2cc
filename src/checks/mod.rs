//! Render-time checks of what the user typed, with the rules the API server and Argo's
//! controller apply later: a mistake fails here, with its fix, instead of in the cluster,
//! where a notebook user cannot see why. Pure functions, no I/O; callers check values where
//! they enter (flags and config file in `config`, workflow files and `-c` in `pipeline`).
//!
//! Each check names the field in its message (`invalid --schedule "...": ...`), so the
//! caller passes the name the user knows the field by.

pub mod kube_names;
pub mod namespace;
pub mod resources;
pub mod schedule;
pub mod shell;
