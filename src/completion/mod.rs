//! Shell completion, generated from the clap definition in `cli` so it can never drift from
//! the real flags: the static scripts (`scripts`), the `__complete` protocol kubectl runs for
//! plugins (`protocol`, pure), and the values only the cluster knows (`lookup`).

mod lookup;
mod protocol;
mod scripts;

pub use lookup::{look_up, LOOKUP_TIMEOUT};
pub use protocol::{directive, format, plan, Candidate, Lookup, Plan, Resource};
pub use scripts::{run_completions, script};

use anyhow::Result;

use crate::cli::CompleteArgs;
use crate::output;

/// Answers kubectl's completion request: plans from the words, runs the look-up the plan asks
/// for, prints cobra's format. Never fails and never writes to stderr: a broken completion must
/// not spill errors into the user's prompt.
pub fn run_complete(args: &CompleteArgs) -> Result<()> {
    let plan = plan(&args.words);
    let mut candidates = plan.candidates;
    if let Some(lookup) = &plan.lookup {
        candidates.extend(
            look_up(lookup)
                .into_iter()
                .filter(|c| c.value.starts_with(&plan.to_complete))
                .map(|c| Candidate {
                    value: format!("{}{}", plan.insert_prefix, c.value),
                    description: c.description,
                }),
        );
    }
    let _ = output::write_stdout(&format(&candidates, plan.directive));
    Ok(())
}
