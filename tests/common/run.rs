//! One way to run the binary, or kubectl, a shell, the completion helper, in a controlled
//! environment: only `PATH` and an empty temporary `$HOME` (no config file, no kubeconfig, no
//! cluster variables, no terminal: help wraps at clap's default width), in the repository root;
//! to the end (`run`), or in the background while a test acts on what it prints (`spawn`).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_kubectl-jupyterflow");
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A fresh folder under the system temp dir, removed when dropped.
pub fn temp_dir(label: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("jf-{label}-"))
        .tempdir()
        .expect("create a temporary folder")
}

/// `kubectl-jupyterflow ARGS`, ready to adjust and run.
pub fn jupyterflow<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Runner {
    Runner::new(BIN).args(args)
}

/// Runs the binary with `args`, plus `env`, optionally with stdin (the cluster tests' shorthand).
pub fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut runner = jupyterflow(args);
    for (key, value) in env {
        runner = runner.env(key, value);
    }
    if let Some(text) = stdin {
        runner = runner.stdin(text);
    }
    runner.run()
}

pub struct Runner {
    command: Command,
    stdin: Option<Vec<u8>>,
    close_stdout: bool,
    /// The `$HOME` made for this run, unless the caller gave one: kept until the run ends.
    _home: Option<TempDir>,
}

