//! The release, checked by the tools that consume it: the krew manifest (krew's own validator
//! and `kubectl krew install`), the archive `scripts/dist.sh` packs, the portable Linux binary
//! (glibc 2.17 at most) and the pip wheel (pip, then kubectl finding it on PATH).
//!
//! Fast tests: the manifest template, and the packaging of the debug binary.
//! Ignored, on the release that `scripts/dist.sh` writes in dist/ (minutes; scripts/test.sh runs
//! them): `scripts/dist.sh && eval "$(scripts/release-tools.sh)" && cargo test --test release -- --ignored`
//!
//! krew and its validator come from `scripts/release-tools.sh` ($JF_KREW_BIN,
//! $JF_VALIDATE_KREW_MANIFEST); kubectl, objdump, python3 and git from PATH. A test whose tool
//! is missing says so and skips, except under `CI=true`, where that is a failure.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod common;
use common::{required_tool, required_tool_from, temp_dir, Run, Runner, BIN, RENDER_ARGS, ROOT};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const HELPER: &str = "kubectl_complete-jupyterflow";
const PLATFORMS: [(&str, &str); 4] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
];
/// The oldest glibc the Linux release runs on (manylinux2014; RHEL 7 and every newer distribution).
const GLIBC_BASELINE: (u32, u32) = (2, 17);

// ---- helpers ------------------------------------------------------------------------------

fn repo(path: &str) -> PathBuf {
    Path::new(ROOT).join(path)
}

/// A tool the release tests need, from `PATH`, or from `$var` for the ones the scripts build.
fn tool(name: &str, var: Option<&str>) -> Option<PathBuf> {
    let why = "it checks the release as its users install it";
    match var {
        Some(var) => required_tool_from(var, name, "eval \"$(scripts/release-tools.sh)\" sets it"),
        None => required_tool(name, why),
    }
}

/// `program ARGS` with the test's PATH and an empty `$HOME`; fails the test unless it exits 0.
fn run_ok<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: impl IntoIterator<Item = S>) -> Run {
    let run = Runner::new(program).args(args).run();
    run.assert_ok();
    run
}

/// `program` that sees only `path` on PATH and `home` as `$HOME` (no kubeconfig, no config file).
fn isolated(program: impl AsRef<OsStr>, home: &Path, path: &[&Path]) -> Runner {
    Runner::new(program).home(home).path(path)
}

/// The manifest the debug binary renders from the example pod: what every shipped binary must print.
fn expected_render() -> String {
    let home = temp_dir("home");
    isolated(BIN, home.path(), &[]).args(RENDER_ARGS).stdout()
}

fn archive_name(os: &str, arch: &str) -> String {
    format!("kubectl-jupyterflow_v{VERSION}_{os}_{arch}.tar.gz")
}

/// Where `scripts/dist.sh` wrote the release ($JF_DIST_DIR, default dist/).
fn dist_dir() -> PathBuf {
    std::env::var_os("JF_DIST_DIR").map_or_else(|| repo("dist"), PathBuf::from)
}

fn dist_file(name: &str) -> PathBuf {
    let path = dist_dir().join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the release first with scripts/dist.sh",
        path.display()
    );
    path
}

/// The wheel `scripts/dist.sh` built for Linux x86_64.
fn dist_wheel() -> PathBuf {
    let name = format!(
        "kubectl_jupyterflow-{VERSION}-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
    );
    dist_file(&name)
}

/// Unpacks the Linux x86_64 release archive into `into`; returns the binary in it.
fn unpack_release_archive(into: &Path) -> PathBuf {
    let archive = dist_file(&archive_name("linux", "amd64"));
    run_ok(
        "tar",
        [
            OsStr::new("-xzf"),
            archive.as_os_str(),
            "-C".as_ref(),
            into.as_os_str(),
        ],
    );
    into.join("kubectl-jupyterflow")
}

fn sha256_of(path: &Path) -> String {
    let sum = run_ok("sha256sum", [path]).stdout;
    sum.split_whitespace().next().unwrap().to_string()
}

// ---- krew manifest ------------------------------------------------------------------------

/// The parts of krew's Plugin that are facts about us (krew's validator checks the rest).
#[derive(Deserialize)]
struct Manifest {
    spec: Spec,
}

#[derive(Deserialize)]
struct Spec {
    version: String,
    platforms: Vec<Platform>,
}

#[derive(Deserialize)]
struct Platform {
    selector: Selector,
    uri: String,
    sha256: String,
    bin: String,
    files: Vec<FileOperation>,
}

