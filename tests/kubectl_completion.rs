//! `kubectl jupyterflow <TAB>`: kubectl (1.26+) runs the helper `kubectl_complete-jupyterflow`
//! from PATH, which asks `kubectl-jupyterflow __complete`. The helper alone, through the real
//! kubectl, through kubectl's bash completion, and against a cluster (ignored: needs a control
//! plane, `scripts/control-plane.sh run -- cargo test --test kubectl_completion cluster_completion -- --ignored`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{plugin_path_dir, required_tool, temp_dir, Run, Runner, COMPLETE_HELPER, ROOT};
use kubectl_jupyterflow::completion;

const SUBCOMMANDS: [&str; 6] = ["render", "wait", "config", "completions", "version", "help"];

/// Runs the committed helper as kubectl does: the words after `kubectl jupyterflow`.
fn helper(words: &[&str], path_dir: &Path) -> Run {
    let run = Runner::new(path_dir.join(COMPLETE_HELPER))
        .args(words)
        .path_first(path_dir)
        .run();
    run.assert_ok();
    run
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
    let mode = std::fs::metadata(Path::new(ROOT).join("completions").join(COMPLETE_HELPER))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "completions/{COMPLETE_HELPER} must be executable (git update-index --chmod=+x)"
    );

    let path_dir = plugin_path_dir();
    let run = helper(&[""], path_dir.path());
    assert_eq!(candidates(&run.stdout), SUBCOMMANDS);
    assert!(
        run.stdout.ends_with("\n:4\n") && run.stderr.is_empty(),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.starts_with("render\tWrite an Argo Workflow"),
        "{}",
        run.stdout
    );

    let words = [
        "render",
        "--pod-file",
        "examples/notebook-pod.yaml",
        "--container",
        "",
    ];
    assert_eq!(
        candidates(&helper(&words, path_dir.path()).stdout),
        ["notebook"]
    );
    assert_eq!(
        helper(&["render", "-o", ""], path_dir.path()).stdout,
        "yaml\njson\nname\tkind/name, as kubectl prints it (with --submit)\nmermaid\tthe pipeline's DAG as a Mermaid flowchart (JupyterLab renders it in Markdown cells)\ndot\tthe pipeline's DAG in Graphviz's DOT language (`dot -Tsvg`)\n:4\n"
    );
    assert_eq!(
        helper(&["render", "--pod-file", ""], path_dir.path()).stdout,
        ":0\n",
        "file names for --pod-file"
    );
}

#[test]
fn helper_without_the_plugin_offers_nothing() {
    let dir = temp_dir("helper-alone");
    std::fs::copy(
        Path::new(ROOT).join("completions").join(COMPLETE_HELPER),
        dir.path().join(COMPLETE_HELPER),
    )
    .unwrap();
    let run = Runner::new(dir.path().join(COMPLETE_HELPER))
        .arg("")
        .env("PATH", "/usr/bin:/bin")
        .run();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), (":4\n", ""));
}

#[test]
fn cluster_values_are_skipped_silently_without_credentials() {
    let path_dir = plugin_path_dir();
    for flag in ["--pod", "--container", "--namespace", "--context"] {
        let run = helper(&["render", flag, ""], path_dir.path());
        assert_eq!(
            (run.stdout.as_str(), run.stderr.as_str()),
            (":4\n", ""),
            "{flag}"
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
    let dir = temp_dir("silent");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: silent\n\
             clusters: [{{name: silent, cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}}}]\n\
             users: [{{name: u, user: {{token: t}}}}]\n\
             contexts: [{{name: silent, context: {{cluster: silent, user: u, namespace: jhub}}}}]\n"
        ),
    )
    .unwrap();
    let path_dir = plugin_path_dir();
    let kubeconfig = kubeconfig.to_str().unwrap();
    for flag in ["--pod", "--namespace"] {
        let run = helper(
            &["render", "--kubeconfig", kubeconfig, flag, ""],
            path_dir.path(),
        );
        assert_eq!(
            (run.stdout.as_str(), run.stderr.as_str()),
            (":4\n", ""),
            "{flag}"
        );
        // Not a speed check: giving up is the feature (the README promises at most 1.5 s,
        // completion::LOOKUP_TIMEOUT). Without it, the client's own 10 s attempt timeout would
        // end the look-up; 5 s tells the two apart and leaves room for a loaded machine.
        assert!(
            run.elapsed < Duration::from_secs(5),
            "{flag} took {:?}: the look-up should give up after {:?}",
            run.elapsed,
            completion::LOOKUP_TIMEOUT
        );
    }
    // Contexts come from the kubeconfig alone.
    let run = helper(
        &["render", "--kubeconfig", kubeconfig, "--context", ""],
        path_dir.path(),
    );
    assert_eq!(run.stdout, "silent\tcluster silent\n:4\n");
}

