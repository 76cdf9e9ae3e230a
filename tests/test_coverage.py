"""Art. 25 coverage: the five parts found from headings and content, the township table."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from indexer.analytics import PARTS, report_parts
from indexer.model import SECTION_LABELS

from helpers import web_app

#: checked by hand against the seed texts: H = a part with that heading, C = found in the
#: wording only, - = missing. 美湖镇: “镇主要领导对法治政府建设工作亲自部署、亲自抓”;
#: 雷高镇: “切实履行推进法治政府建设第一责任人职责”; 湖上乡: “但仍存在一些短板和弱项”
#: under its plans heading, and nothing on its leading officials.
SEEDS = {
    "美湖镇": "HHCH-",
    "新乡镇": "HHHH-",
    "雷高镇": "HHCH-",
    "湖上乡": "HC-H-",
    "周庄镇": "HHHH-",
}
_HOW = {"heading": "H", "content": "C", None: "-"}


@pytest.fixture
def seed_client(seed_index):
    with web_app(seed_index) as app:
        yield app.test_client()


def test_the_fifth_part_has_its_key_and_label():
    assert SECTION_LABELS["other_matters"] == "其他需要报告的情况"
    assert PARTS == ("measures", "shortcomings", "leadership", "plans", "other_matters")


def test_seed_coverage_as_checked_by_hand(seed_client):
    table = seed_client.get("/api/coverage").json
    got = {r["township"]: "".join(_HOW[c["how"]] for c in r["parts"]) for r in table["rows"]}
    assert got == SEEDS
    assert [p["key"] for p in table["parts"]] == list(PARTS)
    assert table["total"]["reports"] == 5 and table["total"]["complete"] == 0
    counts = {p["key"]: p["reports"] for p in table["total"]["parts"]}
    assert counts == {
        "measures": 5, "shortcomings": 5, "leadership": 4, "plans": 5, "other_matters": 0
    }  # fmt: skip
    # 湖上乡's shortcomings are found in passage 40, which says so
    hushang = next(r for r in table["rows"] if r["township"] == "湖上乡")
    rep = seed_client.get(f"/api/reports/{hushang['id']}").json
    where = hushang["parts"][1]["passages"][0]
    assert "短板和弱项" in next(p["text"] for p in rep["passages"] if p["id"] == where)


def test_filters_and_townships_without_a_report(seed_client):
    table = seed_client.get("/api/coverage?year=2022").json
    assert {r["township"] for r in table["rows"]} == {"新乡镇", "雷高镇"}
    missing = {(m["year"], m["township"]) for m in table["missing"]}
    assert missing == {(2022, "美湖镇"), (2022, "湖上乡"), (2022, "周庄镇")}
    table = seed_client.get("/api/coverage?county=安溪县").json
    assert [r["township"] for r in table["rows"]] == ["湖上乡"] and table["missing"] == []
    assert seed_client.get("/api/coverage?year=abc").status_code == 400
    assert seed_client.get("/api/coverage?section=plans").status_code == 400


def test_the_page_shows_the_table_and_the_gaps(seed_client):
    html = seed_client.get("/coverage?year=2022").get_data(as_text=True)
    assert "五个部分覆盖情况" in html and "新乡镇" in html
    assert "该年度没有收录报告的乡镇（街道）" in html and "周庄镇" in html
    assert seed_client.get("/coverage?county=不存在县").status_code == 200
    assert "符合筛选条件的报告一份也没有" in seed_client.get("/coverage?county=不存在县").get_data(
        as_text=True
    )


def test_the_exports_read_back_with_the_same_rows(seed_client):
    table = seed_client.get("/api/coverage").json
    r = seed_client.get("/api/coverage?format=csv")
    assert r.data.startswith("\ufeff".encode())
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    r = seed_client.get("/api/coverage?format=xlsx")
    book = load_workbook(io.BytesIO(r.data))
    sheet = book.active
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert cells == rows
    assert len(rows) == 1 + len(table["rows"]) + len(table["missing"])
    assert rows[0][6:11] == [SECTION_LABELS[k] for k in PARTS]
    by_town = {row[3]: row for row in rows[1:6]}
    assert by_town["湖上乡"][6:11] == ["有（标题）", "有（正文）", "缺", "有（标题）", "缺"]
    for row in sheet.iter_rows():
        for c in row:
            assert c.data_type != "f" and c.hyperlink is None


def test_report_page_lists_the_five_parts_with_where_they_are(seed_client):
    table = seed_client.get("/api/coverage?township=湖上乡").json
    html = seed_client.get(f"/report/{table['rows'][0]['id']}").get_data(as_text=True)
    panel = html[html.index("parts-panel") : html.index("</section>", html.index("parts-panel"))]
    assert "其他需要报告的情况" in panel
    assert "正文第 40 段" in panel and 'href="#p40"' in panel
    assert panel.count("未找到") >= 2


def test_parts_from_the_wording_need_a_phrase_that_reports_them():
    rows = [
        {"id": 1, "section": "measures", "heading": "一、主要举措", "text": "一、主要举措", "kind": "heading"},
        {"id": 2, "section": "measures", "heading": "一、主要举措", "text": "补齐短板，强化弱项，抓好问题整改。", "kind": "body"},
        {"id": 3, "section": "measures", "heading": "一、主要举措", "text": "为下一步工作打下基础。", "kind": "body"},
        {"id": 4, "section": "other", "heading": "五、其他需要报告的情况", "text": "五、其他需要报告的情况", "kind": "heading"},
    ]  # fmt: skip
    parts = {p["key"]: p for p in report_parts(rows)}
    assert parts["shortcomings"]["present"] is False
    assert parts["plans"]["present"] is False
    assert parts["other_matters"]["how"] == "heading" and parts["other_matters"]["passages"] == [4]
    rows[2]["text"] = "下一步，我镇将继续深化综合行政执法改革。"
    rows[1]["text"] = "我镇法治建设仍存在一些不足。"
    parts = {p["key"]: p for p in report_parts(rows)}
    assert parts["plans"]["how"] == "content" and parts["plans"]["passages"] == [3]
    assert parts["shortcomings"]["how"] == "content" and parts["shortcomings"]["passages"] == [2]


def test_level_and_kind_filters_scope_rows_and_gaps(seed_client):
    every = seed_client.get("/api/coverage").json
    annual = seed_client.get("/api/coverage?kind=annual_report&level=township").json
    assert annual["rows"] == every["rows"] and len(annual["rows"]) == 5
    # no township has a work plan: no rows, and no township is owed one
    plans = seed_client.get("/api/coverage?kind=work_plan").json
    assert plans["rows"] == [] and plans["missing"] == []
    assert seed_client.get("/api/coverage?level=village").status_code == 400
    html = seed_client.get("/coverage?kind=annual_report").get_data(as_text=True)
    assert '<option value="annual_report" selected>' in html
    assert seed_client.get("/coverage?kind=bogus").status_code == 400


def test_a_township_with_only_a_work_plan_in_a_year_misses_that_years_report():
    from indexer.analytics import coverage_table
    from indexer.search.query import Filters

    def meta(rid, town, year, kind):
        return {"id": rid, "township": town, "county": "乙县", "province": "丙省",
                "year": year, "level": "township", "kind": kind}  # fmt: skip

    metas = [
        meta("a", "甲镇", 2022, "annual_report"),
        meta("b", "甲镇", 2023, "work_plan"),
        meta("c", "丁镇", 2023, "annual_report"),
    ]
    table = coverage_table(metas, lambda rid: report_parts(()), Filters(kind=["annual_report"]))
    assert [r["id"] for r in table["rows"]] == ["c", "a"]
    assert [(m["year"], m["township"]) for m in table["missing"]] == [
        (2023, "甲镇"), (2022, "丁镇")]  # fmt: skip
    # without the kind filter, 甲镇's work plan counts as its 2023 document
    table = coverage_table(metas, lambda rid: report_parts(()), Filters())
    assert [(m["year"], m["township"]) for m in table["missing"]] == [(2022, "丁镇")]
