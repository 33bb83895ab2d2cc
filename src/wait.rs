//! `--wait` and `kubectl jupyterflow wait`: follow one Workflow to its end and exit with its
//! outcome, reporting each step's state changes on stderr.
//!
//! One watch request follows the workflow (no polling): it starts from the resourceVersion of
//! the create's answer (or of one LIST), resumes from the last version seen when the stream
//! ends or the connection drops, and LISTs again only when the server says that version is
//! gone (410). The workflow's own record (`status.nodes`) is the whole source: pods are read
//! only to show the log of a failed step.

pub mod status;
pub mod view;

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Result};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DynamicObject, ListParams, LogParams, WatchEvent, WatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::Api;
use tokio::time::Instant;

use crate::client::{self, Connection, Failure};
use status::{Phase, Progress, WorkflowObject};
use view::Redraw;

/// `--timeout` ran out (the code coreutils `timeout` uses).
pub const EXIT_TIMED_OUT: u8 = 124;
/// Ctrl-C (128 + SIGINT, as a shell reports it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The server ends each watch after this long; it is then resumed (a normal reconnect).
const WATCH_SECONDS: u32 = 290;
/// No event, not even a bookmark, for this long: the connection is taken as dead and resumed.
const WATCH_IDLE_LIMIT: Duration = Duration::from_secs(90);
/// How long the API server may stay out of reach (a restart, a network outage) before giving up.
const RECONNECT_PATIENCE: Duration = Duration::from_secs(180);
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A watch that ends sooner than this without an event counts as trouble (backs off).
const SHORT_WATCH: Duration = Duration::from_secs(1);
/// Logs of failed steps: how many are read, how much of each, and how long a read may take.
const MAX_LOGS_READ: usize = 3;
const LOG_TAIL_LINES: i64 = 20;
const LOG_TIMEOUT: Duration = Duration::from_secs(5);
/// The container Argo runs a step's command in.
const MAIN_CONTAINER: &str = "main";

/// How following ended; each has its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Failed or Errored; the failed steps have been reported.
    Failed,
    TimedOut,
    Interrupted,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Succeeded => 0,
            Outcome::Failed => 1,
            Outcome::TimedOut => EXIT_TIMED_OUT,
            Outcome::Interrupted => EXIT_INTERRUPTED,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FollowOptions {
    /// Give up following after this long (exit 124); the workflow goes on.
    pub timeout: Option<Duration>,
}

/// The workflow name in `NAME`, `workflow/NAME` or `workflow.argoproj.io/NAME` (what
/// `kubectl create -o name` prints); `Err` is a message for a usage error.
pub fn parse_target(text: &str) -> std::result::Result<String, String> {
    let text = text.trim();
    let (kind, name) = match text.split_once('/') {
        Some((kind, name)) => (Some(kind), name),
        None => (None, text),
    };
    if let Some(kind) = kind {
        match kind.to_ascii_lowercase().as_str() {
            "workflow" | "workflows" | "wf" | "workflow.argoproj.io" | "workflows.argoproj.io" => {}
            "cronworkflow" | "cronworkflows" | "cwf" | "cronworkflow.argoproj.io"
            | "cronworkflows.argoproj.io" => return Err(cron_hint(name)),
            _ => {
                return Err(format!(
                    "{text:?} is not a workflow; give NAME or workflow/NAME (as `kubectl create -o name` prints it)"
                ))
            }
        }
    }
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !valid {
        return Err(format!(
            "{name:?} is not a workflow name (lowercase letters, digits, '-' and '.'); give NAME or workflow/NAME"
        ));
    }
    Ok(name.to_string())
}

/// Why a CronWorkflow is not followed, and what to do instead.
pub fn cron_hint(name: &str) -> String {
    let name = if name.is_empty() { "NAME" } else { name };
    format!(
        "a CronWorkflow has no run to wait for yet: it starts a Workflow each time its schedule is \
         due; follow one of its runs with `kubectl jupyterflow wait WORKFLOW` (list them with \
         `kubectl get workflows -l workflows.argoproj.io/cron-workflow={name}`)"
    )
}

