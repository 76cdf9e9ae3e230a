"""Checking a draft: shared wording, its sources, its overlap, its parts; API, CLI, caps."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from indexer.analytics import place_names, sentence_key, split_sentences
from indexer.cli import cli

from helpers import SEEDS, web_app

#: the seed the draft copies from (雷高镇, 2022), and the name the draft puts in its place
SEED = SEEDS[2]
NEW = [
    "今年我们在渔港码头试点设立了海上纠纷调解船，由渔民代表轮值开展巡回调解服务。",
    "村级法律服务驿站延伸到每一个自然村的祠堂和晒谷场，逢圩日集中开放答疑。",
    "镇司法所与海事部门联合编写了渔船避风港安全守则口袋书，发放到每一条渔船上。",
    "组建由退休教师和返乡大学生组成的普法宣讲小分队，用本地方言讲述身边的案例。",
    "我们把征地补偿款发放的全部流程制成二维码公示牌，张贴在各个安置小区门口。",
]


def _seed_sentences(seed_index) -> list[str]:
    """Sentences of the seed's body passages (as indexed) long enough to compare, in order."""
    from indexer.search import Engine

    with Engine(seed_index) as engine:
        rid = next(m["id"] for m in engine.reports() if m["source"].endswith(SEED.name))
        passages = engine.report(rid)["passages"]
    out = []
    for p in passages:
        if p["kind"] == "body" and p["section"] == "measures":
            out += [s for s in split_sentences(p["text"]) if len(sentence_key(s)) >= 30]
    return out


@pytest.fixture(scope="module")
def draft(seed_index) -> dict:
    """A draft of 12 sentences of the seed under another name, one of them with two
    characters changed, and five new sentences; with the true share of copied wording."""
    picked = _seed_sentences(seed_index)[:12]
    assert len(picked) == 12
    copied = [s.replace("雷高镇", "龙湾镇").replace("雷高", "龙湾") for s in picked]
    near = copied[-1]
    i = len(near) // 2
    near = near[:i] + "持续" + near[i + 2 :]
    copied[-1] = near
    title = "龙湾镇2022年法治政府建设工作总结"  # new wording too
    lines = [title, "一、主要做法和成效", *copied[:6], "二、特色工作", *NEW, *copied[6:]]
    text = "\n".join(lines)
    names = place_names({"township": "龙湾镇"})
    shared = sum(len(sentence_key(s, names)) for s in copied)
    total = shared + sum(len(sentence_key(s, names)) for s in [title, *NEW])
    return {"text": text, "copied": copied, "near": near, "share": shared / total}


@pytest.fixture
def client(seed_index):
    with web_app(seed_index) as app:
        yield app.test_client()


def _by_text(result: dict) -> dict[str, dict]:
    return {s["text"]: s for p in result["passages"] for s in p["sentences"]}


def _check_answer(result: dict, draft: dict, seed_id: str) -> None:
    sentences = _by_text(result)
    for s in draft["copied"]:
        entry = sentences[s]
        assert entry["status"] == ("near" if s == draft["near"] else "same"), entry
        assert seed_id in [m["id"] for m in entry["matches"]]
    for s in NEW:
        assert sentences[s]["status"] == "new" and sentences[s]["matches"] == []
    assert abs(result["overlap"] - draft["share"]) < 0.03, (result["overlap"], draft["share"])
    assert result["sources"][0]["id"] == seed_id
    assert result["sources"][0]["township"] == "雷高镇"
    assert result["sources"][0]["sentences"] >= len(draft["copied"])
    assert result["shared"] >= len(draft["copied"]) and result["new"] == len(NEW) + 1
    parts = {p["key"]: p for p in result["parts"]}
    assert parts["measures"]["present"] and parts["measures"]["how"] == "heading"
    assert not parts["other_matters"]["present"]


def _seed_id(client) -> str:
    return next(r["id"] for r in client.get("/api/reports").json if r["township"] == "雷高镇")


def test_api_finds_the_copied_sentences_and_their_share(client, draft):
    r = client.post("/api/check", data={"text": draft["text"]})
    assert r.status_code == 200
    result = r.json
    for key in ("sentences", "shared", "boilerplate", "overlap", "sources", "parts", "passages"):
        assert key in result
    assert set(result["sources"][0]) >= {"id", "title", "township", "county", "year", "date",
                                         "sentences", "share"}  # fmt: skip
    assert set(result["parts"][0]) >= {"key", "label", "present", "passages"}
    _check_answer(result, draft, _seed_id(client))
    # the same as JSON in, and nothing stored: the index still has five reports
    assert (
        client.post("/api/check", json={"text": draft["text"]}).json["overlap"] == result["overlap"]
    )
    assert len(client.get("/api/reports").json) == 5


