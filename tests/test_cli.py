"""The fazhi command line: index, search, reports, inspect, and their errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from indexer import index as idx
from indexer.cli import cli, main
from indexer.errors import IndexLocked
from indexer.ingest import index_paths

from helpers import CORPUS, ROOT

SEED_002 = next(CORPUS.glob("002_*.txt"))


@pytest.fixture
def corpus_copy(tmp_path):
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


def run(runner, *args):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def summary_line(output: str) -> str:
    return [line for line in output.splitlines() if " indexed, " in line][-1]


def test_index_is_incremental_and_idempotent(runner, corpus_copy, tmp_path):
    ix = tmp_path / "ix"
    res = run(runner, "index", corpus_copy, "--index", ix)
    assert res.exit_code == 0, res.output
    assert summary_line(res.output) == f"5 indexed, 0 unchanged, 0 failed (5 reports in {ix})"
    before = idx.list_reports(ix)

    res = run(runner, "index", corpus_copy, "--index", ix)
    assert summary_line(res.output) == f"0 indexed, 5 unchanged, 0 failed (5 reports in {ix})"
    assert idx.list_reports(ix) == before

    # a changed file replaces its report; a copy under another name is indexed once
    f = next(corpus_copy.glob("004_*.txt"))
    f.write_text(
        f.read_text(encoding="utf-8") + "\n补充：推行“一支队伍管执法”。\n", encoding="utf-8"
    )
    shutil.copy(SEED_002, corpus_copy / "copy_of_002.txt")
    res = run(runner, "index", corpus_copy, "--index", ix)
    assert "duplicate: " in res.output and "copy_of_002.txt has the same content as" in res.output
    assert summary_line(res.output).startswith("1 indexed, 4 unchanged, 0 failed, 1 duplicate")
    assert len(idx.list_reports(ix)) == 5
    res = run(runner, "search", "一支队伍管执法", "--index", ix, "--json")
    towns = sorted(r["township"] for r in json.loads(res.output)["reports"])
    assert towns == ["周庄镇", "湖上乡", "美湖镇"]

    # --prune drops reports whose files are gone
    f.unlink()
    res = run(runner, "index", corpus_copy, "--index", ix, "--prune")
    assert summary_line(res.output).endswith(f"1 pruned (4 reports in {ix})")
    assert {m["township"] for m in idx.list_reports(ix)} == {
        "美湖镇",
        "新乡镇",
        "雷高镇",
        "湖上乡",
    }


def test_a_bad_file_fails_alone(runner, corpus_copy, tmp_path):
    (corpus_copy / "broken.pdf").write_bytes(b"this is not a pdf at all")
    (corpus_copy / "empty.txt").write_bytes(b"")
    ix = tmp_path / "ix"
    res = runner.invoke(cli, ["index", str(corpus_copy), "--index", str(ix)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert any(
        line.startswith("failed: ") and "broken.pdf: not a PDF file" in line for line in lines
    )
    assert any(line.startswith("failed: ") and "empty.txt: file is empty" in line for line in lines)
    assert summary_line(res.output) == f"5 indexed, 0 unchanged, 2 failed (5 reports in {ix})"
    assert len(idx.list_reports(ix)) == 5


def test_missing_path_is_reported(runner, tmp_path):
    res = runner.invoke(cli, ["index", str(tmp_path / "nope"), "--index", str(tmp_path / "ix")])
    assert res.exit_code == 1
    assert f"failed: {tmp_path / 'nope'}: no such file or directory" in res.output


def test_search_json_contract(runner, seed_index):
    res = run(runner, "search", "一支队伍管执法", "--index", seed_index, "--json")
    assert res.exit_code == 0
    out = json.loads(res.output)
    assert set(out) >= {"query", "mode", "filters", "total", "facets", "reports", "took_ms"}
    assert out["total"] == {"reports": 2, "passages": 2}
    assert set(out["facets"]) >= {"township", "year", "section", "province"}
    for r in out["reports"]:
        assert set(r) >= {"id", "source", "title", "township", "county", "city", "province",
                          "year", "date", "doc_number", "passages"}  # fmt: skip
        assert r["source"].startswith(str(CORPUS))
        for p in r["passages"]:
            assert set(p) >= {"id", "section", "heading", "text", "snippet"}
            assert "<mark>一支队伍管执法</mark>" in p["snippet"]


def test_search_text_output_and_filters(runner, seed_index):
    res = run(runner, "search", "谁执法谁普法", "--index", seed_index, "--year", "2022")
    assert res.exit_code == 0
    assert res.output.startswith("1 reports, ")
    assert "雷高镇" in res.output and "【谁执法谁普法】" in res.output


def test_search_batch(runner, seed_index, tmp_path):
    batch = tmp_path / "q.txt"
    batch.write_text(
        '一支队伍管执法\n枫桥经验\n"unbalanced\n依法行政 year:2022\n', encoding="utf-8"
    )
    res = runner.invoke(
        cli, ["search", "--batch", str(batch), "--json", "--index", str(seed_index)]
    )
    assert res.exit_code == 2
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert [x["query"] for x in lines] == [
        "一支队伍管执法",
        "枫桥经验",
        '"unbalanced',
        "依法行政 year:2022",
    ]
    assert lines[0]["total"]["reports"] == 2
    assert lines[2] == {
        "query": '"unbalanced',
        "error": "unbalanced quote: a quoted phrase is not closed",
    }
    assert all(x["total"]["reports"] >= 1 for x in lines if "error" not in x)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"一支队伍', "unbalanced quote: a quoted phrase is not closed"),
        ("(依法", "unbalanced parentheses: '(' is not closed"),
        ("", "empty query: type a word or phrase to search for"),
        ("依法 OR", "dangling operator 'OR': it needs a term on both sides"),
        (
            "colour:red 依法",
            "unknown field 'colour' (known fields: township, county, province, year, section, level, kind)",
        ),
        ("依法 year:20x", "malformed year '20x' (use YYYY or YYYY-YYYY, e.g. 2021-2023)"),
        ("法" * 5000, "query too long (5000 characters; the limit is 500)"),
    ],
)
def test_bad_queries_exit_2_with_one_line(runner, seed_index, query, message):
    res = runner.invoke(cli, ["search", query, "--index", str(seed_index)])
    assert res.exit_code == 2
    assert res.output.strip() == f"error: {message}"
    res = runner.invoke(cli, ["search", query, "--index", str(seed_index), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.output) == {"error": message}


def test_reports_lists_metadata_and_sections(runner, seed_index):
    res = run(runner, "reports", "--json", "--index", seed_index)
    rows = json.loads(res.output)
    assert len(rows) == 5
    assert {r["township"] for r in rows} == {"美湖镇", "新乡镇", "雷高镇", "湖上乡", "周庄镇"}
    for r in rows:
        assert "passages" not in r
        assert {s["key"] for s in r["sections"]} <= {"measures", "shortcomings", "leadership",
                                                     "plans", "other"}  # fmt: skip
    res = run(runner, "reports", "--index", seed_index)
    assert res.output.rstrip().endswith("5 reports")


def test_inspect_json(runner):
    res = run(runner, "inspect", SEED_002, "--json")
    out = json.loads(res.output)
    assert {
        k: out[k] for k in ("township", "county", "city", "province", "year", "date", "doc_number")
    } == {  # fmt: skip
        "township": "雷高镇",
        "county": "雷州市",
        "city": "湛江市",
        "province": "广东省",
        "year": 2022,
        "date": "2022-12-02",
        "doc_number": "雷高府发〔2022〕61号",
    }
    assert out["source"] == str(SEED_002)
    assert all(set(s) >= {"key", "label", "heading"} for s in out["sections"])
    assert all(set(p) >= {"id", "section", "heading", "text"} for p in out["passages"])
    res = run(runner, "inspect", SEED_002)
    assert "雷高府发〔2022〕61号" in res.output


def test_inspect_bad_file(runner, tmp_path):
    bad = tmp_path / "report.xyz"
    bad.write_text("法治", encoding="utf-8")
    res = runner.invoke(cli, ["inspect", str(bad)])
    assert res.exit_code == 1
    assert res.output.startswith(f"error: {bad}: unsupported file type '.xyz'")
    assert len(res.output.strip().splitlines()) == 1


def test_missing_index(runner, tmp_path):
    res = runner.invoke(cli, ["search", "依法", "--index", str(tmp_path / "none")])
    assert res.exit_code == 1
    assert res.output.strip() == (
        f"error: no index at {tmp_path / 'none'} (build one with `fazhi index` "
        "(default corpus: corpus/))"
    )


def test_index_of_another_version_asks_for_rebuild(runner, corpus_copy, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus_copy], ix)
    info = json.loads((ix / idx.VERSION_FILE).read_text())
    info["schema_version"] = 0
    (ix / idx.VERSION_FILE).write_text(json.dumps(info))
    res = runner.invoke(cli, ["search", "依法", "--index", str(ix)])
    assert res.exit_code == 1
    assert "was built by another version of fazhi" in res.output
    assert "rebuild it with `fazhi index --rebuild`" in res.output
    res = runner.invoke(cli, ["index", str(corpus_copy), "--index", str(ix), "--rebuild"])
    assert res.exit_code == 0, res.output
    assert summary_line(res.output) == f"5 indexed, 0 unchanged, 0 failed (5 reports in {ix})"
    res = runner.invoke(cli, ["search", "依法", "--index", str(ix), "--json"])
    assert json.loads(res.output)["total"]["reports"] == 5


def test_second_writer_waits_then_fails_naming_the_lock(corpus_copy, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus_copy], ix)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from indexer import index as idx
            with idx.write_session({str(ix)!r}):
                print("locked", flush=True)
                time.sleep(30)
        """)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLocked) as info:
            index_paths([corpus_copy], ix, lock_timeout=0.5)
        assert str(info.value) == (
            f"index at {ix} is locked by another indexer (lock {ix / idx.LOCK_NAME}, waited 0.5s)"
        )
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert index_paths([corpus_copy], ix).unchanged  # the lock is free again


def test_main_returns_exit_codes(seed_index, capsys):
    assert main(["search", "依法行政", "--index", str(seed_index), "--json"]) == 0
    assert main(["search", "(", "--index", str(seed_index)]) == 2
    assert main(["--version"]) == 0
