//! One place that builds the Kubernetes client: kubeconfig (`--kubeconfig`, `$KUBECONFIG`,
//! `~/.kube/config`, with `--context`), else the notebook's own service account.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Where Kubernetes mounts a pod's service-account token, CA and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Overrides `SERVICE_ACCOUNT_DIR` (for sidecar setups that mount the token elsewhere).
pub const SERVICE_ACCOUNT_DIR_ENV: &str = "JUPYTERFLOW_SERVICE_ACCOUNT_DIR";

/// A notebook cell should not hang: fail fast when the API server does not answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(20);

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
}

fn kubeconfig_available(options: &ClientOptions) -> bool {
    options.kubeconfig.is_some()
        || std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty())
        || std::env::var_os("HOME").is_some_and(|home| Path::new(&home).join(".kube/config").is_file())
}

pub async fn connect(options: &ClientOptions) -> Result<Connection> {
    let (mut config, source) = if kubeconfig_available(options) {
        from_kubeconfig(options).await?
    } else {
        from_service_account(options).await?
    };
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(READ_TIMEOUT);
    let namespace = options.namespace.clone().unwrap_or_else(|| config.default_namespace.clone());
    let client = Client::try_from(config).context("cannot build the Kubernetes client")?;
    Ok(Connection { client, namespace, source })
}

async fn from_kubeconfig(options: &ClientOptions) -> Result<(Config, String)> {
    let (kubeconfig, shown) = match &options.kubeconfig {
        Some(path) => (
            Kubeconfig::read_from(path).with_context(|| format!("cannot read kubeconfig {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (Kubeconfig::read().context("cannot read the kubeconfig ($KUBECONFIG or ~/.kube/config)")?, "kubeconfig".to_string()),
    };
    let kube_options = KubeConfigOptions { context: options.context.clone(), ..KubeConfigOptions::default() };
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
    let dir = std::env::var_os(SERVICE_ACCOUNT_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SERVICE_ACCOUNT_DIR));
    let host = std::env::var("KUBERNETES_SERVICE_HOST").ok().filter(|h| !h.is_empty());
    let port = std::env::var("KUBERNETES_SERVICE_PORT").ok().filter(|p| !p.is_empty());
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
    let server = if host.contains(':') { format!("https://[{host}]:{port}") } else { format!("https://{host}:{port}") };
    let namespace = std::fs::read_to_string(dir.join("namespace")).ok().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let kubeconfig: Kubeconfig = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "in-cluster", "cluster": {
            "server": server,
            "certificate-authority": dir.join("ca.crt"),
        }}],
        "users": [{"name": "service-account", "user": {"tokenFile": token}}],
        "contexts": [{"name": "in-cluster", "context": {
            "cluster": "in-cluster", "user": "service-account", "namespace": namespace,
        }}],
        "current-context": "in-cluster",
    }))
    .context("cannot describe the in-cluster credentials")?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .with_context(|| format!("cannot use the service account credentials in {}", dir.display()))?;
    Ok((config, format!("service account in {}", dir.display())))
}

/// GETs one pod, with errors a data scientist can act on.
pub async fn get_pod(connection: &Connection, name: &str) -> Result<k8s_openapi::api::core::v1::Pod> {
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(connection.client.clone(), &connection.namespace);
    let namespace = &connection.namespace;
    pods.get(name).await.map_err(|err| match &err {
        kube::Error::Api(status) if status.code == 404 => anyhow::anyhow!(
            "pod {name:?} not found in namespace {namespace:?}; check the name with `kubectl get pods -n {namespace}`, or pass --pod NAME -n NAMESPACE"
        ),
        kube::Error::Api(status) if status.code == 403 => anyhow::anyhow!(
            "forbidden: {} may not get pods in namespace {namespace:?}; the notebook's service account needs the Role from the README (pods: get)",
            connection.source
        ),
        _ => anyhow::Error::new(err).context(format!(
            "cannot read pod {name:?} in namespace {namespace:?} from the API server ({})",
            connection.source
        )),
    })
}
