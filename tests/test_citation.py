"""Citations that can be pasted: the sentences hit, nested quotes, the public base URL,
the report's own web address ([EB/OL]) from a sidecar or the page's canonical link."""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape

import pytest

from indexer.ingest import index_paths
from indexer.ingest.source_url import clean_url, page_url, source_url
from webui import citation

from helpers import build_index, make_report, web_app

LONG = (
    "全年共开展普法活动十二场。落实好乡镇“一支队伍管执法”改革，整合执法力量。"
    "建成村级调解室九个，化解纠纷三十余件。"
)


@pytest.fixture
def index(tmp_path):
    return build_index(tmp_path / "index", [make_report("a.txt", [LONG], date="2024-02-27")])


def _cites(html: str) -> list[str]:
    found = re.findall(r'class="btn btn-small btn-cite" data-cite="([^"]+)"', html)
    return [unescape(c) for c in found]


def test_a_search_hit_cites_its_sentence_with_single_inner_quotes(index):
    with web_app(index, BASE_URL="https://fazhi.example.gov.cn/") as app:
        c = app.test_client()
        html = c.get("/?q=一支队伍管执法", headers={"Host": "evil.example"}).get_data(as_text=True)
        [cite] = _cites(html)
        assert cite.endswith("：“落实好乡镇‘一支队伍管执法’改革，整合执法力量。”")
        assert "全年共开展" not in cite and "调解室" not in cite
        assert re.search(r"部分（https://fazhi\.example\.gov\.cn/report/\w+#p1）：", cite), cite
        assert "evil.example" not in html and "127.0.0.1" not in html
        # the report page with the search cites the same sentence; without one, the paragraph
        rid = c.get("/api/reports").json[0]["id"]
        page = c.get(f"/report/{rid}?q=调解室").get_data(as_text=True)
        assert any(x.endswith("：“建成村级调解室九个，化解纠纷三十余件。”") for x in _cites(page))
        page = c.get(f"/report/{rid}").get_data(as_text=True)
        assert any("全年共开展" in x and "调解室" in x for x in _cites(page))


def test_without_a_base_url_links_use_the_address_asked(index):
    with web_app(index) as app:
        html = app.test_client().get("/?q=执法").get_data(as_text=True)
        assert "（http://localhost/report/" in _cites(html)[0]


def test_sentences_at_spans():
    text = "甲句。乙句有执法？丙句；丁句"
    assert citation.sentences_at(text, [(5, 7)]) == "乙句有执法？"
    assert citation.sentences_at(text, [(0, 1), (9, 10)]) == "甲句。乙句有执法？丙句；"
    assert citation.sentences_at(text, [(12, 13)]) == "丁句"
    assert citation.sentences_at(text, None) == text
    assert citation.quoted("“谁执法谁普法”「枫桥」") == "‘谁执法谁普法’‘枫桥’"


def test_gbt_7714_online_form_with_the_access_date():
    meta = {"title": "湖上乡法治政府建设年度工作总结", "issuer": "中共安溪县湖上乡委员会",
            "date": "2024-03-28", "url": "https://www.anxi.gov.cn/zwgk/123.htm"}  # fmt: skip
    assert citation.gbt7714(meta, accessed=date(2025, 3, 1)) == (
        "中共安溪县湖上乡委员会. 湖上乡法治政府建设年度工作总结[EB/OL]. (2024-03-28)"
        "[2025-03-01]. https://www.anxi.gov.cn/zwgk/123.htm."
    )
    del meta["url"]
    assert "[R]. [出版地不详]: 中共安溪县湖上乡委员会, 2024-03-28." in citation.gbt7714(meta)


def test_the_public_address_from_a_sidecar_or_the_page(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text(
        "某镇关于2023年度法治政府建设情况的报告\n坚持依法行政，全面推进法治政府建设。", "utf-8"
    )
    assert source_url(report) is None
    (tmp_path / "r.meta.json").write_text(json.dumps({"url": "https://a.gov.cn/r.html"}), "utf-8")
    assert source_url(report) == "https://a.gov.cn/r.html"
    (tmp_path / "r.txt.meta.json").write_text('{"url": "javascript:alert(1)"}', "utf-8")
    assert source_url(report) == "https://a.gov.cn/r.html"  # the bad one is skipped
    (tmp_path / "r.meta.json").write_text("{not json", "utf-8")
    assert source_url(report) is None
    head = '<head><meta property="og:url" content="https://b.gov.cn/og"><link href="https://b.gov.cn/c" rel="canonical"></head>'
    assert page_url(head) == "https://b.gov.cn/c"
    assert (
        page_url('<meta property="og:url" content="https://b.gov.cn/og">') == "https://b.gov.cn/og"
    )
    assert clean_url("https://x.cn/a b") is None and clean_url("ftp://x.cn") is None
    page = tmp_path / "p.html"
    page.write_text(
        f"<html>{head}<body><p>某镇2023年度法治政府建设情况。</p></body></html>", "utf-8"
    )
    assert source_url(page) == "https://b.gov.cn/c"


def test_an_indexed_report_is_cited_online(tmp_path, runner):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "r.txt").write_text(
        "美湖镇人民政府关于2023年度法治政府建设情况的报告\n一、主要举措和成效\n坚持依法行政，全面落实“一支队伍管执法”。\n"
        "美湖镇人民政府\n2024年2月27日\n",
        "utf-8",
    )
    (corpus / "r.meta.json").write_text('{"url": "https://www.dehua.gov.cn/r.htm"}', "utf-8")
    index = tmp_path / "index"
    assert not index_paths([corpus], index).failed  # the sidecar itself is not a report
    with web_app(index) as app:
        c = app.test_client()
        rep = c.get("/api/reports").json
        assert len(rep) == 1 and rep[0]["url"] == "https://www.dehua.gov.cn/r.htm"
        html = c.get(f"/report/{rep[0]['id']}").get_data(as_text=True)
        assert "[EB/OL]" in html and "https://www.dehua.gov.cn/r.htm." in html
        assert c.get("/api/search?q=一支队伍管执法").json["reports"][0]["url"] == rep[0]["url"]