#[derive(Deserialize)]
struct Selector {
    #[serde(rename = "matchLabels")]
    match_labels: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct FileOperation {
    from: String,
    to: String,
}

impl Platform {
    fn os_arch(&self) -> (&str, &str) {
        let label = |key: &str| {
            self.selector
                .match_labels
                .get(key)
                .map_or("", String::as_str)
        };
        (label("os"), label("arch"))
    }
}

fn read_manifest(path: &Path) -> Manifest {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    kubectl_jupyterflow::yaml::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not a krew Plugin: {err}", path.display()))
}

/// Our facts: Cargo's version, the four platforms, each packing our binary and helper.
fn assert_our_manifest(manifest: &Manifest, path: &Path) {
    let shown = path.display();
    assert_eq!(
        manifest.spec.version,
        format!("v{VERSION}"),
        "{shown}: the version must be Cargo.toml's (update plugin/jupyterflow.yaml)"
    );
    let platforms: Vec<(&str, &str)> = manifest
        .spec
        .platforms
        .iter()
        .map(Platform::os_arch)
        .collect();
    assert_eq!(platforms, PLATFORMS, "{shown}: platforms");
    let expected_files: BTreeSet<&str> = [
        "kubectl-jupyterflow",
        HELPER,
        "LICENSE",
        "README.md",
        "man",
        "completions",
    ]
    .into();
    for platform in &manifest.spec.platforms {
        let (os, arch) = platform.os_arch();
        assert_eq!(
            platform.bin, "./kubectl-jupyterflow",
            "{shown}: {os}/{arch}"
        );
        let archive = archive_name(os, arch);
        assert!(
            platform.uri.ends_with(&format!("/{archive}")),
            "{shown}: {os}/{arch} downloads {}, not {archive}",
            platform.uri
        );
        let files: BTreeSet<&str> = platform.files.iter().map(|f| f.from.as_str()).collect();
        assert_eq!(files, expected_files, "{shown}: {os}/{arch} files");
        assert!(
            platform.files.iter().all(|f| f.to == "."),
            "{shown}: {os}/{arch}"
        );
    }
}

/// krew's own `validate-krew-manifest` (the check krew-index runs), without installing.
fn validate_with_krew(path: &Path) {
    let Some(validator) = tool("validate-krew-manifest", Some("JF_VALIDATE_KREW_MANIFEST")) else {
        return;
    };
    run_ok(
        validator,
        [
            OsStr::new("--manifest"),
            path.as_os_str(),
            "--skip-install".as_ref(),
        ],
    );
}

#[test]
fn manifest_template_passes_krews_validation() {
    validate_with_krew(&repo("plugin/jupyterflow.yaml"));
}

#[test]
fn manifest_template_has_our_version_platforms_and_files() {
    let path = repo("plugin/jupyterflow.yaml");
    assert_our_manifest(&read_manifest(&path), &path);
}

// ---- release archive ----------------------------------------------------------------------

/// Runs scripts/dist.sh on `binary` into `dist_dir`; checks the archive and the filled manifest.
fn pack(dist_dir: &Path, binary: &Path, release_url: &str) -> String {
    // The real $HOME and PATH: the script runs rustc (cargo's and rustup's homes).
    Runner::new("bash")
        .inherit_env()
        .arg(repo("scripts/dist.sh"))
        .env("JF_DIST_DIR", dist_dir)
        .env("JF_DIST_BINARY", binary)
        .env("JF_RELEASE_URL", release_url)
        .run()
        .assert_ok();

    let archive_name = archive_name("linux", "amd64");
    let archive = dist_dir.join(&archive_name);
    let listing = run_ok("tar", [OsStr::new("-tvzf"), archive.as_os_str()]).stdout;
    let members: Vec<(&str, &str)> = listing
        .lines()
        .filter_map(|l| Some((l.split_whitespace().next()?, l.split_whitespace().last()?)))
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
    let unpacked = temp_dir("unpacked");
    run_ok(
        "tar",
        [
            OsStr::new("-xzf"),
            archive.as_os_str(),
            "-C".as_ref(),
            unpacked.path().as_os_str(),
        ],
    );
    let packed = std::fs::read(unpacked.path().join("kubectl-jupyterflow")).unwrap();
    assert!(
        packed == std::fs::read(binary).unwrap(),
        "the archive packs another binary"
    );

    let sha = sha256_of(&archive);
    let sums = std::fs::read_to_string(dist_dir.join(format!("{archive_name}.sha256"))).unwrap();
    assert_eq!(sums, format!("{sha}  {archive_name}\n"));
    let manifest_path = dist_dir.join("jupyterflow.yaml");
    let manifest = read_manifest(&manifest_path);
    assert_our_manifest(&manifest, &manifest_path);
    validate_with_krew(&manifest_path);
    for platform in &manifest.spec.platforms {
        let (os, arch) = platform.os_arch();
        if (os, arch) == ("linux", "amd64") {
            assert_eq!(
                platform.sha256, sha,
                "the manifest's sha256 is not the archive's"
            );
            assert_eq!(platform.uri, format!("{release_url}/{archive_name}"));
        } else {
            // No archive for it in the folder: the template's placeholder stays.
            assert_eq!(platform.sha256, "0".repeat(64), "{os}/{arch}");
        }
    }
    sha
}

#[test]
fn dist_script_packs_the_archive_and_fills_the_manifest() {
    if (std::env::consts::OS, std::env::consts::ARCH) != ("linux", "x86_64") {
        eprintln!("skipped: the packaging test names the linux/amd64 archive");
        return;
    }
    let work = temp_dir("release");
    // The debug binary, stripped as the release profile strips, so the archive packs fast.
    let binary = work.path().join("kubectl-jupyterflow");
    std::fs::copy(BIN, &binary).unwrap();
    run_ok("strip", [&binary]);
    let dist_dir = work.path().join("dist");
    let url = "https://example.org/jupyterflow/v0.0.0";
    let sha = pack(&dist_dir, &binary, url);
    // Same inputs, same archive: the sha256 in a manifest can be checked by rebuilding.
    assert_eq!(
        sha,
        pack(&dist_dir, &binary, url),
        "the archive is not reproducible"
    );
}

// ---- the release that scripts/dist.sh built -----------------------------------------------

#[test]
#[ignore = "needs the release in dist/: scripts/dist.sh (minutes)"]
fn krew_installs_runs_and_uninstalls_the_release_archive() {
    let (Some(krew), Some(kubectl), Some(git)) = (
        tool("krew", Some("JF_KREW_BIN")),
        tool("kubectl", None),
        tool("git", None),
    ) else {
        return;
    };
    let manifest = dist_file("jupyterflow.yaml");
    let archive = dist_file(&archive_name("linux", "amd64"));
    let home = temp_dir("release");
    let krew_root = temp_dir("release");
    let plugins = temp_dir("release");
    // krew is itself a kubectl plugin; its own links go to $KREW_ROOT/bin.
    std::os::unix::fs::symlink(&krew, plugins.path().join("kubectl-krew")).unwrap();
    let krew_bin = krew_root.path().join("bin");
    let kubectl_dir = kubectl.parent().unwrap();
    let system = [Path::new("/usr/bin"), Path::new("/bin")];
    let path = [
        &[krew_bin.as_path(), plugins.path(), kubectl_dir][..],
        &system,
    ]
    .concat();
    let kubectl_krew = |args: &[&str]| {
        isolated(&kubectl, home.path(), &path)
            .env("KREW_ROOT", krew_root.path())
            .args(args)
    };
    // `list` and `uninstall` need a local index (a git clone); an empty one, no download.
    let index = krew_root.path().join("index/default");
    std::fs::create_dir_all(index.join("plugins")).unwrap();
    run_ok(git, [OsStr::new("init"), "-q".as_ref(), index.as_os_str()]);

    let manifest_arg = format!("--manifest={}", manifest.display());
    let archive_arg = format!("--archive={}", archive.display());
    let installed = kubectl_krew(&["krew", "install", &manifest_arg, &archive_arg]).run();
    installed.assert_ok();
    assert!(
        installed.stderr.contains("Installed plugin: jupyterflow"),
        "{}",
        installed.stderr
    );
    let link = krew_bin.join("kubectl-jupyterflow");
    let target = std::fs::read_link(&link).expect("krew links the plugin into $KREW_ROOT/bin");
    assert!(
        target.starts_with(
            krew_root
                .path()
                .join(format!("store/jupyterflow/v{VERSION}"))
        ),
        "{}",
        target.display()
    );
    let version = kubectl_krew(&["jupyterflow", "--version"]).stdout();
    assert_eq!(version, format!("kubectl-jupyterflow {VERSION}\n"));
    let rendered = kubectl_krew(&["jupyterflow"]).args(RENDER_ARGS).stdout();
    assert_eq!(rendered, expected_render());
    // Installed from a manifest file rather than an index: krew lists it as detached.
    let listed = kubectl_krew(&["krew", "list"]).stdout();
    assert!(
        listed.lines().any(|l| l.trim() == "detached/jupyterflow"),
        "{listed}"
    );

    kubectl_krew(&["krew", "uninstall", "jupyterflow"]).stdout();
    assert!(
        link.symlink_metadata().is_err(),
        "krew uninstall left the link"
    );
    let gone = kubectl_krew(&["jupyterflow", "--version"]).run();
    assert!(!gone.success(), "kubectl still finds the plugin");
}

/// The highest `GLIBC_x.y[.z]` symbol version `objdump -T` lists, and how many symbols need one.
fn newest_glibc_symbol(objdump: &Path, binary: &Path) -> (Vec<u32>, usize) {
    let dump = run_ok(objdump, [OsStr::new("-T"), binary.as_os_str()]).stdout;
    let versions: Vec<Vec<u32>> = dump
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|v| v.split('.').map(|n| n.parse().ok()).collect())
        .collect();
    let newest = versions.iter().max().cloned().unwrap_or_default();
    (newest, versions.len())
}

