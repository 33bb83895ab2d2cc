//! kubectl-jupyterflow as a kubectl plugin: the completion scripts and helper, the help and
//! version texts, and discovery by the real kubectl. The krew manifest and the release archive
//! are tests/release.rs.
//!
//! Refresh the goldens (help texts, completion scripts) with `UPDATE_GOLDEN=1 cargo test --test plugin`.
//! The tests that run kubectl fail when it is not on PATH, unless `JF_SKIP_KUBECTL=1`.
//! Ignored: `cluster_completion` (needs a control plane:
//! `scripts/control-plane.sh run -- cargo test --test plugin cluster_completion -- --ignored`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use clap_complete::Shell;
use kubectl_jupyterflow::{completion, manual};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-jupyterflow");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const HELPER: &str = "kubectl_complete-jupyterflow";
const RENDER_ARGS: [&str; 7] = [
    "render",
    "--pod-file",
    "examples/notebook-pod.yaml",
    "--workdir",
    "/home/jovyan",
    "-c",
    "python hello.py >> python world.py",
];

// ---- helpers ------------------------------------------------------------------------------

fn repo(path: &str) -> PathBuf {
    Path::new(REPO).join(path)
}

fn updating_goldens() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("jf-plugin-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A command with a predictable environment: no terminal (help is wrapped at clap's default
/// 100 columns), an empty `$HOME` (no config file, no kubeconfig), no cluster variables.
fn isolated(program: impl AsRef<std::ffi::OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(REPO)
        .stdin(Stdio::null())
        .env("HOME", home)
        .env_remove("COLUMNS")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env_remove("JUPYTERFLOW_CONFIG_FILE");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let output = cmd
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cmd:?}: {err}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// The binary with these arguments, in the isolated environment.
fn jupyterflow(args: &[&str], home: &Path) -> String {
    stdout(&run(isolated(BIN, home).args(args)))
}

/// Compares `actual` with the golden file, or rewrites it with `UPDATE_GOLDEN=1`.
fn assert_golden(path: &Path, actual: &str, refresh: &str) {
    if updating_goldens() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a);
        panic!(
            "{} is out of date (first differing line: {}); refresh it with: {refresh}\n--- actual ---\n{actual}",
            path.display(),
            first.map_or("past the end".to_string(), |n| (n + 1).to_string()),
        );
    }
}

/// A folder to put first on PATH: the binary (symlinked, as krew installs it) and the helper.
fn plugin_path_dir(label: &str) -> TempDir {
    let dir = TempDir::new(label);
    std::os::unix::fs::symlink(BIN, dir.0.join("kubectl-jupyterflow")).unwrap();
    std::fs::copy(repo("completions").join(HELPER), dir.0.join(HELPER)).unwrap();
    dir
}

fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// The real kubectl, or `None` when `JF_SKIP_KUBECTL=1` and it is missing.
fn kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file());
    if found.is_none() && std::env::var("JF_SKIP_KUBECTL").as_deref() == Ok("1") {
        eprintln!("kubectl not on PATH: skipped (JF_SKIP_KUBECTL=1)");
        return None;
    }
    Some(found.expect(
        "kubectl is not on PATH: these tests prove discovery with the real kubectl; install kubectl \
         (1.26 or newer) or set JF_SKIP_KUBECTL=1 to skip them",
    ))
}

// ---- completion scripts -------------------------------------------------------------------

const SCRIPTS: [(Shell, &str); 3] = [
    (Shell::Bash, "kubectl-jupyterflow.bash"),
    (Shell::Zsh, "_kubectl-jupyterflow"),
    (Shell::Fish, "kubectl-jupyterflow.fish"),
];

#[test]
fn completion_scripts_match_the_cli() {
    for (shell, file) in SCRIPTS {
        let refresh = format!("cargo run -q -- completions {shell} > completions/{file}   (or UPDATE_GOLDEN=1 cargo test --test plugin)");
        assert_golden(
            &repo("completions").join(file),
            &completion::script(shell),
            &refresh,
        );
    }
}

