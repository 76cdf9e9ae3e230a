"""Shared fixtures: indexes built in tmp dirs, the Flask app and client, a CLI runner."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

from indexer import index as idx
from indexer.model import Passage, Report, Section

# CI runs the property tests on fixed examples, so that a run is reproducible;
# developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "test-artifacts"
#: the bundled seed reports (text files)
SEEDS = sorted(CORPUS.glob("*.txt"))
#: `fazhi` in a child process (the package need not be installed)
FAZHI = [
    sys.executable,
    "-c",
    "import sys; from indexer.cli import main; sys.exit(main(sys.argv[1:]))",
]


def short_seeds(dst: Path, chars: int = 1200) -> Path:
    """The five seed reports, cut to ``chars`` characters each, in a new directory ``dst``
    (for tests where the index matters, not the text)."""
    dst.mkdir()
    for seed in SEEDS:
        (dst / seed.name).write_text(seed.read_text(encoding="utf-8")[:chars], "utf-8")
    return dst


@contextmanager
def web_app(index_dir: Path, **config):
    """The web app on ``index_dir`` (TESTING on), its engine closed afterwards."""
    from webui import create_app

    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True, **config})
    try:
        yield app
    finally:
        app.extensions["fazhi"].close()


def make_report(
    source: str,
    passages: list[str] | list[tuple[str, str]],
    *,
    township: str | None = "美湖镇",
    county: str | None = "德化县",
    city: str | None = "泉州市",
    province: str | None = "福建省",
    year: int | None = 2023,
    date: str | None = None,
    title: str | None = None,
) -> Report:
    """A report built in memory; passages are texts or (section key, text) pairs."""
    r = Report(
        source=source,
        title=title or f"{township or ''}关于{year}年度法治政府建设情况的报告",
        issuer=f"{township}人民政府" if township else None,
        township=township,
        county=county,
        city=city,
        province=province,
        year=year,
        date=date,
    )
    heads = {}
    for i, item in enumerate(passages, 1):
        key, text = item if isinstance(item, tuple) else ("measures", item)
        if key not in heads:
            heads[key] = f"{len(heads) + 1}、{key}"
            r.sections.append(Section(key=key, heading=heads[key]))
        r.passages.append(Passage(i, key, heads[key], text, [heads[key]]))
    r.sha256 = hashlib.sha256(repr((source, passages)).encode()).hexdigest()
    return r


def build_index(index_dir: Path, reports: list[Report]) -> Path:
    with idx.write_session(index_dir) as w:
        for r in reports:
            w.add_report(r, r.sha256[:16], str(index_dir / r.source))
    return index_dir


@pytest.fixture
def synthetic_index(tmp_path) -> Path:
    """Three small reports, one with markup in its text."""
    return build_index(
        tmp_path / "index",
        [
            make_report(
                "a.txt",
                [
                    "落实好乡镇“一支队伍管执法”。",
                    ("shortcomings", "普法<script>alert(1)</script>不足。"),
                ],
                year=2023,
                date="2024-02-27",
            ),
            make_report(
                "b.txt",
                ["我乡基本实现“一支队伍管执法”的改革。", ("plans", "持续落实“谁执法谁普法”。")],
                township="湖上乡",
                county="安溪县",
                year=2023,
                date="2024-03-28",
            ),
            make_report(
                "c.txt",
                ["坚持依法行政。", ("shortcomings", "依法行政能力还需提升。")],
                township="雷高镇",
                county="雷州市",
                city="湛江市",
                province="广东省",
                year=2022,
                date="2022-12-02",
            ),
        ],
    )


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """The bundled corpus indexed once per test session (treat as read-only)."""
    from indexer.ingest import index_paths

    index_dir = tmp_path_factory.mktemp("seed") / "index"
    summary = index_paths([CORPUS], index_dir)
    assert not summary.failed, summary.failed
    return index_dir


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


# ---------------------------------------------------------------- browser tests

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def live_server(index_dir: Path):
    """The app on ``index_dir``, served by a real WSGI server on a free port of 127.0.0.1;
    yields its base URL."""
    from werkzeug.serving import make_server

    from webui import create_app

    server = make_server("127.0.0.1", 0, create_app({"INDEX_DIR": str(index_dir)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def base_url(seed_index):
    """The app on the seed index (see :func:`live_server`)."""
    with live_server(seed_index) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    yield page
    context.close()
    # no CSP violations, no script errors, no failed resource loads
    assert problems == []
