//! Writing the manifest: serialized whole first, then written to stdout in one go, so a
//! failure never leaves half a manifest behind.

use std::io::Write;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::yaml;

/// Serializes `value` as YAML or pretty JSON (with a trailing newline).
pub fn to_text<T: Serialize>(value: &T, format: OutputFormat) -> Result<String> {
    match format {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(value).context("cannot write JSON")?;
            text.push('\n');
            Ok(text)
        }
        OutputFormat::Yaml | OutputFormat::Name => yaml::to_string(value),
        // Checked before anything is rendered or sent (a usage error).
        OutputFormat::Mermaid | OutputFormat::Dot => {
            bail!("-o mermaid and -o dot draw a pipeline, not an object")
        }
    }
}

/// Writes `text` to stdout. A reader that went away (`| head`) is not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

/// Writes notices to stderr, ignoring a closed stderr.
pub fn write_stderr_lines<I: IntoIterator<Item = S>, S: AsRef<str>>(lines: I) {
    let mut stderr = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(stderr, "{}", line.as_ref());
    }
}
