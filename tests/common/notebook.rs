//! A notebook in a namespace of its own: the README's account and Role, the notebook pod from
//! a fixture, and a kubeconfig with the account's token; what most cluster tests start from.

use serde_json::Value;

use super::{run, temp_dir, Cluster, Run, TempDir};

/// A namespace with the README's account and Role, a notebook pod from a fixture, and a
/// kubeconfig with the notebook account's token (its context namespace set if `in_context`).
pub struct Notebook {
    pub cluster: Cluster,
    pub namespace: String,
    pub pod: String,
    pub dir: TempDir,
    pub kubeconfig: String,
}

impl Notebook {
    pub fn new(label: &str, fixture: &str, on_node: bool) -> Self {
        Self::with_role(label, fixture, on_node, None, false)
    }

    pub fn with_role(
        label: &str,
        fixture: &str,
        on_node: bool,
        drop_rule: Option<&str>,
        in_context: bool,
    ) -> Self {
        let cluster = Cluster::connect();
        let namespace = cluster.namespace(label);
        cluster.create_rbac(&namespace, drop_rule);
        let pod = cluster.create_pod(&namespace, fixture, on_node);
        let dir = temp_dir(label);
        let kubeconfig = cluster
            .notebook_kubeconfig(dir.path(), &namespace, in_context)
            .display()
            .to_string();
        Notebook {
            cluster,
            namespace,
            pod,
            dir,
            kubeconfig,
        }
    }

    /// `render --pod POD -n NS --kubeconfig K --workdir /home/jovyan ARGS...`
    pub fn render(&self, args: &[&str]) -> Run {
        run(&self.render_args(args), &[], None)
    }

    /// The arguments of `render` (see `render`), to run it another way (`jupyterflow(..).spawn()`).
    pub fn render_args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec![
            "render",
            "--pod",
            &self.pod,
            "-n",
            &self.namespace,
            "--kubeconfig",
            &self.kubeconfig,
            "--workdir",
            "/home/jovyan",
        ];
        all.extend_from_slice(args);
        all
    }

    /// `render --submit -o name ARGS...` (see `render`); the created object's name.
    #[track_caller]
    pub fn submit(&self, args: &[&str]) -> String {
        let mut all = args.to_vec();
        all.extend(["--submit", "-o", "name"]);
        let result = self.render(&all);
        result.assert_ok();
        super::simulated::created_name(&result.stdout)
    }

    pub fn workflows(&self) -> Vec<Value> {
        self.cluster.list(&self.namespace, "workflows")
    }
}