/// The one name in what `kubectl create -f - -o name` printed (read from stdin by `wait -`).
pub fn parse_piped_target(text: &str) -> std::result::Result<String, String> {
    let names: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match names.as_slice() {
        [one] => parse_target(one),
        [] => Err(
            "stdin held no workflow name; pipe in what `kubectl create -f - -o name` prints".into(),
        ),
        many => Err(format!(
            "stdin names {} objects ({}); wait follows one workflow: pass its name instead of -",
            many.len(),
            many.join(", ")
        )),
    }
}

pub fn workflow_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Workflow"),
        "workflows",
    )
}

/// Follows workflow `name` in the connection's namespace until it ends, Ctrl-C, or the timeout.
/// `created` is the create's answer when this process just submitted it (saves a LIST).
pub async fn follow(
    connection: &Connection,
    name: &str,
    created: Option<serde_json::Value>,
    options: &FollowOptions,
) -> Result<Outcome> {
    let mut tracker = Tracker::new(name, &connection.namespace);
    let ended = {
        let watching = watch_until_final(connection, name, created, &mut tracker);
        let timeout = async {
            match options.timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        let interrupted = async {
            // If the handler cannot be installed, Ctrl-C keeps its default (ends the process).
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = watching => Ended::Watched(result),
            () = timeout => Ended::TimedOut,
            () = interrupted => Ended::Interrupted,
        }
    };
    tracker.display.settle();
    let again = format!(
        "follow it again with `kubectl jupyterflow wait {name} -n {ns}`, or stop and delete it \
         with `kubectl delete workflow {name} -n {ns}`",
        ns = connection.namespace
    );
    let still = tracker
        .progress
        .as_ref()
        .map(running_summary)
        .unwrap_or_else(|| "not seen yet".to_string());
    match ended {
        Ended::Watched(Err(err)) => Err(err),
        Ended::Watched(Ok(())) => {
            let Some(object) = tracker.finished() else {
                return Err(anyhow!("workflow {name} ended without a final phase"));
            };
            if object.phase() == Phase::Succeeded {
                return Ok(Outcome::Succeeded);
            }
            let lines = failure_report(connection, object).await;
            tracker.display.lines(lines);
            Ok(Outcome::Failed)
        }
        Ended::TimedOut => {
            let limit = options.timeout.unwrap_or_default();
            tracker.display.lines([format!(
                "error: timed out after {} waiting for workflow {name} ({still}); it goes on running: {again}",
                view::format_elapsed(limit.as_millis() as i64)
            )]);
            Ok(Outcome::TimedOut)
        }
        Ended::Interrupted => {
            tracker.display.lines([format!(
                "stopped following workflow {name} ({still}); it goes on running: {again}"
            )]);
            Ok(Outcome::Interrupted)
        }
    }
}

enum Ended {
    Watched(Result<()>),
    TimedOut,
    Interrupted,
}

/// `Running: job-2 Running, job-3 Pending`.
fn running_summary(progress: &Progress) -> String {
    let active: Vec<String> = progress
        .steps
        .iter()
        .filter(|s| matches!(s.phase, Phase::Running | Phase::Pending))
        .map(|s| format!("{} {}", s.name, s.phase.as_str()))
        .collect();
    if active.is_empty() {
        progress.phase.as_str().to_string()
    } else {
        format!("{}: {}", progress.phase.as_str(), active.join(", "))
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The latest version of the workflow, and what has been shown of it.
struct Tracker {
    name: String,
    namespace: String,
    latest: Option<WorkflowObject>,
    progress: Option<Progress>,
    display: Display,
}

impl Tracker {
    fn new(name: &str, namespace: &str) -> Self {
        Tracker {
            name: name.to_string(),
            namespace: namespace.to_string(),
            latest: None,
            progress: None,
            display: Display::for_stderr(),
        }
    }

    fn update(&mut self, object: serde_json::Value) -> Result<()> {
        let object = WorkflowObject::from_json(object).map_err(|err| {
            anyhow!(
                "cannot read the status of workflow {} in namespace {}: {err}",
                self.name,
                self.namespace
            )
        })?;
        let progress = object.progress();
        let changes = status::changes(self.progress.as_ref(), &progress);
        self.display.show(&progress, &changes);
        self.progress = Some(progress);
        self.latest = Some(object);
        Ok(())
    }

    /// The workflow, once it reached a final phase.
    fn finished(&self) -> Option<&WorkflowObject> {
        self.latest.as_ref().filter(|o| o.phase().is_final())
    }

    fn redraw(&mut self) {
        if let Some(progress) = &self.progress {
            self.display.refresh(progress);
        }
    }
}

/// stderr: a live table on a terminal, else one line per change.
enum Display {
    Plain,
    Live {
        redraw: Redraw,
        width: usize,
        frame: Vec<String>,
    },
}

impl Display {
    fn for_stderr() -> Self {
        if !std::io::stderr().is_terminal() {
            return Display::Plain;
        }
        let width = terminal_size::terminal_size_of(std::io::stderr())
            .map(|(w, _)| usize::from(w.0))
            .unwrap_or(80);
        Display::Live {
            redraw: Redraw::default(),
            width,
            frame: Vec::new(),
        }
    }

    fn write(text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }

    fn show(&mut self, progress: &Progress, changes: &[status::Change]) {
        let now = now_ms();
        match self {
            Display::Plain => {
                let text: String = changes
                    .iter()
                    .map(|c| view::change_line(c, progress, now) + "\n")
                    .collect();
                Self::write(&text);
            }
            Display::Live { .. } if changes.is_empty() => {}
            Display::Live { .. } => self.refresh(progress),
        }
    }

    /// On a terminal: redraw (the times move on).
    fn refresh(&mut self, progress: &Progress) {
        if let Display::Live {
            redraw,
            width,
            frame,
        } = self
        {
            *frame = view::table(progress, now_ms(), *width);
            Self::write(&redraw.frame(frame));
        }
    }

    /// A message below the view; on a terminal the table is drawn again under it.
    fn notice(&mut self, line: &str) {
        match self {
            Display::Plain => Self::write(&format!("{line}\n")),
            Display::Live { redraw, frame, .. } => {
                let mut text = redraw.frame(&[]);
                text.push_str(line);
                text.push('\n');
                *redraw = Redraw::default();
                text.push_str(&redraw.frame(frame));
                Self::write(&text);
            }
        }
    }

    /// Leaves the last table on screen; what is written next goes below it.
    fn settle(&mut self) {
        if let Display::Live { redraw, .. } = self {
            *redraw = Redraw::default();
        }
    }

    fn lines<I: IntoIterator<Item = String>>(&mut self, lines: I) {
        let text: String = lines.into_iter().map(|l| l + "\n").collect();
        Self::write(&text);
    }
}

/// What went wrong with one request of the watch loop.
enum Trouble {
    /// 410 Gone: the version to resume from is too old; LIST again.
    Gone,
    /// The server is out of reach or busy; try again after a pause.
    Transient(String),
    /// 403: final until a watch has worked; after that (the permission was there a moment ago) a
    /// restarted API server answers 403 until its RBAC caches are loaded, so it is retried like
    /// `Transient`, within the same patience.
    Forbidden(anyhow::Error),
    Fatal(anyhow::Error),
}

/// Contact with the API server: backoff while it is lost, and for how long it has been.
struct Contact {
    lost_since: Option<Instant>,
    backoff: Duration,
}

impl Contact {
    fn new() -> Self {
        Contact {
            lost_since: None,
            backoff: FIRST_BACKOFF,
        }
    }

    fn is_lost(&self) -> bool {
        self.lost_since.is_some()
    }

    fn restored(&mut self, tracker: &mut Tracker, version: &str) {
        if self.lost_since.take().is_some() {
            tracker
                .display
                .notice(&format!("watch resumed from resourceVersion {version}"));
        }
        self.backoff = FIRST_BACKOFF;
    }

    async fn pause(
        &mut self,
        tracker: &mut Tracker,
        connection: &Connection,
        why: &str,
    ) -> Result<()> {
        let since = match self.lost_since {
            Some(since) => since,
            None => {
                tracker.display.notice(&format!(
                    "lost the watch of workflow {} ({why}); resuming",
                    tracker.name
                ));
                *self.lost_since.insert(Instant::now())
            }
        };
        if since.elapsed() >= RECONNECT_PATIENCE {
            return Err(anyhow!(
                "lost the API server at {} for {}s ({why}); workflow {name} goes on running: follow \
                 it again with `kubectl jupyterflow wait {name} -n {ns}`",
                connection.server,
                RECONNECT_PATIENCE.as_secs(),
                name = tracker.name,
                ns = tracker.namespace
            ));
        }
        tokio::time::sleep(self.backoff).await;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        Ok(())
    }
}

/// Watches until the workflow reaches a final phase (then `tracker.finished()` holds it).
async fn watch_until_final(
    connection: &Connection,
    name: &str,
    created: Option<serde_json::Value>,
    tracker: &mut Tracker,
) -> Result<()> {
    let api: Api<DynamicObject> = Api::namespaced_with(
        connection.client.clone(),
        &connection.namespace,
        &workflow_resource(),
    );
    let selector = format!("metadata.name={name}");
    let (mut version, object) = match created {
        Some(object) => (
            object
                .pointer("/metadata/resourceVersion")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
            object,
        ),
        // The first contact: errors here are the usual ones (credentials, RBAC, no such name).
        None => first_list(connection, &api, &selector, name).await?,
    };
    tracker.update(object)?;
    let mut contact = Contact::new();
    let mut watched = false;
    loop {
        if tracker.finished().is_some() {
            return Ok(());
        }
        let step = match &version {
            Some(from) => watch_once(&api, &selector, from, tracker, &mut contact).await,
            None => relist(&api, &selector, name, tracker).await,
        };
        match step {
            Ok(next) => {
                watched = true;
                version = Some(next)
            }
            Err(Trouble::Gone) => version = None,
            Err(Trouble::Transient(why)) => contact.pause(tracker, connection, &why).await?,
            Err(Trouble::Forbidden(err)) if watched || contact.is_lost() => {
                contact
                    .pause(tracker, connection, &format!("{err:#}"))
                    .await?
            }
            Err(Trouble::Forbidden(err) | Trouble::Fatal(err)) => return Err(err),
        }
    }
}

type Listed = (Option<String>, serde_json::Value);

async fn first_list(
    connection: &Connection,
    api: &Api<DynamicObject>,
    selector: &str,
    name: &str,
) -> Result<Listed> {
    let namespace = &connection.namespace;
    let params = ListParams::default().fields(selector);
    let list = match client::with_retries(|| api.list(&params)).await {
        Ok(list) => list,
        Err(failure) => {
            if let Some(message) = client::unreachable_message(connection, &failure) {
                return Err(anyhow!(message));
            }
            let Failure::Status(status) = failure else {
                return Err(anyhow!("cannot read workflow {name:?}"));
            };
            return Err(match status.code {
                403 => anyhow!(client::forbidden_message(
                    connection,
                    &status,
                    "list",
                    "workflows.argoproj.io",
                    namespace
                )),
                401 => anyhow!(client::unauthorized_message(connection, &status)),
                404 => anyhow!(
                    "the API server at {} has no workflows.argoproj.io: Argo Workflows is not \
                     installed in this cluster (its CRDs are missing)",
                    connection.server
                ),
                code => anyhow!(
                    "cannot read workflow {name:?} in namespace {namespace:?}: {} ({code} {})",
                    status.message,
                    status.reason
                ),
            });
        }
    };
    let Some(object) = list.items.into_iter().next() else {
        return Err(anyhow!(
            "workflow {name:?} not found in namespace {namespace:?}; list them with `kubectl get \
             workflows -n {namespace}`, or pass -n NAMESPACE"
        ));
    };
    let value = serde_json::to_value(&object)?;
    Ok((list.metadata.resource_version, value))
}

/// After 410 Gone: the current state and a version to watch from.
async fn relist(
    api: &Api<DynamicObject>,
    selector: &str,
    name: &str,
    tracker: &mut Tracker,
) -> std::result::Result<String, Trouble> {
    let params = ListParams::default().fields(selector);
    let list = match tokio::time::timeout(client::ATTEMPT_TIMEOUT, api.list(&params)).await {
        Ok(Ok(list)) => list,
        Ok(Err(err)) => return Err(classify(err)),
        Err(_) => return Err(Trouble::Transient("no answer to a LIST".into())),
    };
    let Some(object) = list.items.into_iter().next() else {
        return Err(Trouble::Fatal(anyhow!(
            "workflow {name} was deleted while it ran"
        )));
    };
    let value = serde_json::to_value(&object).map_err(|e| Trouble::Fatal(e.into()))?;
    tracker.update(value).map_err(Trouble::Fatal)?;
    list.metadata
        .resource_version
        .ok_or_else(|| Trouble::Transient("a LIST without a resourceVersion".into()))
}

fn classify(err: kube::Error) -> Trouble {
    match err {
        kube::Error::Api(status) if status.code == 410 => Trouble::Gone,
        kube::Error::Api(status) if status.code == 429 || status.code >= 500 => {
            Trouble::Transient(format!("{} {}", status.code, status.message))
        }
        kube::Error::Api(status) if status.code == 403 => Trouble::Forbidden(anyhow!(
            "forbidden: {}; following a workflow needs verbs get, list and watch on \
             workflows.argoproj.io: ask your admin for the Role in the README (examples/rbac.yaml)",
            status.message
        )),
        kube::Error::Api(status) => Trouble::Fatal(anyhow!(
            "the API server refused to follow the workflow: {} ({} {})",
            status.message,
            status.code,
            status.reason
        )),
        other => Trouble::Transient(client_error_text(&other)),
    }
}

fn client_error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// One watch request, from `from` until the stream ends; returns the version to resume from.
async fn watch_once(
    api: &Api<DynamicObject>,
    selector: &str,
    from: &str,
    tracker: &mut Tracker,
    contact: &mut Contact,
) -> std::result::Result<String, Trouble> {
    let params = WatchParams::default()
        .fields(selector)
        .timeout(WATCH_SECONDS);
    let opened = Instant::now();
    let stream = match tokio::time::timeout(client::ATTEMPT_TIMEOUT, api.watch(&params, from)).await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => return Err(classify(err)),
        Err(_) => return Err(Trouble::Transient("no answer to a watch".into())),
    };
    contact.restored(tracker, from);
    let mut stream = std::pin::pin!(stream);
    let mut version = from.to_string();
    let mut events = 0usize;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let next = tokio::select! {
            next = with_limit(WATCH_IDLE_LIMIT, stream.next()) => next,
            _ = ticker.tick() => {
                tracker.redraw();
                continue;
            }
        };
        let event = match next {
            // Idle for too long: resume on a fresh connection.
            None => return Ok(version),
            Some(None) if events == 0 && opened.elapsed() < SHORT_WATCH => {
                return Err(Trouble::Transient("the watch closed at once".into()))
            }
            Some(None) => return Ok(version),
            Some(Some(Err(err))) => {
                return match classify(err) {
                    Trouble::Fatal(err) => Err(Trouble::Fatal(err)),
                    trouble => {
                        // Keep what was seen: resume from there.
                        if events > 0 {
                            Ok(version)
                        } else {
                            Err(trouble)
                        }
                    }
                };
            }
            Some(Some(Ok(event))) => event,
        };
        events += 1;
        match event {
            WatchEvent::Added(object) | WatchEvent::Modified(object) => {
                if let Some(v) = &object.metadata.resource_version {
                    version = v.clone();
                }
                let value = serde_json::to_value(&object).map_err(|e| Trouble::Fatal(e.into()))?;
                tracker.update(value).map_err(Trouble::Fatal)?;
                if tracker.finished().is_some() {
                    return Ok(version);
                }
            }
            WatchEvent::Bookmark(bookmark) => version = bookmark.metadata.resource_version,
            WatchEvent::Deleted(_) => {
                return Err(Trouble::Fatal(anyhow!(
                    "workflow {} was deleted while it ran (`kubectl delete`, or its TTL ran out)",
                    tracker.name
                )))
            }
            WatchEvent::Error(status) if status.code == 410 => return Err(Trouble::Gone),
            WatchEvent::Error(status) => {
                return Err(Trouble::Transient(format!(
                    "{} {}",
                    status.code, status.message
                )))
            }
        }
    }
}

/// `Some(output)`, or `None` when `limit` passed first.
async fn with_limit<T>(limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, future).await.ok()
}

