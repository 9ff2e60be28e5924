"""The import cache of official archives: threads and processes opening one archive at once, damaged imports,
archives changed in place, and what opening prints and says.

Data: the official NATS-Bench sample records (`$NB102_REFERENCE_DIR/nats-tss-sample`), copied per test so that
each test may change its copy.

    .venv/bin/python -m pytest crates/nb102-py/tests/test_cache.py
"""

import os
import shutil
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import nb102

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Path(os.environ.get("NB102_REFERENCE_DIR", ROOT / "../shared/reference"))
SAMPLE = REFERENCE / "nats-tss-sample"
CELLS = [0, 11, 284]


@pytest.fixture
def archive(tmp_path, monkeypatch):
    """A copy of the sample archive, with an empty cache of its own."""
    if not SAMPLE.is_dir():
        pytest.skip("the official sample records are not at {} (set NB102_REFERENCE_DIR)".format(SAMPLE))
    copy = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    shutil.copytree(SAMPLE, copy)
    monkeypatch.setenv("NB102_CACHE_DIR", str(tmp_path / "cache"))
    return copy


def cache_files(archive):
    """The files of the cache folder, lock files aside."""
    cache = Path(os.environ["NB102_CACHE_DIR"])
    return sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock"))


def answers(api):
    """Every cell's 200-epoch seed means on every setting, through the drop-in."""
    return [
        api.get_more_info(i, dataset, hp="200", is_random=False)
        for i in CELLS
        for dataset in ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
    ]


@pytest.fixture
def expected(archive, tmp_path):
    """The answers of an import made alone, in another cache."""
    os.environ["NB102_CACHE_DIR"] = str(tmp_path / "alone")
    try:
        return answers(nb102.create(str(archive), "tss", fast_mode=True, verbose=False))
    finally:
        os.environ["NB102_CACHE_DIR"] = str(tmp_path / "cache")


def test_threads_opening_one_archive_share_one_good_import(archive, expected):
    threads, barrier = 8, threading.Barrier(8)
    results, errors = [], []

    def open_and_query():
        barrier.wait()
        try:
            results.append(answers(nb102.create(str(archive), "tss", fast_mode=True, verbose=False)))
        except Exception as e:  # noqa: BLE001 - every failure is reported
            errors.append(repr(e))

    workers = [threading.Thread(target=open_and_query) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert results == [expected] * threads
    [name] = cache_files(archive)
    assert name.endswith(".nb102")
    # The import passes every check, sections included, in a new process.
    check = "import nb102, sys; b = nb102.Benchmark(sys.argv[1]); [b.more_info(i, 'cifar100', 200, seed='mean') for i in (0, 11, 284)]"
    subprocess.run([sys.executable, "-c", check, str(Path(os.environ["NB102_CACHE_DIR"]) / name)], check=True)


def test_processes_opening_one_archive_share_one_import(archive, expected):
    script = "import nb102, sys; api = nb102.create(sys.argv[1], 'tss', fast_mode=True, verbose=False); " \
             "print(api.get_more_info(284, 'cifar100', hp='200', is_random=False)['test-accuracy'])"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(archive)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate()[0] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4
    want = expected[CELLS.index(284) * 4 + 2]["test-accuracy"]
    assert [float(o) for o in outputs] == [want] * 4
    assert len(cache_files(archive)) == 1


def sections_start(path):
    """Where the first cell's section starts: after the 20-byte preamble and the header."""
    with open(path, "rb") as f:
        preamble = f.read(20)
    (header_len,) = struct.unpack("<Q", preamble[12:20])
    return 20 + header_len


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x40]))


def test_a_damaged_section_is_not_a_missing_cell_and_is_imported_again(archive, expected):
    api = nb102.create(str(archive), "tss", fast_mode=True, verbose=False)
    path = Path(api.nb102_path)
    native = nb102.Benchmark(str(path))
    flip(path, sections_start(path) + 100)
    for call in (
        lambda: native.more_info(0, "cifar10", 200, seed="mean"),
        lambda: api.get_more_info(0, "cifar10", hp="200", is_random=False),
        lambda: api.get_cost_info(0, "cifar10", hp="200"),
        lambda: api.query_meta_info_by_index(0, hp="200"),
    ):
        with pytest.raises(nb102.DamagedBenchmarkError) as failure:
            call()
        assert isinstance(failure.value, ValueError)
        assert "arch2infos" not in str(failure.value) and "checksum mismatch" in str(failure.value)
    # The first query moved the import aside; the next open imports the archive again.
    assert not path.exists() and (path.parent / (path.name + ".damaged")).exists()
    assert answers(nb102.create(str(archive), "tss", fast_mode=True, verbose=False)) == expected
    assert len([n for n in cache_files(archive) if n.endswith(".nb102")]) == 1


