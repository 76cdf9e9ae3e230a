"""The web UI and JSON API through Flask's test client, on small synthetic indexes."""

from __future__ import annotations

import json
import random
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import index as idx
from indexer.search import Engine
from webui import SECURITY_HEADERS, citation, create_app
from webui.params import search_within
from webui.responses import json_list_response, json_response

from helpers import build_index, make_report, web_app

RAW_SCRIPT = "<script>alert"


@pytest.fixture
def app(synthetic_index):
    with web_app(synthetic_index) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def exceptions(app):
    """Every exception that reached the app's catch-all handler during the test."""
    seen: list[BaseException] = []

    def record(sender, exception, **extra):
        seen.append(exception)

    flask.got_request_exception.connect(record, app)
    yield seen
    flask.got_request_exception.disconnect(record, app)


def html(response) -> str:
    return response.get_data(as_text=True)


def text_of(response) -> str:
    """The visible text of a page, roughly: tags dropped, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html(response), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def rid_of(client, township: str) -> str:
    return next(m["id"] for m in client.get("/api/reports").json if m["township"] == township)


def assert_no_raw_script(body: str) -> None:
    assert RAW_SCRIPT not in body
    # the only script element is the app's own file
    assert re.findall(r"<script\b[^>]*>", body) == [
        f'<script src="{flask.url_for("static", filename="app.js")}" defer>'
    ]


# ---------------------------------------------------------------- pages


def test_home_page_counts_reports_and_offers_examples(client):
    r = client.get("/")
    assert r.status_code == 200
    body = html(r)
    assert '<html lang="zh-CN">' in body
    assert "已收录 <strong>3</strong> 份报告" in body
    assert 'name="q"' in body and 'value="exact" checked' in body
    assert "/help" in body


def test_search_groups_passages_by_report(client):
    r = client.get("/", query_string={"q": "一支队伍管执法"})
    assert r.status_code == 200
    page = text_of(r)
    assert "找到 2 份报告、 2 个段落" in page
    assert "美湖镇" in page and "湖上乡" in page and "雷高镇" not in page
    body = html(r)
    assert "<mark>一支队伍管执法</mark>" in body
    assert "主要举措和成效" in body  # section label
    assert "2024-02-27" in body and "2023年度" in body
    assert "用时" in body
    # the passage link carries the query and the passage anchor
    assert re.search(r'href="/report/[0-9a-f]+\?p=1&amp;q=[^"]+#p1"', body)


def test_facets_show_counts_and_filter(client):
    r = client.get("/", query_string={"q": "一支队伍管执法"})
    body = html(r)
    link = re.search(r'<a href="([^"]*township=[^"]*)">\s*<span class="facet-label">湖上乡', body)
    assert link, "township facet links to a filtered search"
    assert '<span class="facet-sub">安溪县</span>' in body
    url = link.group(1).replace("&amp;", "&")
    r = client.get(url)
    page = text_of(r)
    assert "找到 1 份报告" in page
    assert "美湖镇关于" not in page
    body = html(r)
    chip = re.search(r'<li class="chip">\s*<a href="([^"]+)"[^>]*>.*?湖上乡', body, re.S)
    assert chip, "an active filter is shown as a removable chip"
    removed = parse_qs(urlsplit(chip.group(1).replace("&amp;", "&")).query)
    assert removed == {"q": ["一支队伍管执法"]}
    assert 'class="facet-item is-active"' in body


def test_filters_written_in_the_query_show_as_fixed_chips(client):
    r = client.get("/", query_string={"q": "执法 township:湖上乡"})
    assert r.status_code == 200
    assert "找到 1 份报告" in text_of(r)
    assert 'title="写在检索式中；修改检索词即可移除"' in html(r)


def test_section_facet_and_year_filter(client):
    r = client.get("/", query_string={"q": "依法行政", "section": "不足"})
    page = text_of(r)
    assert "找到 1 份报告、 1 个段落" in page
    assert "报告部分： 存在的不足和原因" in page
    r = client.get("/", query_string={"q": "执法", "year": "2022"})
    assert "没有找到符合条件的报告" in text_of(r)
    assert "清除全部筛选" in text_of(r)


def test_words_mode_and_sort_by_date(client):
    r = client.get("/", query_string={"q": "执法", "mode": "words", "sort": "date"})
    assert r.status_code == 200
    body = html(r)
    assert 'value="words" checked' in body
    assert body.index("湖上乡关于") < body.index("美湖镇关于")  # 2024-03-28 before 2024-02-27
    assert '<span class="sort-current" aria-current="true">日期</span>' in body


def test_pagination(client):
    r = client.get("/", query_string={"q": "执法", "per_page": "1"})
    body = html(r)
    assert 'aria-label="分页"' in body
    nxt = re.search(r'<a class="page-next" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(nxt).query)["page"] == ["2"]
    first = re.search(r'<h2 class="result-title"><a [^>]+>([^<]+)', body).group(1)
    second = re.search(r'<h2 class="result-title"><a [^>]+>([^<]+)', html(client.get(nxt))).group(1)
    assert first != second
    r = client.get("/", query_string={"q": "执法", "page": "9"})
    assert r.status_code == 200 and "本页没有结果" in text_of(r)


def test_search_within_results_redirects_to_the_anded_query(client):
    r = client.get(
        "/", query_string={"q": "执法", "within": "普法", "township": "湖上乡", "page": "3"}
    )
    assert r.status_code == 303
    args = parse_qs(urlsplit(r.headers["Location"]).query)
    assert args == {"q": ["执法 普法"], "township": ["湖上乡"]}
    r = client.get(r.headers["Location"])
    assert "找到 1 份报告" in text_of(r)


@pytest.mark.parametrize(
    ("q", "within", "expected"),
    [
        ("执法", "普法", "执法 普法"),
        ("", "普法", "普法"),
        ("执法", "  ", "执法"),
        ("一支队伍 OR 依法行政", "提升", "(一支队伍 OR 依法行政) 提升"),
        ("year:2023 一支队伍 OR 依法行政", "提升", "year:2023 (一支队伍 OR 依法行政) 提升"),
        ("执法", "普法 OR 宣传", "执法 (普法 OR 宣传)"),
        ('"未闭合', "提升", '"未闭合 提升'),  # left for the engine to report
    ],
)
def test_search_within_ands_with_the_whole_query(q, within, expected):
    assert search_within(q, within) == expected


def test_help_page_explains_the_syntax(client):
    r = client.get("/help")
    assert r.status_code == 200
    page = text_of(r)
    for needle in ("精确", "分词", "OR", "township:美湖镇", "year:2021-2023", "GB/T 7714-2015"):
        assert needle in page
    # the search page reaches it in one click
    assert 'href="/help"' in html(client.get("/", query_string={"q": "执法"}))


def test_report_list(client):
    r = client.get("/reports")
    assert r.status_code == 200
    page = text_of(r)
    assert "共 3 份报告" in page
    assert page.index("2023") < page.index("2022")
    assert client.get("/reports", query_string={"page": "2"}).status_code == 400
    assert client.get("/reports", query_string={"page": "x"}).status_code == 400


def test_report_list_pages_follow_year_date_and_file_name(tmp_path):
    rng = random.Random(7)
    reports = [
        make_report(
            f"{rng.choice('abc')}{i:03d}.txt",
            [f"第{i}号报告推进依法行政工作，编号{i}。"],
            township=f"镇{i % 7}",
            year=rng.choice([None, 2021, 2022, 2023]),
            date=rng.choice([None, "2022-01-05", "2023-03-01", "2023-12-30"]),
        )
        for i in range(70)
    ]
    ix = build_index(tmp_path / "ix", reports)
    with idx.write_session(ix) as w:  # a report replaced in a later segment, one removed
        r = make_report(reports[3].source, ["替换后的报告文本，编号三。"], year=2020)
        w.add_report(r, reports[3].sha256[:16], str(ix / r.source))
        w.delete_report(reports[5].sha256[:16])
    listed = Engine(ix).reports(outline=False)
    listed.sort(key=lambda m: m.get("source") or "")
    listed.sort(key=lambda m: (m.get("year") or 0, m.get("date") or ""), reverse=True)
    with web_app(ix) as app:
        client = app.test_client()
        shown = []
        for page in (1, 2):
            body = html(client.get("/reports", query_string={"page": page}))
            rows = body[body.index("<tbody>") :]
            shown += re.findall(r'<tr>\s*<td><a href="/report/([^"]+)"', rows)
    assert len(listed) == 69 and shown == [m["id"] for m in listed]


# ---------------------------------------------------------------- report page


def test_report_page_shows_outline_metadata_and_passages(client):
    rid = rid_of(client, "湖上乡")
    r = client.get(f"/report/{rid}")
    assert r.status_code == 200
    body = html(r)
    page = text_of(r)
    assert "湖上乡关于2023年度法治政府建设情况的报告" in page
    for label, value in [
        ("发文机关", "湖上乡人民政府"),
        ("区县", "安溪县"),
        ("地级市", "泉州市"),
        ("省份", "福建省"),
        ("成文日期", "2024-03-28"),
        ("文号", "未注明"),
    ]:
        assert f"{label} {value}" in page
    # outline: table of contents linking to the section headings in the body
    toc = re.search(r'<nav class="panel toc".*?</nav>', body, re.S).group(0)
    anchors = re.findall(r'href="#(s\d+)"', toc)
    assert len(anchors) == 2
    for anchor in anchors:
        assert f'id="{anchor}"' in body
    assert 'id="p1"' in body and 'id="p2"' in body
    assert "<mark>" not in body.split('<article class="report-body">')[1]


def test_report_page_highlights_the_search_and_marks_the_linked_passage(client):
    rid = rid_of(client, "美湖镇")
    r = client.get(f"/report/{rid}", query_string={"q": "一支队伍管执法 OR 不足", "p": "1"})
    body = html(r)
    p1 = re.search(r'<div class="passage([^"]*)" id="p1".*?</p>', body, re.S)
    assert "is-linked" in p1.group(1) and "is-hit" in p1.group(1)
    assert "<mark>一支队伍管执法</mark>" in p1.group(0)
    p2 = re.search(r'<div class="passage([^"]*)" id="p2".*?</p>', body, re.S)
    assert "is-linked" not in p2.group(1)
    assert "<mark>不足</mark>" in p2.group(0)
    assert "共 2 个段落命中" in text_of(r)
    assert "返回“一支队伍管执法 OR 不足”的检索结果" in text_of(r)


def test_report_page_ignores_negated_terms_and_survives_a_bad_query(client):
    rid = rid_of(client, "美湖镇")
    r = client.get(f"/report/{rid}", query_string={"q": "执法 -不足"})
    assert "<mark>不足</mark>" not in html(r)
    r = client.get(f"/report/{rid}", query_string={"q": '"未闭合', "p": "abc"})
    assert r.status_code == 200
    assert "unbalanced quote" in text_of(r)


def test_words_mode_highlights_words_on_the_report_page(client):
    rid = rid_of(client, "雷高镇")
    r = client.get(f"/report/{rid}", query_string={"q": "提升依法行政", "mode": "words"})
    assert "<mark>依法行政</mark>" in html(r)


def test_unknown_report_is_404(client):
    for url in ("/report/0000000000000000", "/report/0000000000000000/file", "/report/..%2Fetc"):
        r = client.get(url)
        assert r.status_code == 404
        assert "没有" in text_of(r)


def test_download_serves_the_indexed_file_only(tmp_path):
    index_dir = tmp_path / "index"
    report = make_report("d.txt", ["落实“一支队伍管执法”。"])
    build_index(index_dir, [report])
    original = index_dir / "d.txt"  # build_index records index_dir / source as the path
    original.write_text("原始文件内容", encoding="utf-8")
    client = create_app({"INDEX_DIR": str(index_dir)}).test_client()
    rid = client.get("/api/reports").json[0]["id"]
    r = client.get(f"/report/{rid}/file")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "d.txt" in r.headers["Content-Disposition"]
    assert r.get_data(as_text=True) == "原始文件内容"
    r.close()
    assert "下载原始文件" in html(client.get(f"/report/{rid}"))
    # the path comes from the index: query arguments cannot redirect it
    r = client.get(f"/report/{rid}/file", query_string={"path": "/etc/passwd"})
    assert r.get_data(as_text=True) == "原始文件内容"
    r.close()
    original.unlink()
    r = client.get(f"/report/{rid}/file")
    assert r.status_code == 404
    assert "原始文件已不在" in text_of(r)
    assert "原始文件已不在服务器上" in text_of(client.get(f"/report/{rid}"))


# ---------------------------------------------------------------- citations


def test_every_passage_has_a_citation_with_a_permalink(client):
    r = client.get("/", query_string={"q": "一支队伍管执法"})
    body = html(r)
    cites = re.findall(
        r'<button type="button" class="btn btn-small btn-cite" data-cite="([^"]+)"', body
    )
    assert len(cites) == 2
    rid = rid_of(client, "美湖镇")
    expected = (
        "美湖镇人民政府《美湖镇关于2023年度法治政府建设情况的报告》（2024年2月27日），"
        f"“1、measures”部分（http://localhost/report/{rid}#p1）：“落实好乡镇‘一支队伍管执法’。”"
    )
    assert expected in [unescape(c) for c in cites]
    assert "[R]. 德化县: 美湖镇人民政府, 2024-02-27." in body
    # and on the report page
    page = html(client.get(f"/report/{rid}"))
    assert page.count('class="btn btn-small btn-cite"') == 2


def test_citation_formats():
    meta = {
        "id": "x",
        "source": "corpus/x.txt",
        "title": "湖上乡关于2023年度法治政府建设情况的报告",
        "issuer": "湖上乡人民政府",
        "township": "湖上乡",
        "county": "安溪县",
        "city": "泉州市",
        "year": 2023,
        "date": "2024-03-28",
    }
    passage = {"id": 3, "heading": "（二）存在问题", "text": "执法力量不足"}
    link = "http://h/report/x#p3"
    assert citation.plain(meta, passage, link) == (
        "湖上乡人民政府《湖上乡关于2023年度法治政府建设情况的报告》（2024年3月28日），"
        "“（二）存在问题”部分（http://h/report/x#p3）：“执法力量不足”。"
    )
    assert citation.gbt7714(meta) == (
        "湖上乡人民政府. 湖上乡关于2023年度法治政府建设情况的报告[R]. "
        "安溪县: 湖上乡人民政府, 2024-03-28."
    )
    sparse = {"source": "corpus/y.txt", "township": "美湖镇", "year": 2022}
    assert citation.plain(sparse, {"heading": "", "text": "坚持依法行政。"}, "L") == (
        "美湖镇《y.txt》（2022年度）（L）：“坚持依法行政。”"
    )
    assert citation.gbt7714({"source": "z.pdf"}) == "z.pdf[R]. [出版地不详]: [出版者不详]."


# ---------------------------------------------------------------- errors: pages

BAD_QUERIES = [
    ({"q": '"一支队伍'}, "unbalanced quote"),
    ({"q": "(执法"}, "unbalanced parentheses"),
    ({"q": "执法 OR"}, "dangling operator"),
    ({"q": "-执法"}, "only excludes"),
    ({"q": "foo:bar 执法"}, "unknown field"),
    ({"q": "year:20x3 执法"}, "malformed year"),
    ({"q": "执法", "year": "二〇二三"}, "malformed year"),
    ({"q": "执法", "year": "1800"}, "out of range"),
    ({"q": "执法", "section": "结尾"}, "unknown section"),
    ({"q": "执" * 5000}, "query too long"),
    ({"q": "(" * 20 + "执法" + ")" * 20}, "too deeply nested"),
    ({"q": " ".join(["执法"] * 40)}, "too many terms"),
    ({"q": "执法", "page": "abc"}, "page must be a whole number"),
    ({"q": "执法", "page": "0"}, "page must be between"),
    ({"q": "执法", "per_page": "1000"}, "per_page must be between"),
    ({"q": "执法", "mode": "foo"}, "unknown mode"),
    ({"q": "执法", "sort": "foo"}, "unknown sort"),
]


@pytest.mark.parametrize(("args", "message"), BAD_QUERIES)
def test_bad_query_page_is_400_with_the_reason(client, exceptions, args, message):
    r = client.get("/", query_string=args)
    assert r.status_code == 400
    page = text_of(r)
    assert message in page
    assert "检索式有误" in page and "查看检索语法" in page
    assert 'id="q"' in html(r)  # the form is there to fix the query
    assert exceptions == []


@pytest.mark.parametrize(("args", "message"), BAD_QUERIES)
def test_bad_query_api_is_400_json(client, exceptions, args, message):
    r = client.get("/api/search", query_string=args)
    assert r.status_code == 400
    assert r.mimetype == "application/json"
    assert message in r.json["error"]
    assert set(r.json) == {"error"}
    assert exceptions == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "empty query"),
        ({"q": ""}, "empty query"),
        ({"q": "   "}, "empty query"),
        ({"q": "执法", "township": ""}, "empty value for filter"),
        ({"q": "执法", "limit": "5"}, "unknown parameter 'limit'"),
        ({"q": ["执法", "普法"]}, "given more than once"),
        ({"q": "执法", "township": ["x"] * 51}, "too many values"),
    ],
)
def test_api_parameter_errors(client, args, message):
    r = client.get("/api/search", query_string=args)
    assert r.status_code == 400
    assert message in r.json["error"]


def test_empty_query_on_the_page_shows_the_home_page(client):
    r = client.get("/", query_string={"q": "  ", "township": "湖上乡"})
    assert r.status_code == 200
    assert "请输入检索词" in text_of(r)
    assert '<input type="hidden" name="township" value="湖上乡">' in html(r)


def test_no_index_is_503_with_instructions(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "missing")}).test_client()
    for url in ("/", "/?q=执法", "/reports", "/report/abc", "/report/abc/file"):
        r = client.get(url)
        assert r.status_code == 503, url
        page = text_of(r)
        assert "索引暂不可用" in page and "fazhi index corpus" in page and "scripts/serve" in page
    for url in ("/api/search?q=执法", "/api/reports", "/api/reports/abc"):
        r = client.get(url)
        assert r.status_code == 503, url
        assert "no index" in r.json["error"]
    assert client.get("/help").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200


def test_unknown_paths_and_methods(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and "没有找到该页面" in text_of(r)
    r = client.get("/api/nowhere")
    assert r.status_code == 404 and r.json == {"error": "not found"}
    r = client.get("/api/reports/0000000000000000")
    assert r.status_code == 404 and "no report" in r.json["error"]
    for method in ("post", "put", "delete", "patch"):
        r = getattr(client, method)("/")
        assert r.status_code == 405
        assert "GET" in r.headers["Allow"]
        r = getattr(client, method)("/api/search?q=x")
        assert r.status_code == 405 and "error" in r.json


def test_the_app_is_read_only(app):
    """GET only, but for the draft check, which reads a draft and writes nothing."""
    for rule in app.url_map.iter_rules():
        if rule.rule == "/api/check":
            assert rule.methods == {"POST", "OPTIONS"}, rule
            continue
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_unexpected_errors_get_a_friendly_500(synthetic_index, caplog):
    app = create_app({"INDEX_DIR": str(synthetic_index)})

    def boom():
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    client = app.test_client()
    r = client.get("/boom")
    assert r.status_code == 500
    assert "服务器内部错误" in text_of(r) and "secret detail" not in html(r)
    assert r.headers["X-Frame-Options"] == "DENY"
    r = client.get("/api/boom")
    assert r.status_code == 500 and "secret detail" not in r.json["error"]
    assert "secret detail" in caplog.text  # logged with its traceback


# ---------------------------------------------------------------- escaping


def test_script_in_the_query_is_escaped_in_the_box(client):
    q = "<script>alert(1)</script>"
    r = client.get("/", query_string={"q": q})
    assert r.status_code == 200
    body = html(r)
    with client.application.test_request_context():
        assert_no_raw_script(body)
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in body


@pytest.mark.parametrize(
    "args",
    [
        {"q": '"<script>alert(1)</script>'},
        {"q": "year:<script>alert(1)</script> x"},
        {"q": "执法", "section": "<script>alert(1)</script>"},
        {"q": "执法", "page": "<script>alert(1)</script>"},
    ],
)
def test_script_in_an_error_message_is_escaped(client, args):
    r = client.get("/", query_string=args)
    assert r.status_code == 400
    body = html(r)
    with client.application.test_request_context():
        assert_no_raw_script(body)
    assert "&lt;script&gt;alert(1)" in body


def test_script_in_a_document_is_escaped_everywhere(client):
    r = client.get("/", query_string={"q": "普法"})
    body = html(r)
    with client.application.test_request_context():
        assert_no_raw_script(body)
    assert "普法&lt;script&gt;alert(1)&lt;/script&gt;不足" in body
    api = client.get("/api/search", query_string={"q": "普法"}).json
    snippets = [p["snippet"] for rep in api["reports"] for p in rep["passages"]]
    assert any("&lt;script&gt;" in s for s in snippets)
    assert all(RAW_SCRIPT not in s for s in snippets)
    assert all(re.sub(r"</?mark>", "", s).count("<") == 0 for s in snippets)
    rid = rid_of(client, "美湖镇")
    for q in ("", "script", "alert(1)"):
        page = html(client.get(f"/report/{rid}", query_string={"q": q}))
        with client.application.test_request_context():
            assert_no_raw_script(page)


# ---------------------------------------------------------------- headers


def test_security_headers_on_every_response(client, tmp_path):
    rid = rid_of(client, "美湖镇")
    urls = [
        "/",
        "/?q=执法",
        "/?q=%22",
        "/help",
        "/reports",
        f"/report/{rid}",
        "/nowhere",
        "/static/style.css",
        "/static/app.js",
        "/api/search?q=执法",
        "/api/search",
        "/api/reports",
        "/api/openapi.json",
    ]
    for url in urls:
        r = client.get(url)
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (url, name)
        r.close()
    missing = create_app({"INDEX_DIR": str(tmp_path / "none")}).test_client().get("/")
    assert missing.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp


def test_pages_need_no_inline_script_or_style(client):
    rid = rid_of(client, "美湖镇")
    for url in ("/", "/?q=执法", "/?q=%22", "/help", "/reports", f"/report/{rid}?q=执法&p=1"):
        body = html(client.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), url
        assert "<style" not in body and " style=" not in body, url
        assert not re.search(r"\son[a-z]+=", body), url  # no inline event handlers


# ---------------------------------------------------------------- JSON API


def _without_took(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "took_ms"}


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ({"q": "一支队伍管执法"}, {}),
        ({"q": "执法", "township": "湖上乡"}, {"filters": {"township": ["湖上乡"]}}),
        (
            {"q": "执法 OR 依法行政", "year": ["2022", "2023"], "sort": "date"},
            {"filters": {"year": ["2022", "2023"]}, "sort": "date"},
        ),
        ({"q": "依法行政", "section": "不足"}, {"filters": {"section": ["不足"]}}),
        (
            {"q": "执法", "province": "福建省", "county": "德化县"},
            {"filters": {"province": ["福建省"], "county": ["德化县"]}},
        ),
        (
            {"q": "执法", "mode": "words", "per_page": "1", "page": "2"},
            {"mode": "words", "per_page": 1, "page": 2},
        ),
        ({"q": "不存在的词"}, {}),
    ],
)
def test_api_search_equals_the_engine(client, synthetic_index, args, kwargs):
    r = client.get("/api/search", query_string=args)
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    q = args["q"]
    expected = Engine(synthetic_index).search(q, **kwargs)
    assert _without_took(r.json) == json.loads(json.dumps(_without_took(expected)))
    assert isinstance(r.json["took_ms"], float | int)
    # UTF-8, not \u escapes: the same bytes `fazhi search --json` prints
    assert q.encode() in r.data


def test_api_search_prints_what_the_cli_prints(client, synthetic_index, runner):
    from indexer.cli import cli

    def strip_took(text: str) -> str:
        return re.sub(r'"took_ms": [0-9.e+-]+', '"took_ms": 0', text.strip())

    argv = [
        "search",
        "--json",
        "--index",
        str(synthetic_index),
        "--township",
        "湖上乡",
        "--sort",
        "date",
        "--limit",
        "5",
        "执法 OR 普法",
    ]
    printed = runner.invoke(cli, argv)
    assert printed.exit_code == 0, printed.output
    args = {"q": "执法 OR 普法", "township": "湖上乡", "sort": "date", "per_page": "5"}
    served = client.get("/api/search", query_string=args).get_data(as_text=True)
    assert strip_took(served) == strip_took(printed.output)


@pytest.mark.parametrize("n", [0, 1, 3, 1201])
@pytest.mark.parametrize("batch", [1, 500])
def test_a_streamed_json_list_is_the_same_bytes_as_the_whole(n, batch):
    items = [
        {"id": f"r{i}", "source": f"名\udcb0{i}.txt", "sections": [{"key": "x"}] * (i % 3)}
        for i in range(n)
    ]
    whole = json_response(items).get_data()
    assert json_list_response(iter(items), batch).get_data() == whole
    shown = json.loads(whole)
    assert len(shown) == n and all(m["source"] == f"名\ufffd{i}.txt" for i, m in enumerate(shown))


def test_api_reports_lists_what_the_engine_holds_with_copy_figures(client, synthetic_index):
    served = client.get("/api/reports")
    assert served.status_code == 200 and served.is_streamed
    expected = Engine(synthetic_index).reports()
    listed = served.json
    assert [m["id"] for m in listed] == [m["id"] for m in expected]
    for m, e in zip(listed, expected, strict=True):
        assert {k: m[k] for k in e if k in m} == {k: e[k] for k in e if k in m}
        assert "copy" in m


def test_api_reports(client):
    r = client.get("/api/reports")
    assert r.status_code == 200
    reports = r.json
    assert [m["source"] for m in reports] == ["a.txt", "b.txt", "c.txt"]
    assert "path" not in reports[0]  # server paths are not published
    assert reports[1]["township"] == "湖上乡" and reports[1]["passage_count"] == 2
    assert reports[1]["sections"][0]["key"] == "measures"
    one = client.get(f"/api/reports/{reports[1]['id']}").json
    assert one["title"] == reports[1]["title"]
    assert [p["id"] for p in one["passages"]] == [1, 2]
    assert one["passages"][1]["section"] == "plans"
    assert one["passages"][1]["text"] == "持续落实“谁执法谁普法”。"


def test_openapi_describes_the_endpoints(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = json.loads(r.data)
    assert doc["openapi"].startswith("3.1")
    assert {"/api/search", "/api/reports", "/api/reports/{id}", "/api/openapi.json"} <= set(
        doc["paths"]
    )
    params = {p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params == {
        "q",
        "township",
        "level",
        "kind",
        "county",
        "year",
        "section",
        "province",
        "mode",
        "page",
        "per_page",
        "sort",
        "facet_limit",
        "format",
    }
    schemas = doc["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(doc))
    assert refs and all(name in schemas for name in refs)
    # the documented result fields are the ones the API returns
    result = client.get("/api/search", query_string={"q": "执法"}).json
    assert set(schemas["SearchResult"]["required"]) == set(result)
    assert set(schemas["ReportHit"]["required"]) == set(result["reports"][0])
    assert set(schemas["PassageHit"]["required"]) == set(result["reports"][0]["passages"][0])
    summary = client.get("/api/reports").json[0]
    assert set(schemas["ReportSummary"]["required"]) == set(summary)


# ---------------------------------------------------------------- live index


def test_a_reindexed_corpus_is_picked_up_without_restart(tmp_path):
    index_dir = build_index(tmp_path / "index", [make_report("a.txt", ["坚持依法行政。"])])
    client = create_app({"INDEX_DIR": str(index_dir)}).test_client()
    assert client.get("/api/search", query_string={"q": "枫桥经验"}).json["total"]["reports"] == 0
    build_index(index_dir, [make_report("b.txt", ["推广“枫桥经验”。"], township="湖上乡")])
    r = client.get("/api/search", query_string={"q": "枫桥经验"})
    assert r.json["total"]["reports"] == 1
    assert "找到 1 份报告" in text_of(client.get("/", query_string={"q": "枫桥经验"}))


# ---------------------------------------------------------------- user input never 500s

query_text = st.one_of(
    st.text(max_size=80),
    st.text(
        alphabet=st.sampled_from(
            list("执法依普镇()（）\"“”-: ORANDNOTyeartownshipsection<>&'\x00\u3000")
        ),
        max_size=60,
    ),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=query_text,
    extra=st.sampled_from(["", "year", "section", "page", "mode", "township"]),
    value=st.text(max_size=12),
)
def test_user_input_never_reaches_the_500_handler(client, exceptions, q, extra, value):
    args = {"q": q}
    if extra:
        args[extra] = value
    rid = client.application.extensions["fazhi"].reports()[0]["id"]
    for url in ("/", "/api/search", f"/report/{rid}", "/reports"):
        r = client.get(url, query_string=args)
        assert r.status_code in (200, 303, 400), (url, args, r.status_code)
    assert exceptions == []


def test_facet_limit_in_the_api_and_the_page(client, synthetic_index):
    full = client.get("/api/search", query_string={"q": "执法"}).json
    towns = full["facets"]["township"]
    assert len(towns) >= 2
    res = client.get("/api/search", query_string={"q": "执法", "facet_limit": "1"}).json
    assert res["facets"]["township"] == towns[:1]
    assert res["facets_omitted"]["township"] == len(towns) - 1
    r = client.get("/api/search", query_string={"q": "执法", "facet_limit": "x"})
    assert (r.status_code, r.json) == (
        400,
        {"error": "facet_limit must be a whole number (got 'x')"},
    )
    r = client.get("/api/search", query_string={"q": "执法", "facet_limit": "10001"})
    assert (r.status_code, r.json) == (400, {"error": "facet_limit must be between 1 and 10000"})
    # the page lists as many and says how many more there are
    page = text_of(client.get("/", query_string={"q": "执法", "facet_limit": "1"}))
    assert f"另有 {len(towns) - 1} 项报告较少的未列出：可先按县（区）或省份筛选" in page
    assert "未列出" not in text_of(client.get("/", query_string={"q": "执法"}))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.text(alphabet="依法 行政&=+%#?/执", max_size=6),
    filters=st.dictionaries(
        st.sampled_from(["township", "county", "year", "section", "province"]),
        st.lists(st.text(alphabet="美湖镇&+ =%2", min_size=1, max_size=4), min_size=1, max_size=3),
        max_size=3,
    ),
    name=st.sampled_from(["township", "county", "year", "province"]),
    value=st.text(alphabet="美湖镇&+ =%2", min_size=1, max_size=4),
    mode=st.sampled_from(["exact", "words"]),
    sort=st.sampled_from(["relevance", "date"]),
)
def test_facet_links_are_the_urls_url_for_builds(app, q, filters, name, value, mode, sort):
    from flask import url_for

    from webui.params import SearchParams
    from webui.urls import SearchState

    params = SearchParams(q=q, mode=mode, sort=sort, filters=filters)
    with app.test_request_context("/"):
        state = SearchState.of(params)
        assert state.with_(name, value) == state.with_built(name, value)
        # every other link of the page changes a parameter or two the same way
        for over in ({}, {"q": value}, {"q": None, "mode": None, "sort": None, "page": None},
                     {"mode": "words", "page": 3}, {"sort": "date"}, {"page": 1, "q": ""},
                     {name: value}, {"filters": {}}, {"filters": {name: [value]}}):  # fmt: skip
            assert state.url(**over) == url_for("search.page", **state.args(**over)), over


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rid=st.text(alphabet="ab01-_.~ 报告/%?#", min_size=1, max_size=8),
    q=st.text(alphabet="依法 行政&=+%#?/", max_size=6),
    mode=st.sampled_from([None, "words"]),
    n=st.integers(0, 10_000),
)
def test_report_links_are_the_urls_url_for_builds(app, rid, q, mode, n):
    from flask import url_for

    from webui.urls import ReportLinks

    ctx = {"q": q, **({"mode": mode} if mode else {})}
    with app.test_request_context("/"):
        links = ReportLinks(rid, ctx)
        assert links.page() == url_for("reports.page", rid=rid, **ctx)
        assert links.passage(n) == url_for("reports.page", rid=rid, p=n, _anchor=f"p{n}", **ctx)
        assert links.permalink(n) == url_for(
            "reports.page", rid=rid, _external=True, _anchor=f"p{n}"
        )
        assert ReportLinks(rid, {}).passage(n) == url_for(
            "reports.page", rid=rid, p=n, _anchor=f"p{n}"
        )
        # the index's ids (hex digits) are put after a root built once per request
        plain = rid.encode().hex()
        assert ReportLinks(plain, ctx).passage(n) == url_for(
            "reports.page", rid=plain, p=n, _anchor=f"p{n}", **ctx
        )
        assert ReportLinks(plain, {}).permalink(n) == url_for(
            "reports.page", rid=plain, _external=True, _anchor=f"p{n}"
        )


def test_a_report_lists_ten_matching_passages_and_links_the_rest(tmp_path):
    passages = [f"第{i}项：坚持依法行政，推进基层治理。" for i in range(1, 15)]
    index_dir = build_index(tmp_path / "index", [make_report("many.txt", passages)])
    with web_app(index_dir) as app:
        client = app.test_client()
        page = html(client.get("/?q=依法行政"))
        api = client.get("/api/search?q=依法行政").json
    assert len(api["reports"][0]["passages"]) == 14  # the API lists every one
    assert page.count('<li class="hit">') == 10
    assert "该报告另有 11 个段落命中" in page
    rid = api["reports"][0]["id"]
    link = f'<a href="/report/{rid}?q=%E4%BE%9D%E6%B3%95%E8%A1%8C%E6%94%BF">其余 4 段见报告全文</a>'
    assert link in page
    # three or fewer: no "more"; up to ten: no link
    small = build_index(tmp_path / "small", [make_report("few.txt", passages[:10])])
    with web_app(small) as app:
        page = html(app.test_client().get("/?q=依法行政"))
    assert "该报告另有 7 个段落命中" in page and "段见报告全文" not in page


def test_templates_read_dict_keys_first_and_attributes_otherwise(app):
    render = app.jinja_env.from_string
    assert render("{{ d.url }}|{{ d.missing }}|").render(d={"url": "/x"}) == "/x||"
    assert render("{{ d.items }}").render(d={"items": 3}) == "3"  # the key, not the method
    assert (
        render("{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}").render(d={"a": 1}) == "a=1"
    )
    assert render("{{ s.upper() }}{{ e.args[0] }}").render(s="ab", e=ValueError("z")) == "ABz"