#[test]
fn completions_subcommand_prints_the_committed_scripts() {
    let home = TempDir::new("completions-home");
    for (shell, file) in SCRIPTS {
        let printed = jupyterflow(&["completions", &shell.to_string()], &home.0);
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
    let script = repo("completions/kubectl-jupyterflow.bash");
    let complete = |line: &str| -> Vec<String> {
        let program = format!(
            "source {script:?}; COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _kubectl__jupyterflow kubectl-jupyterflow \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let output = run(Command::new("bash").arg("-c").arg(program));
        stdout(&output).lines().map(String::from).collect()
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
fn zsh_and_fish_scripts_parse_where_those_shells_exist() {
    for (shell, file, check) in [
        ("zsh", "_kubectl-jupyterflow", "-n"),
        ("fish", "kubectl-jupyterflow.fish", "--no-execute"),
    ] {
        match Command::new(shell)
            .arg(check)
            .arg(repo("completions").join(file))
            .output()
        {
            Ok(output) => assert!(
                output.status.success(),
                "{shell} rejects {file}: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(_) => eprintln!("{shell} is not installed: {file} not parsed"),
        }
    }
}

// ---- the kubectl completion helper ---------------------------------------------------------

/// Runs the committed helper as kubectl does: the words after `kubectl jupyterflow`.
fn helper(words: &[&str], home: &Path, path_dir: &Path) -> (String, String, Duration) {
    let started = Instant::now();
    let output = isolated(path_dir.join(HELPER), home)
        .args(words)
        .env("PATH", path_with(path_dir))
        .output()
        .unwrap();
    assert!(output.status.success(), "{HELPER} {words:?} failed");
    (
        stdout(&output),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        started.elapsed(),
    )
}

fn candidates(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| !l.starts_with(':'))
        .map(|l| l.split('\t').next().unwrap())
        .collect()
}

#[test]
fn helper_is_executable_and_answers_in_cobras_format() {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(repo("completions").join(HELPER))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "completions/{HELPER} must be executable (git update-index --chmod=+x)"
    );

    let home = TempDir::new("helper-home");
    let path_dir = plugin_path_dir("helper-path");
    let (out, err, _) = helper(&[""], &home.0, &path_dir.0);
    assert_eq!(
        candidates(&out),
        ["render", "wait", "config", "completions", "version", "help"]
    );
    assert!(out.ends_with("\n:4\n") && err.is_empty(), "{out}{err}");
    assert!(
        out.lines()
            .next()
            .unwrap()
            .starts_with("render\tWrite an Argo Workflow"),
        "{out}"
    );

    let (out, _, _) = helper(
        &[
            "render",
            "--pod-file",
            "examples/notebook-pod.yaml",
            "--container",
            "",
        ],
        &home.0,
        &path_dir.0,
    );
    assert_eq!(candidates(&out), ["notebook"]);
    let (out, _, _) = helper(&["render", "-o", ""], &home.0, &path_dir.0);
    assert_eq!(
        out,
        "yaml\njson\nname\tkind/name, as kubectl prints it (with --submit)\n:4\n"
    );
    let (out, _, _) = helper(&["render", "--pod-file", ""], &home.0, &path_dir.0);
    assert_eq!(out, ":0\n", "file names for --pod-file");
}

#[test]
fn helper_without_the_plugin_offers_nothing() {
    let home = TempDir::new("helper-alone-home");
    let dir = TempDir::new("helper-alone");
    std::fs::copy(repo("completions").join(HELPER), dir.0.join(HELPER)).unwrap();
    let output = isolated(dir.0.join(HELPER), &home.0)
        .arg("")
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(
        (stdout(&output).as_str(), output.stderr.is_empty()),
        (":4\n", true)
    );
}

#[test]
fn cluster_values_are_skipped_silently_and_fast_without_credentials() {
    let home = TempDir::new("nocreds-home");
    let path_dir = plugin_path_dir("nocreds-path");
    for flag in ["--pod", "--container", "--namespace", "--context"] {
        let (out, err, took) = helper(&["render", flag, ""], &home.0, &path_dir.0);
        assert_eq!((out.as_str(), err.as_str()), (":4\n", ""), "{flag}");
        assert!(
            took < Duration::from_secs(1),
            "{flag} took {took:?} without credentials"
        );
    }
}

#[test]
fn cluster_values_give_up_on_an_api_server_that_does_not_answer() {
    // A local server that accepts connections and never answers: the worst case for a <TAB>.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16).flatten() {
            held.push(stream);
        }
    });
    let home = TempDir::new("silent-home");
    let kubeconfig = home.0.join("kubeconfig");
    let mut file = std::fs::File::create(&kubeconfig).unwrap();
    write!(
        file,
        "apiVersion: v1\nkind: Config\ncurrent-context: silent\n\
         clusters: [{{name: silent, cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}}}]\n\
         users: [{{name: u, user: {{token: t}}}}]\n\
         contexts: [{{name: silent, context: {{cluster: silent, user: u, namespace: jhub}}}}]\n"
    )
    .unwrap();
    let path_dir = plugin_path_dir("silent-path");
    let kubeconfig = kubeconfig.to_str().unwrap();
    for flag in ["--pod", "--namespace"] {
        let (out, err, took) = helper(
            &["render", "--kubeconfig", kubeconfig, flag, ""],
            &home.0,
            &path_dir.0,
        );
        assert_eq!((out.as_str(), err.as_str()), (":4\n", ""), "{flag}");
        assert!(
            took < Duration::from_millis(2500),
            "{flag} took {took:?}: the limit is {:?}",
            completion::LOOKUP_TIMEOUT
        );
    }
    // Contexts come from the kubeconfig alone.
    let (out, _, _) = helper(
        &["render", "--kubeconfig", kubeconfig, "--context", ""],
        &home.0,
        &path_dir.0,
    );
    assert_eq!(out, "silent\tcluster silent\n:4\n");
}

