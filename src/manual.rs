//! What the binary says about itself, from the clap definition in `cli`: the version line and
//! the man pages.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs, BIN_NAME};
use crate::output;

/// What `--version` prints, and `version` too.
pub fn version_line() -> String {
    format!("{BIN_NAME} {}\n", env!("CARGO_PKG_VERSION"))
}

pub fn run_version() -> Result<()> {
    output::write_stdout(&version_line())
}

/// The main man page, `kubectl-jupyterflow.1`, in roff.
pub fn man_page() -> Result<String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .context("cannot render the man page")?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn run_man(args: &ManArgs) -> Result<()> {
    match &args.dir {
        None => output::write_stdout(&man_page()?),
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create folder {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .with_context(|| format!("cannot write the man pages to {}", dir.display()))
        }
    }
}
