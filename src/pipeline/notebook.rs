//! Notebooks as steps: a step whose program is a `.ipynb` file runs the notebook headless and
//! writes the executed copy, outputs included, where JupyterLab shows it:
//!
//! ```text
//! prep.ipynb >> train.ipynb -p lr 0.1 -p epochs 5 >> train.ipynb -p lr {0.1,0.01}
//! ```
//!
//! - With parameters (`-p NAME VALUE`, `-r NAME VALUE` for a raw string, as papermill's CLI)
//!   papermill runs it (`python -m papermill`, so a `pip install --user papermill` on the home
//!   volume serves every step); without, `jupyter nbconvert --to notebook --execute`, which every
//!   Jupyter image has.
//! - The executed notebook goes to `jupyterflow-runs/<workflow name>/<step>.ipynb` under the
//!   working directory, a folder per run, so runs never overwrite each other; a sweep writes
//!   one file per point, named by its values: `jupyterflow-runs/<run>/<step>/lr=0.1.ipynb`.
//! - Notebook steps run papermill or nbconvert directly, also with `--shell`.

use std::ffi::OsStr;
use std::path::Path;

use anyhow::{bail, ensure, Result};

use super::sweep::placeholder;
use super::{Pipeline, Sweep};

/// The folder, under the working directory, that holds the executed notebooks of every run.
pub const OUTPUT_FOLDER: &str = "jupyterflow-runs";

/// Argo's name of the running workflow: one output folder per run.
pub const WORKFLOW_NAME: &str = "{{workflow.name}}";

/// How a notebook step runs, for `--explain`, the checks before submitting and the pictures.
#[derive(Debug, Clone, PartialEq)]
pub struct Notebook {
    /// The notebook as written: relative to the working directory, or absolute.
    pub path: String,
    /// Where the executed notebook is written, relative to the working directory; holds
    /// [`WORKFLOW_NAME`] and, for a sweep, each point's values.
    pub output: String,
    /// Parameter names in the order given (papermill's `-p`/`-r`).
    pub parameters: Vec<String>,
    pub runner: Runner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// `python -m papermill`: injects parameters; must be installed in the image or home.
    Papermill,
    /// `jupyter nbconvert --execute`: in every Jupyter image, but takes no parameters.
    Nbconvert,
}

/// Whether a step's program is a notebook.
pub fn is_notebook(program: &str) -> bool {
    program.ends_with(".ipynb") && program.len() > ".ipynb".len()
}

/// The command that runs `words` (the notebook, then papermill's parameter options, sweep
/// placeholders in place) for step `step`, and what it does.
pub fn notebook_command(
    step: &str,
    words: &[String],
    sweep: Option<&Sweep>,
) -> Result<(Vec<String>, Notebook)> {
    let Some((path, options)) = words.split_first() else {
        bail!("the command is empty");
    };
    let mut parameters = Vec::new();
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        match option.as_str() {
            "-p" | "--parameters" | "-r" | "--parameters_raw" => {
                let (Some(name), Some(_value)) = (rest.next(), rest.next()) else {
                    bail!(
                        "notebook {path}: `{option}` needs a name and a value: {option} NAME VALUE"
                    );
                };
                ensure!(
                    !name.is_empty() && !name.contains("{{"),
                    "notebook {path}: a parameter name must be written out, not swept: {option} NAME VALUE"
                );
                parameters.push(name.clone());
            }
            other => bail!(
                "notebook {path}: `{other}` is not a parameter; give parameters as -p NAME VALUE \
                 (papermill's syntax), or run papermill yourself for its other options"
            ),
        }
    }
    let output = output_path(step, sweep)?;
    let notebook = Notebook {
        path: path.clone(),
        output: output.clone(),
        parameters,
        runner: if options.is_empty() {
            Runner::Nbconvert
        } else {
            Runner::Papermill
        },
    };
    let command = match notebook.runner {
        Runner::Nbconvert => {
            let (folder, file) = output.rsplit_once('/').unwrap_or((".", &output));
            let name = file.strip_suffix(".ipynb").unwrap_or(file);
            [
                "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                path,
                "--output-dir",
                folder,
                "--output",
                name,
            ]
            .map(String::from)
            .to_vec()
        }
        // papermill does not create the output folder; `sh` does, and then gets out of the way.
        // The arguments stay arguments: nothing of the user's is shell text.
        Runner::Papermill => [
            "/bin/sh",
            "-c",
            r#"mkdir -p "$(dirname "$2")" && exec python -m papermill "$@""#,
            "papermill",
            path,
            &output,
        ]
        .map(String::from)
        .into_iter()
        .chain(options.iter().cloned())
        .collect(),
    };
    Ok((command, notebook))
}

