"""A killed or doubled indexer: nothing indexed is lost, the next run completes.

The indexer runs in a subprocess and is killed with SIGKILL — at random
moments, and at the exact steps of a commit and of a rebuild's swap — and
after each kill the index must open, hold the old or the new reports (never a
mix), answer a search, and let the next run complete. The write lock dies
with the indexer and its worker processes; a second indexer waits for the
first, or gives up after ``--lock-timeout`` naming the lock.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from indexer import index as idx
from indexer.cli import cli
from indexer.errors import IndexLocked
from indexer.ingest import index_paths
from indexer.ingest.pipeline import file_sha256
from indexer.search import Engine

from helpers import FAZHI, ROOT, SEEDS, short_seeds

#: characters kept of each seed report: its title, metadata and first parts
#: (what matters here is the index, not the text; Whoosh commits take time per term)
SEED_CHARS = 1200


def write_extras(corpus: Path, n: int, tag: str = "") -> list[Path]:
    """``n`` short reports (a seed's opening with a line of its own) added to ``corpus``."""
    out = []
    for i in range(n):
        text = SEEDS[i % len(SEEDS)].read_text(encoding="utf-8")
        path = corpus / f"extra{tag}_{i:02d}.txt"
        path.write_text(text[: 400 + 40 * i] + f"\n附：第{tag}{i}号补充说明。\n", encoding="utf-8")
        out.append(path)
    return out


@pytest.fixture
def corpus(tmp_path) -> Path:
    return short_seeds(tmp_path / "corpus", SEED_CHARS)


def spawn(*args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [*FAZHI, *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def report_ids(ix: Path) -> set[str]:
    """The reports a fresh engine sees; a search must work too."""
    engine = Engine(ix)
    ids = {m["id"] for m in engine.reports()}
    result = engine.search("依法行政")
    assert result["total"]["reports"] >= 1
    return ids


def ids_of(corpus: Path) -> set[str]:
    """The report ids an index of exactly ``corpus`` holds: its files' content hashes."""
    return {file_sha256(f)[:16] for f in corpus.iterdir()}


def wait_for(predicate, timeout: float = 10.0, step: float = 0.005) -> bool:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def segment_files(ix: Path) -> set[str]:
    """Names of the segment and temporary files in ``ix`` and in a rebuild beside it."""
    names = set()
    for d in [ix, *ix.parent.glob(f"{ix.name}.rebuild-*")]:
        try:
            names |= {f"{d.name}/{n}" for n in os.listdir(d) if n.startswith("MAIN_")}
        except OSError:
            pass
    return names


# ---------------------------------------------------------------- random kills


@pytest.mark.slow
def test_killed_at_random_points_leaves_old_or_new_index(corpus, tmp_path):
    """12 SIGKILLs at random moments, half of them as the commit starts writing files."""
    rng = random.Random(20240401)
    extras_dir = tmp_path / "extras"
    extras_dir.mkdir()
    extras = write_extras(extras_dir, 9)  # ≥ 8 changed files: parsed in worker processes
    ix = tmp_path / "ix"
    small = index_paths([corpus], ix)
    assert not small.failed
    states = {"small": report_ids(ix)}
    for e in extras:
        shutil.copy(e, corpus / e.name)
    states["big"] = ids_of(corpus)
    for e in extras:
        (corpus / e.name).unlink()
    current = "small"
    # how long a whole run takes, to spread the kills over it
    t0 = time.monotonic()
    for e in extras:
        shutil.copy(e, corpus / e.name)
    proc = spawn("index", corpus, "--index", ix, "--prune")
    assert proc.communicate()[0].startswith("9 indexed")
    full = time.monotonic() - t0
    current = "big"
    assert report_ids(ix) == states["big"]

    outcomes = []
    for k in range(12):
        target = "small" if current == "big" else "big"
        for e in extras:
            if target == "big":
                shutil.copy(e, corpus / e.name)
            else:
                (corpus / e.name).unlink()
        args = ["index", corpus, "--index", ix, "--prune"] + (["--rebuild"] if k % 3 == 2 else [])
        before = segment_files(ix)
        generation = idx.latest_generation(ix)
        proc = spawn(*args)
        if k == 0:
            how = "at once"  # before it read anything: the old index, whatever the load
        elif k in (5, 10):
            # once the commit is visible: the new index (the run may still be cleaning up)
            def committed(proc=proc, generation=generation) -> bool:
                return proc.poll() is not None or idx.latest_generation(ix) != generation

            wait_for(committed, full * 5)
            how = "right after the commit"
        elif k % 2:
            delay = rng.uniform(0.2, full)
            time.sleep(delay)
            how = f"after {delay:.2f}s"
        else:
            # as soon as the commit writes its first segment file, plus a little
            def writing(proc=proc, before=before) -> bool:
                return proc.poll() is not None or bool(segment_files(ix) - before)

            wait_for(writing, full * 3)
            delay = rng.uniform(0, 0.06)
            time.sleep(delay)
            how = f"{delay * 1000:.0f}ms into the commit"
        proc.kill()
        proc.communicate()
        seen = report_ids(ix)
        assert seen in (states[current], states[target]), f"kill {k} ({how}): a mix"
        assert not idx.is_locked(ix), f"kill {k}: the lock outlived the indexer"
        outcomes.append("new" if seen == states[target] else "old")
        # the next run (here in-process) completes
        index_paths([corpus], ix, prune=True, rebuild="--rebuild" in args, lock_timeout=0)
        assert report_ids(ix) == states[target]
        assert idx.leftovers(ix) == []
        current = target
    # the kills landed on both sides of the commit
    assert "old" in outcomes and "new" in outcomes, outcomes


# ---------------------------------------------------------------- kills at exact steps

#: (step, patch run in the child before `fazhi index`, rebuild?, which index survives)
KILL_POINTS = {
    # the files are being parsed in a worker, which must die with the indexer
    # (or `capture_output` would wait for it forever)
    "while parsing": (
        "import indexer.ingest.run as m; orig = m._parse_all\n"
        "def hook(*a, **k):\n    die()\n    yield\n"
        "m._parse_all = hook",
        False,
        "old",
    ),
    "before the new TOC is written": (
        "import whoosh.index as m; orig = m.TOC.write\n"
        "def hook(*a, **k):\n    die()\n"
        "m.TOC.write = hook",
        False,
        "old",
    ),
    "before the TOC is renamed into place": (
        "from whoosh.filedb.filestore import FileStorage as m; orig = m.rename_file\n"
        "def hook(self, a, b, *r, **k):\n    die() if b.endswith('.toc') else orig(self, a, b, *r, **k)\n"
        "m.rename_file = hook",
        False,
        "old",
    ),
    "after the TOC, before old files are cleaned": (
        "import whoosh.index as m; orig = m.clean_files\n"
        "def hook(*a, **k):\n    die()\n"
        "m.clean_files = hook",
        False,
        "new",
    ),
    "rebuild: before the swap": (
        "import indexer.index.writer as m; orig = m.swap_in\n"
        "def hook(*a, **k):\n    die()\n"
        "m.swap_in = hook",
        True,
        "old",
    ),
    "rebuild: right after the atomic exchange": (
        "import indexer.index.storage as m; orig = m._exchange\n"
        "def hook(*a, **k):\n    done = orig(*a, **k); die()\n"
        "m._exchange = hook",
        True,
        "new",
    ),
}


@pytest.mark.parametrize("step", list(KILL_POINTS))
def test_killed_at_each_step_of_a_commit(step, corpus, tmp_path):
    patch, rebuild, survivor = KILL_POINTS[step]
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    old = report_ids(ix)
    write_extras(corpus, 2)
    new = ids_of(corpus)
    args = ["index", str(corpus), "--index", str(ix)] + (["--rebuild"] if rebuild else [])
    code = (
        "import os, signal, sys\n"
        "def die():\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"{patch}\n"
        "from indexer.cli import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert report_ids(ix) == (old if survivor == "old" else new)
    assert not idx.is_locked(ix)
    # the next run completes, removes what the killed one left, and loses nothing
    summary = index_paths([corpus], ix, lock_timeout=0)
    assert not summary.failed
    assert report_ids(ix) == new
    assert idx.leftovers(ix) == []
    assert sorted(p.name for p in tmp_path.glob("ix*")) == ["ix"]


def test_lock_dies_with_a_killed_indexer_and_its_workers(corpus, tmp_path):
    """The flock is dropped by the kernel; parsing workers close their copy and exit."""
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    write_extras(corpus, 12)  # parsed by a pool of worker processes
    proc = spawn("index", corpus, "--index", ix)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    workers: list[int] = []

    def has_workers() -> bool:
        workers[:] = [int(p) for p in children.read_text().split()]
        return bool(workers) and idx.is_locked(ix)

    assert wait_for(has_workers, 20), "the indexer never started its workers"
    proc.kill()
    proc.communicate()
    assert wait_for(lambda: not idx.is_locked(ix), 2), "lock still held after the kill"
    assert wait_for(lambda: not any(Path(f"/proc/{w}").exists() for w in workers), 5), workers
    assert index_paths([corpus], ix, lock_timeout=0).indexed  # completes at once


# ---------------------------------------------------------------- two indexers


def test_second_indexer_waits_for_the_first_then_both_updates_are_kept(corpus, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_extras(first, 10, tag="a")
    write_extras(second, 2, tag="b")
    a = spawn("index", first, "--index", ix, "--rebuild", corpus)  # a rebuild, the slow one
    assert wait_for(lambda: idx.is_locked(ix), 20)
    b = spawn("index", second, "--index", ix)
    out_b, err_b = b.communicate(timeout=120)
    out_a, err_a = a.communicate(timeout=120)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    assert err_b.splitlines()[0] == (
        f"waiting for another indexer to finish (lock {ix / idx.LOCK_NAME}, up to 30s)"
    )
    assert out_b.strip() == f"2 indexed, 0 unchanged, 0 failed (17 reports in {ix})"
    sources = {Path(m["source"]).name for m in idx.list_reports(ix)}
    assert len(sources) == 17 and {"extrab_00.txt", "extraa_09.txt"} <= sources


def test_second_indexer_gives_up_after_its_lock_timeout(corpus, tmp_path, runner):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    before = report_ids(ix)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from indexer import index as idx
            with idx.write_session({str(ix)!r}) as w:
                print("locked", flush=True)
                time.sleep(60)
        """)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        write_extras(corpus, 1)
        t0 = time.monotonic()
        res = runner.invoke(
            cli, ["index", str(corpus), "--index", str(ix), "--lock-timeout", "0.5"]
        )
        assert 0.5 <= time.monotonic() - t0 < 5
        assert res.exit_code == 1
        assert res.output.splitlines() == [
            f"waiting for another indexer to finish (lock {ix / idx.LOCK_NAME}, up to 0.5s)",
            f"error: index at {ix} is locked by another indexer (lock {ix / idx.LOCK_NAME}, "
            "waited 0.5s) (wait for the other `fazhi index` to finish, then run again)",
        ]
        # a rebuild waits for the same lock (it used to lock only its own new directory)
        with pytest.raises(IndexLocked):
            index_paths([corpus], ix, rebuild=True, lock_timeout=0.2)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert report_ids(ix) == before
    assert len(index_paths([corpus], ix, lock_timeout=0).indexed) == 1
