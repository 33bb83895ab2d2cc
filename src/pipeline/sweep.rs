//! Sweeps: a step that holds brace lists or ranges runs once per combination of their values,
//! as parallel pods of one Argo template.
//!
//! ```text
//! python train.py --lr {0.001,0.01,0.1} --layers {2,4}     6 points
//! python train.py --seed {1..8}                            8 points
//! ```
//!
//! Braces follow bash's brace expansion, so what a user knows from the shell holds here:
//! - `{a,b,c}` lists values (at least one unquoted comma); `{x..y}` and `{x..y..step}` are
//!   ranges of integers (`{01..10}` keeps the zero padding) or single letters; lists nest
//!   (`{a,b{1,2}}` is a, b1, b2) and may sit inside a word (`--lr={0.1,0.5}`, `run{1..3}.log`);
//! - quoted or backslash-escaped braces are literal (`'{a,b}'`, `\{a,b}`), and so are `{}`,
//!   `{a}`, anything not closed within the same word, and `${VAR}` (with `$VAR`, a shell
//!   variable of a `--shell` step, never a sweep);
//! - a `#` that starts a word begins a comment, where nothing is expanded.
//!
//! Unlike bash, the values do not become several arguments of one command: each combination
//! is one run ("point") of the step. A step with braces in several places runs every
//! combination, the leftmost brace varying slowest.
//!
//! Each brace becomes one parameter of the step. Its name comes from the flag in front of it
//! (`--lr {..}` and `--lr={..}` are `lr`, papermill's `-p epochs {..}` is `epochs`), else
//! `p1`, `p2`, ... by position; Argo shows these names and values on each point's node.
//! In exec mode each value is one argument, its quotes removed; with `--shell` the value is
//! put into the shell text as written (quotes included), so `sh` reads it as bash would after
//! brace expansion.

use std::collections::BTreeSet;

use anyhow::{bail, ensure, Result};

use super::{command_for, CommandMode};

/// Etcd stores a Workflow object of at most 1.5 MiB; a sweep with more points than this could
/// never run, even with Argo's compression of the node status. Below it, `render` warns when
/// the status would outgrow what Argo keeps uncompressed (see `render::sweep`).
pub const MAX_SWEEP_POINTS: usize = 50_000;

/// A step that runs once per point: every combination of its parameters' values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sweep {
    /// Parameter names, unique, `[a-zA-Z0-9_]+`, in the order the braces appear.
    pub parameters: Vec<String>,
    /// Each point's values, one per parameter (the same order), leftmost parameter slowest.
    pub points: Vec<Vec<String>>,
    /// At most this many points run at once (a workflow file's per-job `parallelism:`).
    pub parallelism: Option<u32>,
}

/// Where a parameter's value goes in the step's command: Argo's input parameter reference,
/// which Argo replaces with the point's value, verbatim, when it starts the point's pod.
pub fn placeholder(parameter: &str) -> String {
    format!("{{{{inputs.parameters.{parameter}}}}}")
}

/// A step's command, and its sweep when the text holds brace lists or ranges. The command's
/// words hold [`placeholder`]s where the braces were.
pub fn command_and_sweep(text: &str, mode: CommandMode) -> Result<(Vec<String>, Option<Sweep>)> {
    let expressions = find_brace_expressions(text, true)?;
    if expressions.is_empty() {
        return Ok((command_for(text, mode)?, None));
    }
    ensure!(
        !text.contains(MARKER_OPEN) && !text.contains(MARKER_CLOSE),
        "the command contains the private-use characters U+E000/U+E001, which mark sweep values"
    );
    // Each brace is replaced by a marker that survives the word split, then by its placeholder.
    let mut marked = String::with_capacity(text.len());
    let mut copied = 0;
    for (index, expression) in expressions.iter().enumerate() {
        marked.push_str(&text[copied..expression.start]);
        marked.push_str(&marker(index));
        copied = expression.end;
    }
    marked.push_str(&text[copied..]);

    let names = parameter_names(&expressions);
    let mut command = command_for(&marked, mode)?;
    for word in &mut command {
        for (index, name) in names.iter().enumerate() {
            let marker = marker(index);
            if word.contains(&marker) {
                *word = word.replace(&marker, &placeholder(name));
            }
        }
    }
    let values: Vec<Vec<String>> = expressions
        .into_iter()
        .map(|expression| match mode {
            CommandMode::Exec => expression.values.iter().map(|v| unquote(v)).collect(),
            CommandMode::Shell => expression.values,
        })
        .collect();
    let points = combinations(&values)?;
    Ok((
        command,
        Some(Sweep {
            parameters: names,
            points,
            parallelism: None,
        }),
    ))
}