#[test]
#[ignore = "needs a control plane: scripts/control-plane.sh run -- cargo test --test plugin cluster_completion -- --ignored"]
fn cluster_completion_lists_pods_containers_and_namespaces() {
    let kubeconfig = std::env::var("JF_TEST_KUBECONFIG")
        .expect("JF_TEST_KUBECONFIG (set by scripts/control-plane.sh)");
    let kubectl = kubectl().expect("kubectl");
    let home = TempDir::new("cluster-home");
    let namespace = format!("jf-complete-{}", std::process::id());
    let apply = |yaml: String| {
        let mut child = Command::new(&kubectl)
            .args(["--kubeconfig", &kubeconfig, "apply", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(yaml.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    };
    apply(format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {namespace}}}\n"
    ));
    apply(format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: jupyter-alice, namespace: {namespace}}}\n\
         spec: {{containers: [{{name: notebook, image: 'jupyter/scipy-notebook:1'}}, {{name: sidecar, image: busybox}}]}}\n"
    ));
    let path_dir = plugin_path_dir("cluster-path");
    let base = ["render", "--kubeconfig", &kubeconfig, "-n", &namespace];
    let ask = |extra: &[&str]| {
        let words: Vec<&str> = base.iter().chain(extra).copied().collect();
        helper(&words, &home.0, &path_dir.0)
    };
    let (out, err, _) = ask(&["--pod", "jup"]);
    assert_eq!((out.as_str(), err.as_str()), ("jupyter-alice\n:4\n", ""));
    let (out, _, _) = ask(&["--pod", "jupyter-alice", "--container", ""]);
    assert_eq!(
        out,
        "notebook\tjupyter/scipy-notebook:1\nsidecar\tbusybox\n:4\n"
    );
    let (out, _, _) = ask(&["--pod=jupyter-alice", "--container=s"]);
    assert_eq!(out, "--container=sidecar\tbusybox\n:4\n");
    let (out, _, _) = helper(
        &[
            "render",
            "--kubeconfig",
            &kubeconfig,
            "--namespace",
            "jf-complete",
        ],
        &home.0,
        &path_dir.0,
    );
    assert!(candidates(&out).contains(&namespace.as_str()), "{out}");
    let _ = Command::new(&kubectl)
        .args([
            "--kubeconfig",
            &kubeconfig,
            "delete",
            "namespace",
            &namespace,
            "--wait=false",
        ])
        .output();
}

