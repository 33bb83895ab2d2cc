//! The steps' working directory: the notebook's, so relative paths in commands keep working.
//! The steps see the notebook's files there only through a volume they share with it; a
//! directory elsewhere, or on a volume each pod gets new and empty (`emptyDir`, `ephemeral`),
//! holds none of them. Steps whose code comes from an image need no shared volume.

use anyhow::{bail, ensure, Result};
use k8s_openapi::api::core::v1::{Volume, VolumeMount};

use crate::config::Settings;
use crate::pipeline::Pipeline;

/// Where the working directory lies for the steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Under a mount of a volume the steps share with the notebook.
    OnSharedVolume,
    /// On no volume; fine because the steps' code comes from `code_from`.
    OnNoVolume { code_from: String },
}

impl Place {
    /// The `--explain` detail of `workingDir`.
    pub fn explain(&self, workdir: &str) -> String {
        match self {
            Place::OnSharedVolume => workdir.to_string(),
            Place::OnNoVolume { code_from } => format!(
                "{workdir}, on no volume: the steps' code comes from {code_from}, and what they \
                 write there is gone when each step ends"
            ),
        }
    }
}

/// Where the steps' code comes from when every step runs another image than the notebook's:
/// `--image` (or the config file's image), or an `image:` on every job.
pub fn steps_code_from_image(settings: &Settings, pipeline: &Pipeline) -> Option<String> {
    if let Some(image) = &settings.image {
        return Some(format!("the image {} ({})", image.value, image.origin));
    }
    pipeline
        .steps
        .iter()
        .all(|step| step.overrides.image.is_some())
        .then(|| "each job's own image (workflow file)".to_string())
}

/// Checks that the steps will find the notebook's files in `workdir`, given the mounts and
/// volumes they get. On no volume it is an error unless `code_from_image` names where the code
/// comes from instead; on a volume that each pod gets new, it is always one (such a mount would
/// also hide an image's own files there).
pub fn check_workdir(
    workdir: &str,
    mounts: &[VolumeMount],
    volumes: &[Volume],
    code_from_image: Option<&str>,
) -> Result<Place> {
    ensure!(
        workdir.starts_with('/'),
        "working directory {workdir:?} is not an absolute path; pass --workdir /path/inside/the/notebook"
    );
    // The deepest mount wins: a scratch emptyDir inside a shared home hides the home there.
    let holding = mounts
        .iter()
        .filter(|mount| is_under(workdir, &mount.mount_path))
        .max_by_key(|mount| mount.mount_path.trim_end_matches('/').len());
    if let Some(mount) = holding {
        let volume = volumes.iter().find(|v| v.name == mount.name);
        if let Some(kind) = volume.and_then(new_for_each_pod) {
            bail!(
                "working directory {workdir} is on the {kind} volume {:?} (mounted at {}): each \
                 step gets a new, empty one there, so it would not see your files; run from a \
                 directory on shared storage (a PersistentVolumeClaim or NFS) or pass --workdir \
                 DIR there",
                mount.name,
                mount.mount_path
            );
        }
        return Ok(Place::OnSharedVolume);
    }
    if let Some(code_from) = code_from_image {
        return Ok(Place::OnNoVolume {
            code_from: code_from.to_string(),
        });
    }
    let paths: Vec<&str> = mounts.iter().map(|m| m.mount_path.as_str()).collect();
    if paths.is_empty() {
        bail!(
            "working directory {workdir} is on no volume: the notebook mounts no volume the steps \
             can get, so they would not see your files; build an image with the code and pass \
             --image IMAGE (or give every job an image:), or add a volume in the config file"
        );
    }
    bail!(
        "working directory {workdir} is not under a volume the steps get (they will have: {}); \
         run from there or pass --workdir DIR under one of them, or put the code in an image \
         and pass --image IMAGE",
        paths.join(", ")
    )
}

fn is_under(path: &str, mount_path: &str) -> bool {
    let mount_path = mount_path.trim_end_matches('/');
    mount_path.is_empty()
        || path == mount_path
        || path
            .strip_prefix(mount_path)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The kind of a volume that every pod gets new and empty, if it is one.
fn new_for_each_pod(volume: &Volume) -> Option<&'static str> {
    if volume.empty_dir.is_some() {
        Some("emptyDir")
    } else if volume.ephemeral.is_some() {
        Some("ephemeral")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mounts_and_volumes(yaml: &str) -> (Vec<VolumeMount>, Vec<Volume>) {
        #[derive(serde::Deserialize)]
        struct Both {
            mounts: Vec<VolumeMount>,
            volumes: Vec<Volume>,
        }
        let both: Both = crate::yaml::from_str(yaml).expect("mounts and volumes");
        (both.mounts, both.volumes)
    }

    const HOME_WITH_SCRATCH: &str = "
mounts:
- {name: home, mountPath: /home/jovyan}
- {name: scratch, mountPath: /home/jovyan/scratch/}
- {name: generic, mountPath: /work}
volumes:
- {name: home, persistentVolumeClaim: {claimName: claim-alice}}
- {name: scratch, emptyDir: {}}
- name: generic
  ephemeral:
    volumeClaimTemplate:
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
";

    #[test]
    fn a_workdir_on_a_shared_volume_is_fine() {
        let (mounts, volumes) = mounts_and_volumes(HOME_WITH_SCRATCH);
        for workdir in [
            "/home/jovyan",
            "/home/jovyan/project",
            "/home/jovyan/scratchy",
        ] {
            assert_eq!(
                check_workdir(workdir, &mounts, &volumes, None).unwrap(),
                Place::OnSharedVolume,
                "{workdir}"
            );
        }
    }

    #[test]
    fn a_workdir_on_a_volume_new_for_each_pod_is_refused_with_the_fix() {
        let (mounts, volumes) = mounts_and_volumes(HOME_WITH_SCRATCH);
        let error = check_workdir("/home/jovyan/scratch/run", &mounts, &volumes, None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "working directory /home/jovyan/scratch/run is on the emptyDir volume \"scratch\" \
             (mounted at /home/jovyan/scratch/): each step gets a new, empty one there, so it \
             would not see your files; run from a directory on shared storage (a \
             PersistentVolumeClaim or NFS) or pass --workdir DIR there"
        );
        // An image does not help: the empty mount would hide the image's files there.
        let error = check_workdir(
            "/work",
            &mounts,
            &volumes,
            Some("the image x (--image flag)"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("the ephemeral volume \"generic\""),
            "{error}"
        );
    }

    #[test]
    fn a_workdir_on_no_volume_needs_the_code_in_an_image() {
        let (mounts, volumes) = mounts_and_volumes(HOME_WITH_SCRATCH);
        let error = check_workdir("/opt/app", &mounts, &volumes, None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("they will have: /home/jovyan, "), "{error}");
        let place = check_workdir("/opt/app", &mounts, &volumes, Some("each job's own image"));
        assert_eq!(
            place.unwrap().explain("/opt/app"),
            "/opt/app, on no volume: the steps' code comes from each job's own image, and what \
             they write there is gone when each step ends"
        );
        let error = check_workdir("/opt/app", &[], &[], None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("mounts no volume"), "{error}");
        assert!(check_workdir("relative", &mounts, &volumes, None).is_err());
    }
}
