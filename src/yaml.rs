//! The one module that knows the YAML libraries: everything else goes through these functions,
//! so a library can be swapped in one place.
//!
//! Writing uses serde-saphyr (already built for kube): its default quoting keeps every string a
//! string under YAML 1.1 as well as 1.2. kubectl, the argo CLI and Argo's controller read YAML
//! with Go's YAML 1.1 rules, where `yes`, `on`, `1_000`, `1:20` or `2001-12-14` are not strings.
//! Reading uses serde_json for JSON text (serde_yaml rejects valid JSON such as the surrogate
//! pairs `"\ud83c\udf89"` that Python's `json.dump` writes) and serde_yaml for the rest.

use anyhow::{anyhow, Result};
use serde::{de::DeserializeOwned, Serialize};

/// A map that [`to_string`] writes in flow style (`{a: "1", b: "2"}`) on one line; other
/// writers (JSON) and every reader see a plain map.
pub use serde_saphyr::FlowMap;

/// A YAML (or JSON) parse error with its position, when the parser knows it.
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

impl From<serde_json::Error> for YamlError {
    fn from(err: serde_json::Error) -> Self {
        // serde_json also appends " at line L column C" (0 when it has no position).
        let known = |n: usize| (n > 0).then_some(n);
        YamlError {
            line: known(err.line()),
            column: known(err.column()),
            message: err.to_string(),
        }
    }
}

/// Parses YAML or JSON text into `T`. Text that starts with `{` is a JSON object (pod files,
/// workflow files and config files are objects) and is read as JSON.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if text.trim_start().starts_with('{') {
        Ok(serde_json::from_str(text)?)
    } else {
        Ok(serde_yaml::from_str(text)?)
    }
}

/// Serializes `value` as YAML, in the layout of `kubectl get -o yaml`, with every string
/// quoted where a YAML 1.1 or 1.2 reader would otherwise read something else.
pub fn to_string<T: Serialize>(value: &T) -> Result<String> {
    let options = serde_saphyr::ser_options! {
        // The default, said out loud: quote YAML 1.1 spellings (`yes`, `1_000`, `1:20`, ...).
        yaml_12: false,
        // Long one-line commands stay on one line: no folded (`>`) blocks, whose re-wrapping
        // a reader must undo exactly. Multi-line strings still use literal (`|`) blocks.
        folded_wrap_chars: usize::MAX,
    };
    serde_saphyr::to_string_with_options(value, options)
        .map_err(|err| anyhow!("cannot write YAML: {err}"))
}

/// Writes a list of words on one line in YAML (`[python, a.py]`), quoted where a flow list
/// needs it. A list with a multi-line word stays a block, where the word is a readable literal
/// block, unless a word has a tab: a literal block whose first line starts with one is
/// misread by libyaml-based readers (Go's too), and the flow list escapes it (`"\t"`).
/// Other formats (JSON) see the list itself.
pub struct OneLine<'a>(pub &'a [String]);

impl Serialize for OneLine<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let multi_line = self.0.iter().any(|word| word.contains('\n'));
        let tab = self.0.iter().any(|word| word.contains('\t'));
        if multi_line && !tab {
            self.0.serialize(serializer)
        } else {
            serde_saphyr::FlowSeq(self.0).serialize(serializer)
        }
    }
}

/// For `#[serde(serialize_with)]`: [`OneLine`].
pub fn one_line<S: serde::Serializer>(words: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    OneLine(words).serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn yaml_1_1_spellings_are_written_quoted() {
        let words = [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "1_000",
            "1:20",
            "2001-12-14",
            "=",
            "<<",
        ];
        let yaml = to_string(&words).unwrap();
        for word in words {
            assert!(yaml.contains(&format!("- \"{word}\"\n")), "{word}: {yaml}");
        }
        let keys: std::collections::BTreeMap<&str, &str> = [("on", "v"), ("y", "v")].into();
        assert_eq!(to_string(&keys).unwrap(), "\"on\": v\n\"y\": v\n");
    }

    #[test]
    fn plain_words_and_long_lines_stay_plain_and_on_one_line() {
        let long = format!("python train.py {}", "--flag value ".repeat(20));
        let yaml = to_string(&["python", "a.py", long.trim_end()]).unwrap();
        assert_eq!(yaml, format!("- python\n- a.py\n- {}\n", long.trim_end()));
    }

    #[test]
    fn a_one_line_list_quotes_what_a_flow_list_would_misread() {
        let words = [
            "python",
            "a,b",
            "{x}",
            "[y]",
            "#c",
            "x #y",
            "x: y",
            "- z",
            "",
            "yes",
            "1:20",
            "0.1",
            "-1",
            "null",
            "~",
            "{{item.lr}}",
            "a b",
            "&x",
            "*y",
            "!t",
            "%p",
            "@a",
            "`b",
            "?",
            "it's",
            "say \"hi\"",
            "tab\there",
            "é ✓",
        ]
        .map(String::from);
        let yaml = to_string(&BTreeMap::from([("command", OneLine(&words))])).unwrap();
        assert_eq!(yaml.lines().count(), 1, "{yaml}");
        assert!(yaml.starts_with("command: [python, "), "{yaml}");
        let read: BTreeMap<String, Vec<String>> = from_str(&yaml).unwrap();
        assert_eq!(read["command"], words, "{yaml}");
        let json = serde_json::to_string(&OneLine(&words)).unwrap();
        assert!(json.starts_with(r#"["python","a,b""#), "{json}");
    }

    #[test]
    fn a_list_with_a_multi_line_word_stays_a_block() {
        let words = ["sh", "-c", "echo a\necho b\n"].map(String::from);
        let yaml = to_string(&BTreeMap::from([("command", OneLine(&words))])).unwrap();
        assert_eq!(yaml, "command:\n- sh\n- -c\n- |\n  echo a\n  echo b\n");
    }

    #[test]
    fn a_multi_line_word_with_a_tab_is_written_escaped_on_one_line() {
        for word in ["\t\n", "\ta\nb", "\n\ta", "a\n\tb"] {
            let words = ["sh".to_string(), word.to_string()];
            let yaml = to_string(&BTreeMap::from([("command", OneLine(&words))])).unwrap();
            assert_eq!(yaml.lines().count(), 1, "{yaml}");
            let read: BTreeMap<String, Vec<String>> = from_str(&yaml).unwrap();
            assert_eq!(read["command"], words, "{yaml}");
        }
    }

    #[test]
    fn json_with_surrogate_pair_escapes_is_read() {
        let value: serde_json::Value = from_str(r#"{"a": "\ud83c\udf89 Zo\u00eb"}"#).unwrap();
        assert_eq!(value["a"], "🎉 Zoë");
    }

    #[test]
    fn json_errors_keep_their_position() {
        let err = from_str::<serde_json::Value>("{\n  \"a\": [1,\n}").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(1)));
        assert!(
            err.message.ends_with("at line 3 column 1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn yaml_errors_keep_their_position() {
        let err = from_str::<serde_json::Value>("a:\n  b: [1,\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("at line 3"), "{}", err.message);
    }
}
