"""The real UI in headless Chromium (Debian's /usr/bin/chromium) through Playwright."""

from __future__ import annotations

import re

import pytest

from helpers import ARTIFACTS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def test_search_filter_open_and_cite(page, base_url):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/")
    box = page.get_by_label("检索词")
    box.fill("一支队伍管执法")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/\?q="))
    summary = page.locator("#results-summary")
    expect(summary).to_contain_text("2 份报告")
    results = page.locator(".result")
    expect(results).to_have_count(2)
    expect(page.locator(".result-list")).to_contain_text("美湖镇")
    expect(page.locator(".result-list")).to_contain_text("湖上乡")
    expect(page.locator(".snippet mark").first).to_have_text("一支队伍管执法")
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

    # a facet narrows the list and shows a removable chip
    page.locator(".facet-item a", has_text="湖上乡").first.click()
    expect(summary).to_contain_text("1 份报告")
    expect(results).to_have_count(1)
    expect(page.locator(".result-list")).to_contain_text("湖上乡")
    chip = page.locator(".chip a", has_text="湖上乡")
    expect(chip).to_be_visible()

    # a passage link opens the report at that passage, marked, with the terms highlighted
    link = page.locator(".hit-link").first
    href = link.get_attribute("href")
    n = re.search(r"#p(\d+)$", href).group(1)
    title = page.locator(".result-title").first.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(rf"/report/\w+\?.*#p{n}$"))
    passage = page.locator(f"#p{n}")
    expect(passage).to_have_class(re.compile(r"\bis-linked\b"))
    expect(passage.locator("mark").first).to_have_text("一支队伍管执法")
    assert passage.evaluate("el => el.matches(':target')")
    assert passage.evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }"
    )
    expect(page.locator(".report-title")).to_have_text(title)

    # 引用 copies the citation: title, permalink after the source, the sentence hit
    wording = passage.locator(".passage-text").inner_text().strip()
    passage.get_by_role("button", name="引用", exact=True).click()
    expect(passage.locator(".cite-status")).to_have_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert f"《{title}》" in copied
    link = f"{base_url}/report/{href.split('/report/')[1].split('?')[0]}#p{n}"
    assert f"（{link}）：“" in copied
    quote = copied.split(f"（{link}）：“", 1)[1].rstrip("。").removesuffix("”")
    assert "‘一支队伍管执法’" in quote and quote.replace("‘", "“").replace("’", "”") in wording
    assert len(quote) < len(wording)  # the sentence, not the paragraph

    # the GB/T 7714 form from the small menu
    passage.locator(".cite-more summary").click()
    passage.get_by_role("button", name="复制 GB/T 7714-2015 格式").click()
    expect(passage.locator(".cite-status")).to_have_text("已复制")
    assert f"{title}[R]." in page.evaluate("navigator.clipboard.readText()")


def test_phone_width_layout(browser, base_url):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto("/?q=一支队伍管执法")
    expect(page.locator("#results-summary")).to_contain_text("2 份报告")
    panel = page.locator("details.facet-panel")
    # the facets collapse above the results
    expect(panel).not_to_have_attribute("open", "")
    assert panel.bounding_box()["y"] < page.locator(".result-list").bounding_box()["y"]
    # nothing is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "search-mobile.png"), full_page=True)
    page.locator(".facet-panel-toggle").click()
    expect(page.locator(".facet-item a", has_text="湖上乡").first).to_be_visible()
    context.close()


def test_keyboard_only_search(page):
    from playwright.sync_api import expect

    page.goto("/help")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    # the home page puts the cursor in the search box, with a visible focus ring
    page.goto("/")
    box = page.locator("#q")
    expect(box).to_be_focused()
    assert box.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    page.keyboard.type("枫桥经验")
    page.keyboard.press("Enter")
    expect(page.locator("#results-summary")).to_contain_text("2 份报告")
    # the 分词 mode is a labelled radio button reachable from the keyboard
    page.get_by_label("分词").check()
    page.locator("#q").press("Enter")
    expect(page.locator("#results-summary")).to_contain_text("份报告")
    assert "mode=words" in page.url
