#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kubectl_jupyterflow_fuzz::pod_render(data));