/// Every combination of one value of each list, the first list varying slowest.
pub fn combinations(lists: &[Vec<String>]) -> Result<Vec<Vec<String>>> {
    let mut count: usize = 1;
    for list in lists {
        count = count.saturating_mul(list.len());
    }
    check_point_count(count)?;
    let mut points: Vec<Vec<String>> = vec![Vec::with_capacity(lists.len())];
    for list in lists {
        let mut next = Vec::with_capacity(points.len() * list.len());
        for point in &points {
            for value in list {
                let mut extended = point.clone();
                extended.push(value.clone());
                next.push(extended);
            }
        }
        points = next;
    }
    Ok(points)
}

/// A sweep of `count` points fits in one Workflow.
pub fn check_sweep_size(count: usize) -> Result<()> {
    check_point_count(count)
}

fn check_point_count(count: usize) -> Result<()> {
    ensure!(
        count <= MAX_SWEEP_POINTS,
        "the sweep has {count} points, more than the {MAX_SWEEP_POINTS} one Workflow can hold \
         (etcd stores at most 1.5 MiB per object, and Argo lists every point in its status); \
         split it into several workflows"
    );
    Ok(())
}

const MARKER_OPEN: char = '\u{E000}';
const MARKER_CLOSE: char = '\u{E001}';

fn marker(index: usize) -> String {
    format!("{MARKER_OPEN}{index}{MARKER_CLOSE}")
}

/// A brace expression of a step's text: its byte range and its values as written.
#[derive(Debug, Clone, PartialEq)]
struct BraceExpression {
    start: usize,
    end: usize,
    values: Vec<String>,
    /// The flag it is the value of, when there is one (`--lr`), to name the parameter.
    flag: Option<String>,
}

/// Characters that end a word in `sh`, besides blanks.
fn is_metacharacter(c: char) -> bool {
    matches!(c, '|' | '&' | ';' | '(' | ')' | '<' | '>')
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || is_metacharacter(c)
}

/// The brace expressions of `text`, outermost only, left to right. `whole_command` is false
/// for the inside of a brace, where a `#` does not start a comment.
fn find_brace_expressions(text: &str, whole_command: bool) -> Result<Vec<BraceExpression>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let offset_of = |index: usize| chars.get(index).map_or(text.len(), |&(offset, _)| offset);
    let mut found = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut index = 0;
    while index < chars.len() {
        let (offset, c) = chars[index];
        if ends_word(c) {
            if let Some(start) = word_start.take() {
                words.push(&text[start..offset]);
            }
            index += 1;
            continue;
        }
        if word_start.is_none() {
            if c == '#' && whole_command {
                break;
            }
            word_start = Some(offset);
        }
        match c {
            '\\' => index += 2,
            '\'' | '"' => index = after_quoted(&chars, index).unwrap_or(chars.len()),
            // `${...}` is the shell's, never a sweep.
            '$' if chars.get(index + 1).map(|&(_, c)| c) == Some('{') => {
                index = closing_brace(&chars, index + 1).map_or(index + 2, |close| close + 1);
            }
            '{' => {
                let Some(close) = closing_brace(&chars, index) else {
                    index += 1;
                    continue;
                };
                let body = &text[offset_of(index + 1)..offset_of(close)];
                match expand_body(body)? {
                    Some(values) => {
                        let in_word = &text[word_start.unwrap_or(offset)..offset];
                        found.push(BraceExpression {
                            start: offset,
                            end: offset_of(close + 1),
                            values,
                            flag: flag_of(in_word, &words),
                        });
                        index = close + 1;
                    }
                    // `{}`, `{a}`: literal, and a brace inside may still expand (`{{a,b}}`).
                    None => index += 1,
                }
            }
            _ => index += 1,
        }
    }
    Ok(found)
}