/// When the tool runs in the notebook (whose image the steps share), a warning for the first
/// step that needs papermill if neither `PATH` (`path_variable`) nor `~/.local/bin` (where
/// `pip install --user` puts it, on the home volume the steps mount) holds it: better said
/// here than by every step failing in the cluster. `exists` tells whether a file exists.
pub fn papermill_missing(
    pipeline: &Pipeline,
    path_variable: Option<&OsStr>,
    home: Option<&Path>,
    exists: impl Fn(&Path) -> bool,
) -> Option<String> {
    let step = pipeline.steps.iter().find(|step| {
        step.overrides.image.is_none()
            && step
                .notebook
                .as_ref()
                .is_some_and(|notebook| notebook.runner == Runner::Papermill)
    })?;
    let mut folders: Vec<std::path::PathBuf> = path_variable
        .map(|path| std::env::split_paths(path).collect())
        .unwrap_or_default();
    folders.extend(home.map(|home| home.join(".local/bin")));
    if folders
        .iter()
        .any(|folder| exists(&folder.join("papermill")))
    {
        return None;
    }
    Some(format!(
        "step {} runs its notebook with papermill (for its parameters), which this notebook does \
         not have, so the steps that share its image will fail; install it on your home volume \
         with `pip install --user papermill` (the steps mount it) or add it to the image",
        step.name
    ))
}

