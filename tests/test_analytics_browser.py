"""The analytics views in headless Chromium: matrix page, trend chart, their links,
precedents loaded into the report page."""

from __future__ import annotations

import re

import pytest

from helpers import ARTIFACTS, CHROMIUM, build_index, live_server, make_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def test_matrix_page_renders_and_its_links_lead_to_the_results(page):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/matrix")
    page.get_by_label("检索词").fill("一支队伍管执法")
    page.get_by_role("button", name="生成乡镇×年度表").click()
    page.wait_for_url(re.compile(r"/matrix\?q="))
    expect(page.locator("#matrix-summary")).to_contain_text("2 个乡镇")
    rows = page.locator(".matrix-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".matrix-table tbody")).to_contain_text("德化县 · 福建省")
    expect(page.locator(".matrix-table thead")).to_contain_text("2022年度")
    expect(page.locator(".matrix-table tfoot")).to_contain_text("2/3")
    chart = page.locator("svg.trend-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("a.trend-bar")).to_have_count(2)
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    # the 2023 bar is drawn and taller than the empty 2022 one
    heights = chart.locator(".trend-rect").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights[0] == 0 and heights[1] > 50
    page.screenshot(path=str(ARTIFACTS / "matrix.png"), full_page=True)

    # a cell opens the search filtered by that township, county and year
    cell = rows.filter(has_text="湖上乡").locator("td.has-hits a")
    expect(cell).to_have_text("1")
    cell.click()
    page.wait_for_url(re.compile(r"/\?q=.*township="))
    assert "year=2023" in page.url and "county=" in page.url
    expect(page.locator("#results-summary")).to_contain_text("1 份报告")
    expect(page.locator(".result-list")).to_contain_text("湖上乡")
    expect(page.locator(".chip", has_text="湖上乡")).to_be_visible()

    # a bar of the chart opens the year's results
    page.go_back()
    page.locator("svg.trend-chart a.trend-bar[data-year='2023']").click()
    page.wait_for_url(re.compile(r"year=2023"))
    expect(page.locator("#results-summary")).to_contain_text("2 份报告")
    expect(page.locator(".chip", has_text="2023年度")).to_be_visible()


def test_search_page_trend_chart_and_practices(page):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/?q=谁执法谁普法")
    chart = page.locator(".results-trend svg.trend-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("a.trend-bar")).to_have_count(2)
    title = chart.locator("a.trend-bar[data-year='2022'] title")
    assert title.text_content() == "2022年度：已收录 2 份报告，其中 1 份提及（50.0%）"
    expect(page.locator(".facet-practices")).to_contain_text("一支队伍管执法")
    page.screenshot(path=str(ARTIFACTS / "search-trend.png"), full_page=False)

    chart.locator("a.trend-bar[data-year='2022']").click()
    page.wait_for_url(re.compile(r"year=2022"))
    expect(page.locator("#results-summary")).to_contain_text("1 份报告")
    expect(page.locator(".result-list")).to_contain_text("雷高镇")

    # a practice in the sidebar searches within the results
    page.goto("/?q=一支队伍管执法")
    page.locator(".facet-practices a", has_text="一件事一次办").click()
    expect(page.locator("#results-summary")).to_contain_text("1 份报告")
    expect(page.locator(".result-list")).to_contain_text("湖上乡")

    # the matrix link keeps the query
    page.goto("/?q=谁执法谁普法")
    page.locator("a.matrix-link").click()
    expect(page.locator("#matrix-summary")).to_contain_text("3 个乡镇")


def test_practices_page_sorts_and_searches(page):
    from playwright.sync_api import expect

    page.goto("/practices")
    first = page.locator(".practice-table tbody tr").first
    expect(first).to_contain_text("谁执法谁普法")
    page.get_by_role("link", name="最早年度").first.click()
    page.wait_for_url(re.compile(r"sort=first_year"))
    expect(page.locator(".sort-current")).to_have_text("最早年度")
    page.locator("a.practice-name", has_text="谁执法谁普法").click()
    expect(page.locator("#results-summary")).to_contain_text("4 份报告")
    expect(page.locator(".result-list")).to_contain_text("新乡镇")


SHARED = "实行“周排查、月研判、季通报”的矛盾纠纷排查调处制度，全年化解纠纷一百二十件。"
HOSTILE = "推行<img src=x onerror=alert(1)>“法律明白人”联调机制化解纠纷一百余件。"


@pytest.fixture(scope="module")
def precedents_url(tmp_path_factory):
    """A server over 11 reports: 甲镇 first with a sentence that 乙镇 and 丙乡 repeat
    (3 of 11 is below the boilerplate share)."""
    others = "子丑寅卯辰巳午未"
    reports = [
        make_report(f"other{i}.txt", [f"坚持依法行政。第{c}村调解委员会全年受理纠纷{i}十件。"],
                    township=f"{c}镇")
        for i, c in enumerate(others, 1)
    ] + [
        make_report(f"{name}.txt", ["坚持依法行政。", SHARED + HOSTILE], township=town, year=year,
                    date=date)
        for name, town, year, date in (
            ("jia", "甲镇", 2022, "2022-12-20"),
            ("yi", "乙镇", 2023, "2024-02-01"),
            ("bing", "丙乡", 2023, "2024-03-01"),
        )
    ]  # fmt: skip
    index = build_index(tmp_path_factory.mktemp("precedents") / "ix", reports)
    with live_server(index) as url:
        yield url


def test_precedents_load_when_a_passage_list_is_opened(browser, precedents_url):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=precedents_url, locale="zh-CN")
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    fragments: list[str] = []
    page.on("request", lambda r: fragments.append(r.url) if "/precedents/" in r.url else None)
    try:
        page.goto("/reports")
        page.locator("a", has_text="乙镇").first.click()
        page.wait_for_url(re.compile(r"/report/\w+$"), wait_until="load")  # script run
        details = page.locator("#p2 details.precedents")
        expect(details.locator("summary")).to_contain_text("相同表述见于其他 2 份报告")
        assert fragments == []  # nothing fetched before the list is opened
        details.locator("summary").click()
        expect(details.locator(".precedent-sentence")).to_have_count(2)
        items = details.locator(".precedent-matches li")  # two reports for each
        expect(items).to_have_count(4)
        expect(items.first).to_contain_text("最早（先例）")
        expect(items.first).to_contain_text("甲镇")
        expect(details.locator(".precedent-own").nth(1)).to_contain_text(
            "<img src=x onerror=alert(1)>"
        )
        assert details.locator("img").count() == 0
        page.screenshot(path=str(ARTIFACTS / "precedents-opened.png"), full_page=False)
        # closing and opening again does not fetch again
        details.locator("summary").click()
        details.locator("summary").click()
        expect(items).to_have_count(4)
        assert len(fragments) == 1 and fragments[0].endswith("/precedents/2")
        # the link of a match opens the earlier report at that passage
        items.first.locator("a").click()
        page.wait_for_url(re.compile(r"\?p=2#p2$"))
        expect(page.locator("h1")).to_contain_text("甲镇")
        expect(page.locator("#p2")).to_have_class(re.compile("is-linked"))
    finally:
        context.close()
    assert problems == []


def test_precedents_list_says_so_when_it_cannot_load(browser, precedents_url):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=precedents_url, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto("/reports")
        page.locator("a", has_text="丙乡").first.click()
        # the report page loaded, its deferred script run: a summary clicked before that
        # would open the list without fetching it (seen on a busy machine)
        page.wait_for_url(re.compile(r"/report/\w+$"), wait_until="load")
        page.route("**/precedents/*", lambda route: route.fulfill(status=503, body="busy"))
        details = page.locator("#p2 details.precedents")
        details.locator("summary").click()
        note = details.locator(".precedent-load")
        expect(note).to_contain_text("未能载入这些句子")
        link = note.locator("a", has_text="打开相同表述页")
        expect(link).to_have_attribute("href", re.compile(r"/precedents#p2$"))
        # opening it again retries, and now the server answers
        page.unroute("**/precedents/*")
        details.locator("summary").click()
        details.locator("summary").click()
        expect(details.locator(".precedent-matches li")).to_have_count(4)
    finally:
        context.close()


def test_precedents_without_script_link_to_the_precedents_page(browser, precedents_url):
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=precedents_url, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/reports")
        page.locator("a", has_text="乙镇").first.click()
        details = page.locator("#p2 details.precedents")
        details.locator("summary").click()
        details.get_by_role("link", name="列出这 2 句及其出处").click()
        page.wait_for_url(re.compile(r"/precedents#p2$"))
        expect(page.locator("h1")).to_contain_text("相同表述：")
        section = page.locator("section#p2")
        expect(section.locator(".precedent-matches li")).to_have_count(4)
        expect(section.locator(".tag-precedent")).to_have_text(["最早（先例）"] * 2)
        page.screenshot(path=str(ARTIFACTS / "precedents-page.png"), full_page=True)
    finally:
        context.close()