def test_cli_gives_the_same_answer(runner, seed_index, draft):
    res = runner.invoke(
        cli, ["draft", "-", "--json", "--index", str(seed_index)], input=draft["text"]
    )
    assert res.exit_code == 0, res.output
    result = json.loads(res.output)
    with web_app(seed_index) as app:
        seed_id = _seed_id(app.test_client())
    _check_answer(result, draft, seed_id)
    res = runner.invoke(cli, ["draft", "-", "--index", str(seed_index)], input=draft["text"])
    assert res.exit_code == 0 and "雷高镇" in res.output and "MISSING" in res.output


def test_an_uploaded_docx_draft(client, draft, tmp_path):
    doc = Document()
    for line in draft["text"].splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    r = client.post("/api/check", data={"file": (buf, "龙湾镇草稿.docx")},
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 200, r.json
    assert r.json["source"] == "龙湾镇草稿.docx"
    _check_answer(r.json, draft, _seed_id(client))


def test_the_draft_check_exports(client, draft):
    result = client.post("/api/check", data={"text": draft["text"]}).json
    n = sum(len(p["sentences"]) for p in result["passages"])
    r = client.post("/api/check", data={"text": draft["text"], "format": "csv"})
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == n + 1 and rows[0][:3] == ["段落", "句子", "结果"]
    r = client.post("/api/check", data={"text": draft["text"], "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.data)).active
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert [row[:3] for row in cells] == [row[:3] for row in rows]
    assert all(c.data_type != "f" and c.hyperlink is None for row in sheet.iter_rows() for c in row)


def test_the_result_page_without_script(client, draft):
    r = client.post("/api/check", data={"text": draft["text"], "format": "html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "检查结果" in html and "雷同最多的报告" in html
    assert "缺少这一部分" in html  # 其他需要报告的情况
    assert html.count('class="ds ds-same"') >= 11 and 'class="ds ds-new"' in html
    # the form to check again holds the draft, folded away
    again = html[html.index('<details class="check-again">') :]
    assert 'class="check-form is-collapsed"' in again and 'rows="6"' in again
    assert draft["text"].splitlines()[0] in again
    page = client.get("/check")
    form = page.get_data(as_text=True)
    assert page.status_code == 200 and 'rows="14"' in form and "is-collapsed" not in form


def _upload(client, name: str, data: bytes, fmt: str = "json"):
    return client.post("/api/check", data={"file": (io.BytesIO(data), name), "format": fmt},
                       content_type="multipart/form-data")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("x.exe", b"MZ\x90\x00", 415),
        ("empty.txt", b"", 400),
        ("binary.txt", b"\x00\x01\x02\x03" * 100, 422),
        ("broken.docx", b"PK\x03\x04 not a zip", 422),
        ("fake.pdf", b"<html>not a pdf</html>", 422),
        ("../../etc/passwd.txt", b"root:x:0:0", 200),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, 415),
    ],
)
def test_hostile_uploads_get_a_4xx_with_a_reason(client, name, data, status):
    for fmt in ("json", "html"):
        r = _upload(client, name, data, fmt)
        if status == 415 and name == "old.doc" and r.status_code == 422:
            status = 422  # once .doc is read, a file of zeros is refused as broken
        assert r.status_code == status, (name, fmt, r.data[:300])
        if status >= 400 and fmt == "json":
            assert r.json["error"] and r.json["message_zh"]
            assert "/tmp" not in r.json["error"] and "fazhi-draft" not in r.json["error"]
        if status >= 400 and fmt == "html":
            assert "无法检查" in r.get_data(as_text=True)


def test_oversized_drafts_are_refused(client):
    # the body built here, in memory: the test client would spool a large one to a
    # temporary file that nobody closes when the app refuses it unread
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + b"a" * (21 * 1024 * 1024) + b"\r\n--b--\r\n"
    )
    r = client.post("/api/check", data=body, content_type="multipart/form-data; boundary=b")
    assert r.status_code == 413 and "20" in r.json["message_zh"]
    r = client.post("/api/check", data={"text": "依法行政。" * 50_000})
    assert r.status_code == 413
    for body, ctype in [(b"\xff\xfe\x00", "application/json"), (b"[1, 2]", "application/json"),
                        (os.urandom(2000), "multipart/form-data; boundary=x"),
                        (b"text=", "application/x-www-form-urlencoded")]:  # fmt: skip
        r = client.post("/api/check", data=body, content_type=ctype)
        assert 400 <= r.status_code < 500, (body[:20], r.status_code)
    assert client.post("/api/check?format=pdf", data={"text": "x" * 20}).status_code == 400
    assert client.post("/api/search").status_code == 405


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(max_size=400),
    data=st.binary(max_size=400),
    ext=st.sampled_from([".txt", ".md", ".docx", ".pdf", ".doc", ".wps", ".ofd", "", ".exe"]),
    head=st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\xef\xbb\xbf"]),
)
def test_no_input_gets_a_5xx(client, text, data, ext, head):
    r = client.post("/api/check", data={"text": text})
    assert r.status_code in (200, 400, 413), r.data[:200]
    r = _upload(client, f"draft{ext}", head + data)
    assert r.status_code < 500, (ext, r.data[:200])
    if r.status_code >= 400:
        assert r.json["error"] and r.json["message_zh"]