// ---- kubectl discovery ---------------------------------------------------------------------

#[test]
fn kubectl_plugin_list_shows_the_plugin() {
    let Some(kubectl) = kubectl() else { return };
    let home = TempDir::new("list-home");
    let path_dir = plugin_path_dir("list-path");
    let output = isolated(&kubectl, &home.0)
        .args(["plugin", "list"])
        .env("PATH", path_with(&path_dir.0))
        .output()
        .unwrap();
    let listed = stdout(&output);
    let ours = path_dir.0.join("kubectl-jupyterflow");
    assert!(
        listed.lines().any(|l| Path::new(l.trim()) == ours),
        "kubectl plugin list does not show {}:\n{listed}",
        ours.display()
    );
    assert!(
        !listed.contains(HELPER),
        "the completion helper is not a plugin"
    );
}

#[test]
fn kubectl_runs_the_plugin_like_the_binary() {
    let Some(kubectl) = kubectl() else { return };
    let home = TempDir::new("exec-home");
    let path_dir = plugin_path_dir("exec-path");
    let via_kubectl = |args: &[&str]| {
        stdout(&run(isolated(&kubectl, &home.0)
            .arg("jupyterflow")
            .args(args)
            .env("PATH", path_with(&path_dir.0))))
    };
    let direct = |args: &[&str]| jupyterflow(args, &home.0);

    let help = via_kubectl(&["--help"]);
    assert_eq!(help, direct(&["--help"]));
    assert!(
        help.contains("Usage: kubectl jupyterflow <COMMAND>"),
        "{help}"
    );
    assert_eq!(
        via_kubectl(&["version"]),
        format!("kubectl-jupyterflow {VERSION}\n")
    );

    let manifest = via_kubectl(&RENDER_ARGS);
    assert_eq!(manifest, direct(&RENDER_ARGS));
    assert!(
        manifest.contains("kind: Workflow") && manifest.contains("hello.py"),
        "{manifest}"
    );
}

#[test]
fn kubectl_completes_plugin_arguments_through_the_helper() {
    let Some(kubectl) = kubectl() else { return };
    let home = TempDir::new("kcomplete-home");
    let path_dir = plugin_path_dir("kcomplete-path");
    let complete = |words: &[&str]| {
        let output = isolated(&kubectl, &home.0)
            .arg("__complete")
            .arg("jupyterflow")
            .args(words)
            .env("PATH", path_with(&path_dir.0))
            .output()
            .unwrap();
        stdout(&output)
    };
    let out = complete(&[""]);
    assert_eq!(
        candidates(&out),
        ["render", "wait", "config", "completions", "version", "help"],
        "{out}"
    );
    assert!(out.ends_with(":4\n"), "{out}");
    let out = complete(&[
        "render",
        "--pod-file",
        "examples/notebook-pod.yaml",
        "--container",
        "",
    ]);
    assert_eq!(candidates(&out), ["notebook"], "{out}");
    let out = complete(&["render", "--ser"]);
    assert_eq!(candidates(&out), ["--service-account"], "{out}");
}

