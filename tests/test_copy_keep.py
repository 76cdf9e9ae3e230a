"""`fazhi index` keeps the copy figures of the generation it wrote after a large run,
so that a server started on it reads them instead of computing them."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from indexer.analytics import Analytics, copystore
from indexer.analytics import review as an_review
from indexer.cli import cli
from indexer.search import Engine

from helpers import short_seeds


def _index(runner, corpus, ix, *options) -> tuple[int, dict]:
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix), "--json", *options])
    return res.exit_code, json.loads(res.stdout)


def _kept(ix):
    with Engine(ix) as engine:
        return copystore.load_figures(ix, engine.generation)


@pytest.mark.parametrize(
    ("total", "changed", "computes"),
    [
        (100_000, 100_000, True),  # a first build or a rebuild
        (100_000, 10_000, True),
        (100_000, 9_999, False),
        (100_000, 1, False),  # one report added: left to the servers
        (5_000, 500, True),
        (4_999, 4_999, False),  # small: a server computes them in seconds
        (0, 0, False),
    ],
)
def test_which_runs_compute_the_copy_figures(total, changed, computes):
    assert copystore.worth_keeping(total, changed) is computes


def test_a_large_run_keeps_the_figures_a_server_then_reads(tmp_path, runner, monkeypatch):
    monkeypatch.setattr(copystore, "KEEP_FROM", 4)
    monkeypatch.setattr(copystore, "KEEP_SHARE", 0.5)
    corpus, ix = short_seeds(tmp_path / "corpus"), tmp_path / "ix"
    code, out = _index(runner, corpus, ix)
    assert code == 0 and out["total_reports"] == 5
    assert out["copy_figures"]["kept"] and out["copy_figures"]["error"] is None
    assert out["copy_figures"]["seconds"] >= 0
    kept = _kept(ix)
    assert kept is not None and len(kept) == 5
    with Engine(ix) as engine:
        computed = Analytics(engine, copies_child_from=None).copies()
    assert kept == computed
    assert (ix / copystore.CATALOGUE_FILE).is_file()
    with Engine(ix) as engine:
        practices = Analytics(engine).practices()
    with monkeypatch.context() as m, Engine(ix) as engine:
        m.setattr(an_review, "all_copies", None)  # a server on that generation computes none
        m.setattr(engine, "matching_reports", None)  # and searches for no practice
        server = Analytics(engine)
        assert server.copies() == kept and server.practices() == practices
        assert server.build_info("sentences")["builds"] == 0
    # one report added to five: the figures are left to the servers
    shutil.copy(corpus / sorted(p.name for p in corpus.iterdir())[0], corpus / "added.txt")
    (corpus / "added.txt").write_text(
        (corpus / "added.txt").read_text("utf-8") + "\n本镇新增一项工作。\n", "utf-8"
    )
    code, out = _index(runner, corpus, ix)
    assert code == 0 and out["total_reports"] == 6 and out["copy_figures"] is None
    assert _kept(ix) is None  # what is kept is the earlier generation's
    code, out = _index(runner, corpus, ix, "--copy-figures", "always")
    assert code == 0 and out["indexed"] == [] and out["copy_figures"]["kept"]
    assert len(_kept(ix)) == 6
    code, out = _index(runner, corpus, ix, "--rebuild", "--copy-figures", "never")
    assert code == 0 and out["copy_figures"] is None and _kept(ix) is None


def test_figures_that_cannot_be_computed_leave_the_index_as_indexed(
    tmp_path, runner, monkeypatch
):
    corpus, ix = short_seeds(tmp_path / "corpus"), tmp_path / "ix"
    failed = subprocess.CompletedProcess([], 1, "", "Traceback …\nMemoryError")
    monkeypatch.setattr(copystore.subprocess, "run", lambda *a, **k: failed)
    code, out = _index(runner, corpus, ix, "--copy-figures", "always")
    assert code == 0 and out["total_reports"] == 5
    assert out["copy_figures"]["kept"] is False
    assert out["copy_figures"]["error"] == "exit 1: Traceback … | MemoryError"
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix), "--copy-figures", "always"])
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [f"0 indexed, 5 unchanged, 0 failed (5 reports in {ix})"]
    assert res.stderr.splitlines() == [
        "copy figures not kept (exit 1: Traceback … | MemoryError): servers compute them"
    ]
    monkeypatch.undo()
    with Engine(ix) as engine:  # the index is whole, and a server computes the figures
        assert engine.search("法治")["total"]["reports"] == 5
        assert len(Analytics(engine, copies_child_from=None).copies()) == 5
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix), "--copy-figures", "always"])
    assert res.exit_code == 0
    line = res.stdout.splitlines()[-1]
    assert line.startswith("copy figures kept beside the index (") and line.endswith(" s)")
