"""The wheel on its own: installed into a fresh venv (no numpy, no torch, no network), it runs a search script
written for nats_bench with only the import line changed, and prints the same numbers as nats_bench does.

Needs the wheel that `scripts/setup.sh` builds (`target/wheels/`) and the official sample records.
"""
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Path(os.environ.get("NB102_REFERENCE_DIR", ROOT / "../shared/reference"))
SAMPLE = REFERENCE / "nats-tss-sample"
SCRIPT = Path(__file__).parent / "scripts/search_nats.py"


def wheel():
    wheels = sorted((ROOT / "target/wheels").glob("nb102-*.whl"), key=lambda p: p.stat().st_mtime)
    assert wheels, "no wheel in target/wheels: scripts/setup.sh builds it"
    return wheels[-1]


def run(python, script, *args, env=None):
    done = subprocess.run([str(python), str(script), *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_script_for_nats_bench_runs_unchanged_but_its_import(tmp_path):
    if not SAMPLE.is_dir():
        pytest.skip("the official sample records are not at {} (set NB102_REFERENCE_DIR)".format(SAMPLE))
    pytest.importorskip("nats_bench")
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv/bin/python"
    install = [str(python), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel())]
    subprocess.run(install, check=True, capture_output=True)
    # Nothing else came with it.
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True,
                            text=True).stdout
    names = {line.split("==")[0] for line in listed.split()}
    assert "nb102" in names and names <= {"nb102", "pip", "setuptools"}, names

    changed = tmp_path / "search_nb102.py"
    source = SCRIPT.read_text()
    assert source.count("\nimport nats_bench\n") == 1
    changed.write_text(source.replace("\nimport nats_bench\n", "\nimport nb102 as nats_bench\n"))
    env = dict(os.environ, NB102_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH="")
    for seed in ["0", "7"]:
        args = (str(SAMPLE), seed, "0", "11", "284")
        ours = run(python, changed, *args, env=env)
        reference = run(sys.executable, SCRIPT, *args, env=dict(os.environ, PYTHONWARNINGS="ignore"))
        assert ours == reference
