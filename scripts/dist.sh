#!/usr/bin/env bash
# Builds a release of kubectl-jupyterflow for one platform: the pip wheel, the krew archive,
# and the krew manifest that installs it. The binary is built once, by maturin, into the wheel
# (on Linux with zig for glibc 2.17, manylinux2014), and the archive packs that same binary.
#
# Usage:
#   scripts/dist.sh
#
# Writes, in $JF_DIST_DIR (default dist/):
#   kubectl_jupyterflow-X.Y.Z-py3-none-<platform>.whl     the wheel: puts kubectl-jupyterflow in
#                                                           the environment's bin/ (pip install)
#   kubectl-jupyterflow_vX.Y.Z_<os>_<arch>.tar.gz         kubectl-jupyterflow, the completion helper
#                                                           kubectl_complete-jupyterflow, LICENSE,
#                                                           README.md, man/ (man pages), completions/
#                                                           (bash, zsh, fish scripts and how to install)
#   kubectl-jupyterflow_vX.Y.Z_<os>_<arch>.tar.gz.sha256  its checksum, as sha256sum prints it
#   jupyterflow.yaml                                        plugin/jupyterflow.yaml with the uri and
#                                                           sha256 of every vX.Y.Z archive in the folder
# To release for all four platforms, run this on each (or copy their archives into one dist/)
# and run it once more there: the manifest is filled from every archive it finds.
# Needs python3 and Go the first time (scripts/release-tools.sh installs maturin and zig in
# ~/.cache/kubectl-jupyterflow). Cold: about 10 minutes on 2 cores; warm: see BENCHMARKS.md.
#
# Environment read:
#   JF_DIST_DIR        output folder (default: dist)
#   JF_DIST_BINARY     package this binary instead of building the wheel (the tests pass the debug
#                      binary to check the packaging quickly)
#   JF_RELEASE_URL     where the archives will be downloaded from
#                      (default: the homepage of the manifest + /releases/download/vX.Y.Z)
#   SOURCE_DATE_EPOCH  time stamp of the files in the archive (default: the last commit's, else 0),
#                      so the same inputs give the same archive and the same sha256
#   CARGO_TARGET_DIR   where maturin builds (default: ~/.cache/kubectl-jupyterflow/release-target,
#                      so that the release build stays warm across clones)
set -euo pipefail

log() { printf 'dist: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

name=kubectl-jupyterflow
template=plugin/jupyterflow.yaml
version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || die "cannot read the version from Cargo.toml"
tag="v$version"
template_version=$(sed -n 's/^  version: \(.*\)$/\1/p' "$template" | head -n 1)
[ "$template_version" = "$tag" ] ||
    die "$template has version ${template_version:-<none>} but Cargo.toml says $tag: update the manifest"

# This machine's platform: the script runs the binary it packs (version check, man pages).
target=$(rustc -vV | sed -n 's/^host: //p')
case "$target" in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *) die "unsupported target $target: krew archives are built for linux and darwin" ;;
esac
case "$target" in
    x86_64-*) arch=amd64 ;;
    aarch64-*) arch=arm64 ;;
    *) die "unsupported target $target: krew archives are built for amd64 and arm64" ;;
esac

dist_dir=${JF_DIST_DIR:-dist}
mkdir -p "$dist_dir"
dist_dir=$(cd "$dist_dir" && pwd)
homepage=$(sed -n 's/^  homepage: \(.*\)$/\1/p' "$template" | head -n 1)
release_url=${JF_RELEASE_URL:-$homepage/releases/download/$tag}
release_url=${release_url%/}

# ---- the binary --------------------------------------------------------------
if [ -n "${JF_DIST_BINARY:-}" ]; then
    binary=$JF_DIST_BINARY
    log "packaging $binary (JF_DIST_BINARY)"
