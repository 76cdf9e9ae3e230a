"""The reviewers' and drafters' pages in headless Chromium: the draft check, the copy banner
and comparison, the coverage table, print media and phone widths (screenshots saved under
test-artifacts/)."""

from __future__ import annotations

import io
import re
import shutil
from urllib.request import urlopen

import pytest
from docx import Document

from indexer.analytics import sentence_key, split_sentences
from indexer.ingest import index_paths
from indexer.search import Engine

from helpers import ARTIFACTS, CHROMIUM, CORPUS, SEEDS, live_server

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium")]

NEW = [
    "今年我们在渔港码头试点设立了海上纠纷调解船，由渔民代表轮值开展巡回调解服务。",
    "村级法律服务驿站延伸到每一个自然村的祠堂和晒谷场，逢圩日集中开放答疑。",
]


def _draft(seed_index) -> str:
    """雷高镇's measures under another name, then two new sentences."""
    with Engine(seed_index) as engine:
        rid = next(m["id"] for m in engine.reports() if m["source"].endswith(SEEDS[2].name))
        passages = engine.report(rid)["passages"]
    picked = []
    for p in passages:
        if p["kind"] == "body" and p["section"] == "measures":
            picked += [s for s in split_sentences(p["text"]) if len(sentence_key(s)) >= 30]
    body = [s.replace("雷高", "龙湾") for s in picked[:8]]
    return "\n".join(["龙湾镇2022年法治政府建设工作总结", "一、主要做法和成效", *body, *NEW])


@pytest.fixture(scope="module")
def copied_url(tmp_path_factory):
    """The seeds and 龙门镇's copy of 美湖镇's report, served."""
    root = tmp_path_factory.mktemp("copied-web")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    text = SEEDS[0].read_text(encoding="utf-8").replace("美湖", "龙门")
    text = text.replace("2024年2月27日", "2024年3月15日")
    text = text.replace("全面落实领导、干部集体学法制度", "全面落实领导干部集体学法工作制度")
    (corpus / "005_longmen.txt").write_text(text, encoding="utf-8")
    assert not index_paths([corpus], root / "index").failed
    with live_server(root / "index") as url:
        urlopen(
            f"{url}/api/reports"
        ).read()  # the copy figures computed (the list page waits 2 s at most)
        yield url


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_check_page_pasted_and_uploaded(page, seed_index):
    from playwright.sync_api import expect

    text = _draft(seed_index)
    page.goto("/check")
    expect(page.locator("h1")).to_have_text("检查草稿")
    page.locator("#draft-text").fill(text)
    page.get_by_role("button", name="检查", exact=True).click()
    page.wait_for_url(re.compile(r"/api/check"))
    expect(page.locator("#check-result-title")).to_contain_text("龙湾镇")
    expect(page.locator(".check-sources tbody tr").first).to_contain_text("雷高镇")
    pct = int(page.locator(".check-pct").inner_text().rstrip("%"))
    assert 70 <= pct <= 95
    expect(page.locator(".ds-same").first).to_be_visible()
    new = page.locator(".ds-new", has_text="渔港码头")
    expect(new).to_be_visible()
    expect(
        page.locator(".check-parts .part-missing", has_text="其他需要报告的情况")
    ).to_contain_text("缺少这一部分")
    _shot(page, "check-result.png")
    # the source link opens the passage of the seed it came from
    page.locator(".ds-src").first.click()
    expect(page.locator(".passage.is-linked")).to_have_count(1)
    expect(page.locator(".report-title")).to_contain_text("雷高镇")

    # an upload of a .docx
    doc = Document()
    for line in text.splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    page.goto("/check")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "龙湾镇草稿.docx",
                "mimeType": "application/octet-stream",
                "buffer": buf.getvalue(),
            }
        ]
    )
    page.get_by_role("button", name="检查", exact=True).click()
    expect(page.locator(".check-sources tbody tr").first).to_contain_text("雷高镇")
    # a file that is no report is refused with a reason, on the page
    page.goto("/check")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "x.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}]
    )
    page.get_by_role("button", name="检查", exact=True).click()
    expect(page.locator(".state-error")).to_contain_text("不支持这种文件")
    # the refusal is a 415, which the browser logs as a failed load: expected here
    assert [p for p in page.problems if "415" not in p] == []
    page.problems.clear()


