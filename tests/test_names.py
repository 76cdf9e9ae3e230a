"""File names of any bytes: indexed, checked and shown without crashing a commit.

A GBK name, as left by unzipping a Chinese archive on Linux, used to crash
the whole run at its commit (``UnicodeEncodeError: surrogates not allowed``
in ``segfile.save``): nothing was committed and ``fazhi check`` asked for the
same run again. Such names are now stored exactly (lone surrogates as JSON
escapes) and shown with replacement characters; a control character in a
name is escaped in one-line messages.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from indexer import names
from indexer.cli import cli
from indexer.index import read_failed

from helpers import SEEDS, web_app

#: 法治.txt in GBK: not UTF-8, so Python reads the name with lone surrogates
GBK_NAME = os.fsdecode("法治".encode("gbk") + b".txt")


def run(runner, *args):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def gbk_corpus(tmp_path) -> Path:
    """Two seed reports, one under a GBK name, and an empty file under another."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS[0], corpus / SEEDS[0].name)
    shutil.copy(SEEDS[1], corpus / GBK_NAME)
    (corpus / os.fsdecode("空".encode("gbk") + b".txt")).write_bytes(b"")
    return corpus


def test_names_round_trip_through_json_and_show_replacement_characters():
    assert "\udcb7" in GBK_NAME
    stored = names.dumps({"source": GBK_NAME})
    stored.encode("utf-8")  # valid UTF-8, unlike json.dumps(..., ensure_ascii=False)
    assert "\\udcb7" in stored
    assert json.loads(stored) == {"source": GBK_NAME}
    assert names.printable(GBK_NAME) == "\ufffd" * 4 + ".txt"
    assert names.printable("纯中文.txt") == "纯中文.txt"
    # valid UTF-8 around the bad bytes is kept
    mixed = os.fsdecode("报告".encode() + b"\xff.txt")
    assert names.printable(mixed) == "报告\ufffd.txt"
    assert names.one_line("a\nb\x1b[31m.txt\t") == "a\\nb\\x1b[31m.txt\\t"
    assert names.printable_json({"s": GBK_NAME}) == '{"s": "\ufffd\ufffd\ufffd\ufffd.txt"}'


def test_a_gbk_file_name_is_indexed_checked_and_shown(gbk_corpus, tmp_path, runner):
    ix = tmp_path / "ix"
    res = run(runner, "index", gbk_corpus, "--index", ix)
    assert res.exit_code == 1  # the empty file
    lines = res.output.splitlines()
    assert lines[-1] == f"2 indexed, 0 unchanged, 1 failed (2 reports in {ix})"
    assert (
        f"failed: {gbk_corpus}/\ufffd\ufffd.txt: file is empty "
        "(check that the download or copy finished)"
    ) in lines
    # stored exactly: the recorded failure names the file itself
    failed = read_failed(ix)
    assert [Path(p).name for p in failed] == [os.fsdecode("空".encode("gbk") + b".txt")]

    res = run(runner, "check", "--index", ix, "--corpus", gbk_corpus)
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[-1].startswith(f"ok: the index at {ix} is healthy: 2 reports")
    # a second run finds the file unchanged under its exact name
    res = run(runner, "index", gbk_corpus, "--index", ix)
    assert res.output.splitlines()[-1] == f"0 indexed, 2 unchanged, 1 failed (2 reports in {ix})"

    res = run(runner, "reports", "--json", "--index", ix)
    sources = sorted(r["source"] for r in json.loads(res.output))
    assert sources == [
        f"{gbk_corpus}/{SEEDS[0].name}",
        f"{gbk_corpus}/\ufffd\ufffd\ufffd\ufffd.txt",
    ]
    res = run(runner, "search", "依法行政", "--json", "--index", ix)
    assert f"{gbk_corpus}/\ufffd\ufffd\ufffd\ufffd.txt" in [
        r["source"] for r in json.loads(res.output)["reports"]
    ]
    res = run(runner, "reports", "--index", ix)
    assert f"    {gbk_corpus}/\ufffd\ufffd\ufffd\ufffd.txt  sections: " in res.output


def test_the_web_app_shows_and_serves_a_gbk_named_report(gbk_corpus, tmp_path, runner):
    ix = tmp_path / "ix"
    run(runner, "index", gbk_corpus, "--index", ix)
    with web_app(ix) as app:
        client = app.test_client()
        listed = client.get("/api/reports").json
        rid = next(r["id"] for r in listed if "\ufffd" in r["source"])
        assert client.get(f"/api/reports/{rid}").json["source"].endswith("\ufffd\ufffd.txt")
        for url in (f"/report/{rid}", "/reports", "/?q=依法行政", "/api/search?q=依法行政"):
            r = client.get(url)
            assert r.status_code == 200, url
        page = client.get(f"/report/{rid}").get_data(as_text=True)
        assert "\ufffd\ufffd\ufffd\ufffd.txt" in page
        r = client.get(f"/report/{rid}/file")
        assert r.status_code == 200
        assert r.data == SEEDS[1].read_bytes()
        assert "filename*=UTF-8''%EF%BF%BD" in r.headers["Content-Disposition"]
        r.close()


def test_a_newline_in_a_file_name_does_not_break_its_one_line_message(tmp_path, runner):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS[0], corpus / SEEDS[0].name)
    (corpus / "bad\nname\x1b[2J.txt").write_bytes(b"")
    res = run(runner, "index", corpus, "--index", tmp_path / "ix")
    assert res.exit_code == 1
    assert res.output.splitlines() == [
        f"failed: {corpus}/bad\\nname\\x1b[2J.txt: file is empty "
        "(check that the download or copy finished)",
        f"1 indexed, 0 unchanged, 1 failed (1 reports in {tmp_path / 'ix'})",
    ]
    res = run(runner, "inspect", corpus / "bad\nname\x1b[2J.txt")
    assert res.exit_code == 1
    assert res.output == (
        f"error: {corpus}/bad\\nname\\x1b[2J.txt: file is empty "
        "(check that the download or copy finished)\n"
    )
