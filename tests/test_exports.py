"""Every list downloads as CSV (with a BOM) and XLSX holding the same rows, no cell a
formula or a link: search results, the report list, matrix, practices, coverage."""

from __future__ import annotations

import pytest

from webui.exports import xlsx_bytes

from helpers import build_index, make_report, read_csv, read_xlsx, same_table, web_app

HOSTILE = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def client(seed_index):
    with web_app(seed_index) as app:
        yield app.test_client()


def _both(client, url: str) -> list[list[str]]:
    sep = "&" if "?" in url else "?"
    r = client.get(f"{url}{sep}format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv", r.data[:200]
    assert "attachment" in r.headers["Content-Disposition"]
    rows = read_csv(r.data)
    x = client.get(f"{url}{sep}format=xlsx")
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    assert same_table(rows, read_xlsx(x.data)), url
    return rows


def test_search_results_one_row_per_passage_with_citation_and_link(client):
    result = client.get("/api/search?q=执法&per_page=100").json
    rows = _both(client, "/api/search?q=执法")
    assert rows[0][:2] == ["报告", "乡镇（街道）"] and "引文" in rows[0] and "链接" in rows[0]
    assert len(rows) - 1 == result["total"]["passages"]
    cite, link = rows[0].index("引文"), rows[0].index("链接")
    for row in rows[1:]:
        assert (
            row[link].startswith("http://localhost/report/") and f"（{row[link]}）：“" in row[cite]
        )
    one = _both(client, "/api/search?q=一支队伍管执法&township=湖上乡")
    assert len(one) == 2 and "‘一支队伍管执法’" in one[1][cite]
    assert client.get("/api/search?q=执法&format=doc").status_code == 400


def test_the_search_page_links_its_downloads(client):
    html = client.get("/?q=执法&township=湖上乡&page=1").get_data(as_text=True)
    assert 'href="/api/search?format=csv&amp;q=%E6%89%A7%E6%B3%95&amp;township=' in html
    assert "format=xlsx" in html and "format=csv" in html


def test_matrix_practices_and_reports(client):
    m = client.get("/api/matrix?q=执法").json
    rows = _both(client, "/api/matrix?q=执法")
    assert len([r for r in rows[1:] if r and r[2]]) >= len(m["rows"])
    practices = client.get("/api/practices").json
    rows = _both(client, "/api/practices")
    assert [r[0] for r in rows[1:]] == [e["name"] for e in practices]
    assert len(_both(client, "/api/reports")) == 6
    assert len(_both(client, "/api/coverage")) == 1 + 5 + 5
    html = client.get("/practices").get_data(as_text=True)
    assert "/api/practices?format=xlsx" in html
    assert "format=xlsx" in client.get("/matrix?q=执法").get_data(as_text=True)


def test_no_cell_becomes_a_formula_or_a_link(tmp_path):
    rows = [["文字", "数"], [HOSTILE, 3], ["http://example.org", 1.5], ["@SUM(A1)", None]]
    back = read_xlsx(xlsx_bytes(rows))  # asserts no formula, no hyperlink
    assert back[1][0] == HOSTILE and back[2][0] == "http://example.org"
    index = build_index(tmp_path / "i", [make_report("a.txt", [f"{HOSTILE}执法。"])])
    with web_app(index) as app:
        c = app.test_client()
        rows = _both(c, "/api/search?q=执法")
        assert any(HOSTILE in cell for cell in rows[1])
        csv_text = c.get("/api/search?q=执法&format=csv").data.decode("utf-8-sig")
        assert "\n=" not in csv_text and ",=" not in csv_text