#[test]
fn kubectl_completes_plugin_arguments_through_the_helper() {
    let Some(kubectl) = required_tool("kubectl", "it proves kubectl runs the helper") else {
        return;
    };
    let path_dir = plugin_path_dir();
    let complete = |words: &[&str]| {
        Runner::new(&kubectl)
            .args(["__complete", "jupyterflow"])
            .args(words)
            .path_first(path_dir.path())
            .stdout()
    };
    let out = complete(&[""]);
    assert_eq!(candidates(&out), SUBCOMMANDS, "{out}");
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
    let Some(kubectl) = required_tool("kubectl", "it proves kubectl's bash completion") else {
        return;
    };
    let path_dir = plugin_path_dir();
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
        let out = Runner::new("bash")
            .arg("-c")
            .arg(program)
            .path_first(path_dir.path())
            .stdout();
        out.lines().map(String::from).collect()
    };
    assert_eq!(complete("kubectl jupyterflow re"), ["render"]);
    assert_eq!(complete("kubectl jupyterflow render --dry"), ["--dry-run"]);
    assert_eq!(
        complete("kubectl jupyterflow render --pod-file examples/notebook-pod.yaml --container ''"),
        ["notebook"]
    );
}

#[test]
#[ignore = "needs a control plane: scripts/control-plane.sh run -- cargo test --test kubectl_completion cluster_completion -- --ignored"]
fn cluster_completion_lists_pods_containers_and_namespaces() {
    let kubeconfig = std::env::var("JF_TEST_KUBECONFIG")
        .expect("JF_TEST_KUBECONFIG (set by scripts/control-plane.sh)");
    let kubectl = required_tool("kubectl", "it creates the pod to complete")
        .expect("kubectl: the control plane needs it too");
    let namespace = format!("jf-complete-{}", std::process::id());
    let apply = |yaml: String| {
        Runner::new(&kubectl)
            .args(["--kubeconfig", &kubeconfig, "apply", "-f", "-"])
            .stdin(yaml)
            .run()
            .assert_ok();
    };
    apply(format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {namespace}}}\n"
    ));
    apply(format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: jupyter-alice, namespace: {namespace}}}\n\
         spec: {{containers: [{{name: notebook, image: 'jupyter/scipy-notebook:1'}}, {{name: sidecar, image: busybox}}]}}\n"
    ));
    let path_dir = plugin_path_dir();
    let base = ["render", "--kubeconfig", &kubeconfig, "-n", &namespace];
    let ask = |extra: &[&str]| {
        let words: Vec<&str> = base.iter().chain(extra).copied().collect();
        helper(&words, path_dir.path())
    };
    let run = ask(&["--pod", "jup"]);
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("jupyter-alice\n:4\n", "")
    );
    assert_eq!(
        ask(&["--pod", "jupyter-alice", "--container", ""]).stdout,
        "notebook\tjupyter/scipy-notebook:1\nsidecar\tbusybox\n:4\n"
    );
    assert_eq!(
        ask(&["--pod=jupyter-alice", "--container=s"]).stdout,
        "--container=sidecar\tbusybox\n:4\n"
    );
    let run = helper(
        &[
            "render",
            "--kubeconfig",
            &kubeconfig,
            "--namespace",
            "jf-complete",
        ],
        path_dir.path(),
    );
    assert!(
        candidates(&run.stdout).contains(&namespace.as_str()),
        "{}",
        run.stdout
    );
    Runner::new(&kubectl)
        .args([
            "--kubeconfig",
            &kubeconfig,
            "delete",
            "namespace",
            &namespace,
            "--wait=false",
        ])
        .run();
}
