"""Text in unexpected encodings: a --batch file with a line that is not UTF-8.

``fazhi search --batch FILE --json`` with one non-UTF-8 line crashed (a
31-line traceback, exit 1, nothing printed for the good lines); each line is
now decoded on its own and a bad one gets ``{"query", "error"}``.
"""

from __future__ import annotations

import json

from indexer.cli import cli


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
