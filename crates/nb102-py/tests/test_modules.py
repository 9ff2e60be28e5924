"""The reference packages' modules under nb102 (`nb102.api_utils`, `nb102.genotype_utils`, `nb102.api_topology`,
`nb102.api_201`, `nb102.nats_bench`, `nb102.nas_201_api`), and scripts that import `nats_bench` or `nas_201_api`
run unchanged through `nb102.install_as` / `python -m nb102.run`.

Data: as `test_compat.py` (the official NATS-Bench sample records, the small NAS-Bench-201 `.pth` files).
"""

import bz2
import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import nb102
from nb102.genotype_utils import TopologyStructure, topology_str2structure

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Path(os.environ.get("NB102_REFERENCE_DIR", ROOT / "../shared/reference"))
SAMPLE = REFERENCE / "nats-tss-sample"
PTH = ROOT / "crates/nb102-store/tests/data/nb201"
SCRIPTS = Path(__file__).resolve().parent / "scripts"
CACHE = tempfile.mkdtemp(prefix="nb102-cache-")

# Each reference module and the nb102 module that answers for it.
MODULES = [
    ("nats_bench", "nb102.nats_bench"),
    ("nats_bench.api_utils", "nb102.api_utils"),
    ("nats_bench.api_topology", "nb102.api_topology"),
    ("nats_bench.api_size", "nb102.api_size"),
    ("nats_bench.genotype_utils", "nb102.genotype_utils"),
    ("nas_201_api", "nb102.nas_201_api"),
    ("nas_201_api.api_utils", "nb102.api_utils"),
    ("nas_201_api.api_201", "nb102.api_201"),
]
# What nb102 does not answer for yet: nas_201_api's self-test, which prints all 15,625 cells of a full file.
NOT_YET = {"nas_201_api": {"test_api"}}


def public_names(module):
    """The names a script can import from `module`: its public functions, classes and constants, and its
    submodules, but not what it imports from elsewhere (`os`, `typing.Text`, `torch`)."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if getattr(value, "__module__", "").split(".")[0] == module.__name__.split(".")[0]:
            names.add(name)
        elif type(value).__name__ == "module" and value.__name__.startswith(module.__name__ + "."):
            names.add(name)
        elif isinstance(value, (str, int, float, tuple, list)) and not isinstance(value, bool):
            names.add(name)
    return names


@pytest.mark.parametrize("reference,ours", MODULES)
def test_every_public_name_of_the_reference_modules(reference, ours):
    ref = pytest.importorskip(reference)
    mine = importlib.import_module(ours)
    missing = public_names(ref) - set(dir(mine)) - NOT_YET.get(reference, set())
    assert not missing, "{} lacks {} of {}".format(ours, sorted(missing), reference)
    for name in public_names(ref) & set(dir(mine)):
        value = getattr(ref, name)
        if isinstance(value, (str, int, float, tuple, list)):
            assert getattr(mine, name) == value, name


def run_script(args, through_nb102, cwd=None):
    """The script's output, run by Python against the reference packages or through `python -m nb102.run`. The
    latter sees decoys of the reference packages first on its path, so that it fails if they are ever imported."""
    env = dict(os.environ, NB102_CACHE_DIR=CACHE)
    command = [sys.executable] + (["-m", "nb102.run"] if through_nb102 else []) + args
    if through_nb102:
        decoys = Path(CACHE) / "decoys"
        for package in ("nats_bench", "nas_201_api"):
            (decoys / package).mkdir(parents=True, exist_ok=True)
            (decoys / package / "__init__.py").write_text("raise ImportError('the real {} was imported')\n".format(package))
        env["PYTHONPATH"] = os.pathsep.join([str(decoys), env.get("PYTHONPATH", "")])
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_script_of_nats_bench_modules_runs_unchanged(tmp_path):
    if not SAMPLE.is_dir():
        pytest.skip("the official sample records are not at {} (set NB102_REFERENCE_DIR)".format(SAMPLE))
    pytest.importorskip("nats_bench")
    (tmp_path / "ref").mkdir()
    (tmp_path / "ours").mkdir()
    ref = run_script([str(SCRIPTS / "modules.py"), "nats", str(SAMPLE), str(tmp_path / "ref")], False)
    # As a module (`-m`), from the scripts' folder, as `python -m` takes it.
    ours = run_script(["-m", "modules", "nats", str(SAMPLE), str(tmp_path / "ours")], True, cwd=SCRIPTS)
    assert len(ref) > 100 and "classes {'None': 15625, 'False': 12751, 'True': 6466}" in ref
    assert ours == ref


def test_a_script_of_nas_201_api_modules_runs_unchanged(tmp_path):
    pytest.importorskip("nas_201_api")
    path = tmp_path / "bench.pth"
    path.write_bytes(bz2.decompress((PTH / "bench-zip.pth.bz2").read_bytes()))
    ref = run_script([str(SCRIPTS / "modules.py"), "nb201", str(path), str(tmp_path)], False)
    ours = run_script([str(SCRIPTS / "modules.py"), "nb201", str(path), str(tmp_path)], True)
    assert len(ref) > 3 and ours == ref


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, NB102_CACHE_DIR=CACHE))


def test_install_as_serves_the_names_and_refuses_after_the_real_package():
    done = run_python(
        "import nb102; nb102.install_as('nats_bench'); import nats_bench, nats_bench.api_utils as u\n"
        "from nats_bench.genotype_utils import topology_str2structure\n"
        "assert nats_bench.create is nb102.create and u is nb102.api_utils\n"
        "from nats_bench.api_size import NATSsize\nassert NATSsize is nb102.NATSsize\n"
        "try:\n    import nats_bench.api_search\nexcept ImportError as e:\n    print(e)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "No module named 'nats_bench.api_search' in nb102's nats_bench: nb102 does not answer for it"
    )
    if importlib.util.find_spec("nats_bench") is not None:
        done = run_python("import nats_bench, nb102; nb102.install_as('nats_bench')")
        last = done.stderr.strip().splitlines()[-1]
        assert done.returncode == 1 and last.startswith(
            "ImportError: nb102.install_as('nats_bench'): the real nats_bench is already imported"
        ), done.stderr
    with pytest.raises(ValueError, match="expected one of 'nats_bench', 'nas_201_api', 'nas_102_api', found 'nasbench'"):
        nb102.install_as("nasbench")


def test_run_says_what_it_needs():
    for args, message in [([], "usage: python -m nb102.run"), (["-m"], "expected a module after -m"),
                          (["missing.py"], "expected a script file, found no file 'missing.py'")]:
        done = subprocess.run([sys.executable, "-m", "nb102.run"] + args, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


def test_structures_are_cells_of_the_space():
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    s = topology_str2structure(arch)
    assert s == TopologyStructure(s.nodes) and hash(s) == hash(TopologyStructure(s.nodes))
    assert s.to_unique_str(True) == nb102.Arch(arch).unique_str(True)
    # A left-out edge is `none`, as the space has it.
    assert topology_str2structure("|skip_connect~0|+|nor_conv_1x1~1|+|none~2|").tostr() == (
        "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|none~2|"
    )
    assert TopologyStructure.str2fullstructure("|skip_connect~0|+|nor_conv_1x1~1|+|none~2|", "skip_connect").tostr() == (
        "|skip_connect~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|skip_connect~1|none~2|"
    )
    every = TopologyStructure.gen_all(["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"], 4, False)
    assert [x.tostr() for x in every[:2]] == [nb102.Arch.from_ops(["none"] * 6).tostr(),
                                              nb102.Arch.from_ops(["none"] * 5 + ["skip_connect"]).tostr()]
    assert len({x.to_unique_str(consider_zero=True) for x in every}) == 6466
    with pytest.raises(AssertionError, match="must take string"):
        topology_str2structure(3)
    with pytest.raises(ValueError, match="expected an op name"):
        topology_str2structure("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(ValueError, match="cells of the NAS-Bench-201 space"):
        TopologyStructure([(("none", 0),), (("none", 1),)])


DEFAULT_PATH = """
import re, sys
mode, use = sys.argv[1], sys.argv[2]
if use == "nb102":
    import nb102; nb102.install_as("nats_bench"); nb102.install_as("nas_201_api")