#[test]
#[ignore = "needs the release in dist/: scripts/dist.sh (minutes)"]
fn release_binary_needs_glibc_2_17_at_most_and_runs() {
    let Some(objdump) = tool("objdump", None) else {
        return;
    };
    let unpacked = temp_dir("release");
    let binary = unpack_release_archive(unpacked.path());
    let (newest, symbols) = newest_glibc_symbol(&objdump, &binary);
    // Dynamically linked against glibc: a build that links none would pass the check vacuously.
    assert!(
        symbols > 10,
        "{} needs no GLIBC_ symbol: not the glibc build",
        binary.display()
    );
    let (major, minor) = GLIBC_BASELINE;
    assert!(
        newest <= vec![major, minor],
        "{} needs GLIBC_{newest:?}, newer than the {major}.{minor} baseline: build it with scripts/dist.sh",
        binary.display()
    );
    eprintln!(
        "{}: newest symbol GLIBC_{newest:?} ({symbols} versioned symbols)",
        binary.display()
    );

    let home = temp_dir("release");
    let version = isolated(&binary, home.path(), &[])
        .arg("--version")
        .stdout();
    assert_eq!(version, format!("kubectl-jupyterflow {VERSION}\n"));
    let rendered = isolated(&binary, home.path(), &[])
        .args(RENDER_ARGS)
        .stdout();
    assert_eq!(rendered, expected_render());
}