/// The index just past the quote that closes the one at `open`, if it is closed.
fn after_quoted(chars: &[(usize, char)], open: usize) -> Option<usize> {
    let quote = chars[open].1;
    let mut index = open + 1;
    while let Some(&(_, c)) = chars.get(index) {
        if c == quote {
            return Some(index + 1);
        }
        // Inside double quotes a backslash escapes; inside single quotes nothing does.
        index += if c == '\\' && quote == '"' { 2 } else { 1 };
    }
    None
}

/// The index of the `}` that closes the `{` at `open` within the same word, if there is one.
pub(crate) fn closing_brace(chars: &[(usize, char)], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut index = open;
    while let Some(&(_, c)) = chars.get(index) {
        match c {
            c if ends_word(c) => return None,
            '\\' => index += 1,
            '\'' | '"' => {
                index = after_quoted(chars, index)?;
                continue;
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

/// The values of a brace body (between `{` and `}`), or `None` if it is not an expansion.
fn expand_body(body: &str) -> Result<Option<Vec<String>>> {
    if let Some(values) = sequence(body)? {
        return Ok(Some(values));
    }
    let alternatives = split_top_level_commas(body);
    if alternatives.len() < 2 {
        return Ok(None);
    }
    let mut values = Vec::new();
    for alternative in alternatives {
        values.extend(expand_word(alternative)?);
        check_point_count(values.len())?;
    }
    Ok(Some(values))
}

/// Every expansion of a piece of one word, with the braces inside it expanded.
fn expand_word(word: &str) -> Result<Vec<String>> {
    let expressions = find_brace_expressions(word, false)?;
    let mut results = vec![String::new()];
    let mut copied = 0;
    for expression in &expressions {
        let literal = &word[copied..expression.start];
        let count = results.len().saturating_mul(expression.values.len());
        check_point_count(count)?;
        let mut next = Vec::with_capacity(count);
        for result in &results {
            for value in &expression.values {
                next.push(format!("{result}{literal}{value}"));
            }
        }
        results = next;
        copied = expression.end;
    }
    let rest = &word[copied..];
    for result in &mut results {
        result.push_str(rest);
    }
    Ok(results)
}

/// Splits at commas outside quotes, escapes and nested braces.
fn split_top_level_commas(body: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut parts = Vec::new();
    let mut part_start = 0;
    let mut depth = 0usize;
    let mut index = 0;
    while let Some(&(offset, c)) = chars.get(index) {
        match c {
            '\\' => index += 1,
            '\'' | '"' => {
                index = after_quoted(&chars, index).unwrap_or(chars.len());
                continue;
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&body[part_start..offset]);
                part_start = offset + 1;
            }
            _ => {}
        }
        index += 1;
    }
    parts.push(&body[part_start..]);
    parts
}

/// `x..y` or `x..y..step` of integers or single letters, as bash expands them.
fn sequence(body: &str) -> Result<Option<Vec<String>>> {
    let parts: Vec<&str> = body.split("..").collect();
    if !(2..=3).contains(&parts.len()) {
        return Ok(None);
    }
    let step = match parts.get(2) {
        Some(step) => match integer(step) {
            Some(step) => step.unsigned_abs().max(1),
            None => return Ok(None),
        },
        None => 1,
    };
    if let (Some(first), Some(last)) = (integer(parts[0]), integer(parts[1])) {
        let count = usize::try_from(first.abs_diff(last) / step)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        check_point_count(count)?;
        let padded = |text: &str| {
            let digits = text.trim_start_matches('-');
            digits.len() > 1 && digits.starts_with('0')
        };
        let width = if padded(parts[0]) || padded(parts[1]) {
            parts[0].len().max(parts[1].len())
        } else {
            0
        };
        let values = (0..count as u64)
            .map(|k| {
                let offset = i128::from(k) * i128::from(step);
                let value = if first <= last {
                    i128::from(first) + offset
                } else {
                    i128::from(first) - offset
                };
                format!("{value:0width$}")
            })
            .collect();
        return Ok(Some(values));
    }
    let letter = |text: &str| {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Some(c as u8),
            _ => None,
        }
    };
    if let (Some(first), Some(last)) = (letter(parts[0]), letter(parts[1])) {
        let step = usize::try_from(step).unwrap_or(usize::MAX);
        let values: Vec<String> = if first <= last {
            (first..=last)
                .step_by(step)
                .map(|b| char::from(b).to_string())
                .collect()
        } else {
            (last..=first)
                .rev()
                .step_by(step)
                .map(|b| char::from(b).to_string())
                .collect()
        };
        return Ok(Some(values));
    }
    Ok(None)
}

/// An integer as bash reads one in a range: digits with an optional leading `-`.
fn integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The flag a brace is the value of: `--lr={..}` (`in_word` is the word up to the brace),
/// `--lr {..}`, or papermill's `-p NAME {..}`.
fn flag_of(in_word: &str, words: &[&str]) -> Option<String> {
    if !in_word.is_empty() {
        let flag = in_word.strip_suffix('=')?;
        return flag.starts_with('-').then(|| flag.to_string());
    }
    match words {
        [.., "-p" | "-r" | "--parameters" | "--parameters_raw", name] => Some(name.to_string()),
        [.., flag] if flag.starts_with('-') && integer(flag).is_none() => Some(flag.to_string()),
        _ => None,
    }
}

/// Argo parameter names (`[a-zA-Z0-9_]`, unique): from each brace's flag, else `pN`.
fn parameter_names(expressions: &[BraceExpression]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    let mut names = Vec::with_capacity(expressions.len());
    for (index, expression) in expressions.iter().enumerate() {
        let from_flag = expression.flag.as_deref().map(|flag| {
            flag.trim_start_matches('-')
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
        });
        let base = from_flag
            .filter(|name| name.chars().any(|c| c.is_ascii_alphanumeric()))
            .unwrap_or_else(|| format!("p{}", index + 1));
        let mut name = base.clone();
        let mut suffix = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}_{suffix}");
            suffix += 1;
        }
        names.push(name);
    }
    names
}

