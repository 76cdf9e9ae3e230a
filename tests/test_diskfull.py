"""A full disk, a read-only disk, any OSError while the index is written: one line, old index intact.

A full disk used to give a 91-line double traceback and leave the new
segment files behind, filling the disk until the next run. Now the run
stops with one line naming the path (when the error has one), the error and
its errno; what it wrote is removed at once and the old index answers as
before. A real small tmpfs is used where this test may mount one (root);
fault injection covers the same paths everywhere.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from indexer import index as idx
from indexer.cli import cli
from indexer.index import segfile
from indexer.index import writer as index_writer
from indexer.index.lock import WriteLock
from indexer.ingest import index_paths

from helpers import CORPUS, FAZHI, ROOT

UNCHANGED = "the index is unchanged"
FREE_SPACE = "(free some disk space, then run the command again)"


def big_reports(d: Path, n: int = 1, chars: int = 120_000) -> Path:
    """``n`` reports of random words: their index does not fit in what is left of 1 MiB."""
    d.mkdir()
    rng = random.Random(0)
    pool = "法治政府建设依法行政镇乡街道人民群众执法监督调解"
    for i in range(n):
        (d / f"big{i}.txt").write_text("".join(rng.choices(pool, k=chars)), encoding="utf-8")
    return d


def files_of(ix: Path) -> set[str]:
    return set(os.listdir(ix)) - {"MAIN_WRITELOCK"}


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (the seed reports' index takes about half), or skip where mounting
    is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root (the fault-injection tests cover this)")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode(errors='replace')}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fazhi(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FAZHI, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def used_kib(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def test_a_full_disk_stops_the_run_with_one_line_and_leaves_the_old_index(small_disk, tmp_path):
    ix = small_disk / "ix"
    assert fazhi("index", CORPUS, "--index", ix).returncode == 0
    before, used = files_of(ix), used_kib(small_disk)
    big = big_reports(tmp_path / "big")
    for args in (["index", big], ["index", big, CORPUS, "--rebuild"]):
        proc = fazhi(*args, "--index", ix)
        assert proc.returncode == 1
        assert proc.stdout == ""
        assert proc.stderr == (
            f"error: cannot update the index at {ix}: No space left on device (ENOSPC); "
            f"{UNCHANGED} {FREE_SPACE}\n"
        )
        # what the run wrote is gone at once, the old index is intact and answers
        assert files_of(ix) == before and os.listdir(small_disk) == ["ix"]
        assert used_kib(small_disk) <= used + 8
        check = fazhi("check", "--index", ix, "--corpus", CORPUS)
        assert check.returncode == 0, check.stdout
        assert len(idx.list_reports(ix)) == 5


def test_a_read_only_disk_is_one_line(small_disk):
    ix = small_disk / "ix"
    assert fazhi("index", CORPUS, "--index", ix).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    proc = fazhi("index", CORPUS, "--index", ix, "--rebuild")
    assert proc.returncode == 1
    assert proc.stderr == (
        f"error: cannot update the index at {ix}: {ix}/MAIN_WRITELOCK: Read-only file system "
        f"(EROFS); {UNCHANGED} (the disk is read-only: choose another index directory with "
        "--index)\n"
    )


# ---------------------------------------------------------------- fault injection


def failing(exc: OSError):
    def fail(*_args, **_kwargs):
        raise exc

    return fail


@pytest.fixture
def seeded(tmp_path) -> Path:
    ix = tmp_path / "ix"
    index_paths([CORPUS], ix)
    return ix


@pytest.mark.parametrize(
    ("target", "exc", "line"),
    [
        (
            (segfile, "save"),
            OSError(errno.ENOSPC, "No space left on device"),
            f"No space left on device (ENOSPC); {UNCHANGED} {FREE_SPACE}",
        ),
        (
            (WriteLock, "try_acquire"),
            PermissionError(errno.EACCES, "Permission denied", "IX/MAIN_WRITELOCK"),
            f"IX/MAIN_WRITELOCK: Permission denied (EACCES); {UNCHANGED} "
            "(check that you may write to the index directory)",
        ),
        (
            (index_writer, "write_json"),
            OSError(errno.EIO, "Input/output error", "IX/.failed.json.1.tmp"),
            "IX/.failed.json.1.tmp: Input/output error (EIO); the new index is committed, but "
            "not its list of files that failed (run the command again)",
        ),
        (
            (index_writer, "swap_in"),
            OSError(errno.EDQUOT, "Disk quota exceeded"),
            f"Disk quota exceeded (EDQUOT); {UNCHANGED} (free some space within your disk "
            "quota, then run the command again)",
        ),
    ],
    ids=["disk-full-at-commit", "permission-denied", "io-error-after-commit", "quota-at-swap"],
)
def test_an_oserror_while_writing_is_one_line(
    seeded, tmp_path, runner, monkeypatch, target, exc, line
):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.txt").write_text(
        next(CORPUS.glob("000_*.txt")).read_text(encoding="utf-8") + "\n附：新增。\n", "utf-8"
    )
    before, reports = files_of(seeded), idx.list_reports(seeded)
    if exc.filename:
        exc.filename = exc.filename.replace("IX", str(seeded))
    monkeypatch.setattr(*target, failing(exc))
    args = ["index", str(extra), "--index", str(seeded)]
    if target[1] == "swap_in":
        args.append("--rebuild")
    res = runner.invoke(cli, args)
    assert res.exit_code == 1
    assert (
        res.output
        == f"error: cannot update the index at {seeded}: {line.replace('IX', str(seeded))}\n"
    )
    monkeypatch.undo()
    if "committed" in line:
        assert len(idx.list_reports(seeded)) == 6
    else:  # nothing of the run is left, and the index is the one before
        assert files_of(seeded) == before
        assert idx.leftovers(seeded) == []
        assert idx.list_reports(seeded) == reports
        assert sorted(os.listdir(tmp_path)) == ["extra", "ix"]


def test_disk_full_while_worker_processes_write_their_segments(tmp_path, runner, monkeypatch):
    """From 100 changed files, workers write segments: a full disk there ends the same way."""
    from indexer.ingest import run as ingest_run

    monkeypatch.setattr(ingest_run, "PARALLEL_WRITE_MIN_FILES", 8)
    monkeypatch.setattr(segfile, "save", failing(OSError(errno.ENOSPC, "No space left on device")))
    ix = tmp_path / "ix"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = sorted(CORPUS.glob("*.txt"))
    for i in range(9):
        (corpus / f"r{i}.txt").write_text(
            seeds[i % 5].read_text(encoding="utf-8") + f"\n附{i}。\n", "utf-8"
        )
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert res.exit_code == 1
    assert res.output == (
        f"error: cannot update the index at {ix}: No space left on device (ENOSPC); "
        f"{UNCHANGED} {FREE_SPACE}\n"
    )
    # no index and no rebuild directory: only the lock file the run took
    assert sorted(os.listdir(tmp_path)) == ["corpus", "ix"] and files_of(ix) == set()
