"""Bounded cost for every input: linear word segmentation, a budget for reading each file.

jieba's HMM (``finalseg.viterbi``) copies its best path at every step: a run
of n characters the dictionary leaves single cost n² (100,000 × 法 took 59 s,
999,000 × 镇 — 3 MB, under every cap — an estimated hour and a half). The
complexity guards compare the processor time at n and 5n characters: linear
growth gives about 5×, quadratic 25×; 10× leaves room for a noisy machine.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from indexer import text
from indexer.cli import cli
from indexer.errors import ExtractionError
from indexer.ingest import limits, load_report, sandbox
from indexer.ingest import run as ingest_run

from devtools.pdfgen import build_docx
from helpers import SEEDS, short_seeds


def cpu_seconds(fn, arg, repeat: int = 3) -> float:
    """The least processor time of ``repeat`` calls of ``fn(arg)``."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn(arg)
        best = min(best, time.process_time() - t)
    return best


@pytest.mark.parametrize("char", ["法", "镇"])
@pytest.mark.parametrize("fn", [text.segment, text.words], ids=["segment", "words"])
def test_word_segmentation_is_linear_in_the_length_of_a_run(fn, char):
    n = 10_000
    fn("依法行政")  # the dictionary, loaded before measuring
    small, big = cpu_seconds(fn, char * n), cpu_seconds(fn, char * (5 * n))
    assert big < 10 * max(small, 0.005), (small, big)
    # and the run is still cut into words: no word longer than the HMM's window
    assert max(len(w) for w, *_ in (text.segment(char * 1000))) <= text.HMM_WINDOW


def test_real_text_is_segmented_exactly_as_jieba_does():
    """The bound changes nothing but runs no real text has: every seed report's words are
    jieba's own (so the index needs no rebuild)."""
    tk = text._jieba()
    for seed in SEEDS:
        body = seed.read_text(encoding="utf-8")
        folded = text.fold_chars(body)
        expected = [
            (w.lower(), a, b)
            for w, a, b in tk.tokenize(folded)
            if not (w.isspace() or text._PUNCT_OR_SPACE.match(w))
        ]
        assert text.segment(body) == expected
        assert text.words(body) == [w for w, _, _ in expected]
    # a long run mixing dictionary words, single characters, letters and digits
    mixed = ("依法行政abc123法" * 40) + ("x" * 300) + ("镇" * 99) + "法治政府"
    expected = [(w.lower(), a, b) for w, a, b in tk.tokenize(mixed)]
    assert text.segment(mixed) == expected


# ---------------------------------------------------------------- a budget for every file

TIME_HINT = "the file may be damaged or built to be slow to read: check it, or split it"


def good_files(corpus: Path, n: int) -> list[Path]:
    """``n`` distinct short reports (seeds cut short, then copies with a line added)."""
    short_seeds(corpus)
    made = sorted(corpus.iterdir())
    for i in range(n - len(made)):
        copy = corpus / f"copy{i}.txt"
        copy.write_text(made[i % 5].read_text(encoding="utf-8") + f"\n附{i}。\n", "utf-8")
        made.append(copy)
    return made[:n]


def slow_file(corpus: Path, kind: str) -> Path:
    """A file of ``kind`` under every cap whose reading takes seconds: 600,000 × 镇."""
    body = "镇" * 600_000
    path = corpus / f"slow.{kind}"
    if kind == "docx":
        build_docx([body], path)
    elif kind == "html":
        path.write_text(f"<html><body><div id='zoom'><p>{body}</p></div></body></html>", "utf-8")
    else:
        path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kind", "good"),
    [("txt", 5), ("html", 5), ("docx", 5), ("txt", 9), ("txt", "segments")],
    ids=["txt-early-worker", "html", "docx", "txt-pool", "txt-segment-workers"],
)
def test_reading_any_file_stops_at_its_time_limit_and_the_rest_is_indexed(
    kind, good, tmp_path, runner, monkeypatch
):
    monkeypatch.setattr(limits, "PARSE_TIME_LIMIT", 1.0)
    if good == "segments":  # worker processes that parse and write segments of their own
        monkeypatch.setattr(ingest_run, "PARALLEL_WRITE_MIN_FILES", 8)
        good = 9
    corpus = tmp_path / "corpus"
    good_files(corpus, good)
    slow = slow_file(corpus, kind)
    ix = tmp_path / "ix"
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert res.exit_code == 1, res.output
    assert res.output.splitlines() == [
        f"failed: {slow}: reading the file exceeded the time limit (1s) ({TIME_HINT})",
        f"{good} indexed, 0 unchanged, 1 failed ({good} reports in {ix})",
    ]