def test_copy_banner_and_comparison(browser, copied_url):
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=copied_url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto("/reports?sort=similarity")
    first = page.locator(".report-table tbody tr").first
    expect(first).to_contain_text("龙门镇")
    expect(first.locator(".copy-of")).to_have_text("源自 美湖镇")
    _shot(page, "reports-similarity.png")
    first.locator("td a").first.click()
    banner = page.locator("#copy-verdict")
    expect(banner).to_contain_text("的句子与 美湖镇 2023 年报告相同或近似")
    assert banner.bounding_box()["y"] < page.locator(".report-body").bounding_box()["y"]
    _shot(page, "copy-banner.png")
    banner.get_by_role("link", name="逐句对照，标出不同之处").click()
    expect(page.locator("#compare")).to_be_visible()
    expect(page.locator("#compare mark.diff").first).to_be_visible()
    expect(page.locator(".compare-row.status-near")).to_have_count(1)
    expect(page.locator("details.precedent-all")).not_to_have_attribute("open", "")
    _shot(page, "copy-compare.png")
    # the seeds: no banner
    page.goto("/reports")
    for href in page.locator(".report-table tbody td:first-child a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    ):
        page.goto(href)
        title = page.locator(".report-title").first.inner_text()
        if "龙门" in title or "美湖" in title:
            continue
        expect(page.locator("#copy-verdict")).to_have_count(0)
        expect(page.locator(".shared-panel")).to_be_visible()
    context.close()


def test_coverage_table(page):
    from playwright.sync_api import expect

    page.goto("/coverage")
    rows = page.locator(".coverage-table tbody tr")
    expect(rows).to_have_count(5)
    hushang = rows.filter(has_text="湖上乡")
    cells = hushang.locator("td.part-cell")
    expect(cells.nth(1)).to_contain_text("正文")
    expect(cells.nth(2)).to_have_text("缺")
    _shot(page, "coverage.png")
    page.locator("select[name=year]").select_option("2022")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(2)
    expect(page.locator(".coverage-missing")).to_contain_text("湖上乡")
    cells = page.locator(".coverage-table tbody tr").first.locator("td.part-cell a").first
    cells.click()
    expect(page.locator(".passage.is-linked")).to_have_count(1)


def test_print_media_shows_the_text_its_metadata_source_and_date(page):
    from playwright.sync_api import expect

    page.goto("/?q=一支队伍管执法")
    page.locator(".result-title a").first.click()
    # the report page with its stylesheet (the print rules are in it), not a
    # document still loading
    page.wait_for_url("**/report/**")
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", ".report-side", ".btn-cite", ".query-banner"):
        found = page.locator(hidden)
        for i in range(found.count()):
            expect(found.nth(i)).to_be_hidden()
    expect(page.locator(".report-title").first).to_be_visible()
    expect(page.locator(".meta-line")).to_be_visible()
    expect(page.locator(".passage-text").first).to_be_visible()
    source = page.locator(".print-source")
    expect(source).to_be_visible()
    expect(source).to_contain_text("来源：")
    expect(source).to_contain_text("打印日期")
    _shot(page, "report-print.png")
    page.emulate_media(media="screen")
    expect(page.locator(".print-source")).to_be_hidden()


@pytest.mark.parametrize("path", ["/practices", "/report", "/check", "/coverage", "/reports"])
def test_phone_width_pages(browser, base_url, seed_index, path):
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=base_url, locale="zh-CN", viewport={"width": 390, "height": 844},
        device_scale_factor=2, is_mobile=True, has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    if path == "/report":
        page.goto("/?q=一支队伍管执法")
        page.locator(".result-title a").first.click()
        # the text comes before the panels
        assert (
            page.locator(".report-body").bounding_box()["y"]
            < page.locator(".report-side").bounding_box()["y"]
        )
        assert page.locator(".passage-text").first.bounding_box()["y"] < 844 * 1.5
    else:
        page.goto(path)
    if path == "/practices":
        row = page.locator(".practice-table tbody tr").first
        label = row.locator("td").nth(1).evaluate("el => getComputedStyle(el, '::before').content")
        assert label == '"乡镇："', label
        assert row.bounding_box()["width"] <= 390
    _no_overflow(page, 390)
    _shot(page, f"phone{path.replace('/', '-')}.png")
    if path == "/check":  # and its answer
        page.locator("#draft-text").fill(_draft(seed_index))
        page.get_by_role("button", name="检查", exact=True).click()
        expect(page.locator(".check-pct")).to_be_visible()
        _no_overflow(page, 390)
        _shot(page, "phone-check-result.png")
    context.close()
