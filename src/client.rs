//! One place that builds the Kubernetes client: kubeconfig (`--kubeconfig`, `$KUBECONFIG`,
//! `~/.kube/config`, with `--context`), else the notebook's own service account.
//!
//! Every request goes through [`Retry`]: each attempt is cut off after [`ATTEMPT_TIMEOUT`], all
//! attempts together after [`TOTAL_TIMEOUT`], so a notebook cell never hangs on a dead API server.
//! The client stack is built here without kube-rs's retry layer (its default backs off for up
//! to 15 retries), because the create in `submit` must decide itself what a retry means.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};
use kube::config::{
    AuthInfo, Cluster, Context as KubeContext, KubeConfigOptions, Kubeconfig, NamedAuthInfo,
    NamedCluster, NamedContext,
};
use kube::core::Status;
use kube::{Api, Client, Config};
use tokio::time::Instant;

use crate::render::gpu_node::{allocatable_gpus, NodeGpus};
use crate::render::pin::{ClaimAccess, ClaimAccessByName};

/// Where Kubernetes mounts a pod's service-account token, CA and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Overrides `SERVICE_ACCOUNT_DIR` (for sidecar setups that mount the token elsewhere).
pub const SERVICE_ACCOUNT_DIR_ENV: &str = "JUPYTERFLOW_SERVICE_ACCOUNT_DIR";

/// TCP connect; a closed port fails at once anyway, a dropped SYN takes this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One request, from sending it to the whole response.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// All attempts of one request together, backoff included.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(20);
const MAX_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// An attempt with less time than this left is not worth starting.
const MIN_ATTEMPT_TIME: Duration = Duration::from_secs(1);

#[derive(Debug, Default, Clone)]
pub struct ClientOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
}

/// A client and the namespace to work in (`-n`, else the context's, else the pod's own).
pub struct Connection {
    pub client: Client,
    pub namespace: String,
    /// What the credentials came from, for messages.
    pub source: String,
    /// The API server's URL, for messages.
    pub server: String,
    /// Who the API server sees, when the credentials say it (see [`token_user`]).
    pub user: Option<String>,
}

fn kubeconfig_available(options: &ClientOptions) -> bool {
    options.kubeconfig.is_some()
        || std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty())
        || std::env::var_os("HOME")
            .is_some_and(|home| Path::new(&home).join(".kube/config").is_file())
}

/// Whether `connect` has credentials to try (a kubeconfig, or a pod's service-account token),
/// checked without any network access: completion skips the cluster at once without them.
pub fn has_credentials(options: &ClientOptions) -> bool {
    let in_pod = std::env::var_os("KUBERNETES_SERVICE_HOST").is_some_and(|h| !h.is_empty());
    kubeconfig_available(options) || (in_pod && service_account_dir().join("token").is_file())
}

fn service_account_dir() -> PathBuf {
    std::env::var_os(SERVICE_ACCOUNT_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SERVICE_ACCOUNT_DIR))
}

pub async fn connect(options: &ClientOptions) -> Result<Connection> {
    let (config, source) = if kubeconfig_available(options) {
        from_kubeconfig(options).await?
    } else {
        from_service_account(options).await?
    };
    let namespace = options
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let user = credentials_token(&config).and_then(|token| token_user(&token));
    let client = build_client(config).context("cannot build the Kubernetes client")?;
    Ok(Connection {
        client,
        namespace,
        source,
        server,
        user,
    })
}

/// The bearer token of the credentials (a kubeconfig's `token` or `tokenFile`, the mounted
/// service-account token), if they use one.
fn credentials_token(config: &Config) -> Option<String> {
    use secrecy::ExposeSecret;
    let auth = &config.auth_info;
    match (&auth.token, &auth.token_file) {
        (Some(token), _) => Some(token.expose_secret().to_string()),
        (None, Some(file)) => std::fs::read_to_string(file).ok(),
        (None, None) => None,
    }
}

