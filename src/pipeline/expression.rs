//! The `-c` expression: steps separated by `>>`, with `[a, b]` for steps that run side by side.
//!
//! ```text
//! python prep.py >> [python train.py --lr 0.1, python train.py --lr 0.5] >> python eval.py
//! ```
//!
//! Grammar (outside quotes; quotes and backslashes work as in POSIX `sh`):
//!
//! ```text
//! chain := stage (">>" stage)*
//! stage := "[" chain ("," chain)* "]"    a group: every chain in it starts after the previous
//!        | step                           stage and the next stage starts after all of them
//! ```
//!
//! - `>>` always separates stages, in both modes. So a shell append (`cmd >> log`) cannot be
//!   written in `-c`; use `| tee -a log` or a workflow file.
//! - `[` opens a group only where a stage starts (start of input, after `>>`, after `[` or `,`
//!   of a group). Any other `[` is part of the step's text and so is everything up to its
//!   matching `]`, commas included: `--sizes [1,2]` and `data[0-9].csv` need no quotes.
//! - `,` separates only inside a group; at top level it is text (`--layers 1,2`).
//! - `]` closes the innermost group; with no group open it is an error (quote it for a literal).
//! - A brace closed within its word (`--lr {0.1,0.5}`, `${a,b}`) is part of the step, commas
//!   included; brace lists and ranges make the step a sweep (see `sweep.rs`).
//! - A single `>` is shell redirection. In shell mode it is passed to `sh`; exec mode would pass
//!   it to the program as an argument, which is never what was meant, so it is an error there
//!   unless quoted. `>>>` is an error in both modes.
//!
//! Steps are numbered `job-1`, `job-2`, ... in the order they appear, left to right.

use std::fmt::Display;

use anyhow::{anyhow, bail, Result};

use super::sweep::closing_brace;
use super::{exec_mode_operator_message, step_command, validate, CommandMode, Pipeline, Step};
use crate::checks::shell::first_unquoted_operator;

/// Deeper nesting has no use; the limit keeps a hostile `[[[[...` from exhausting the stack.
const MAX_GROUP_NESTING: usize = 32;

/// Longer expressions are shown as a window around the error position.
const MAX_SHOWN_CHARS: usize = 100;

/// Parses a `-c` expression into a validated pipeline.
pub fn parse(expr: &str, mode: CommandMode) -> Result<Pipeline> {
    if expr.trim().is_empty() {
        bail!(
            "invalid pipeline expression: the expression is empty; give the steps separated \
             by `>>`, e.g. -c \"python prep.py >> python train.py\""
        );
    }
    let mut parser = ExpressionParser::new(expr, mode);
    parser.parse_chain(&[])?;
    let pipeline = Pipeline {
        name: None,
        schedule: None,
        steps: parser.steps,
        ..Pipeline::default()
    };
    validate(&pipeline).map_err(|err| anyhow!("invalid pipeline expression: {err}"))?;
    Ok(pipeline)
}

struct ExpressionParser<'a> {
    source: &'a str,
    /// Byte offset and character; positions below index this, so columns count characters.
    chars: Vec<(usize, char)>,
    position: usize,
    mode: CommandMode,
    steps: Vec<Step>,
    /// Positions of the `[` of each group being parsed, innermost last.
    open_groups: Vec<usize>,
    /// The first `[` that was taken as step text, to explain an unclosed group.
    first_literal_bracket: Option<usize>,
}

impl<'a> ExpressionParser<'a> {
    fn new(source: &'a str, mode: CommandMode) -> Self {
        ExpressionParser {
            source,
            chars: source.char_indices().collect(),
            position: 0,
            mode,
            steps: Vec::new(),
            open_groups: Vec::new(),
            first_literal_bracket: None,
        }
    }