/// Removes quotes and escapes as `sh` does from one word (which has no unquoted blanks).
fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(escaped @ ('"' | '\\' | '$' | '`')) => out.push(escaped),
                            Some('\n') => {}
                            Some(other) => {
                                out.push('\\');
                                out.push(other);
                            }
                            None => out.push('\\'),
                        },
                        other => out.push(other),
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Checks a sweep that did not come from braces (a workflow file's `sweep:` map).
pub fn check_sweep(sweep: &Sweep) -> Result<()> {
    ensure!(!sweep.parameters.is_empty(), "the sweep has no parameters");
    let mut seen = BTreeSet::new();
    for name in &sweep.parameters {
        ensure!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "sweep parameter `{name}`: use only letters, digits and `_`"
        );
        ensure!(seen.insert(name), "sweep parameter `{name}` is given twice");
    }
    ensure!(!sweep.points.is_empty(), "the sweep has no points");
    check_point_count(sweep.points.len())?;
    for point in &sweep.points {
        if point.len() != sweep.parameters.len() {
            bail!(
                "a sweep point has {} values for {} parameters",
                point.len(),
                sweep.parameters.len()
            );
        }
    }
    if let Some(parallelism) = sweep.parallelism {
        ensure!(parallelism > 0, "`parallelism` must be at least 1");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, mode: CommandMode) -> (Vec<String>, Option<Sweep>) {
        command_and_sweep(text, mode).unwrap_or_else(|err| panic!("{text}: {err:#}"))
    }

    fn values(text: &str) -> Vec<Vec<String>> {
        parse(text, CommandMode::Exec)
            .1
            .map(|s| s.points)
            .unwrap_or_default()
    }

    fn flat(text: &str) -> Vec<String> {
        values(text).into_iter().map(|p| p.join(" ")).collect()
    }

    #[test]
    fn lists_make_one_point_per_combination_leftmost_slowest() {
        let (command, sweep) = parse(
            "python train.py --lr {0.001,0.01,0.1} --layers {2,4}",
            CommandMode::Exec,
        );
        assert_eq!(
            command,
            [
                "python",
                "train.py",
                "--lr",
                "{{inputs.parameters.lr}}",
                "--layers",
                "{{inputs.parameters.layers}}"
            ]
        );
        let sweep = sweep.unwrap();
        assert_eq!(sweep.parameters, ["lr", "layers"]);
        assert_eq!(
            sweep.points,
            [
                ["0.001", "2"],
                ["0.001", "4"],
                ["0.01", "2"],
                ["0.01", "4"],
                ["0.1", "2"],
                ["0.1", "4"]
            ]
        );
    }

    #[test]
    fn ranges_as_bash() {
        assert_eq!(flat("a {1..4}"), ["1", "2", "3", "4"]);
        assert_eq!(flat("a {3..1}"), ["3", "2", "1"]);
        assert_eq!(flat("a {-1..1}"), ["-1", "0", "1"]);
        assert_eq!(flat("a {1..10..3}"), ["1", "4", "7", "10"]);
        assert_eq!(flat("a {10..1..-4}"), ["10", "6", "2"]);
        assert_eq!(flat("a {1..2..0}"), ["1", "2"]);
        assert_eq!(flat("a {08..11}"), ["08", "09", "10", "11"]);
        assert_eq!(flat("a {1..010..4}"), ["001", "005", "009"]);
        assert_eq!(flat("a {-01..1}"), ["-01", "000", "001"]);
        assert_eq!(flat("a {a..e..2}"), ["a", "c", "e"]);
        assert_eq!(flat("a {C..A}"), ["C", "B", "A"]);
        assert_eq!(flat("a {5..5}"), ["5"]);
        for literal in [
            "a {1..}",
            "a {..2}",
            "a {1..2..x}",
            "a {1...2}",
            "a {ab..c}",
            "a {1..b}",
            "a {1..2..3..4}",
        ] {
            assert_eq!(parse(literal, CommandMode::Exec).1, None, "{literal}");
        }
    }

    #[test]
    fn literal_braces_as_bash() {
        for literal in [
            "echo {}",
            "echo {a}",
            "echo '{a,b}'",
            "echo \"{a,b}\"",
            "echo \\{a,b}",
            "echo {a,b\\}",
            "echo ${HOME}",
            "echo ${a,b}",
            "echo $HOME",
            "echo {a, b}",
            "echo {a,b",
            "echo a,b}",
            "echo '{1..3}'",
            "echo {{workflow.name}}",
            "echo hi # {a,b}",
            "find . -exec rm {} +",
        ] {
            assert_eq!(parse(literal, CommandMode::Exec).1, None, "{literal}");
        }
        assert_eq!(
            parse("echo ${HOME} '{a,b}'", CommandMode::Exec).0,
            ["echo", "${HOME}", "{a,b}"]
        );
    }

    #[test]
    fn braces_inside_words_and_nested() {
        let (command, sweep) = parse(
            "python a.py --lr={0.1,0.5} run{1..2}.log",
            CommandMode::Exec,
        );
        assert_eq!(
            command,
            [
                "python",
                "a.py",
                "--lr={{inputs.parameters.lr}}",
                "run{{inputs.parameters.p2}}.log"
            ]
        );
        assert_eq!(sweep.unwrap().parameters, ["lr", "p2"]);
        assert_eq!(flat("x {a,b{1,2},c}"), ["a", "b1", "b2", "c"]);
        assert_eq!(flat("x {a,{1..3}}"), ["a", "1", "2", "3"]);
        assert_eq!(flat("x {{a,b}}"), ["a", "b"]);
        assert_eq!(
            parse("x {{a,b}}", CommandMode::Exec).0[1],
            "{{{inputs.parameters.p1}}}"
        );
        assert_eq!(flat("x {a}{b,c}"), ["b", "c"]);
        assert_eq!(flat("x {a,}"), ["a", ""]);
        assert_eq!(flat("x {#a,b}"), ["#a", "b"]);
    }

    #[test]
    fn quoted_values_in_exec_mode_lose_their_quotes() {
        let (command, sweep) = parse("echo {'a b',\"c,d\",e\\,f,'{x,y}'}", CommandMode::Exec);
        assert_eq!(command, ["echo", "{{inputs.parameters.p1}}"]);
        assert_eq!(
            sweep.unwrap().points,
            [["a b"], ["c,d"], ["e,f"], ["{x,y}"]]
        );
    }

    #[test]
    fn shell_mode_keeps_values_as_written() {
        let (command, sweep) = parse(
            "python a.py --lr {0.1,'a b'} | tee log-{1..2} && echo ${HOME}",
            CommandMode::Shell,
        );
        assert_eq!(
            command,
            [
                "/bin/sh",
                "-c",
                "python a.py --lr {{inputs.parameters.lr}} | tee log-{{inputs.parameters.p2}} && echo ${HOME}"
            ]
        );
        let sweep = sweep.unwrap();
        assert_eq!(sweep.parameters, ["lr", "p2"]);
        assert_eq!(sweep.points[2], ["'a b'", "1"]);
    }

    #[test]
    fn parameter_names_from_flags_unique() {
        let parameters = |text| parse(text, CommandMode::Exec).1.unwrap().parameters;
        assert_eq!(
            parameters("nb.ipynb -p lr {1,2} -p epochs {3,4}"),
            ["lr", "epochs"]
        );
        assert_eq!(
            parameters("a --learning-rate {1,2} -x {1,2} -x {3,4} {5,6} -1 {7,8}"),
            ["learning_rate", "x", "x_2", "p4", "p5"]
        );
        assert_eq!(parameters("a --={1,2} --lr=x{1,2}"), ["p1", "p2"]);
    }

    #[test]
    fn the_point_limit_is_checked_before_expanding() {
        let message = |text| {
            command_and_sweep(text, CommandMode::Exec)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        assert!(message("a {1..100000}").contains("100000 points, more than the 50000"));
        assert!(message("a {1..1000} {1..1000}").contains("1000000 points"));
        assert!(message("a {1..9223372036854775807}").contains("points, more than"));
        assert!(message("a {x,{1..300}{1..300}}").contains("points, more than"));
        assert_eq!(values("a {1..50000}").len(), 50_000);
    }

    #[test]
    fn unquoting_follows_sh() {
        assert_eq!(unquote(r#"a'b c'"d\"e\$\x"\f"#), r#"ab cd"e$\xf"#);
    }

    #[test]
    fn sweeps_from_data_are_checked() {
        let good = Sweep {
            parameters: vec!["lr".into()],
            points: vec![vec!["1".into()]],
            parallelism: Some(2),
        };
        assert!(check_sweep(&good).is_ok());
        let bad = |change: fn(&mut Sweep)| {
            let mut sweep = good.clone();
            change(&mut sweep);
            check_sweep(&sweep).unwrap_err().to_string()
        };
        assert!(bad(|s| s.parameters = vec!["a-b".into()]).contains("only letters"));
        assert!(bad(|s| s.points.clear()).contains("no points"));
        assert!(bad(|s| s.parallelism = Some(0)).contains("at least 1"));
        assert!(bad(|s| s.points[0].push("x".into())).contains("2 values for 1"));
    }
}