/// The user a token stands for, read from its JWT claims without a request: a service account's
/// token names it in `sub` (`system:serviceaccount:NS:NAME`). Not verified (the API server does
/// that on every request); only used to tell whether the steps run as the same account.
pub fn token_user(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["sub"]
        .as_str()
        .filter(|sub| !sub.is_empty())
        .map(str::to_string)
}

/// kube-rs's client stack (base URL, auth, kubeconfig headers, rustls), on a TCP connector with
/// `TCP_NODELAY`: without it, the first request on a new connection waits for the server's
/// delayed ACK of the TLS handshake (Nagle), about 40 ms, which is most of a notebook call.
fn build_client(config: Config) -> Result<Client> {
    use kube::client::ConfigExt;
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let https = config.rustls_https_connector_with_connector(http)?;
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(tower::BoxError::from)
        .service(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https),
        );
    Ok(Client::new(service, config.default_namespace))
}

async fn from_kubeconfig(options: &ClientOptions) -> Result<(Config, String)> {
    let (kubeconfig, shown) = match &options.kubeconfig {
        Some(path) => (
            Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read kubeconfig {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (
            Kubeconfig::read()
                .context("cannot read the kubeconfig ($KUBECONFIG or ~/.kube/config)")?,
            "kubeconfig".to_string(),
        ),
    };
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &kube_options)
        .await
        .with_context(|| match &options.context {
            Some(context) => format!("cannot use context {context:?} of {shown}"),
            None => format!("cannot use {shown}"),
        })?;
    Ok((config, shown))
}

/// The notebook's own service account, as Kubernetes mounts it into a pod.
async fn from_service_account(options: &ClientOptions) -> Result<(Config, String)> {
    if options.context.is_some() {
        bail!("--context needs a kubeconfig, and none was found ($KUBECONFIG, ~/.kube/config); pass --kubeconfig");
    }
    let dir = service_account_dir();
    let host = std::env::var("KUBERNETES_SERVICE_HOST")
        .ok()
        .filter(|h| !h.is_empty());
    let port = std::env::var("KUBERNETES_SERVICE_PORT")
        .ok()
        .filter(|p| !p.is_empty());
    let token = dir.join("token");
    let (Some(host), Some(port)) = (host, port) else {
        bail!(
            "no Kubernetes credentials: no kubeconfig ($KUBECONFIG, ~/.kube/config) and not inside a pod \
             ($KUBERNETES_SERVICE_HOST is unset); pass --kubeconfig, or render offline with --pod-file"
        );
    };
    if !token.is_file() {
        bail!(
            "no Kubernetes credentials in this notebook: {} does not exist, because the pod has no \
             service account token; ask your JupyterHub admin to set a service account for single-user \
             pods (z2jh: singleuser.serviceAccountName), or render offline with --pod-file",
            token.display()
        );
    }
    let server = if host.contains(':') {
        format!("https://[{host}]:{port}")
    } else {
        format!("https://{host}:{port}")
    };
    let namespace = std::fs::read_to_string(dir.join("namespace"))
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let kubeconfig = in_cluster_kubeconfig(server, &dir, namespace);
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .with_context(|| {
            format!(
                "cannot use the service account credentials in {}",
                dir.display()
            )
        })?;
    Ok((config, format!("service account in {}", dir.display())))
}

/// A kubeconfig for the mounted service account, so that kube reads (and refreshes) the token
/// file the same way as a kubeconfig's `tokenFile`.
fn in_cluster_kubeconfig(server: String, dir: &Path, namespace: Option<String>) -> Kubeconfig {
    const CLUSTER: &str = "in-cluster";
    const USER: &str = "service-account";
    Kubeconfig {
        clusters: vec![NamedCluster {
            name: CLUSTER.to_string(),
            cluster: Some(Cluster {
                server: Some(server),
                certificate_authority: Some(dir.join("ca.crt").to_string_lossy().into_owned()),
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: USER.to_string(),
            auth_info: Some(AuthInfo {
                token_file: Some(dir.join("token").to_string_lossy().into_owned()),
                ..AuthInfo::default()
            }),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: CLUSTER.to_string(),
            context: Some(KubeContext {
                cluster: CLUSTER.to_string(),
                user: Some(USER.to_string()),
                namespace,
                ..KubeContext::default()
            }),
            ..NamedContext::default()
        }],
        current_context: Some(CLUSTER.to_string()),
        ..Kubeconfig::default()
    }
}

/// Why one attempt of a request failed.
#[derive(Debug)]
pub enum Failure {
    /// The API server answered with an error status.
    Status(Box<Status>),
    /// No complete answer within the attempt's time.
    Timeout,
    /// No connection, or it broke before the answer was complete.
    Connection(kube::Error),
    /// Anything else (TLS, an unreadable answer, the request itself): retrying will not help.
    Other(kube::Error),
}

impl Failure {
    fn from_kube(err: kube::Error) -> Self {
        match err {
            kube::Error::Api(status) => Failure::Status(status),
            kube::Error::HyperError(_) | kube::Error::Service(_) if is_connection_problem(&err) => {
                Failure::Connection(err)
            }
            other => Failure::Other(other),
        }
    }

    /// Worth another attempt: timeouts, broken connections, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Status(status) => status.code == 429 || status.code >= 500,
            Failure::Timeout | Failure::Connection(_) => true,
            Failure::Other(_) => false,
        }
    }
}

/// A refused, reset or closed connection (transient), as opposed to a TLS or protocol error
/// (tokio-rustls reports those as `InvalidData`), which another attempt would only repeat.
fn is_connection_problem(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return io.kind() != std::io::ErrorKind::InvalidData;
        }
        source = current.source();
    }
    // hyper's "connection closed before message completed" carries no io::Error.
    true
}

