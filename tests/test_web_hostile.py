"""Hostile requests to the app: the Host header is checked and never becomes a link.

An invalid ``Host`` (``a..b``, a label over 63 characters) answered 500 on
the HTML pages (the error page could not build its URLs) without the
security headers; any ``Host`` became the host of the citation permalinks
(``Host: evil.example`` → links to it). Now an invalid Host gets 400 with
the headers, and permalinks come from the configured public base URL
(``BASE_URL``, ``fazhi serve --base-url``, ``$FAZHI_BASE_URL``), else are
absolute only for a loopback host and otherwise a path that the page's
script completes with the browser's own address.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from indexer.cli import cli
from webui import SECURITY_HEADERS, create_app

from helpers import CHROMIUM, web_app

BAD_HOSTS = ["a..b", "x" * 64 + ".example", "<script>", "a b", "例子.中国", "host:port"]


@pytest.fixture
def client(seed_index):
    with web_app(seed_index) as app:
        yield app.test_client()


def rid_of(client, township: str) -> str:
    return next(r["id"] for r in client.get("/api/reports").json if r["township"] == township)


def cites(body: str) -> list[str]:
    return [unescape(c) for c in re.findall(r'data-cite="([^"]+)" data-permalink', body)]


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize(
    "path", ["/", "/?q=依法行政", "/report/x", "/no/such/page", "/api/search?q=法"]
)
def test_an_invalid_host_is_400_with_the_security_headers(client, host, path):
    r = client.get(path, headers={"Host": host})
    assert r.status_code == 400
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value
    if path.startswith("/api/"):
        assert r.json == {"error": "the Host header is not a valid host name"}
    else:
        assert "请求头中的主机名（Host）无效。" in r.get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "[::1]:80", "fazhi_srv.local."])
def test_valid_hosts_are_served(client, host):
    assert client.get("/?q=依法行政", headers={"Host": host}).status_code == 200


def test_the_host_header_never_becomes_a_permalink(client):
    rid = rid_of(client, "美湖镇")
    for path in ("/?q=一支队伍管执法", f"/report/{rid}"):
        body = client.get(path, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in body
        found = cites(body)
        # the permalink in each citation is a path (wherever the citation puts it)
        assert found and all(re.search(r"[^\w/:.]/report/[0-9a-f]+#p\d+", c) for c in found)
        assert not any(re.search(r"https?://", c) for c in found), found
        assert re.search(rf'class="cite-option" href="/report/{rid}#p\d+"', body)
    # a loopback host can only lead back to the user's own machine: absolute links there
    body = client.get("/?q=一支队伍管执法", headers={"Host": "127.0.0.1:8000"}).get_data(
        as_text=True
    )
    assert any(re.search(rf"http://127.0.0.1:8000/report/{rid}#p\d+", c) for c in cites(body))


def test_permalinks_come_from_the_configured_base_url(seed_index, monkeypatch):
    with web_app(seed_index, BASE_URL="https://fazhi.example.gov.cn/") as app:
        client = app.test_client()
        rid = rid_of(client, "美湖镇")
        for host in ("evil.example", "localhost"):
            body = client.get("/?q=一支队伍管执法", headers={"Host": host}).get_data(as_text=True)
            assert any(
                re.search(rf"https://fazhi.example.gov.cn/report/{rid}#p\d+", c)
                for c in cites(body)
            )
        # mounted under a prefix: the base URL names it, the path within the app follows
        body = client.get(
            "/?q=一支队伍管执法", environ_overrides={"SCRIPT_NAME": "/fazhi"}
        ).get_data(as_text=True)
        assert any(
            re.search(rf"https://fazhi.example.gov.cn/report/{rid}#p\d+", c) for c in cites(body)
        )
    monkeypatch.setenv("FAZHI_BASE_URL", "http://10.0.0.5:8000/fazhi")
    with web_app(seed_index) as app:
        assert app.config["BASE_URL"] == "http://10.0.0.5:8000/fazhi"


@pytest.mark.parametrize("bad", ["ftp://x", "fazhi.example.gov.cn", "https://x/?q=1", "http:// x"])
def test_a_bad_base_url_is_refused(seed_index, runner, bad):
    with pytest.raises(ValueError, match="is not an http"):
        create_app({"INDEX_DIR": str(seed_index), "BASE_URL": bad})
    res = runner.invoke(cli, ["serve", "--index", str(seed_index), "--base-url", bad])
    assert res.exit_code == 2
    assert "Invalid value for '--base-url': base URL" in res.output


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_page_completes_a_path_permalink_with_its_own_address(seed_index, browser):
    """Reached under a name that is not loopback and without a base URL, the page holds
    paths; the copied citation carries the address the browser shows."""
    from playwright.sync_api import expect

    site = "https://fazhi.test"
    with web_app(seed_index) as app:
        client = app.test_client()

        def serve(route) -> None:  # the app answers what the browser asks of fazhi.test
            url = route.request.url.removeprefix(site)
            r = client.get(url, headers={"Host": "fazhi.test"})
            try:
                route.fulfill(status=r.status_code, headers=dict(r.headers), body=r.data)
            finally:
                r.close()

        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        try:
            page = context.new_page()
            page.route(f"{site}/**", serve)
            page.goto(f"{site}/?q=一支队伍管执法")
            button = page.locator(".result .btn-cite").first
            link = button.get_attribute("data-permalink")
            assert link.startswith("/report/")
            button.click()
            expect(page.locator(".result .cite-status").first).to_have_text("已复制")
            copied = page.evaluate("navigator.clipboard.readText()")
            assert f"{site}{link}" in copied
            assert link not in copied.replace(f"{site}{link}", "")  # no path left alone
        finally:
            context.close()