    /// Parses `stage >> stage >> ...`, each stage running after the one before it; the first
    /// runs after `incoming`. Stops at the end, or at the `,` or `]` of the enclosing group.
    /// Returns the steps that end the chain.
    fn parse_chain(&mut self, incoming: &[usize]) -> Result<Vec<usize>> {
        let mut exits = self.parse_stage(incoming, None)?;
        loop {
            self.skip_whitespace();
            let position = self.position;
            match self.peek() {
                None => return Ok(exits),
                Some(',' | ']') if !self.open_groups.is_empty() => return Ok(exits),
                Some('>') if self.at_operator() => {
                    self.position += 2;
                    if self.peek() == Some('>') {
                        return Err(self.error(
                            self.position,
                            format!(
                                "`>>` directly followed by `>` at column {}; quote a `>` that \
                                 belongs to the command",
                                self.position + 1
                            ),
                        ));
                    }
                    exits = self.parse_stage(&exits, Some(position))?;
                }
                Some(']') => return Err(self.no_open_group(position)),
                // A step always stops at one of the cases above, so this follows a group.
                Some(other) => {
                    let allowed = if self.open_groups.is_empty() {
                        "`>>` or the end of the expression"
                    } else {
                        "`>>`, `,` or `]`"
                    };
                    return Err(self.error(
                        position,
                        format!(
                            "unexpected `{other}` at column {} after a group; a group `[...]` \
                             is followed by {allowed}",
                            position + 1
                        ),
                    ));
                }
            }
        }
    }

    /// Parses one stage, a group or a step; `after_operator` is the position of the `>>` before it.
    fn parse_stage(
        &mut self,
        incoming: &[usize],
        after_operator: Option<usize>,
    ) -> Result<Vec<usize>> {
        self.skip_whitespace();
        let position = self.position;
        match self.peek() {
            None => {
                if let Some(operator) = after_operator {
                    return Err(self.error(
                        operator,
                        format!("nothing after `>>` at column {}", operator + 1),
                    ));
                }
                // Only reachable inside a group: the empty expression is rejected up front.
                let open = self.open_groups.last().copied().unwrap_or(0);
                Err(self.unclosed_group(open))
            }
            Some('>') if self.at_operator() => {
                let message = match after_operator {
                    Some(_) => format!("empty step at column {}", position + 1),
                    None => format!("nothing before `>>` at column {}", position + 1),
                };
                Err(self.error(position, message))
            }
            Some(',' | ']') if !self.open_groups.is_empty() => {
                Err(self.error(position, format!("empty step at column {}", position + 1)))
            }
            Some('[') => self.parse_group(incoming),
            Some(_) => Ok(vec![self.parse_step(incoming)?]),
        }
    }

    /// Parses `[chain, chain, ...]`; every chain starts after `incoming`.
    fn parse_group(&mut self, incoming: &[usize]) -> Result<Vec<usize>> {
        let open = self.position;
        if self.open_groups.len() >= MAX_GROUP_NESTING {
            return Err(self.error(
                open,
                format!(
                    "groups are nested more than {MAX_GROUP_NESTING} deep at column {}",
                    open + 1
                ),
            ));
        }
        self.open_groups.push(open);
        self.position += 1;
        self.skip_whitespace();
        if self.peek() == Some(']') {
            return Err(self.error(
                open,
                format!(
                    "empty group `[]` at column {}; a group lists steps separated by `,`",
                    open + 1
                ),
            ));
        }
        let mut exits = Vec::new();
        loop {
            exits.extend(self.parse_chain(incoming)?);
            match self.peek() {
                Some(',') => self.position += 1,
                Some(']') => {
                    self.position += 1;
                    self.open_groups.pop();
                    return Ok(exits);
                }
                _ => return Err(self.unclosed_group(open)),
            }
        }
    }