/// The innermost cause of an error, e.g. "Connection refused (os error 111)".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Attempts of one request: bounded in number and in total time, with exponential backoff.
pub struct Retry {
    started: Instant,
    attempts: u32,
    backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self::new()
    }
}

impl Retry {
    pub fn new() -> Self {
        Retry {
            started: Instant::now(),
            attempts: 0,
            backoff: FIRST_BACKOFF,
        }
    }

    /// How many attempts were started so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Runs one attempt, cut off when its time is up.
    pub async fn attempt<T>(
        &mut self,
        request: impl Future<Output = std::result::Result<T, kube::Error>>,
    ) -> std::result::Result<T, Failure> {
        self.attempts += 1;
        let left = TOTAL_TIMEOUT
            .saturating_sub(self.started.elapsed())
            .min(ATTEMPT_TIMEOUT);
        match tokio::time::timeout(left, request).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(Failure::from_kube(err)),
            Err(_) => Err(Failure::Timeout),
        }
    }

    /// After a failed attempt: false if it is final, else waits the backoff and returns true.
    pub async fn again(&mut self, failure: &Failure) -> bool {
        if !failure.is_transient() || self.attempts >= MAX_ATTEMPTS {
            return false;
        }
        let left = TOTAL_TIMEOUT.saturating_sub(self.started.elapsed());
        if left < self.backoff + MIN_ATTEMPT_TIME {
            return false;
        }
        tokio::time::sleep(self.backoff).await;
        self.backoff *= 2;
        true
    }
}

/// Runs `request` until it succeeds or fails for good.
pub async fn with_retries<T, F, Fut>(mut request: F) -> std::result::Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, kube::Error>>,
{
    let mut retry = Retry::new();
    loop {
        match retry.attempt(request()).await {
            Ok(value) => return Ok(value),
            Err(failure) => {
                if !retry.again(&failure).await {
                    return Err(failure);
                }
            }
        }
    }
}

/// A message for a failure that is not about the request itself (no answer, no connection,
/// TLS), or `None` when the server answered with a status the caller should explain.
pub fn unreachable_message(connection: &Connection, failure: &Failure) -> Option<String> {
    let server = &connection.server;
    let source = &connection.source;
    match failure {
        Failure::Status(_) => None,
        Failure::Timeout => Some(format!(
            "the Kubernetes API server at {server} did not answer within {}s (credentials: {source}); \
             check that the cluster is up and reachable from here (`kubectl cluster-info`), or render \
             offline with --pod-file",
            TOTAL_TIMEOUT.as_secs()
        )),
        Failure::Connection(err) => Some(format!(
            "cannot reach the Kubernetes API server at {server} ({}; credentials: {source}); check \
             that the cluster is up and that the kubeconfig or --context point at it (`kubectl \
             cluster-info`), or render offline with --pod-file",
            root_cause(err).to_lowercase()
        )),
        Failure::Other(err) => Some(format!(
            "cannot talk to the Kubernetes API server at {server} ({}; credentials: {source})",
            root_cause(err)
        )),
    }
}

