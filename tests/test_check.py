"""`fazhi check`, and corrupt index files: found on open and by check, restored by a rebuild.

Truncated TOC or segment files are reported with a one-line message (and
the command that repairs them) by every reader, and ``fazhi index --rebuild``
restores every report from the corpus even though the old index cannot be
opened. ``fazhi check`` also compares the index with the corpus: files not
indexed or changed since, reports whose file is gone, leftovers of an
interrupted run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import index as idx
from indexer.cli import cli
from indexer.errors import IndexStoreError
from indexer.ingest import index_paths
from indexer.search import Engine

from helpers import SEEDS, short_seeds


@pytest.fixture
def corpus(tmp_path) -> Path:
    return short_seeds(tmp_path / "corpus")


def write_extra(corpus: Path) -> Path:
    path = corpus / "extra_00.txt"
    path.write_text(SEEDS[0].read_text(encoding="utf-8")[:400] + "\n附：补充说明。\n", "utf-8")
    return path


def report_ids(ix: Path) -> set[str]:
    engine = Engine(ix)
    assert engine.search("依法行政")["total"]["reports"] >= 1
    return {m["id"] for m in engine.reports()}


# ---------------------------------------------------------------- corrupt index files


def refused_on_open(ix: Path, detail: str) -> str:
    """Opening the index fails with the one-line message naming ``detail``; that message."""
    message = (
        f"index at {ix} is corrupt or unreadable ({detail}) "
        "(rebuild it from the corpus with `fazhi index --rebuild`)"
    )
    with pytest.raises(IndexStoreError) as info:
        Engine(ix).search("依法行政")
    assert info.value.user_message() == message
    return message


def _truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize(
    ("victim", "keep", "detail"),
    [
        ("toc", 0.0, "TypeError: ord() expected a character, but string of length 0 found"),
        ("toc", 0.5, "UnpicklingError: pickle data was truncated"),
        ("segment", 0.5, "EOFError: Ran out of input"),
        ("segment", 0.97, "EOFError: Ran out of input"),
    ],
)
def test_truncated_index_file_is_detected_and_rebuilt(
    victim, keep, detail, corpus, tmp_path, runner
):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    before = idx.list_reports(ix)
    pattern = "_MAIN_*.toc" if victim == "toc" else "MAIN_*.seg"
    (path,) = ix.glob(pattern)
    _truncate(path, keep)
    message = refused_on_open(ix, detail)
    res = runner.invoke(cli, ["search", "依法行政", "--index", str(ix)])
    assert (res.exit_code, res.output) == (1, f"error: {message}\n")
    # by check, with the repair command
    res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[-1] == (
        f"1 problem in the index at {ix} (0 reports; 5 files in {corpus}): "
        f"repair with `fazhi index --rebuild --index {ix} {corpus}`"
    )
    assert lines[0].startswith("problem: ") and detail in lines[0]
    # an incremental run refuses; the rebuild restores every report
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert (res.exit_code, res.output) == (1, f"error: {message}\n")
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix), "--rebuild"])
    assert res.exit_code == 0, res.output
    assert idx.list_reports(ix) == before
    res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus)])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_damaged_segment_data_file_is_detected_and_rebuilt(damage, corpus, tmp_path, runner):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    before = idx.list_reports(ix)
    (path,) = ix.glob("MAIN_*.fzs")  # the gram index and columns of the one segment
    size = path.stat().st_size
    if damage == "truncated":
        _truncate(path, 0.5)
        detail = f"ValueError: {path.name} is truncated ({size // 2} of {size} bytes)"
    else:
        path.unlink()
        detail = f"FileNotFoundError: [Errno 2] No such file or directory: '{path}'"
    message = refused_on_open(ix, detail)
    res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus)])
    assert res.exit_code == 1
    assert detail in res.output.splitlines()[0], res.output
    # adding to such an index would keep the damage: it refuses
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert (res.exit_code, res.output) == (1, f"error: {message}\n")
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix), "--rebuild"])
    assert res.exit_code == 0, res.output
    assert idx.list_reports(ix) == before
    assert report_ids(ix) == {m["id"] for m in before}
    res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus)])
    assert res.exit_code == 0, res.output


def test_check_finds_a_changed_byte_in_segment_data(corpus, tmp_path, runner):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    (path,) = ix.glob("MAIN_*.fzs")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # inside the arrays: the size still matches, so it opens
    path.write_bytes(bytes(data))
    res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus)])
    assert res.exit_code == 1
    assert f"(ValueError: {path.name}: checksum mismatch)" in res.output.splitlines()[0]


def test_rebuild_works_when_the_version_file_is_garbage(corpus, tmp_path, runner):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    (ix / idx.VERSION_FILE).write_bytes(b"\x00\xff garbage")
    res = runner.invoke(cli, ["search", "依法", "--index", str(ix)])
    assert res.exit_code == 1 and "was built by another version of fazhi" in res.output
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix), "--rebuild"])
    assert res.exit_code == 0, res.output
    assert len(report_ids(ix)) == 5


# ---------------------------------------------------------------- fazhi check


def test_check_healthy_then_each_kind_of_drift(corpus, tmp_path, runner):
    ix = tmp_path / "ix"
    (corpus / "scan.pdf").write_bytes(b"<html>not a pdf</html>")
    index_paths([corpus], ix)

    def check(*extra):
        res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus), *extra])
        return res.exit_code, res.output.splitlines()

    code, lines = check()
    assert code == 0
    assert lines == [
        f"note: {corpus / 'scan.pdf'}: not indexed: not a PDF file (missing %PDF- header) "
        "(it looks like a web page: save it as .html, or download the PDF itself)",
        f"ok: the index at {ix} is healthy: 5 reports, every file of {corpus} indexed "
        f"(1 segment, 10 documents and {_postings(ix)} postings read)",
    ]
    changed = corpus / SEEDS[0].name
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充。\n", encoding="utf-8")
    (corpus / SEEDS[1].name).unlink()
    added = write_extra(corpus)
    rid = {Path(m["source"]).name: m["id"] for m in idx.list_reports(ix)}[SEEDS[1].name]
    code, lines = check()
    assert code == 1
    assert lines[:3] == [
        f"problem: {changed}: changed since it was indexed",
        f"problem: {added}: not in the index",
        f"problem: {corpus / SEEDS[1].name}: file is gone but its report {rid} is indexed",
    ]
    assert lines[-1] == (
        f"3 problems in the index at {ix} (5 reports; 6 files in {corpus}): "
        f"repair with `fazhi index --prune --index {ix} {corpus}`"
    )
    code, lines = check("--json")
    out = json.loads("\n".join(lines))
    assert out["ok"] is False and out["repair"] == f"fazhi index --prune --index {ix} {corpus}"
    assert [p["kind"] for p in out["problems"]] == ["changed", "missing", "gone"]
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix), "--prune"])
    assert res.exit_code == 1  # scan.pdf still fails
    assert check()[0] == 0


def test_check_lists_leftovers_of_a_killed_rebuild_and_the_next_run_removes_them(
    corpus, tmp_path, runner
):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    stale = tmp_path / "ix.rebuild-99999"
    stale.mkdir()
    (stale / "_MAIN_1.toc").write_bytes(b"half")
    orphan = ix / "MAIN_zzzzzzzzzzzzzzzz.pst"
    orphan.write_bytes(b"x" * 100)
    res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus)])
    assert res.exit_code == 0
    assert res.output.splitlines()[:2] == [
        f"note: {stale}: left by an interrupted indexer (harmless; the next `fazhi index` "
        "removes it)",
        f"note: {orphan}: left by an interrupted indexer (harmless; the next `fazhi index` "
        "removes it)",
    ]
    index_paths([corpus], ix)
    assert not stale.exists() and not orphan.exists()
    res = runner.invoke(cli, ["check", "--index", str(ix), "--corpus", str(corpus)])
    assert "note:" not in res.output


def test_check_without_an_index(tmp_path, runner, corpus):
    res = runner.invoke(cli, ["check", "--index", str(tmp_path / "none"), "--corpus", str(corpus)])
    assert res.exit_code == 1
    assert res.output.splitlines() == [
        f"problem: no index at {tmp_path / 'none'}",
        f"1 problem in the index at {tmp_path / 'none'} (0 reports; 5 files in {corpus}): "
        f"repair with `fazhi index --index {tmp_path / 'none'} {corpus}`",
    ]


def _postings(ix: Path) -> int:
    return idx.verify(ix).postings
