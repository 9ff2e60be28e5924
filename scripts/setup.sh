#!/usr/bin/env bash
# Prepares a machine to build nb102: a Python venv holding exactly the libtorch that tch 0.24 expects,
# the reference packages used as test oracles, and the `.libtorch` link that `.cargo/config.toml` points at.
#
# Idempotent: a complete venv is reused (a second run takes about a second). The venv lives in a per-user
# cache folder named after the torch version, so every clone on a machine shares one 4.6 GB install.
# A killed run leaves only a temporary folder behind, which the next run removes.
#
# Variables: NB102_VENV (venv folder), NB102_PYTHON (python used to create it).
set -euo pipefail

TORCH_VERSION=2.11.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${NB102_PYTHON:-python3}"
VENV="${NB102_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/nb102/venv-torch-$TORCH_VERSION}"
# The reference implementation and what the golden-file scripts need to write their files (torchvision and
# pillow: the reference's data pipeline, for the training benchmark); used only by scripts and comparisons,
# never by the crates. The reference's metadata pins numpy versions that no longer build on Python 3.11, and
# torchvision's would pull another torch, hence --no-deps.
# maturin builds the Python package (crates/nb102-py); pytest and its dependencies run its compatibility suite.
SCRIPT_PACKAGES=(xautodl==1.0.0 nas-bench-201==2.1 nats-bench==1.8 safetensors==0.8.0 torchvision==0.26.0 pillow==12.0.0
    maturin==1.16.0 pytest==9.2.0 iniconfig==2.3.1 pluggy==1.7.0 packaging==26.4 pygments==2.21.0)

say() { printf 'setup: %s\n' "$*" >&2; }

venv_complete() {
    [[ -f "$1/.nb102-complete" ]] &&
        [[ "$("$1/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null)" == "$TORCH_VERSION" ]]
}

mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9 # one installer at a time per venv; others wait and then reuse its result

if venv_complete "$VENV"; then
    say "reusing $VENV (torch $TORCH_VERSION)"
else
    rm -rf "$VENV" "$VENV".tmp.*
    tmp="$VENV.tmp.$$"
    say "creating $VENV with torch==$TORCH_VERSION (about 2.7 GB to download, once per machine)"
    "$PYTHON" -m venv "$tmp"
    "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check "torch==$TORCH_VERSION" numpy
    touch "$tmp/.nb102-complete"
    # pip and the venv scripts are run as `python -m`, so the folder can move after the install.
    mv "$tmp" "$VENV"
    venv_complete "$VENV" || { say "expected torch $TORCH_VERSION in $VENV, found something else"; exit 1; }
fi

# The script packages are checked on every run, so adding one to the list updates an existing venv.
missing="$("$VENV/bin/python" - "${SCRIPT_PACKAGES[@]}" <<'PY'
import importlib.metadata as m, sys
for spec in sys.argv[1:]:
    name, version = spec.split("==")
    try:
        ok = m.version(name) == version
    except m.PackageNotFoundError:
        ok = False
    if not ok:
        print(spec)
PY
)"
if [[ -n "$missing" ]]; then
    say "installing $(echo $missing)"
    # shellcheck disable=SC2086 # one package per word
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps $missing
fi

site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
ln -sfn "$site/torch" "$ROOT/.libtorch"
[[ -f "$ROOT/.libtorch/lib/libtorch_cpu.so" ]] || { say "expected $ROOT/.libtorch/lib/libtorch_cpu.so, found none"; exit 1; }
# The venv's python is what golden-file scripts run with.
ln -sfn "$VENV" "$ROOT/.venv"
say "libtorch: $ROOT/.libtorch -> $site/torch"

# The Python package `nb102` (crates/nb102-py), built into an abi3 wheel (target/wheels, which the fresh-venv test
# installs) and installed into the venv, again only when a source it is built from changed (a stamp in the venv,
# which checkouts may share, holds their digest) or this checkout has no wheel.
stamp="$VENV/.nb102-wheel"
digest="$(cd "$ROOT" && git ls-files -z Cargo.toml Cargo.lock crates/nb102-py crates/nb102-api crates/nb102-store/src \
    crates/nb102-space/src | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]] || ! compgen -G "$ROOT/target/wheels/nb102-*.whl" >/dev/null; then
    say "building the nb102 wheel (crates/nb102-py)"
    rm -rf "$ROOT/target/wheels"
    (cd "$ROOT/crates/nb102-py" && "$VENV/bin/python" -m maturin build --release --quiet -o "$ROOT/target/wheels" >&2)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall \
        "$ROOT"/target/wheels/nb102-*.whl
    echo "$digest" >"$stamp"
fi
say "nb102 for Python: installed in $VENV"

# Real Fashion-MNIST (Debian's dataset-fashion-mnist, 30 MB) for nb102-train's real-data test and the demo
# benchmark. Installed when missing and this user can; otherwise the test says where it looked.
FASHION=/usr/share/datasets/fashion-mnist
if [[ -f "$FASHION/train-images-idx3-ubyte.gz" ]]; then
    say "Fashion-MNIST: $FASHION"
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing dataset-fashion-mnist into $FASHION"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
else
    say "Fashion-MNIST not at $FASHION and apt-get not usable here: set NB102_FASHION_MNIST_DIR for its test"
fi

# Slurm (Debian's slurmctld, slurmd, slurm-client and munge) for the loopback cluster of scripts/slurm/cluster.sh,
# which the test of `cargo xtask regenerate --slurm` starts. Installed when missing and this user can.
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
    command -v munged >/dev/null; then
    say "Slurm: $(dpkg-query -W -f '${Version}' slurmctld 2>/dev/null || command -v slurmctld)"
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing slurmctld slurmd slurm-client munge"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
else
    say "Slurm not installed and apt-get not usable here: install slurmctld slurmd slurm-client munge for its test"
fi
