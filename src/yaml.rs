//! The one module that knows about `serde_yaml` (deprecated upstream): everything else goes
//! through these functions, so the YAML library can be swapped in one place.

use anyhow::{anyhow, Result};
use serde::{de::DeserializeOwned, Serialize};

/// A YAML (or JSON, which is YAML) parse error with its position, when the parser knows it.
#[derive(Debug)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

impl From<serde_yaml::Error> for YamlError {
    fn from(err: serde_yaml::Error) -> Self {
        let location = err.location();
        YamlError {
            // serde_yaml appends " at line L column C"; keep it, it is what users need.
            message: err.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        }
    }
}

/// Parses YAML or JSON text into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(serde_yaml::from_str(text)?)
}

/// Serializes `value` as YAML, as `kubectl get -o yaml` would print it.
pub fn to_string<T: Serialize>(value: &T) -> Result<String> {
    serde_yaml::to_string(value).map_err(|err| anyhow!("cannot write YAML: {err}"))
}