try:
    if mode == "tss":
        from nats_bench import create
        api = create(None, "tss", fast_mode=sys.argv[3] == "fast", verbose=False)
        print(api.filename, api.get_more_info(11, "cifar10", hp="200", is_random=False)["test-accuracy"])
    else:
        from nas_201_api import NASBench201API
        api = NASBench201API(None, verbose=False)
        print(api.filename, api.get_more_info(7, "cifar10-valid", hp="12", is_random=False)["valid-accuracy"])
except Exception as e:
    print(type(e).__name__)
"""


@pytest.mark.parametrize("mode", [("tss", "fast"), ("tss", "file"), ("nb201",)])
def test_no_path_is_the_default_file_under_torch_home(tmp_path, mode):
    """`create(None, ...)` and `NASBench201API(None)`, as real scripts call them: the official file's name under
    `$TORCH_HOME`, with the reference's lines (and its error where there is none)."""
    pytest.importorskip("nats_bench")
    pytest.importorskip("nas_201_api")
    if not SAMPLE.is_dir():
        pytest.skip("the official sample records are not at {}".format(SAMPLE))
    home = tmp_path / "torch"
    home.mkdir()
    (home / "NATS-tss-v1_0-3ffb9-simple").symlink_to(SAMPLE.resolve())
    (home / "NAS-Bench-201-v1_1-096897.pth").write_bytes(bz2.decompress((PTH / "bench-zip.pth.bz2").read_bytes()))
    for env in (dict(os.environ, TORCH_HOME=str(home), NB102_CACHE_DIR=CACHE),
                {k: v for k, v in os.environ.items() if k != "TORCH_HOME"}):
        outputs = []
        for use in ("reference", "nb102"):
            done = subprocess.run([sys.executable, "-c", DEFAULT_PATH, mode[0], use] + list(mode[1:]),
                                  capture_output=True, text=True, timeout=300, env=env)
            assert done.returncode == 0, done.stderr
            # Times of day aside.
            outputs.append([line.split("] ", 1)[-1] for line in done.stdout.splitlines()])
        assert outputs[0] == outputs[1]
        assert len(outputs[0]) >= 1