#[test]
#[ignore = "needs the release in dist/: scripts/dist.sh (minutes)"]
fn wheel_installs_with_pip_and_kubectl_finds_it() {
    let (Some(python), Some(kubectl)) = (tool("python3", None), tool("kubectl", None)) else {
        return;
    };
    let wheel = dist_wheel();
    let venv = temp_dir("release");
    run_ok(
        &python,
        [OsStr::new("-m"), "venv".as_ref(), venv.path().as_os_str()],
    );
    let venv_bin = venv.path().join("bin");
    // --no-index: the wheel has no dependencies, and nothing else is fetched.
    Runner::new(venv_bin.join("pip"))
        .args([
            "install",
            "--quiet",
            "--no-index",
            "--disable-pip-version-check",
        ])
        .arg(&wheel)
        .stdout();
    let installed = venv_bin.join("kubectl-jupyterflow");
    let unpacked = temp_dir("release");
    assert!(
        std::fs::read(&installed).unwrap()
            == std::fs::read(unpack_release_archive(unpacked.path())).unwrap(),
        "the wheel installs another binary than the release archive packs"
    );

    let home = temp_dir("release");
    let system = [Path::new("/usr/bin"), Path::new("/bin")];
    let rendered = isolated(&installed, home.path(), &[])
        .args(RENDER_ARGS)
        .stdout();
    assert_eq!(rendered, expected_render());

    // A notebook terminal with the venv active: its bin/ first on PATH, kubectl somewhere.
    let path = [
        &[venv_bin.as_path(), kubectl.parent().unwrap()][..],
        &system,
    ]
    .concat();
    let listed = isolated(&kubectl, home.path(), &path)
        .args(["plugin", "list"])
        .stdout();
    assert!(
        listed.lines().any(|l| Path::new(l.trim()) == installed),
        "kubectl plugin list does not show {}:\n{listed}",
        installed.display()
    );
    let version = isolated(&kubectl, home.path(), &path)
        .args(["jupyterflow", "--version"])
        .stdout();
    assert_eq!(version, format!("kubectl-jupyterflow {VERSION}\n"));
}
