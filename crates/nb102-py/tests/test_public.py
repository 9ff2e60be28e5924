"""Public scripts that import the reference packages (`tests/scripts/public/`, each with its source and licence) run
unchanged through `python -m nb102.run` and print what they print against the reference, line for line (times of
day aside), with `TORCH_HOME` holding the official archive's name as the reference looks for it; and NATS-Bench's
own tests (`tests/scripts/public/suite/`), run by pytest against both.

Data: the official NATS-Bench sample records (`$NB102_REFERENCE_DIR/nats-tss-sample`, `nats-sss-sample`), which
hold three architectures each: the scripts here are those that need no other architecture's results.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE, SIZE_SAMPLE

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


def test_nats_bench_own_tests_pass_and_print_alike(tmp_path):
    """NATS-Bench's `tests/api_test.py` (both spaces, on its `fake_torch_dir`: the sample records) passes against
    `nats_bench` and through nb102, printing the same lines; Python's `random` is seeded before each test, as the
    tests draw trials with it."""
    if not (SAMPLE.is_dir() and SIZE_SAMPLE.is_dir()):
        pytest.skip("the official sample records are not at {} (set NB102_REFERENCE_DIR)".format(SAMPLE.parent))
    pytest.importorskip("nats_bench")
    fake = tmp_path / "fake_torch_dir"
    fake.mkdir()
    (fake / "NATS-tss-v1_0-3ffb9-simple").symlink_to(SAMPLE.resolve())
    (fake / "NATS-sss-v1_0-50262-simple").symlink_to(SIZE_SAMPLE.resolve())
    tests = tmp_path / "nats_bench_api_tests.py"
    tests.write_text((PUBLIC / "suite" / tests.name).read_text())
    (tmp_path / "conftest.py").write_text(
        "import random\nimport pytest\n\n\n@pytest.fixture(autouse=True)\ndef seeded():\n    random.seed(0)\n")
    env = dict(os.environ, FAKE_TORCH_HOME=str(fake))
    pytest_args = ["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), tests.name]
    outputs = []
    for command in ([sys.executable, *pytest_args], [sys.executable, "-m", "nb102.run", *pytest_args]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = [TIME.sub("[TIME]", line) for line in done.stdout.splitlines()]
        outputs.append([re.sub(r" in [0-9.]+s$", "", line) for line in lines])
    assert outputs[0][-1].startswith("8 passed") and "NATSsize" in "\n".join(outputs[0])
    assert outputs[0] == outputs[1]