impl Runner {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let home = temp_dir("home");
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .current_dir(ROOT);
        Runner {
            command,
            stdin: None,
            close_stdout: false,
            _home: Some(home),
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// A `$HOME` the caller keeps across runs (a config file written by one run, read by the next).
    pub fn home(mut self, dir: &Path) -> Self {
        self.command.env("HOME", dir);
        self._home = None;
        self
    }

    /// `dir` first on `PATH` (where kubectl looks for plugins).
    pub fn path_first(mut self, dir: &Path) -> Self {
        let mut dirs = vec![dir.to_path_buf()];
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        self.command
            .env("PATH", std::env::join_paths(dirs).expect("a valid PATH"));
        self
    }

    /// Runs in `dir` instead of the repository root.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// `PATH` is exactly `dirs` (what a user's shell would have), nothing of the test's.
    pub fn path(mut self, dirs: &[&Path]) -> Self {
        self.command
            .env("PATH", std::env::join_paths(dirs).expect("a valid PATH"));
        self
    }

    /// The test's whole environment (e.g. a script that runs cargo needs its homes).
    pub fn inherit_env(mut self) -> Self {
        self.command.envs(std::env::vars_os());
        self._home = None;
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The reader of stdout goes away at once, as with `| head`.
    pub fn close_stdout(mut self) -> Self {
        self.close_stdout = true;
        self
    }

    fn start(&mut self) -> Child {
        let stdin = if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        self.command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // ETXTBSY: a program file just written (the helper copied into a plugin folder) is
        // still open for writing in a child that another test thread forked meanwhile; the
        // child closes it when it execs, so try again.
        const TEXT_FILE_BUSY: i32 = 26;
        let mut attempts = 0;
        loop {
            match self.command.spawn() {
                Err(err) if err.raw_os_error() == Some(TEXT_FILE_BUSY) && attempts < 20 => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                spawned => {
                    return spawned
                        .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", self.command))
                }
            }
        }
    }

    pub fn run(mut self) -> Run {
        let started = Instant::now();
        let mut child = self.start();
        if self.close_stdout {
            drop(child.stdout.take());
        }
        if let Some(bytes) = &self.stdin {
            // A program that exits without reading all of stdin closes the pipe: not our failure.
            let _ = child.stdin.take().unwrap().write_all(bytes);
        }
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    /// Starts it in the background: stdin is written and closed, stdout and stderr are collected
    /// as they come (stderr line by line, readable while it runs).
    pub fn spawn(mut self) -> Spawned {
        let started = Instant::now();
        let mut child = self.start();
        if let Some(bytes) = &self.stdin {
            let _ = child.stdin.take().unwrap().write_all(bytes);
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        let collected = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = collected.lock().unwrap_or_else(|e| e.into_inner());
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut pipe = child.stdout.take().unwrap();
        let stdout_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8(bytes).expect("stdout is UTF-8")
        });
        Spawned {
            child,
            started,
            stderr,
            stderr_reader: Some(stderr_reader),
            stdout_reader: Some(stdout_reader),
            _home: self._home.take(),
        }
    }

    /// Runs, requires success, and returns stdout.
    #[track_caller]
    pub fn stdout(self) -> String {
        let run = self.run();
        run.assert_ok();
        run.stdout
    }
}

/// A run in the background (`Runner::spawn`); killed if dropped before it ends.
pub struct Spawned {
    child: Child,
    started: Instant,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
    stdout_reader: Option<JoinHandle<String>>,
    _home: Option<TempDir>,
}

impl Spawned {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What it wrote to stderr so far (whole lines).
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until stderr holds `needle` (at most 30 s); panics with what it holds otherwise.
    #[track_caller]
    pub fn expect_stderr(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "stderr never showed {needle:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT (Ctrl-C) with `kill`, the program found by `tools::required_tool`.
    pub fn interrupt(&self, kill: &Path) {
        let status = Command::new(kill)
            .args(["-INT", &self.id().to_string()])
            .status()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", kill.display()));
        assert!(status.success(), "kill -INT {} failed", self.id());
    }

    /// Waits for the exit (at most `limit`, else kills it and fails); `elapsed` counts from the
    /// start.
    #[track_caller]
    pub fn finish(mut self, limit: Duration) -> Run {
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            if self.started.elapsed() > limit {
                let _ = self.child.kill();
                panic!("still running after {limit:?}; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = self.started.elapsed();
        self.stderr_reader.take().unwrap().join().unwrap();
        Run {
            code,
            stdout: self.stdout_reader.take().unwrap().join().unwrap(),
            stderr: self.stderr(),
            elapsed,
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // A test that panicked while it ran: no stray process.
        if self.stdout_reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One finished run.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.success(),
            "exit {:?}\nstderr:\n{}",
            self.code,
            self.stderr
        );
        self
    }

    /// Exit 1, nothing on stdout, one `error: ...` line on stderr; returns the line.
    #[track_caller]
    pub fn assert_error(&self) -> &str {
        assert_eq!(
            self.code,
            Some(1),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert_eq!(self.stdout, "", "nothing on stdout on error");
        self.stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("no error line in stderr:\n{}", self.stderr))
    }
}

/// Lines of `text` that start with `needles`, in that order (other lines may come between).
#[track_caller]
pub fn assert_lines_in_order(text: &str, needles: &[&str]) {
    let mut lines = text.lines();
    for needle in needles {
        assert!(
            lines.any(|line| line.starts_with(needle)),
            "no line {needle:?} (in this order) in:\n{text}"
        );
    }
}

/// The README's first command: render the bundled example pod, no cluster needed.
pub const RENDER_ARGS: [&str; 7] = [
    "render",
    "--pod-file",
    "examples/notebook-pod.yaml",
    "--workdir",
    "/home/jovyan",
    "-c",
    "python hello.py >> python world.py",
];

/// kubectl's completion helper for this plugin, as committed in completions/.
pub const COMPLETE_HELPER: &str = "kubectl_complete-jupyterflow";

/// A folder to put first on PATH, as krew installs the plugin: the binary (symlinked) and the
/// completion helper.
pub fn plugin_path_dir() -> TempDir {
    let dir = temp_dir("plugin-path");
    std::os::unix::fs::symlink(BIN, dir.path().join("kubectl-jupyterflow")).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("completions").join(COMPLETE_HELPER),
        dir.path().join(COMPLETE_HELPER),
    )
    .unwrap();
    dir
}