#[test]
fn kubectl_bash_completion_completes_the_plugin() {
    let Some(kubectl) = kubectl() else { return };
    let home = TempDir::new("kbash-home");
    let path_dir = plugin_path_dir("kbash-path");
    // kubectl's script wants bash-completion's word splitter; a plain one does for these lines.
    let complete = |line: &str| -> Vec<String> {
        let program = format!(
            "_get_comp_words_by_ref() {{ cur=\"${{COMP_WORDS[COMP_CWORD]}}\"; \
               prev=\"${{COMP_WORDS[COMP_CWORD-1]}}\"; words=(\"${{COMP_WORDS[@]}}\"); cword=$COMP_CWORD; }}; \
             source <({kubectl:?} completion bash); \
             COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9; \
             __start_kubectl kubectl \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\" 2>/dev/null; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let output = run(isolated("bash", &home.0)
            .arg("-c")
            .arg(program)
            .env("PATH", path_with(&path_dir.0)));
        stdout(&output).lines().map(String::from).collect()
    };
    assert_eq!(complete("kubectl jupyterflow re"), ["render"]);
    assert_eq!(complete("kubectl jupyterflow render --dry"), ["--dry-run"]);
    assert_eq!(
        complete("kubectl jupyterflow render --pod-file examples/notebook-pod.yaml --container ''"),
        ["notebook"]
    );
}

// ---- help, version, man page ---------------------------------------------------------------

#[test]
fn help_texts_match_the_goldens() {
    let home = TempDir::new("help-home");
    let refresh = "UPDATE_GOLDEN=1 cargo test --test plugin help_texts";
    for (args, file) in [
        (&["--help"][..], "kubectl-jupyterflow.txt"),
        (&["-h"][..], "kubectl-jupyterflow-short.txt"),
        (&["render", "--help"][..], "render.txt"),
        (&["wait", "--help"][..], "wait.txt"),
        (&["config", "--help"][..], "config.txt"),
        (&["completions", "--help"][..], "completions.txt"),
    ] {
        let help = jupyterflow(args, &home.0);
        assert!(
            help.contains("Usage: kubectl jupyterflow"),
            "{args:?}: {help}"
        );
        assert!(
            !help.contains("__complete") && !help.contains("kubectl-jupyterflow man"),
            "{args:?} shows a hidden command"
        );
        assert_golden(&repo("tests/golden/help").join(file), &help, refresh);
    }
    let help = jupyterflow(&["render", "--help"], &home.0);
    assert!(
        help.contains("Examples:") && help.contains("kubectl jupyterflow render -c"),
        "{help}"
    );
}

#[test]
fn version_flag_and_subcommand_print_the_crate_version() {
    let home = TempDir::new("version-home");
    let expected = format!("kubectl-jupyterflow {VERSION}\n");
    assert_eq!(jupyterflow(&["--version"], &home.0), expected);
    assert_eq!(jupyterflow(&["-V"], &home.0), expected);
    assert_eq!(jupyterflow(&["version"], &home.0), expected);
    assert_eq!(manual::version_line(), expected);
}

#[test]
fn man_pages_come_from_the_same_definition() {
    let home = TempDir::new("man-home");
    let page = jupyterflow(&["man"], &home.0);
    assert!(
        page.contains("\n.TH kubectl-jupyterflow 1 "),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(
        page.contains("kubectl jupyterflow") && page.contains("render"),
        "{page}"
    );
    assert!(
        !page.contains("__complete"),
        "the man page shows a hidden command"
    );
    assert_eq!(page, manual::man_page().unwrap());

    let dir = TempDir::new("man-dir");
    jupyterflow(&["man", "--dir", dir.0.to_str().unwrap()], &home.0);
    let mut pages: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "kubectl-jupyterflow-completions.1",
            "kubectl-jupyterflow-config.1",
            "kubectl-jupyterflow-render.1",
            "kubectl-jupyterflow-version.1",
            "kubectl-jupyterflow-wait.1",
            "kubectl-jupyterflow.1"
        ]
    );
    let render = std::fs::read_to_string(dir.0.join("kubectl-jupyterflow-render.1")).unwrap();
    assert!(
        render.contains("\\-\\-pod\\-file") && render.contains("Examples"),
        "{render}"
    );
}
