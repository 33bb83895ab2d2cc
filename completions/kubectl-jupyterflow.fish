# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_jupyterflow_global_optspecs
    string join \n h/help V/version
end

function __fish_kubectl_jupyterflow_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_jupyterflow_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_jupyterflow_using_subcommand
    set -l cmd (__fish_kubectl_jupyterflow_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -s h -l help -d 'Print help'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -f -a "render" -d 'Write an Argo Workflow for your commands to stdout (or create it with --submit)'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -f -a "wait" -d 'Follow a workflow to its end: exit 0 if it succeeded, 1 if it failed'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -f -a "config" -d 'Show the settings of the config file, or write a starter file with --init'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -f -a "completions" -d 'Print a shell completion script, so that <TAB> completes commands and flags'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -f -a "version" -d 'Print the version of kubectl jupyterflow'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -s c -l command -d 'The steps to run, e.g. "python a.py >> [python b.py, python c.py] >> python d.py"; a step with brace lists or ranges ({0.1,0.5}, {1..8}) runs once per combination' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -s f -l filename -d 'A JupyterFlow workflow file (jobs, dags, cmd_mode, schedule; per-job image, env, resources, gpu, node_selector, retries, timeout; run-policy keys: see the README); "-" reads stdin' -r -F
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l pod-file -d 'Read the notebook Pod from a file ("kubectl get pod NAME -o yaml"), "-" for stdin; no cluster access' -r -F
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l pod -d 'The notebook Pod to read from the cluster [default: $HOSTNAME, the notebook\'s own pod]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -s n -l namespace -d 'Namespace of the pod and the workflow [default: kubeconfig context, else the notebook\'s own]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l context -d 'The kubeconfig context to use' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l container -d 'Container of the pod to copy [default: "notebook", else the only container]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l workdir -d 'Working directory of the steps [default: current directory for -c, the file\'s folder for -f]' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l name -d 'Name prefix of the workflow [default: the file\'s name, else the pod\'s name]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l service-account -d 'Service account the steps run as [default: the notebook\'s]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l image -d 'Container image of the steps [default: the notebook\'s]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -s e -l env -d 'Set an environment variable in every step (repeatable)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l cpu -d 'CPU request and limit of every step, e.g. 500m or 2' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l memory -d 'Memory request and limit of every step, e.g. 4Gi' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l gpu -d 'NVIDIA GPUs for every step (the notebook\'s GPUs are not copied)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l node-selector -d 'Add a node selector label for the steps (repeatable)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l parallelism -d 'At most N pods run at once: sweep points and parallel steps [default: no limit]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l label -d 'Add a label to the workflow, e.g. --label ci-run=1234 (repeatable; find runs with -l)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l annotation -d 'Add an annotation to the workflow, e.g. --annotation owner=alice (repeatable)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l on-exit -d 'Run CMD with /bin/sh -c after the pipeline, whatever its outcome; $WORKFLOW_STATUS says which (Succeeded, Failed or Error)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l retries -d 'Retry a failed step up to N times, waiting 10s, 20s, 40s, ... in between' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l step-timeout -d 'A step still running after DURATION fails (e.g. 30m, 2h; each retry gets its own)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l deadline -d 'The whole pipeline fails when still running after DURATION (e.g. 12h)' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l keep-succeeded -d 'Delete a succeeded workflow (and its pods) this long after it ends [default: 1d]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l keep-failed -d 'Delete a failed workflow (and its pods, with their logs) this long after it ends [default: 7d]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l schedule -d 'Make a CronWorkflow that runs on this cron schedule, e.g. "0 3 * * *"' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l timezone -d 'Time zone of the schedule, e.g. Europe/Berlin [default: the controller\'s]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -s o -l output -d 'Output format: yaml or json [default: yaml]; mermaid or dot draw the pipeline\'s DAG instead; with --submit also name [default: "<kind>/<name> created"]' -r -f -a "yaml\t''
json\t''
name\t'kind/name, as kubectl prints it (with --submit)'
mermaid\t'the pipeline\'s DAG as a Mermaid flowchart (JupyterLab renders it in Markdown cells)'
dot\t'the pipeline\'s DAG in Graphviz\'s DOT language (`dot -Tsvg`)'"
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l wait-timeout -d 'With --wait: stop following after this long (exit 124), e.g. 30m; the workflow goes on' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l dry-run -d 'With --submit: "server" asks the API server to validate without storing; "none" creates' -r -f -a "none\t''
server\t''"
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l shell -d 'Run each step as /bin/sh -c "<step>" (pipes, redirects, $VARS inside a step)'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l pin-image -d 'Use the exact image digest the notebook runs (from the pod\'s status) instead of its tag'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l legacy-schedule -d 'Write the pre-3.6 singular `schedule` field instead of `schedules` (Argo older than v3.6)'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l explain -d 'Explain on stderr, one line per field, what was copied from the pod, dropped or overridden'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l submit -d 'Create the workflow in the cluster instead of printing it'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -l wait -d 'With --submit: follow the workflow to its end and exit with its outcome (see `wait --help`)'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand render" -s V -l version -d 'Print version'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand wait" -s n -l namespace -d 'Namespace of the workflow [default: kubeconfig context, else the notebook\'s own]' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand wait" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand wait" -l context -d 'The kubeconfig context to use' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand wait" -l timeout -d 'Stop following after this long (exit 124), e.g. 90s, 30m, 2h; the workflow goes on' -r
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand wait" -s V -l version -d 'Print version'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand config" -l init -d 'Write a commented starter config file (JupyterFlow\'s --generate-config)'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand config" -l force -d 'With --init: overwrite an existing file'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand config" -s h -l help -d 'Print help'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand config" -s V -l version -d 'Print version'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand completions" -s V -l version -d 'Print version'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand version" -s h -l help -d 'Print help'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand version" -s V -l version -d 'Print version'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand help; and not __fish_seen_subcommand_from render wait config completions version help" -f -a "render" -d 'Write an Argo Workflow for your commands to stdout (or create it with --submit)'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand help; and not __fish_seen_subcommand_from render wait config completions version help" -f -a "wait" -d 'Follow a workflow to its end: exit 0 if it succeeded, 1 if it failed'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand help; and not __fish_seen_subcommand_from render wait config completions version help" -f -a "config" -d 'Show the settings of the config file, or write a starter file with --init'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand help; and not __fish_seen_subcommand_from render wait config completions version help" -f -a "completions" -d 'Print a shell completion script, so that <TAB> completes commands and flags'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand help; and not __fish_seen_subcommand_from render wait config completions version help" -f -a "version" -d 'Print the version of kubectl jupyterflow'
complete -c kubectl-jupyterflow -n "__fish_kubectl_jupyterflow_using_subcommand help; and not __fish_seen_subcommand_from render wait config completions version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
