//! The static completion scripts in completions/ (`kubectl-jupyterflow <TAB>`): generated from
//! the CLI, printed by `completions SHELL`, and understood by bash, zsh and fish themselves.
//! Refresh after changing src/cli.rs: `SNAPSHOTS=overwrite cargo test --test completion_scripts`.

mod common;

use std::path::{Path, PathBuf};

use clap_complete::Shell;
use common::{jupyterflow, required_tool, Runner, ROOT};
use kubectl_jupyterflow::completion;

const SCRIPTS: [(Shell, &str); 3] = [
    (Shell::Bash, "kubectl-jupyterflow.bash"),
    (Shell::Zsh, "_kubectl-jupyterflow"),
    (Shell::Fish, "kubectl-jupyterflow.fish"),
];

fn script_path(file: &str) -> PathBuf {
    Path::new(ROOT).join("completions").join(file)
}

#[test]
fn committed_scripts_are_the_generated_ones() {
    for (shell, file) in SCRIPTS {
        snapbox::Assert::new()
            .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
            .eq(
                completion::script(shell),
                snapbox::Data::read_from(&script_path(file), None).raw(),
            );
    }
}

#[test]
fn completions_subcommand_prints_the_generated_scripts() {
    for (shell, file) in SCRIPTS {
        let printed = jupyterflow(["completions", &shell.to_string()]).stdout();
        assert_eq!(
            printed,
            completion::script(shell),
            "completions {shell} differs from {file}"
        );
        assert!(
            !printed.contains("__complete") && !printed.contains(" man "),
            "hidden subcommands leak into {file}"
        );
    }
}

#[test]
fn bash_script_completes_subcommands_and_flags() {
    let script = script_path("kubectl-jupyterflow.bash");
    let complete = |line: &str| -> Vec<String> {
        let program = format!(
            "source {script:?}; COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _kubectl__jupyterflow kubectl-jupyterflow \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let out = Runner::new("bash").arg("-c").arg(program).stdout();
        out.lines().map(String::from).collect()
    };
    assert_eq!(complete("kubectl-jupyterflow re"), ["render"]);
    assert_eq!(
        complete("kubectl-jupyterflow render --pod-f"),
        ["--pod-file"]
    );
    assert_eq!(complete("kubectl-jupyterflow render -o j"), ["json"]);
    assert_eq!(complete("kubectl-jupyterflow completions z"), ["zsh"]);
}

#[test]
fn zsh_accepts_its_script() {
    let Some(zsh) = required_tool("zsh", "it parses the zsh completion script") else {
        return;
    };
    let run = Runner::new(zsh)
        .arg("-n")
        .arg(script_path("_kubectl-jupyterflow"))
        .run();
    assert!(run.success(), "zsh rejects the script: {}", run.stderr);
}

#[test]
fn fish_script_completes_subcommands_and_flags() {
    let Some(fish) = required_tool("fish", "it completes with the fish script") else {
        return;
    };
    let script = script_path("kubectl-jupyterflow.fish");
    let complete = |line: &str| -> Vec<String> {
        let program = format!("source {script:?}; complete --do-complete {line:?}");
        let out = Runner::new(&fish)
            .arg("--no-config")
            .arg("-c")
            .arg(program)
            .stdout();
        out.lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(complete("kubectl-jupyterflow re"), ["render"]);
    assert_eq!(
        complete("kubectl-jupyterflow render --pod-f"),
        ["--pod-file"]
    );
    assert_eq!(complete("kubectl-jupyterflow render -o j"), ["json"]);
}
