"""The analytics views in headless Chromium: matrix page, trend chart, their links."""

from __future__ import annotations

import re

import pytest

from conftest import ARTIFACTS, CHROMIUM

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