/// `error: workflow NAME Failed: MESSAGE`, then each failed step with Argo's message and the
/// tail of its log (or the command that shows it).
async fn failure_report(connection: &Connection, object: &WorkflowObject) -> Vec<String> {
    let name = object.name();
    let namespace = &connection.namespace;
    let mut heading = format!("error: workflow {name} {}", object.phase().as_str());
    if let Some(message) = object.status.message.as_deref().filter(|m| !m.is_empty()) {
        heading.push_str(&format!(": {message}"));
    }
    let mut lines = vec![heading];
    let failed = object.failed_pods();
    if failed.is_empty() {
        lines.push(format!(
            "no step failed on its own; see `kubectl get workflow {name} -n {namespace} -o yaml` (status)"
        ));
    }
    for (index, pod) in failed.iter().enumerate() {
        let command = format!(
            "kubectl logs {} -c {MAIN_CONTAINER} -n {namespace}",
            pod.pod
        );
        let message = pod.message.as_deref().unwrap_or("no message from Argo");
        lines.push(format!(
            "step {} {}: {message}",
            pod.step,
            pod.phase.as_str().to_lowercase()
        ));
        if index >= MAX_LOGS_READ {
            lines.push(format!("  its log: {command}"));
            continue;
        }
        match log_tail(connection, &pod.pod).await {
            Ok(text) if text.trim().is_empty() => {
                lines.push(format!("  its log is empty ({command})"))
            }
            Ok(text) => {
                lines.push(format!("  last lines of its log ({command}):"));
                lines.extend(text.lines().map(|line| format!("  | {line}")));
            }
            Err(why) => lines.push(format!(
                "  its log cannot be read from here ({why}); read it with `{command}`"
            )),
        }
    }
    lines
}