/// Who was refused: `User "system:serviceaccount:jhub:notebook"` from a Forbidden message, else
/// the credentials.
fn forbidden_user(connection: &Connection, status: &Status) -> String {
    user_in_message(&status.message)
        .map(str::to_string)
        .unwrap_or_else(|| connection.source.clone())
}

fn user_in_message(message: &str) -> Option<&str> {
    message
        .split_once("User \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(user, _)| user)
}

/// A Forbidden answer as a message that says which permission is missing and where.
pub fn forbidden_message(
    connection: &Connection,
    status: &Status,
    verb: &str,
    resource: &str,
    namespace: &str,
) -> String {
    format!(
        "forbidden: {} may not {verb} {resource} in namespace {namespace:?}; ask your admin to grant \
         the notebook's service account the Role from the README (examples/rbac.yaml: verb {verb} on {resource})",
        forbidden_user(connection, status)
    )
}

/// An Unauthorized answer: the credentials themselves were refused (expired token, wrong user).
pub fn unauthorized_message(connection: &Connection, status: &Status) -> String {
    format!(
        "the API server at {} did not accept the credentials ({}): {}; refresh the kubeconfig or the token",
        connection.server, connection.source, status.message
    )
}

/// GETs one pod, with errors a data scientist can act on.
pub async fn get_pod(connection: &Connection, name: &str) -> Result<Pod> {
    let pods: Api<Pod> = Api::namespaced(connection.client.clone(), &connection.namespace);
    let namespace = &connection.namespace;
    let failure = match with_retries(|| pods.get(name)).await {
        Ok(pod) => return Ok(pod),
        Err(failure) => failure,
    };
    if let Some(message) = unreachable_message(connection, &failure) {
        return Err(anyhow!(message));
    }
    let Failure::Status(status) = failure else {
        return Err(anyhow!("cannot read pod {name:?}"));
    };
    Err(match status.code {
        404 => anyhow!(
            "pod {name:?} not found in namespace {namespace:?}; check the name with `kubectl get pods -n {namespace}`, or pass --pod NAME -n NAMESPACE"
        ),
        403 => anyhow!(forbidden_message(connection, &status, "get", "pods", namespace)),
        401 => anyhow!(unauthorized_message(connection, &status)),
        code => anyhow!(
            "cannot read pod {name:?} in namespace {namespace:?}: {} ({code} {})",
            status.message,
            status.reason
        ),
    })
}

/// Reads the access modes of each claim (one GET per claim). A claim that cannot be read is
/// reported as such; only a failure to reach the server at all is an error.
pub async fn read_claim_access(
    connection: &Connection,
    claims: &[String],
) -> Result<ClaimAccessByName> {
    let api: Api<PersistentVolumeClaim> =
        Api::namespaced(connection.client.clone(), &connection.namespace);
    let mut found = ClaimAccessByName::new();
    for claim in claims {
        let access = match with_retries(|| api.get(claim)).await {
            Ok(pvc) => {
                let status_modes = pvc.status.and_then(|s| s.access_modes).unwrap_or_default();
                let modes = if status_modes.is_empty() {
                    pvc.spec.and_then(|s| s.access_modes).unwrap_or_default()
                } else {
                    status_modes
                };
                ClaimAccess::Modes(modes)
            }
            Err(Failure::Status(status)) if status.code == 404 => ClaimAccess::NotFound,
            Err(Failure::Status(status)) if status.code == 403 => {
                ClaimAccess::Forbidden(forbidden_user(connection, &status))
            }
            Err(failure) => {
                let message = unreachable_message(connection, &failure).unwrap_or_else(|| {
                    format!("cannot read persistentvolumeclaim {claim:?}: {failure:?}")
                });
                return Err(anyhow!(message));
            }
        };
        found.insert(claim.clone(), access);
    }
    Ok(found)
}

/// Reads the GPUs of the notebook's Node (one GET). A Node that may not be read, or is gone,
/// is said so; only a failure to reach the server at all is an error.
pub async fn read_node_gpus(connection: &Connection, node: &str) -> Result<NodeGpus> {
    let api: Api<Node> = Api::all(connection.client.clone());
    match with_retries(|| api.get(node)).await {
        Ok(found) => Ok(NodeGpus::Allocatable(allocatable_gpus(&found))),
        Err(Failure::Status(status)) if status.code == 404 => {
            Ok(NodeGpus::Unreadable(format!("node {node} was not found")))
        }
        Err(Failure::Status(status)) if status.code == 403 => Ok(NodeGpus::Unreadable(format!(
            "{} may not get nodes",
            forbidden_user(connection, &status)
        ))),
        Err(failure) => Err(anyhow!(unreachable_message(connection, &failure)
            .unwrap_or_else(|| format!("cannot read node {node:?}: {failure:?}")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Failure {
        Failure::Status(Box::new(Status {
            code,
            ..Status::default()
        }))
    }

    #[test]
    fn transient_failures_are_timeouts_429_and_5xx() {
        assert!(Failure::Timeout.is_transient());
        for code in [429, 500, 503, 504] {
            assert!(status(code).is_transient(), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 422] {
            assert!(!status(code).is_transient(), "{code}");
        }
    }

    #[test]
    fn tls_errors_are_not_connection_problems() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_connection_problem(&refused));
        let tls = std::io::Error::new(std::io::ErrorKind::InvalidData, "invalid peer certificate");
        assert!(!is_connection_problem(&tls));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_after_the_attempt_limit() {
        let mut calls = 0;
        let failure = with_retries(|| {
            calls += 1;
            async {
                Err::<(), _>(kube::Error::Api(Box::new(Status {
                    code: 503,
                    ..Status::default()
                })))
            }
        })
        .await
        .unwrap_err();
        assert!(
            matches!(&failure, Failure::Status(s) if s.code == 503),
            "{failure:?}"
        );
        assert_eq!(calls, MAX_ATTEMPTS);
    }

    #[tokio::test]
    async fn a_final_failure_is_not_retried() {
        let mut calls = 0;
        let failure = with_retries(|| {
            calls += 1;
            async {
                Err::<(), _>(kube::Error::Api(Box::new(Status {
                    code: 404,
                    ..Status::default()
                })))
            }
        })
        .await
        .unwrap_err();
        assert!(
            matches!(&failure, Failure::Status(s) if s.code == 404),
            "{failure:?}"
        );
        assert_eq!(calls, 1);
    }

    #[test]
    fn a_service_account_token_names_its_account() {
        use base64::Engine;
        let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        let claims = r#"{"iss":"https://kubernetes.default.svc","sub":"system:serviceaccount:jhub:notebook"}"#;
        let token = format!(
            "{}.{}.signature",
            encode(r#"{"alg":"RS256"}"#),
            encode(claims)
        );
        assert_eq!(
            token_user(&format!("{token}\n")).as_deref(),
            Some("system:serviceaccount:jhub:notebook")
        );
        assert_eq!(token_user("an-opaque-static-token"), None);
        assert_eq!(token_user("a.%%%.c"), None);
        let no_subject = format!("x.{}.y", encode(r#"{"iss":"me"}"#));
        assert_eq!(token_user(&no_subject), None);
    }

    #[test]
    fn the_user_is_read_from_a_forbidden_message() {
        let message = "pods \"p\" is forbidden: User \"system:serviceaccount:jhub:notebook\" \
                       cannot get resource \"pods\" in API group \"\" in the namespace \"jhub\"";
        assert_eq!(
            user_in_message(message),
            Some("system:serviceaccount:jhub:notebook")
        );
        assert_eq!(user_in_message("forbidden"), None);
    }
}