def _stuck_in_c(path: str) -> None:
    """A loop inside C code, where no Python signal handler runs: regex backtracking."""
    re.match(r"(a+)+$", "a" * 64 + "b")


@pytest.mark.parametrize("good", [5, 9, "segments"], ids=["early", "pool", "segment-workers"])
def test_a_reader_stuck_in_c_code_is_ended_by_the_processor_limit(
    good, tmp_path, runner, monkeypatch
):
    monkeypatch.setattr(limits, "PARSE_TIME_LIMIT", 1.0)
    monkeypatch.setattr(sandbox, "BACKSTOP_GRACE", 1)
    if good == "segments":
        monkeypatch.setattr(ingest_run, "PARALLEL_WRITE_MIN_FILES", 8)
        good = 9
    real = ingest_run.load_report

    def load(path, **kwargs):
        if str(path).endswith("stuck.txt"):
            _stuck_in_c(path)
        return real(path, **kwargs)

    monkeypatch.setattr(ingest_run, "load_report", load)
    corpus = tmp_path / "corpus"
    good_files(corpus, good)
    (corpus / "stuck.txt").write_text("法治政府建设情况报告。", encoding="utf-8")
    ix = tmp_path / "ix"
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert res.exit_code == 1, res.output
    assert res.output.splitlines() == [
        f"failed: {corpus / 'stuck.txt'}: reading the file exceeded the time limit (1s) "
        f"({TIME_HINT})",
        f"{good} indexed, 0 unchanged, 1 failed ({good} reports in {ix})",
    ]


def test_reading_a_file_stops_at_its_memory_limit(tmp_path, runner, monkeypatch):
    monkeypatch.setattr(limits, "PARSE_MEMORY_LIMIT", 64 * limits.MiB)
    real = ingest_run.load_report

    def load(path, **kwargs):
        if str(path).endswith("greedy.txt"):
            hoard = [bytearray(16 * limits.MiB) for _ in range(64)]
            assert not hoard
        return real(path, **kwargs)

    monkeypatch.setattr(ingest_run, "load_report", load)
    corpus = tmp_path / "corpus"
    good_files(corpus, 5)
    (corpus / "greedy.txt").write_text("法治政府建设情况报告。", encoding="utf-8")
    ix = tmp_path / "ix"
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert res.output.splitlines() == [
        f"failed: {corpus / 'greedy.txt'}: reading the file exceeded the memory limit (64 MiB) "
        "(the file may be damaged or built to fill the memory: check it, or split it)",
        f"5 indexed, 0 unchanged, 1 failed (5 reports in {ix})",
    ]


def test_inspect_reads_its_file_under_the_same_budget(tmp_path, runner, monkeypatch):
    monkeypatch.setattr(limits, "PARSE_TIME_LIMIT", 1.0)
    slow = slow_file(tmp_path, "txt")
    res = runner.invoke(cli, ["inspect", str(slow)])
    assert res.exit_code == 1
    assert res.output == (
        f"error: {slow}: reading the file exceeded the time limit (1s) ({TIME_HINT})\n"
    )
    res = runner.invoke(cli, ["inspect", str(SEEDS[0]), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["township"] == "美湖镇"


def test_inspect_of_a_directory_is_an_error_not_a_usage_error(tmp_path, runner):
    res = runner.invoke(cli, ["inspect", str(tmp_path)])
    assert res.exit_code == 1
    assert res.output == (
        f"error: {tmp_path}: is a directory (give the path of one report file; "
        "`fazhi index DIR` indexes a directory)\n"
    )


def test_call_returns_the_result_or_raises_what_the_child_raised(monkeypatch):
    monkeypatch.setattr(sandbox, "BACKSTOP_GRACE", 1)
    assert sandbox.call(sum, [1, 2, 3]) == 6
    with pytest.raises(ExtractionError) as info:
        sandbox.call(load_report, "/no/such/file.txt")
    assert info.value.user_message() == "/no/such/file.txt: file not found (check the path)"
    with pytest.raises(sandbox.OverBudget) as over:
        sandbox.call(_stuck_in_c, "x", budget=sandbox.Budget(cpu=0.5, memory=1 << 30, wall=60))
    assert over.value.kind == "time"
