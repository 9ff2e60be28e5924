"""Public scripts that import the reference packages (`tests/scripts/public/`, each with its source and licence) run
unchanged through `python -m nb102.run` and print what they print against the reference, line for line (times of
day aside), with `TORCH_HOME` holding the official archive's name as the reference looks for it.

Data: the official NATS-Bench sample records (`$NB102_REFERENCE_DIR/nats-tss-sample`), which hold three cells: the
scripts here are those that need no other cell's results.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE

PUBLIC = Path(__file__).parent / "scripts" / "public"
SCRIPTS = sorted(PUBLIC.glob("*.py"))
TIME = re.compile(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]")


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory):
    if not SAMPLE.is_dir():
        pytest.skip("the official sample records are not at {} (set NB102_REFERENCE_DIR)".format(SAMPLE))
    pytest.importorskip("nats_bench")
    home = tmp_path_factory.mktemp("torch")
    (home / "NATS-tss-v1_0-3ffb9-simple").symlink_to(SAMPLE.resolve())
    return home


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_a_public_script_prints_what_it_prints_with_the_reference(torch_home, script):
    env = dict(os.environ, TORCH_HOME=str(torch_home))
    outputs = []
    for command in ([sys.executable, str(script)], [sys.executable, "-m", "nb102.run", str(script)]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=script.parent)
        assert done.returncode == 0, done.stderr
        outputs.append([TIME.sub("[TIME]", line) for line in done.stdout.splitlines()])
    assert outputs[0] and outputs[0] == outputs[1]


def test_every_public_script_names_its_source_and_licence():
    assert SCRIPTS
    for script in SCRIPTS:
        head = script.read_text().splitlines()[:30]
        assert head[0].startswith("# From ") and any("Permission is hereby granted" in line for line in head), script
