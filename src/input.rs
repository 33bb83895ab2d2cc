//! Reading an input whole from a path, where `-` means stdin (`--pod-file -`, `-f -`).

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// The text of an input, and how messages name it (`<stdin>` or the path).
pub struct Input {
    pub text: String,
    pub shown: String,
}

pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Reads `path`, or stdin for `-`; `what` names the input in errors, e.g. "pod file".
pub fn read_path_or_stdin(path: &Path, what: &str) -> Result<Input> {
    if is_stdin(path) {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read the {what} from stdin"))?;
        return Ok(Input {
            text,
            shown: "<stdin>".to_string(),
        });
    }
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {shown}"))?;
    Ok(Input { text, shown })
}
