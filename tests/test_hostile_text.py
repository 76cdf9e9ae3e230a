"""Text in unexpected encodings: a --batch file with a line that is not UTF-8, UTF-16 without a BOM.

``fazhi search --batch FILE --json`` with one non-UTF-8 line crashed (a
31-line traceback, exit 1, nothing printed for the good lines); each line is
now decoded on its own and a bad one gets ``{"query", "error"}``. UTF-16
text without a byte-order mark was refused as binary although the README
lists UTF-16.
"""

from __future__ import annotations

import json
import shutil

import pytest

from indexer.cli import cli
from indexer.ingest import load_report
from indexer.ingest.textfile import decode_text

from helpers import SEEDS


def test_a_batch_line_that_is_not_utf8_fails_alone(seed_index, tmp_path, runner):
    batch = tmp_path / "queries.txt"
    batch.write_bytes(
        "\ufeff依法行政\n".encode()  # a BOM on the first line is not part of the query
        + "法治".encode("gbk")
        + b"\n(unclosed\n"
        + "一支队伍管执法\r\n".encode()
    )
    res = runner.invoke(
        cli, ["search", "--batch", str(batch), "--json", "--index", str(seed_index)]
    )
    assert res.exit_code == 2
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert [x["query"] for x in lines] == [
        "依法行政",
        "\ufffd\ufffd\ufffd\ufffd",
        "(unclosed",
        "一支队伍管执法",
    ]
    assert lines[0]["total"]["reports"] == 5 and lines[3]["total"]["reports"] == 2
    assert lines[1] == {
        "query": "\ufffd\ufffd\ufffd\ufffd",
        "error": "line 2 is not UTF-8 text (byte 0xb7 at offset 0) (save the file as UTF-8)",
    }
    assert set(lines[2]) == {"query", "error"}
    # from stdin too
    res = runner.invoke(
        cli, ["search", "--batch", "-", "--json", "--index", str(seed_index)], input=b"\xff\n"
    )
    assert res.exit_code == 2
    assert json.loads(res.output)["error"].startswith("line 1 is not UTF-8 text (byte 0xff")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(codec, tmp_path):
    body = SEEDS[0].read_text(encoding="utf-8")
    assert decode_text(body.encode(codec)) == body.replace("\r\n", "\n")
    # Chinese alone has no NUL byte; ASCII alone has one in every character
    assert decode_text("法治政府建设".encode(codec)) == "法治政府建设"
    assert decode_text("Report 2023".encode(codec)) == "Report 2023"
    path = tmp_path / "report.txt"
    path.write_bytes(body.encode(codec))
    assert load_report(path).township == "美湖镇"


def test_binary_data_with_nul_bytes_is_still_refused():
    for data in (bytes(range(256)) * 8, b"\x00\x01\x02\x03" * 100):
        with pytest.raises(ValueError, match=r"not a text file \(contains NUL bytes\)"):
            decode_text(data)
    # and GBK is still read as GBK
    body = SEEDS[1].read_text(encoding="utf-8")
    assert decode_text(body.encode("gbk")) == body.replace("\r\n", "\n")


def test_a_utf16_report_is_indexed_with_the_others(tmp_path, runner):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS[1], corpus / SEEDS[1].name)
    (corpus / "utf16.txt").write_bytes(SEEDS[0].read_text(encoding="utf-8").encode("utf-16-le"))
    ix = tmp_path / "ix"
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[-1] == f"2 indexed, 0 unchanged, 0 failed (2 reports in {ix})"
