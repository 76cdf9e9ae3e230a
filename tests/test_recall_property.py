"""Every character of a report is found: a property over whole built reports.

Reports are composed by the project's corpus generator (title, document
head, headings at several levels, paragraphs, signature and date), written
as text files laid out with the furniture real ones carry (wrapped lines,
page breaks inside sentences, page numbers, Markdown residue, spaces around
digits) and as PDFs, and indexed. Hypothesis then picks any line of any
report's document text — title, header, heading, body or signature — and
any substring of 1–12 characters of it: an exact search for that substring
must find the report, in both forms.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.ingest import index_paths
from indexer.search import Engine

from devtools.corpus import iter_reports
from devtools.corpus.render import Layout, render_txt, write_pdf

N_REPORTS = 6
SEED = 20261203


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(engine over the text files, engine over the PDFs, lines of each report's text)."""
    root = tmp_path_factory.mktemp("recall")
    texts, pdfs = root / "txt", root / "pdf"
    texts.mkdir()
    pdfs.mkdir()
    lines: dict[str, list[str]] = {}
    for i, blocks, _truth in iter_reports(N_REPORTS, seed=SEED):
        name = f"r{i}"
        rng = random.Random(f"layout:{i}")
        layout = Layout.pick(rng)
        (texts / f"{name}.txt").write_bytes(render_txt(blocks, layout, rng))
        write_pdf(blocks, pdfs / f"{name}.pdf")
        lines[name] = [b.text.replace("**", "") for b in blocks if b.text.strip()]
    for folder in (texts, pdfs):
        summary = index_paths([folder], root / f"ix-{folder.name}")
        assert not summary.failed, summary.failed
    engines = {form: Engine(root / f"ix-{form}", deadline=None) for form in ("txt", "pdf")}
    names = {
        form: {m["id"]: Path(m["source"]).stem for m in engine.reports(outline=False)}
        for form, engine in engines.items()
    }
    yield engines, names, lines
    for engine in engines.values():
        engine.close()


def _query(phrase: str) -> str | None:
    """The phrase as a quoted query, or None if it cannot be quoted."""
    if not phrase.strip():
        return None
    if '"' not in phrase:
        return f'"{phrase}"'
    if "“" not in phrase and "”" not in phrase:
        return f"“{phrase}”"
    return None


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_substring_of_every_line_is_found(built, data):
    engines, names, lines = built
    name = data.draw(st.sampled_from(sorted(lines)), label="report")
    line = data.draw(st.sampled_from(lines[name]), label="line")
    length = data.draw(st.integers(1, min(12, len(line))), label="length")
    start = data.draw(st.integers(0, len(line) - length), label="start")
    q = _query(line[start : start + length])
    if q is None:
        return
    for form, engine in engines.items():
        found = {names[form][rid] for rid in engine.matching_reports(q)}
        assert name in found, (form, q, line)


def test_headings_titles_and_signatures_are_among_the_lines(built):
    """The property covers every kind of line, not only body text."""
    engines, names, lines = built
    every = [line for report in lines.values() for line in report]
    engine = engines["txt"]
    kinds = set()
    for name in lines:
        rid = next(r for r, n in names["txt"].items() if n == name)
        kinds |= {p["kind"] for p in engine.report(rid)["passages"]}
    assert {"title", "heading", "body", "signature"} <= kinds, kinds
    assert len(every) > 6 * N_REPORTS
