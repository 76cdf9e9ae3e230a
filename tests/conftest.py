"""Shared fixtures: indexes built in tmp dirs, the Flask app and client, a CLI runner.

The plain helpers and constants they use are in ``helpers.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from indexer import Engine, index_paths

from devtools import bench
from devtools import corpus as make_corpus
from helpers import (
    BENCH_CORPUS_ARGS,
    BENCH_REPORTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CORPUS,
    build_index,
    live_server,
    make_report,
)

# CI runs the property tests on fixed examples, so that a run is reproducible;
# developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def ocr_cache(tmp_path_factory) -> Path:
    """OCR results are cached for the test run in a directory of its own (shared by the
    tests, so that a scan is read once), never in the user's cache."""
    path = tmp_path_factory.mktemp("ocr-cache")
    old = os.environ.get("FAZHI_OCR_CACHE")
    os.environ["FAZHI_OCR_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("FAZHI_OCR_CACHE", None)
    else:
        os.environ["FAZHI_OCR_CACHE"] = old


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


# ---------------------------------------------------------------- the benchmark's corpus


@pytest.fixture(scope="session")
def bench_corpus(tmp_path_factory) -> tuple[Path, dict]:
    """A generated corpus of :data:`helpers.BENCH_REPORTS` reports and its manifest."""
    out = tmp_path_factory.mktemp("bench") / "corpus"
    return out, make_corpus.generate(BENCH_REPORTS, out, **BENCH_CORPUS_ARGS)


@pytest.fixture(scope="session")
def bench_engine(bench_corpus, tmp_path_factory):
    """That corpus indexed by fazhi."""
    index_dir = tmp_path_factory.mktemp("bench-index") / "index"
    summary = index_paths([bench_corpus[0]], index_dir)
    assert not summary.failed, summary.failed
    engine = Engine(index_dir)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def bench_indexed(bench_corpus, bench_engine) -> list:
    """Its reports as the benchmark's peers are built from them."""
    return bench.indexed_reports(bench_engine, bench_corpus[0])