@pytest.mark.parametrize("damage", ["header", "summary", "truncated", "appended"])
def test_a_cached_import_that_fails_its_checks_is_imported_again_on_open(archive, expected, damage):
    path = Path(nb102.create(str(archive), "tss", fast_mode=True, verbose=False).nb102_path)
    size = path.stat().st_size
    if damage == "header":
        flip(path, 40)
    elif damage == "summary":
        flip(path, size - 3)
    elif damage == "truncated":
        os.truncate(path, size - 1)
    else:
        with open(path, "ab") as f:
            f.write(b"\0" * 7)
    again = nb102.create(str(archive), "tss", fast_mode=True, verbose=False)
    assert answers(again) == expected
    assert Path(again.nb102_path).stat().st_size == size


def test_an_archive_changed_in_place_is_imported_again_and_the_old_import_removed(archive):
    first = Path(nb102.create(str(archive), "tss", fast_mode=True, verbose=False).nb102_path)
    # A touch of the folder alone changes nothing that is imported.
    os.utime(archive, (1, 1))
    assert Path(nb102.create(str(archive), "tss", fast_mode=True, verbose=False).nb102_path) == first
    # A record rewritten in place leaves the folder's time and entries as they were.
    record = archive / "000011.pickle.pbz2"
    stamp = archive.stat()
    record.write_bytes(record.read_bytes())
    os.utime(archive, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    second = Path(nb102.create(str(archive), "tss", fast_mode=True, verbose=False).nb102_path)
    assert second != first
    assert cache_files(archive) == [second.name]


def test_opening_quietly_prints_nothing(archive, capfd):
    nb102.create(str(archive), "tss", fast_mode=True, verbose=False)
    nb102.NASBench201API(str(archive), verbose=False)
    assert capfd.readouterr() == ("", "")


def test_opening_verbosely_says_it_imports(archive, capfd):
    nb102.create(str(archive), "tss", fast_mode=True, verbose=True)
    assert "nb102: importing" in capfd.readouterr().err


def test_an_empty_cache_variable_means_the_default(monkeypatch):
    monkeypatch.setenv("NB102_CACHE_DIR", "")
    assert nb102.cache_dir().is_absolute() and nb102.cache_dir().parts[-2:] == ("nb102", "imports")


def test_a_cache_that_is_a_file_says_so(archive, tmp_path, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("NB102_CACHE_DIR", str(tmp_path / "not-a-folder"))
    with pytest.raises(OSError, match="expected a folder for nb102's imports"):
        nb102.create(str(archive), "tss", fast_mode=True, verbose=False)


def test_an_archive_opened_as_dot_is_named_after_its_folder(archive, monkeypatch):
    monkeypatch.chdir(archive)
    name = Path(nb102.create(".", "tss", fast_mode=True, verbose=False).nb102_path).name
    assert name.startswith(archive.name + "-")


def test_bad_numbers_name_the_argument(archive):
    bench = nb102.Benchmark(str(archive))
    with pytest.raises(ValueError, match="expected an index in 0..15625, found 100000000000000000000"):
        bench.more_info(10**20, "cifar10", 200, seed="mean")
    with pytest.raises(ValueError, match="expected epoch .* found -1"):
        bench.more_info(11, "cifar10", 200, seed="mean", epoch=-1)


def test_imports_here_and_in_another_pid_namespace_both_succeed(archive, tmp_path, monkeypatch):
    # A process in another PID namespace (a container on the same volume) has pids this one cannot see: neither
    # may take the other's files for a dead writer's.
    if subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True).returncode != 0:
        pytest.skip("this machine gives no PID namespace (unshare --pid)")
    script = "import nb102, sys; nb102.create(sys.argv[1], 'tss', fast_mode=True, verbose=False)"
    for trial in range(4):
        monkeypatch.setenv("NB102_CACHE_DIR", str(tmp_path / "cache-{}".format(trial)))
        here = [sys.executable, "-c", script, str(archive)]
        processes = [subprocess.Popen(here, stderr=subprocess.PIPE, text=True),
                     subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc"] + here, stderr=subprocess.PIPE,
                                      text=True)]
        errors = [p.communicate()[1] for p in processes]
        assert [p.returncode for p in processes] == [0, 0], errors
        assert len(cache_files(archive)) == 1


def test_a_cache_without_a_usable_lock_still_serves_its_import(archive, expected):
    # As in a cache this user can only read: the lock file cannot be opened for writing (here a folder stands in
    # its place, which stops root too), and a good import there is used as it is.
    nb102.create(str(archive), "tss", fast_mode=True, verbose=False)
    cache = Path(os.environ["NB102_CACHE_DIR"])
    [lock] = list(cache.glob(".*.lock"))
    lock.unlink()
    lock.mkdir()
    assert answers(nb102.create(str(archive), "tss", fast_mode=True, verbose=False)) == expected
