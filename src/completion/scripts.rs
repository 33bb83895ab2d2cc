//! The static completion scripts (bash, zsh, fish, ...) for `kubectl-jupyterflow <TAB>`, the
//! binary called directly.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs, BIN_NAME};
use crate::output;

/// The static completion script for `shell`, completing the binary `kubectl-jupyterflow`.
pub fn script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut visible_command(), BIN_NAME, &mut buf);
    let script = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        // clap_complete's bash script spells the state of a hyphenated binary two ways
        // (`kubectl__jupyterflow__subcmd__render` in the loop, `kubectl__subcmd__jupyterflow__...`
        // in the case arms), so nothing after a subcommand completes: clap-rs/clap#6421.
        Shell::Bash => script.replace("kubectl__subcmd__jupyterflow", "kubectl__jupyterflow"),
        _ => script,
    }
}

/// The clap definition without the hidden subcommands (`man`, `__complete`), which
/// clap_complete would otherwise offer. Only what the scripts use is carried over from the
/// root: its subcommands carry all the flags.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let root = clap::Command::new(BIN_NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .subcommand_required(true)
        .about(full.get_about().cloned().unwrap_or_default());
    full.get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .fold(root, |root, sub| root.subcommand(sub.clone()))
}

pub fn run_completions(args: &CompletionsArgs) -> Result<()> {
    output::write_stdout(&script(args.shell))
}