else
    eval "$(scripts/release-tools.sh)"
    # maturin finds zig as `python3 -m ziglang`, from its own venv.
    PATH=$(dirname "$JF_MATURIN"):$PATH
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${JF_CACHE_DIR:-$HOME/.cache/kubectl-jupyterflow}/release-target}
    portable=()
    [ "$os" = linux ] && portable=(--zig --compatibility manylinux2014)
    wheels=$(mktemp -d "$dist_dir/.wheel.XXXXXX")
    trap 'rm -rf "$wheels"' EXIT
    log "building the wheel: maturin build --release --locked --target $target ${portable[*]-}"
    "$JF_MATURIN" build --release --locked --target "$target" ${portable[@]+"${portable[@]}"} --out "$wheels" >&2
    set -- "$wheels"/*.whl
    [ $# -eq 1 ] && [ -f "$1" ] || die "maturin wrote no single wheel in $wheels"
    wheel=$dist_dir/${1##*/}
    mv -f "$1" "$wheel"
    log "wrote $wheel ($(wc -c <"$wheel" | tr -d ' ') bytes)"
    # The archive packs the very binary the wheel installs.
    binary=$wheels/$name
    python3 - "$wheel" "$binary" <<'PYTHON'
import shutil, sys, zipfile
wheel, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as whl:
    [member] = [m for m in whl.namelist() if m.endswith(".data/scripts/kubectl-jupyterflow")]
    with whl.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
PYTHON
    chmod 0755 "$binary"
fi
[ -x "$binary" ] || die "$binary is not an executable file"
binary_version=$("$binary" --version)
[ "$binary_version" = "$name $version" ] ||
    die "$binary says \"$binary_version\", expected \"$name $version\""

# ---- the archive -------------------------------------------------------------
archive=${name}_${tag}_${os}_${arch}.tar.gz
stage=$(mktemp -d "$dist_dir/.stage.XXXXXX")
trap 'rm -rf "$stage" "${wheels:-}"' EXIT

install -m 0755 "$binary" "$stage/$name"
install -m 0755 completions/kubectl_complete-jupyterflow "$stage/"
install -m 0644 LICENSE README.md "$stage/"
mkdir -p "$stage/man" "$stage/completions"
"$binary" man --dir "$stage/man"
chmod 0644 "$stage"/man/*
install -m 0644 completions/kubectl-jupyterflow.bash completions/_kubectl-jupyterflow \
    completions/kubectl-jupyterflow.fish completions/README.md "$stage/completions/"
[ -s "$stage/man/$name.1" ] || die "the man page $name.1 was not generated"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
members=("$name" kubectl_complete-jupyterflow LICENSE README.md man completions)
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    # Same inputs, same bytes: sorted names, fixed owner and time, no name or time in gzip.
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime="@$SOURCE_DATE_EPOCH" --format=ustar -cf - "${members[@]}" | gzip -n >"$dist_dir/$archive"
else
    tar -C "$stage" -cf - "${members[@]}" | gzip -n >"$dist_dir/$archive"
fi

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    else
        shasum -a 256 "$1" | cut -d ' ' -f 1
    fi
}
sha=$(sha256_of "$dist_dir/$archive")
printf '%s  %s\n' "$sha" "$archive" >"$dist_dir/$archive.sha256"
log "wrote $dist_dir/$archive ($(wc -c <"$dist_dir/$archive" | tr -d ' ') bytes, sha256 $sha)"

# ---- the manifest ------------------------------------------------------------
# Fill uri and sha256 of each platform whose archive is in dist_dir. The template lists, per
# platform, the selector (os, arch) before uri and sha256, which is what this relies on.
fills=()
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
    file=${name}_${tag}_${platform}.tar.gz
    if [ -f "$dist_dir/$file" ]; then
        fills+=("$platform|$release_url/$file|$(sha256_of "$dist_dir/$file")")
    else
        log "no archive for ${platform/_//} in $dist_dir: its sha256 stays a placeholder"
    fi
done
awk -v fills="${fills[*]-}" '
    BEGIN {
        n = split(fills, list, " ")
        for (i = 1; i <= n; i++) {
            split(list[i], part, "|")
            uri[part[1]] = part[2]
            sha[part[1]] = part[3]
        }
    }
    NR == 1 { print "# Written by scripts/dist.sh from plugin/jupyterflow.yaml for the archives in this folder." }
    /^#/ && !started { next }
    { started = 1 }
    /^  - selector:/ { os = ""; arch = "" }
    /^        os: / { os = $2 }
    /^        arch: / { arch = $2 }
    /^    uri: / && ((os "_" arch) in uri) { print "    uri: " uri[os "_" arch]; next }
    /^    sha256: / && ((os "_" arch) in sha) { print "    sha256: \"" sha[os "_" arch] "\""; next }
    { print }
' "$template" >"$dist_dir/jupyterflow.yaml"
log "wrote $dist_dir/jupyterflow.yaml"