/// `jupyterflow-runs/{{workflow.name}}/STEP.ipynb`; for a sweep a folder per step and a file
/// per point, named by its values (which therefore must not hold a `/`).
fn output_path(step: &str, sweep: Option<&Sweep>) -> Result<String> {
    let run = format!("{OUTPUT_FOLDER}/{WORKFLOW_NAME}");
    let Some(sweep) = sweep else {
        return Ok(format!("{run}/{step}.ipynb"));
    };
    for (index, name) in sweep.parameters.iter().enumerate() {
        if let Some(value) = sweep
            .points
            .iter()
            .map(|point| &point[index])
            .find(|v| v.contains('/'))
        {
            bail!(
                "the swept value {value:?} of `{name}` names an output notebook and so cannot \
                 hold a `/`"
            );
        }
    }
    let point: Vec<String> = sweep
        .parameters
        .iter()
        .map(|name| format!("{name}={}", placeholder(name)))
        .collect();
    Ok(format!("{run}/{step}/{}.ipynb", point.join("_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        shell_words::split(text).unwrap()
    }

    #[test]
    fn notebooks_are_told_by_their_extension() {
        assert!(is_notebook("train.ipynb"));
        assert!(is_notebook("/home/jovyan/a b/train.ipynb"));
        assert!(!is_notebook(".ipynb"));
        assert!(!is_notebook("train.ipynb.py"));
        assert!(!is_notebook("python"));
    }

    #[test]
    fn parameters_run_papermill_into_a_folder_per_run() {
        let (command, notebook) =
            notebook_command("job-2", &words("train.ipynb -p lr 0.1 -r tag 'a b'"), None).unwrap();
        assert_eq!(
            command,
            [
                "/bin/sh",
                "-c",
                r#"mkdir -p "$(dirname "$2")" && exec python -m papermill "$@""#,
                "papermill",
                "train.ipynb",
                "jupyterflow-runs/{{workflow.name}}/job-2.ipynb",
                "-p",
                "lr",
                "0.1",
                "-r",
                "tag",
                "a b"
            ]
        );
        assert_eq!(notebook.runner, Runner::Papermill);
        assert_eq!(notebook.parameters, ["lr", "tag"]);
        assert_eq!(notebook.path, "train.ipynb");
    }

    #[test]
    fn without_parameters_nbconvert_runs_it() {
        let (command, notebook) = notebook_command("prep", &words("nb/prep.ipynb"), None).unwrap();
        assert_eq!(
            command,
            [
                "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "nb/prep.ipynb",
                "--output-dir",
                "jupyterflow-runs/{{workflow.name}}",
                "--output",
                "prep"
            ]
        );
        assert_eq!(notebook.runner, Runner::Nbconvert);
        assert_eq!(
            notebook.output,
            "jupyterflow-runs/{{workflow.name}}/prep.ipynb"
        );
    }

    #[test]
    fn a_sweep_writes_one_notebook_per_point() {
        let sweep = Sweep {
            parameters: vec!["lr".into(), "epochs".into()],
            points: vec![vec!["0.1".into(), "5".into()]],
            parallelism: None,
        };
        let (_, notebook) = notebook_command(
            "job-1",
            &words("t.ipynb -p lr {{inputs.parameters.lr}} -p epochs {{inputs.parameters.epochs}}"),
            Some(&sweep),
        )
        .unwrap();
        assert_eq!(
            notebook.output,
            "jupyterflow-runs/{{workflow.name}}/job-1/lr={{inputs.parameters.lr}}_epochs={{inputs.parameters.epochs}}.ipynb"
        );
        let slashed = Sweep {
            points: vec![vec!["a/b".into(), "5".into()]],
            ..sweep
        };
        let message = notebook_command("job-1", &words("t.ipynb -p lr x"), Some(&slashed))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("\"a/b\" of `lr` names an output notebook"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_papermill_is_named_with_the_fix() {
        let pipeline = crate::pipeline::expression::parse(
            "prep.ipynb >> train.ipynb -p lr 0.1",
            crate::pipeline::CommandMode::Exec,
        )
        .unwrap();
        let path = std::ffi::OsString::from("/usr/bin:/opt/conda/bin");
        let home = Path::new("/home/jovyan");
        let nowhere = |_: &Path| false;
        let message = papermill_missing(&pipeline, Some(&path), Some(home), nowhere).unwrap();
        assert!(
            message.starts_with("step job-2 runs its notebook with papermill"),
            "{message}"
        );
        assert!(
            message.contains("pip install --user papermill"),
            "{message}"
        );
        let in_conda = |p: &Path| p == Path::new("/opt/conda/bin/papermill");
        assert_eq!(
            papermill_missing(&pipeline, Some(&path), Some(home), in_conda),
            None
        );
        let in_home = |p: &Path| p == Path::new("/home/jovyan/.local/bin/papermill");
        assert_eq!(
            papermill_missing(&pipeline, None, Some(home), in_home),
            None
        );
        // nbconvert runs a notebook without parameters: no papermill needed.
        let plain =
            crate::pipeline::expression::parse("prep.ipynb", crate::pipeline::CommandMode::Exec)
                .unwrap();
        assert_eq!(
            papermill_missing(&plain, Some(&path), Some(home), nowhere),
            None
        );
    }

    #[test]
    fn other_options_are_refused_with_the_syntax() {
        let message = |text| {
            notebook_command("s", &words(text), None)
                .unwrap_err()
                .to_string()
        };
        assert!(message("t.ipynb --lr 0.1")
            .contains("`--lr` is not a parameter; give parameters as -p NAME VALUE"));
        assert!(message("t.ipynb -p lr").contains("`-p` needs a name and a value"));
    }
}