async fn log_tail(connection: &Connection, pod: &str) -> std::result::Result<String, String> {
    let pods: Api<Pod> = Api::namespaced(connection.client.clone(), &connection.namespace);
    let params = LogParams {
        container: Some(MAIN_CONTAINER.to_string()),
        tail_lines: Some(LOG_TAIL_LINES),
        limit_bytes: Some(16 * 1024),
        ..LogParams::default()
    };
    match tokio::time::timeout(LOG_TIMEOUT, pods.logs(pod, &params)).await {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(kube::Error::Api(status))) if status.code == 403 => Err(format!(
            "forbidden: the Role needs verb get on pods/log: {}",
            status.message
        )),
        Ok(Err(kube::Error::Api(status))) => Err(status.message.clone()),
        Ok(Err(other)) => Err(client_error_text(&other)),
        Err(_) => Err(format!(
            "the API server did not serve it within {}s",
            LOG_TIMEOUT.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_names_or_what_kubectl_prints() {
        assert_eq!(parse_target("train-x7k2q").unwrap(), "train-x7k2q");
        assert_eq!(parse_target("workflow/train-x7k2q").unwrap(), "train-x7k2q");
        assert_eq!(
            parse_target("workflow.argoproj.io/train-x7k2q\n").unwrap(),
            "train-x7k2q"
        );
        assert_eq!(parse_target("wf/a").unwrap(), "a");
        assert!(parse_target("pod/jupyter-alice")
            .unwrap_err()
            .contains("is not a workflow"));
        assert!(parse_target("Train_1")
            .unwrap_err()
            .contains("not a workflow name"));
        assert!(parse_target("").is_err());
        let cron = parse_target("cronworkflow.argoproj.io/nightly").unwrap_err();
        assert!(
            cron.contains("workflows.argoproj.io/cron-workflow=nightly"),
            "{cron}"
        );
    }

    #[test]
    fn stdin_must_name_exactly_one_workflow() {
        assert_eq!(
            parse_piped_target("\nworkflow.argoproj.io/a-b\n\n").unwrap(),
            "a-b"
        );
        assert!(parse_piped_target("")
            .unwrap_err()
            .contains("no workflow name"));
        let two = parse_piped_target("workflow/a\nworkflow/b\n").unwrap_err();
        assert!(two.contains("2 objects"), "{two}");
    }

    #[test]
    fn exit_codes_are_distinct() {
        let codes = [
            Outcome::Succeeded,
            Outcome::Failed,
            Outcome::TimedOut,
            Outcome::Interrupted,
        ]
        .map(Outcome::exit_code);
        assert_eq!(codes, [0, 1, 124, 130]);
    }

    #[test]
    fn a_summary_names_what_is_still_going() {
        let object = WorkflowObject::from_json(serde_json::json!({
            "metadata": {"name": "wf"},
            "spec": {"entrypoint": "p", "templates": [{"name": "p", "dag": {"tasks": [
                {"name": "a"}, {"name": "b"}]}}]},
            "status": {"phase": "Running", "nodes": {
                "wf-1": {"id": "wf-1", "name": "wf.a", "displayName": "a", "type": "Pod", "phase": "Running"}}},
        }))
        .unwrap();
        assert_eq!(running_summary(&object.progress()), "Running: a Running");
    }
}
