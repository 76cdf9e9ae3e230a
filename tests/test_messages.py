"""Query errors on the pages in Chinese, with a one-click literal search of what was typed;
the API and the CLI keep their English messages."""

from __future__ import annotations

from html import unescape

import pytest

from helpers import web_app


@pytest.fixture
def client(seed_index):
    with web_app(seed_index) as app:
        yield app.test_client()


@pytest.mark.parametrize(
    ("q", "zh"),
    [
        ("“一支队伍管执法", "引号没有成对"),
        ("(执法", "括号没有成对"),
        ("执法 OR", "前后缺少检索词"),
        ("执法 year:20x", "年份“20x”的写法不对"),
        ("执法 section:无此部分", "没有“无此部分”这个报告部分"),
        ("-执法", "只排除了词语"),
    ],
)
def test_search_page_says_it_in_chinese_and_offers_a_literal_search(client, q, zh):
    r = client.get("/", query_string={"q": q})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and zh in html
    assert "按字面检索" in html
    # the API keeps its English message, unchanged
    api = client.get("/api/search", query_string={"q": q})
    assert api.status_code == 400 and set(api.json) == {"error"}
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in api.json["error"].split("'")[0])


def test_the_literal_search_finds_what_was_typed(client):
    html = unescape(client.get("/", query_string={"q": "“一支队伍管执法"}).get_data(as_text=True))
    start = html.index('class="btn btn-small literal-search" href="') + len(
        'class="btn btn-small literal-search" href="'
    )
    url = html[start : html.index('"', start)]
    r = client.get(url)
    assert r.status_code == 200
    assert "找到" in r.get_data(as_text=True) and "湖上乡" in r.get_data(as_text=True)


def test_matrix_and_other_pages_too(client):
    html = unescape(client.get("/matrix", query_string={"q": "(执法"}).get_data(as_text=True))
    assert "括号没有成对" in html and "按字面检索" in html
    r = client.get("/reports?page=x")
    assert r.status_code == 400 and "检索条件有误" in r.get_data(as_text=True)
    rid = client.get("/api/reports").json[0]["id"]
    page = unescape(
        client.get(f"/report/{rid}", query_string={"q": "“未闭合"}).get_data(as_text=True)
    )
    assert "引号没有成对" in page and "unbalanced quote" in page