    /// Reads one step up to `>>`, the end, or (in a group) a `,` or `]`, and adds it.
    fn parse_step(&mut self, incoming: &[usize]) -> Result<usize> {
        let start = self.position;
        let mut end = start;
        let mut literal_bracket_depth = 0usize;
        while let Some(current) = self.peek() {
            let position = self.position;
            match current {
                c if c.is_whitespace() => {
                    self.position += 1;
                    continue;
                }
                '\'' | '"' => self.skip_quoted(current)?,
                // A trailing backslash stays literal, as `shell-words` and `sh` treat it.
                '\\' => self.position = (self.position + 2).min(self.chars.len()),
                '>' if self.at_operator() => break,
                '>' => {
                    if self.mode == CommandMode::Exec {
                        return Err(self.error(
                            position,
                            format!(
                                "`>` at column {} is shell redirection, which exec mode does not \
                                 do; add --shell to run the steps with /bin/sh -c, or quote it \
                                 ('>') to pass it to the program",
                                position + 1
                            ),
                        ));
                    }
                    self.position += 1;
                }
                '[' => {
                    literal_bracket_depth += 1;
                    self.first_literal_bracket.get_or_insert(position);
                    self.position += 1;
                }
                ']' if literal_bracket_depth > 0 => {
                    literal_bracket_depth -= 1;
                    self.position += 1;
                }
                ']' if !self.open_groups.is_empty() => break,
                ']' => return Err(self.no_open_group(position)),
                // A brace closed within its word (`{0.1,0.5}`, `${a,b}`) is text, commas included.
                '{' => match closing_brace(&self.chars, self.position) {
                    Some(close) => self.position = close + 1,
                    None => self.position += 1,
                },
                ',' if literal_bracket_depth == 0 && !self.open_groups.is_empty() => break,
                _ => self.position += 1,
            }
            end = self.position;
        }

        let text = &self.source[self.byte_offset(start)..self.byte_offset(end)];
        if self.mode == CommandMode::Exec {
            if let Some((offset, operator)) = first_unquoted_operator(text) {
                let position = start + offset;
                return Err(self.error(
                    position,
                    format!(
                        "at column {}: {}",
                        position + 1,
                        exec_mode_operator_message(&operator, "add --shell")
                    ),
                ));
            }
        }
        let name = format!("job-{}", self.steps.len() + 1);
        let (command, sweep, notebook) = step_command(text, self.mode, &name)
            .map_err(|err| self.error(start, format!("step at column {}: {err}", start + 1)))?;
        let mut depends_on = incoming.to_vec();
        depends_on.sort_unstable();
        depends_on.dedup();
        self.steps.push(Step {
            name,
            text: text.to_string(),
            command,
            depends_on,
            overrides: Default::default(),
            sweep,
            notebook,
        });
        Ok(self.steps.len() - 1)
    }

