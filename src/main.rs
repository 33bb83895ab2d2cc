use std::process::ExitCode;

fn main() -> ExitCode {
    kubectl_jupyterflow::main_with_args(std::env::args_os())
}
