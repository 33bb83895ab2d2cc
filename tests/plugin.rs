//! kubectl-jupyterflow as a kubectl plugin: the krew manifest, the release archive, the
//! completion scripts and helper, the help and version texts, and discovery by the real kubectl.
//!
//! Refresh the goldens (help texts, completion scripts) with `UPDATE_GOLDEN=1 cargo test --test plugin`.
//! The tests that run kubectl fail when it is not on PATH, unless `JF_SKIP_KUBECTL=1`.
//! Ignored: `release_dist` (a release build, minutes: `cargo test --test plugin release_dist -- --ignored`)
//! and `cluster_completion` (needs a control plane:
//! `scripts/control-plane.sh run -- cargo test --test plugin cluster_completion -- --ignored`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use clap_complete::Shell;
use kubectl_jupyterflow::{completion, manual};
use serde::Deserialize;

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

fn host_platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    (os, arch)
}

fn sha256_of(path: &Path) -> String {
    let output = run(Command::new("sha256sum").arg(path));
    stdout(&output)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

// ---- krew manifest ------------------------------------------------------------------------

/// krew's Plugin type (pkg/index), read strictly as krew does.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Plugin {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: PluginSpec,
}

#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PluginSpec {
    version: String,
    #[serde(default)]
    short_description: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    caveats: String,
    #[serde(default)]
    homepage: String,
    #[serde(default)]
    platforms: Vec<Platform>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Platform {
    #[serde(default)]
    uri: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    bin: String,
    files: Option<Vec<FileOperation>>,
    selector: Option<Selector>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOperation {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Selector {
    match_labels: Option<BTreeMap<String, String>>,
    match_expressions: Option<Vec<Requirement>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Requirement {
    key: String,
    operator: String,
    #[serde(default)]
    values: Vec<String>,
}

/// The <os, arch> pairs krew runs on (validate-krew-manifest checks selectors against them).
const KREW_PLATFORMS: [(&str, &str); 11] = [
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("linux", "s390x"),
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
];

impl Selector {
    /// Label-selector semantics, over the labels `os` and `arch` krew matches.
    fn matches(&self, os: &str, arch: &str) -> bool {
        let label = |key: &str| match key {
            "os" => Some(os),
            "arch" => Some(arch),
            _ => None,
        };
        let labels_match = self
            .match_labels
            .iter()
            .flatten()
            .all(|(k, v)| label(k) == Some(v.as_str()));
        let expressions_match = self.match_expressions.iter().flatten().all(|req| {
            let value = label(&req.key);
            match req.operator.as_str() {
                "In" => value.is_some_and(|v| req.values.iter().any(|x| x == v)),
                "NotIn" => value.is_none_or(|v| !req.values.iter().any(|x| x == v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        });
        labels_match && expressions_match
    }
}

/// `v` + semantic version 2.0.0, as krew's semver.Parse accepts it.
fn is_krew_semver(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let (rest, build) = match rest.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (rest, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numeric = |part: &str| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'))
    };
    let identifiers = |text: &str, no_leading_zero: bool| {
        text.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !(no_leading_zero
                    && id.len() > 1
                    && id.starts_with('0')
                    && id.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(|p| identifiers(p, true))
        && build.is_none_or(|b| identifiers(b, false))
}

/// `^[a-z0-9]+(-[a-z0-9]+)*$`, stricter than krew's `^[\w-]+$` as krew-index's naming guide asks.
fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Lines of at most `max` characters, unless a line is one word (krew's line-length check).
fn long_lines(text: &str, max: usize) -> Vec<&str> {
    text.lines()
        .filter(|l| l.chars().count() > max && l.trim().contains(' '))
        .collect()
}

/// Every rule of krew's `pkg/index/validation` and `validate-krew-manifest` (line lengths,
/// platforms that match, no overlapping selectors), for a manifest file named `stem.yaml`.
fn krew_errors(plugin: &Plugin, file_name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let mut fail = |message: String| errors.push(message);
    let Some(stem) = file_name.strip_suffix(".yaml") else {
        return vec![format!(
            "{file_name}: a krew manifest file must end in .yaml"
        )];
    };
    if plugin.api_version != "krew.googlecontainertools.github.com/v1alpha2" {
        fail(format!(
            "apiVersion {:?} is not krew.googlecontainertools.github.com/v1alpha2",
            plugin.api_version
        ));
    }
    if plugin.kind != "Plugin" {
        fail(format!("kind {:?} is not Plugin", plugin.kind));
    }
    let name = &plugin.metadata.name;
    if !is_plugin_name(name) {
        fail(format!(
            "name {name:?} does not match ^[a-z0-9]+(-[a-z0-9]+)*$"
        ));
    }
    if name.starts_with("kubectl") {
        fail(format!("name {name:?} must not start with kubectl"));
    }
    let windows_reserved = [
        "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    ];
    if windows_reserved.contains(&name.to_lowercase().as_str())
        || name.to_lowercase().starts_with("lpt")
    {
        fail(format!("name {name:?} is reserved on Windows"));
    }
    if name != stem {
        fail(format!(
            "metadata.name {name:?} differs from the file name {file_name}"
        ));
    }
    let spec = &plugin.spec;
    if spec.short_description.trim().is_empty() {
        fail("shortDescription is empty".into());
    }
    if spec.short_description.contains(['\r', '\n']) {
        fail("shortDescription has a line break".into());
    }
    if spec.short_description.chars().count() > 70 {
        fail("shortDescription is longer than 70 characters".into());
    }
    for (field, text) in [
        ("description", &spec.description),
        ("caveats", &spec.caveats),
    ] {
        for line in long_lines(text, 80) {
            fail(format!(
                "{field} has a line longer than 80 characters: {line:?}"
            ));
        }
    }
    if !spec.homepage.is_empty() && !spec.homepage.starts_with("https://") {
        fail(format!("homepage {:?} is not https", spec.homepage));
    }
    if !is_krew_semver(&spec.version) {
        fail(format!(
            "version {:?} is not a semantic version with a leading v",
            spec.version
        ));
    }
    if spec.platforms.is_empty() {
        fail("no platforms".into());
    }
    for (i, platform) in spec.platforms.iter().enumerate() {
        let mut fail = |message: String| fail(format!("platforms[{i}]: {message}"));
        if !platform.uri.starts_with("https://") {
            fail(format!("uri {:?} is not https", platform.uri));
        }
        let hex = platform.sha256.len() == 64
            && platform
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            fail(format!(
                "sha256 {:?} does not match ^[a-f0-9]{{64}}$",
                platform.sha256
            ));
        }
        if platform.bin.is_empty() {
            fail("bin is not set".into());
        }
        match &platform.files {
            Some(files) if files.is_empty() => fail("files is set but empty".into()),
            Some(files) => {
                for op in files {
                    if op.from.is_empty() || op.to.is_empty() {
                        fail(format!("files entry {op:?} needs both from and to"));
                    }
                    if op.to.contains("..") || op.to.ends_with('/') && op.to != "/" {
                        fail(format!("files entry to {:?} is not a clean path", op.to));
                    }
                }
            }
            None => {}
        }
        let Some(selector) = &platform.selector else {
            fail("has no selector".into());
            continue;
        };
        if selector.match_labels.is_none()
            && selector
                .match_expressions
                .as_ref()
                .is_none_or(|e| e.is_empty())
        {
            fail("selector is empty".into());
        }
        if selector.match_labels.as_ref().is_some_and(|l| l.is_empty()) {
            fail("matchLabels is specified but empty".into());
        }
        if selector
            .match_expressions
            .as_ref()
            .is_some_and(|e| e.is_empty())
        {
            fail("matchExpressions is specified but empty".into());
        }
        let keys = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .chain(selector.match_expressions.iter().flatten().map(|r| &r.key));
        for key in keys {
            if key != "os" && key != "arch" {
                fail(format!(
                    "selector key {key:?} is not supported (only os and arch)"
                ));
            }
        }
        if !KREW_PLATFORMS
            .iter()
            .any(|(os, arch)| selector.matches(os, arch))
        {
            fail("selector matches no platform krew supports".into());
        }
    }
    for (os, arch) in KREW_PLATFORMS {
        let matching: Vec<usize> = spec
            .platforms
            .iter()
            .enumerate()
            .filter(|(_, p)| p.selector.as_ref().is_some_and(|s| s.matches(os, arch)))
            .map(|(i, _)| i)
            .collect();
        if matching.len() > 1 {
            fail(format!(
                "platforms {matching:?} overlap: all select os={os}/arch={arch}"
            ));
        }
    }
    errors
}

fn read_manifest(path: &Path) -> Plugin {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    kubectl_jupyterflow::yaml::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not a krew Plugin: {err}", path.display()))
}

/// krew's rules plus ours: the four platforms, our binary, the crate's version, the caveats.
fn assert_valid_manifest(plugin: &Plugin, file_name: &str) {
    let errors = krew_errors(plugin, file_name);
    assert!(
        errors.is_empty(),
        "{file_name} breaks krew's rules:\n  {}",
        errors.join("\n  ")
    );
    assert_eq!(
        plugin.spec.version,
        format!("v{VERSION}"),
        "the manifest's version must be Cargo.toml's: update plugin/jupyterflow.yaml"
    );
    for os in ["linux", "darwin"] {
        for arch in ["amd64", "arm64"] {
            let platform = plugin
                .spec
                .platforms
                .iter()
                .find(|p| p.selector.as_ref().is_some_and(|s| s.matches(os, arch)));
            let platform = platform.unwrap_or_else(|| panic!("no platform for {os}/{arch}"));
            assert_eq!(platform.bin, "./kubectl-jupyterflow");
            let archive = format!("kubectl-jupyterflow_v{VERSION}_{os}_{arch}.tar.gz");
            assert!(
                platform.uri.ends_with(&format!("/{archive}")),
                "{os}/{arch}: uri {} is not of {archive}",
                platform.uri
            );
            let files: Vec<&str> = platform
                .files
                .iter()
                .flatten()
                .map(|f| f.from.as_str())
                .collect();
            assert!(
                files.contains(&"kubectl-jupyterflow") && files.contains(&HELPER),
                "{files:?}"
            );
        }
    }
    let caveats = &plugin.spec.caveats;
    assert!(
        caveats.contains("Argo Workflows") && caveats.contains("service account"),
        "{caveats}"
    );
}

#[test]
fn krew_manifest_template_passes_krews_validation() {
    let path = repo("plugin/jupyterflow.yaml");
    assert_valid_manifest(&read_manifest(&path), "jupyterflow.yaml");
}

#[test]
fn krew_validation_rejects_what_krew_rejects() {
    let good = read_manifest(&repo("plugin/jupyterflow.yaml"));
    assert!(krew_errors(&good, "jupyterflow.yaml").is_empty());
    let broken = |change: &dyn Fn(&mut Plugin), file: &str, expected: &str| {
        let mut plugin = good.clone();
        change(&mut plugin);
        let errors = krew_errors(&plugin, file);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "expected {expected:?} in {errors:?}"
        );
    };
    broken(
        &|_| {},
        "kubectl-jupyterflow.yaml",
        "differs from the file name",
    );
    broken(
        &|p| p.metadata.name = "Jupyter_Flow".into(),
        "Jupyter_Flow.yaml",
        "does not match",
    );
    broken(
        &|p| p.metadata.name = "kubectl-jf".into(),
        "kubectl-jf.yaml",
        "must not start with kubectl",
    );
    broken(
        &|p| p.spec.version = "0.1.0".into(),
        "jupyterflow.yaml",
        "leading v",
    );
    broken(
        &|p| p.spec.version = "v0.1".into(),
        "jupyterflow.yaml",
        "leading v",
    );
    broken(
        &|p| p.spec.version = "v01.0.0".into(),
        "jupyterflow.yaml",
        "leading v",
    );
    broken(
        &|p| p.spec.short_description = "two\nlines".into(),
        "jupyterflow.yaml",
        "line break",
    );
    broken(
        &|p| p.spec.platforms[0].sha256 = "A".repeat(64),
        "jupyterflow.yaml",
        "sha256",
    );
    broken(
        &|p| p.spec.platforms[0].sha256 = "ab".into(),
        "jupyterflow.yaml",
        "sha256",
    );
    broken(
        &|p| p.spec.platforms[0].bin.clear(),
        "jupyterflow.yaml",
        "bin is not set",
    );
    broken(
        &|p| p.spec.platforms[0].uri = "http://x/a.tar.gz".into(),
        "jupyterflow.yaml",
        "not https",
    );
    broken(
        &|p| {
            p.spec.platforms[0].files = Some(vec![FileOperation {
                from: "a".into(),
                to: String::new(),
            }])
        },
        "jupyterflow.yaml",
        "needs both",
    );
    broken(
        &|p| p.spec.platforms[1] = p.spec.platforms[0].clone(),
        "jupyterflow.yaml",
        "overlap",
    );
    broken(
        &|p| {
            let selector = p.spec.platforms[0].selector.as_mut().unwrap();
            selector
                .match_labels
                .as_mut()
                .unwrap()
                .insert("distro".into(), "debian".into());
        },
        "jupyterflow.yaml",
        "not supported",
    );
    broken(
        &|p| {
            p.spec.platforms[0].selector = Some(Selector {
                match_labels: None,
                match_expressions: Some(vec![Requirement {
                    key: "os".into(),
                    operator: "In".into(),
                    values: vec!["linux".into(), "darwin".into()],
                }]),
            })
        },
        "jupyterflow.yaml",
        "overlap",
    );
    broken(
        &|p| p.spec.platforms[0].selector = None,
        "jupyterflow.yaml",
        "no selector",
    );
    broken(
        &|p| p.spec.platforms.clear(),
        "jupyterflow.yaml",
        "no platforms",
    );
    assert!(is_krew_semver("v1.2.3-rc.1+build.5") && !is_krew_semver("v1.2.3-01"));
}

// ---- release archive ----------------------------------------------------------------------

/// Runs scripts/dist.sh into `dist_dir`, and checks the archive and the filled manifest.
fn check_dist(dist_dir: &Path, binary: Option<&Path>, release_url: Option<&str>) -> String {
    // Not `isolated`: a release build needs the real $HOME (cargo's and rustup's homes).
    let mut cmd = Command::new("bash");
    cmd.current_dir(REPO)
        .stdin(Stdio::null())
        .arg(repo("scripts/dist.sh"))
        .env("JF_DIST_DIR", dist_dir);
    if let Some(binary) = binary {
        cmd.env("JF_DIST_BINARY", binary);
    }
    if let Some(url) = release_url {
        cmd.env("JF_RELEASE_URL", url);
    }
    run(&mut cmd);

    let (os, arch) = host_platform();
    let archive_name = format!("kubectl-jupyterflow_v{VERSION}_{os}_{arch}.tar.gz");
    let archive = dist_dir.join(&archive_name);
    let listing = stdout(&run(Command::new("tar").arg("-tvzf").arg(&archive)));
    let members: Vec<(&str, &str)> = listing
        .lines()
        .map(|l| {
            (
                l.split_whitespace().next().unwrap(),
                l.split_whitespace().last().unwrap(),
            )
        })
        .collect();
    for (expected, mode) in [
        ("kubectl-jupyterflow", "-rwxr-xr-x"),
        (HELPER, "-rwxr-xr-x"),
        ("LICENSE", "-rw-r--r--"),
        ("README.md", "-rw-r--r--"),
        ("man/kubectl-jupyterflow.1", "-rw-r--r--"),
        ("man/kubectl-jupyterflow-render.1", "-rw-r--r--"),
        ("completions/kubectl-jupyterflow.bash", "-rw-r--r--"),
        ("completions/_kubectl-jupyterflow", "-rw-r--r--"),
        ("completions/kubectl-jupyterflow.fish", "-rw-r--r--"),
    ] {
        assert!(
            members.contains(&(mode, expected)),
            "{archive_name} lacks {expected} ({mode}):\n{listing}"
        );
    }

    // The packed binary is the one given, and runs.
    let unpacked = TempDir::new("dist-unpacked");
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked.0));
    let packed = unpacked.0.join("kubectl-jupyterflow");
    assert_eq!(
        stdout(&run(Command::new(&packed).arg("--version"))),
        format!("kubectl-jupyterflow {VERSION}\n")
    );
    let license = std::fs::read_to_string(unpacked.0.join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0"));

    let sha = sha256_of(&archive);
    let sums = std::fs::read_to_string(dist_dir.join(format!("{archive_name}.sha256"))).unwrap();
    assert_eq!(sums, format!("{sha}  {archive_name}\n"));
    let manifest = read_manifest(&dist_dir.join("jupyterflow.yaml"));
    assert_valid_manifest(&manifest, "jupyterflow.yaml");
    let platform = manifest
        .spec
        .platforms
        .iter()
        .find(|p| p.selector.as_ref().unwrap().matches(os, arch))
        .unwrap();
    assert_eq!(
        platform.sha256, sha,
        "the manifest's sha256 for {os}/{arch} is not the archive's"
    );
    if let Some(url) = release_url {
        assert_eq!(platform.uri, format!("{url}/{archive_name}"));
    }
    sha
}

#[test]
fn dist_script_packs_the_archive_and_fills_the_manifest() {
    let work = TempDir::new("dist");
    // The debug binary, stripped as the release profile strips, so the archive packs fast.
    let binary = work.0.join("kubectl-jupyterflow");
    std::fs::copy(BIN, &binary).unwrap();
    let _ = Command::new("strip").arg(&binary).status();
    let dist_dir = work.0.join("dist");
    let url = "https://example.org/jupyterflow/v0.0.0";
    let sha = check_dist(&dist_dir, Some(&binary), Some(url));

    // The other platforms keep the template's placeholder until their archives are there.
    let manifest = read_manifest(&dist_dir.join("jupyterflow.yaml"));
    let placeholders = manifest
        .spec
        .platforms
        .iter()
        .filter(|p| p.sha256 == "0".repeat(64))
        .count();
    assert_eq!(placeholders, 3);

    // Same inputs, same archive: the sha256 in a manifest can be checked by rebuilding.
    let again = check_dist(&dist_dir, Some(&binary), Some(url));
    assert_eq!(sha, again, "the archive is not reproducible");
}

#[test]
#[ignore = "builds the release binary (fat LTO: minutes); CI runs it: cargo test --test plugin release_dist -- --ignored"]
fn release_dist() {
    let sha = check_dist(&repo("dist"), None, None);
    eprintln!("dist/: archive sha256 {sha}");
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
        ["render", "config", "completions", "version", "help"]
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
        ["render", "config", "completions", "version", "help"],
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
            "kubectl-jupyterflow.1"
        ]
    );
    let render = std::fs::read_to_string(dir.0.join("kubectl-jupyterflow-render.1")).unwrap();
    assert!(
        render.contains("\\-\\-pod\\-file") && render.contains("Examples"),
        "{render}"
    );
}