    /// Moves past a quoted string that starts at the current position.
    fn skip_quoted(&mut self, quote: char) -> Result<()> {
        let open = self.position;
        self.position += 1;
        while let Some(current) = self.peek() {
            self.position += 1;
            if current == quote {
                return Ok(());
            }
            // Inside double quotes a backslash may escape the closing quote; in single quotes nothing is escaped.
            if current == '\\' && quote == '"' {
                self.position += 1;
            }
        }
        let kind = if quote == '\'' { "single" } else { "double" };
        Err(self.error(
            open,
            format!("the {kind} quote at column {} is never closed", open + 1),
        ))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).map(|&(_, c)| c)
    }

    fn at_operator(&self) -> bool {
        self.peek() == Some('>') && self.chars.get(self.position + 1).map(|&(_, c)| c) == Some('>')
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn byte_offset(&self, position: usize) -> usize {
        self.chars
            .get(position)
            .map_or(self.source.len(), |&(offset, _)| offset)
    }

    fn unclosed_group(&self, open: usize) -> anyhow::Error {
        let mut message = format!("the `[` at column {} is never closed with `]`", open + 1);
        if let Some(literal) = self.first_literal_bracket {
            message.push_str(&format!(
                " (the `[` at column {} is inside a step, so it is text and takes a `]` of its own)",
                literal + 1
            ));
        }
        self.error(open, message)
    }

    fn no_open_group(&self, position: usize) -> anyhow::Error {
        self.error(
            position,
            format!(
                "`]` at column {} closes no group; quote it (']') if it belongs to the command",
                position + 1
            ),
        )
    }

    /// The message, then the expression with a caret under `position`.
    fn error(&self, position: usize, message: impl Display) -> anyhow::Error {
        let (first, last) = if self.chars.len() > MAX_SHOWN_CHARS {
            let first = position.saturating_sub(MAX_SHOWN_CHARS / 2);
            (first, (first + MAX_SHOWN_CHARS).min(self.chars.len()))
        } else {
            (0, self.chars.len())
        };
        let mut shown = String::from(if first > 0 { "..." } else { "" });
        let mut caret_line = shown.replace('.', " ");
        for (index, &(_, c)) in self.chars[first..last].iter().enumerate() {
            // Line breaks would split the display; tabs are copied so the caret lines up.
            shown.push(if c == '\n' || c == '\r' { ' ' } else { c });
            if first + index < position {
                caret_line.push(if c == '\t' { '\t' } else { ' ' });
            }
        }
        if last < self.chars.len() {
            shown.push_str("...");
        }
        anyhow!("invalid pipeline expression: {message}\n  {shown}\n  {caret_line}^")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::MAX_STEPS;

    fn exec(expr: &str) -> Pipeline {
        match parse(expr, CommandMode::Exec) {
            Ok(pipeline) => pipeline,
            Err(err) => panic!("`{expr}` should parse, got: {err:#}"),
        }
    }

    fn exec_error(expr: &str) -> String {
        match parse(expr, CommandMode::Exec) {
            Ok(pipeline) => panic!("`{expr}` should fail, got {pipeline:?}"),
            Err(err) => format!("{err:#}"),
        }
    }

    /// (name, command, depends_on) of every step, for compact assertions.
    fn shape(pipeline: &Pipeline) -> Vec<(&str, Vec<&str>, Vec<usize>)> {
        pipeline
            .steps
            .iter()
            .map(|step| {
                let command = step.command.iter().map(String::as_str).collect();
                (step.name.as_str(), command, step.depends_on.clone())
            })
            .collect()
    }

    fn dependencies(pipeline: &Pipeline) -> Vec<Vec<usize>> {
        pipeline
            .steps
            .iter()
            .map(|step| step.depends_on.clone())
            .collect()
    }

    fn texts(pipeline: &Pipeline) -> Vec<&str> {
        pipeline
            .steps
            .iter()
            .map(|step| step.text.as_str())
            .collect()
    }

    #[test]
    fn single_step() {
        let pipeline = exec("  python a.py  ");
        assert_eq!(
            shape(&pipeline),
            vec![("job-1", vec!["python", "a.py"], vec![])]
        );
        assert_eq!(pipeline.steps[0].text, "python a.py");
        assert_eq!(pipeline.name, None);
        assert_eq!(pipeline.schedule, None);
    }

    #[test]
    fn chain_runs_each_step_after_the_previous() {
        let pipeline = exec("python a.py >> python b.py foo>>python c.py");
        assert_eq!(
            shape(&pipeline),
            vec![
                ("job-1", vec!["python", "a.py"], vec![]),
                ("job-2", vec!["python", "b.py", "foo"], vec![0]),
                ("job-3", vec!["python", "c.py"], vec![1]),
            ]
        );
    }

    #[test]
    fn group_fans_out_and_in() {
        let pipeline =
            exec("python prep.py >> [python train.py --lr 0.1, python train.py --lr 0.5] >> python eval.py");
        assert_eq!(
            shape(&pipeline),
            vec![
                ("job-1", vec!["python", "prep.py"], vec![]),
                ("job-2", vec!["python", "train.py", "--lr", "0.1"], vec![0]),
                ("job-3", vec!["python", "train.py", "--lr", "0.5"], vec![0]),
                ("job-4", vec!["python", "eval.py"], vec![1, 2]),
            ]
        );
    }

    #[test]
    fn group_at_start_and_end() {
        assert_eq!(
            dependencies(&exec("[a, b] >> c")),
            vec![vec![], vec![], vec![0, 1]]
        );
        assert_eq!(
            dependencies(&exec("a >> [b, c]")),
            vec![vec![], vec![0], vec![0]]
        );
        assert_eq!(dependencies(&exec("[a,b,c]")), vec![Vec::<usize>::new(); 3]);
        assert_eq!(dependencies(&exec("[a]")), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn chain_inside_group() {
        let pipeline = exec("[a >> b, c] >> d");
        assert_eq!(texts(&pipeline), vec!["a", "b", "c", "d"]);
        assert_eq!(
            dependencies(&pipeline),
            vec![vec![], vec![0], vec![], vec![1, 2]]
        );
    }

    #[test]
    fn nested_groups() {
        let pipeline = exec("a >> [b, [c, d >> e]] >> f");
        assert_eq!(texts(&pipeline), vec!["a", "b", "c", "d", "e", "f"]);
        assert_eq!(
            dependencies(&pipeline),
            vec![vec![], vec![0], vec![0], vec![0], vec![3], vec![1, 2, 4]]
        );
    }

    #[test]
    fn consecutive_groups_connect_every_exit_to_every_entry() {
        let pipeline = exec("[a, b] >> [c, d]");
        assert_eq!(
            dependencies(&pipeline),
            vec![vec![], vec![], vec![0, 1], vec![0, 1]]
        );
    }

    #[test]
    fn quotes_make_operators_literal() {
        let pipeline = exec("python a.py --msg 'x >> y'");
        assert_eq!(
            shape(&pipeline),
            vec![("job-1", vec!["python", "a.py", "--msg", "x >> y"], vec![])]
        );
        let pipeline =
            exec(r#"[echo "a, b]", echo '[c' ] >> echo "say \"]>>\"" >> echo \>\> \, d"#);
        assert_eq!(
            shape(&pipeline),
            vec![
                ("job-1", vec!["echo", "a, b]"], vec![]),
                ("job-2", vec!["echo", "[c"], vec![]),
                ("job-3", vec!["echo", "say \"]>>\""], vec![0, 1]),
                ("job-4", vec!["echo", ">>", ",", "d"], vec![2]),
            ]
        );
    }

    #[test]
    fn exec_mode_splits_with_shell_quoting() {
        assert_eq!(
            exec("echo 'good bye'").steps[0].command,
            vec!["echo", "good bye"]
        );
    }

    #[test]
    fn shell_mode_keeps_the_users_text() {
        let pipeline = parse(
            "echo 'a  b' | wc -c > out.txt 2>&1 >> cat   out.txt ",
            CommandMode::Shell,
        )
        .expect("valid shell pipeline");
        assert_eq!(
            shape(&pipeline),
            vec![
                (
                    "job-1",
                    vec!["/bin/sh", "-c", "echo 'a  b' | wc -c > out.txt 2>&1"],
                    vec![]
                ),
                ("job-2", vec!["/bin/sh", "-c", "cat   out.txt"], vec![0]),
            ]
        );
    }

    #[test]
    fn bracket_inside_a_step_is_text_up_to_its_match() {
        let pipeline = exec("python a.py --sizes [1,2] >> [python b.py --grid [1,[2]], c]");
        assert_eq!(
            shape(&pipeline),
            vec![
                ("job-1", vec!["python", "a.py", "--sizes", "[1,2]"], vec![]),
                (
                    "job-2",
                    vec!["python", "b.py", "--grid", "[1,[2]]"],
                    vec![0]
                ),
                ("job-3", vec!["c"], vec![0]),
            ]
        );
        let pipeline = parse("ls data[0-9].csv >> wc", CommandMode::Shell).expect("glob parses");
        assert_eq!(pipeline.steps[0].text, "ls data[0-9].csv");
    }

    #[test]
    fn a_brace_closed_in_its_word_keeps_its_commas_in_a_group() {
        let pipeline = exec("[python a.py --lr {0.1,0.5} --x=${a,b}, b] >> c");
        assert_eq!(
            texts(&pipeline),
            vec!["python a.py --lr {0.1,0.5} --x=${a,b}", "b", "c"]
        );
        let sweep = pipeline.steps[0].sweep.as_ref().expect("a sweep");
        assert_eq!(sweep.points, [["0.1"], ["0.5"]]);
        assert_eq!(dependencies(&pipeline), vec![vec![], vec![], vec![0, 1]]);
        // Not closed within the word: the comma separates, as a blank ends a bash word.
        assert_eq!(texts(&exec("[echo {a, b}]")), vec!["echo {a", "b}"]);
        assert_eq!(texts(&exec("[echo {a,b c]")), vec!["echo {a", "b c"]);
    }

    #[test]
    fn notebook_steps_run_papermill_or_nbconvert() {
        let pipeline = exec("prep.ipynb >> train.ipynb -p lr {0.1,0.01}");
        assert_eq!(pipeline.steps[0].command[0], "jupyter");
        assert_eq!(pipeline.steps[1].command[0], "/bin/sh");
        assert!(pipeline.steps[0].notebook.is_some() && pipeline.steps[1].sweep.is_some());
        let shell = parse("train.ipynb -p lr 0.1", CommandMode::Shell).unwrap();
        assert_eq!(
            shell.steps[0].command[4..6],
            [
                "train.ipynb".to_string(),
                "jupyterflow-runs/{{workflow.name}}/job-1.ipynb".to_string()
            ]
        );
    }

    #[test]
    fn comma_at_top_level_is_text() {
        assert_eq!(
            exec("python a.py --layers 1,2").steps[0].command,
            vec!["python", "a.py", "--layers", "1,2"]
        );
    }

    #[test]
    fn escaped_trailing_space_is_kept() {
        let pipeline = exec(r"echo a\  >> b");
        assert_eq!(pipeline.steps[0].text, r"echo a\ ");
        assert_eq!(pipeline.steps[0].command, vec!["echo", "a "]);
    }

    #[test]
    fn newlines_and_tabs_are_whitespace() {
        let pipeline = exec("a\t1 >>\n b");
        assert_eq!(
            shape(&pipeline),
            vec![
                ("job-1", vec!["a", "1"], vec![]),
                ("job-2", vec!["b"], vec![0])
            ]
        );
    }

    #[test]
    fn empty_expression() {
        for expr in ["", "   ", "\n\t"] {
            let message = exec_error(expr);
            assert!(message.contains("the expression is empty"), "{message}");
            assert!(
                message.contains("-c \"python prep.py >> python train.py\""),
                "{message}"
            );
        }
    }

    #[test]
    fn empty_step_shows_column_and_caret() {
        assert_eq!(
            exec_error("python a.py >> >> python b.py"),
            "invalid pipeline expression: empty step at column 16\n  \
             python a.py >> >> python b.py\n                 ^"
        );
    }

    #[test]
    fn leading_and_trailing_operator() {
        assert_eq!(
            exec_error(" >> b"),
            "invalid pipeline expression: nothing before `>>` at column 2\n   >> b\n   ^"
        );
        assert_eq!(
            exec_error("a >>  "),
            "invalid pipeline expression: nothing after `>>` at column 3\n  a >>  \n    ^"
        );
        assert!(exec_error("[>> a]").contains("nothing before `>>` at column 2"));
        assert!(exec_error("[a, b >>]").contains("empty step at column 9"));
    }

    #[test]
    fn empty_steps_in_groups() {
        assert_eq!(
            exec_error("[a, , b]"),
            "invalid pipeline expression: empty step at column 5\n  [a, , b]\n      ^"
        );
        assert!(exec_error("[a,]").contains("empty step at column 4"));
        assert!(exec_error("[,a]").contains("empty step at column 2"));
        assert_eq!(
            exec_error("a >> [ ]"),
            "invalid pipeline expression: empty group `[]` at column 6; a group lists steps \
             separated by `,`\n  a >> [ ]\n       ^"
        );
    }

    #[test]
    fn unclosed_group_names_its_bracket() {
        assert_eq!(
            exec_error("a >> [b, c >> d"),
            "invalid pipeline expression: the `[` at column 6 is never closed with `]`\n  \
             a >> [b, c >> d\n       ^"
        );
        assert!(exec_error("[a, [b, c]").contains("the `[` at column 1 is never closed"));
        assert!(exec_error("[a,").contains("the `[` at column 1 is never closed"));
        assert!(exec_error("[").contains("the `[` at column 1 is never closed"));
        let message = exec_error("[echo x[, b]");
        assert!(
            message.contains("the `[` at column 1 is never closed"),
            "{message}"
        );
        assert!(
            message.contains("the `[` at column 8 is inside a step"),
            "{message}"
        );
    }

    #[test]
    fn closing_bracket_without_group() {
        assert_eq!(
            exec_error("a >> b]"),
            "invalid pipeline expression: `]` at column 7 closes no group; quote it (']') if it \
             belongs to the command\n  a >> b]\n        ^"
        );
        assert!(exec_error("[a] ]").contains("`]` at column 5 closes no group"));
        assert_eq!(exec("echo ']'").steps[0].command, vec!["echo", "]"]);
    }

    #[test]
    fn text_after_a_group() {
        assert!(exec_error("[a, b] c").contains(
            "unexpected `c` at column 8 after a group; a group `[...]` is followed by `>>` or the end"
        ));
        assert!(exec_error("[a, b], c").contains("unexpected `,` at column 7"));
        assert!(exec_error("[[a] b, c]").contains("is followed by `>>`, `,` or `]`"));
    }

    #[test]
    fn unterminated_quotes() {
        assert_eq!(
            exec_error("a >> echo 'it >> b"),
            "invalid pipeline expression: the single quote at column 11 is never closed\n  \
             a >> echo 'it >> b\n            ^"
        );
        assert!(
            exec_error(r#"echo "a \" b"#).contains("the double quote at column 6 is never closed")
        );
        assert!(parse("echo 'x", CommandMode::Shell).is_err());
    }

    #[test]
    fn single_redirect_is_an_error_in_exec_mode_only() {
        assert_eq!(
            exec_error("python a.py > log.txt >> b"),
            "invalid pipeline expression: `>` at column 13 is shell redirection, which exec mode \
             does not do; add --shell to run the steps with /bin/sh -c, or quote it ('>') to pass \
             it to the program\n  python a.py > log.txt >> b\n              ^"
        );
        assert_eq!(
            exec("echo '>' \\>").steps[0].command,
            vec!["echo", ">", ">"]
        );
        let pipeline = parse("python a.py > log.txt >> b", CommandMode::Shell)
            .expect("redirect in shell mode");
        assert_eq!(pipeline.steps[0].command[2], "python a.py > log.txt");
    }

    #[test]
    fn shell_operators_are_errors_in_exec_mode_only() {
        for (expr, operator) in [
            ("prep && train", "&&"),
            ("cat a | wc -l >> b", "|"),
            ("a || b", "||"),
            ("a ; b", ";"),
            ("python a.py < in.txt", "<"),
            ("serve &", "&"),
        ] {
            let message = exec_error(expr);
            assert!(
                message.contains(&format!(": `{operator}` is a shell operator"))
                    && message.starts_with("invalid pipeline expression: at column ")
                    && message.contains("add --shell"),
                "{expr}: {message}"
            );
            assert!(
                parse(expr, CommandMode::Shell).is_ok(),
                "{expr} in shell mode"
            );
        }
        // `2>&1` and `>&2` contain `>`, which the expression parser already refuses.
        assert!(exec_error("python a.py 2>&1").contains("shell redirection"));
        assert_eq!(
            exec("echo '&&' \"|\" \\; '<'").steps[0].command,
            vec!["echo", "&&", "|", ";", "<"]
        );
    }

    #[test]
    fn triple_angle_bracket() {
        assert_eq!(
            parse("a >>> b", CommandMode::Shell)
                .map_err(|err| err.to_string())
                .unwrap_err(),
            "invalid pipeline expression: `>>` directly followed by `>` at column 5; quote a `>` \
             that belongs to the command\n  a >>> b\n      ^"
        );
        assert!(exec_error("a>>>b").contains("`>>` directly followed by `>` at column 4"));
    }

    #[test]
    fn empty_program_is_an_error() {
        let message = exec_error("a >> '' b");
        assert!(
            message.contains("step at column 6: the program name in `'' b` is empty"),
            "{message}"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            exec_error("échō >> >> b"),
            "invalid pipeline expression: empty step at column 9\n  échō >> >> b\n          ^"
        );
    }

    #[test]
    fn caret_follows_tabs() {
        assert_eq!(
            exec_error("a\t>> >>"),
            "invalid pipeline expression: empty step at column 6\n  a\t>> >>\n   \t   ^"
        );
    }

    #[test]
    fn long_expression_is_shown_around_the_error() {
        let expr = format!("{} >> >> b", vec!["step"; 40].join(" >> "));
        let message = exec_error(&expr);
        let lines: Vec<&str> = message.lines().collect();
        assert!(lines[0].contains("empty step at column 321"), "{message}");
        assert!(
            lines[1].starts_with("  ...") && lines[1].contains(">> >> b"),
            "{message}"
        );
        assert_eq!(
            lines[1].find(">> >> b").map(|at| at + 3),
            lines[2].find('^')
        );
    }

    #[test]
    fn nesting_is_limited() {
        let expr = format!("{}a{}", "[".repeat(40), "]".repeat(40));
        assert!(exec_error(&expr).contains("groups are nested more than 32 deep"));
        let expr = format!("{}a{}", "[".repeat(10), "]".repeat(10));
        assert_eq!(exec(&expr).steps.len(), 1);
    }

    #[test]
    fn step_limit() {
        let chain = |steps: usize| vec!["python step.py"; steps].join(" >> ");
        let pipeline = exec(&chain(MAX_STEPS));
        assert_eq!(pipeline.steps.len(), 199);
        assert_eq!(pipeline.steps[198].name, "job-199");
        assert_eq!(pipeline.steps[198].depends_on, vec![197]);
        let message = exec_error(&chain(MAX_STEPS + 1));
        assert!(message.contains("200 steps, but at most 199"), "{message}");
        assert!(
            message.contains("Argo's CRDs accept 200 templates"),
            "{message}"
        );
        assert!(message.contains("split the pipeline"), "{message}");
    }
}
