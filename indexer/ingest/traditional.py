"""Reports written in traditional characters: read in simplified form, kept as written.

The structure stage recognises headings, titles, signature blocks, places and
dates by their wording (关于…报告, 镇, 存在的问题…), written in simplified
characters. A 繁體 report (關於…報告, 鎮, 存在的問題) is therefore structured on
its simplified form — :func:`indexer.text.to_simplified` changes one
character for one, so every position stays — and then its passages, headings
and outline are given back the characters as written. Its metadata (title,
issuer, township, county…) stays in simplified form, as facets and filters
compare it.
"""

from __future__ import annotations

from ..model import Report
from ..text import to_simplified
from .structure import structure


def structure_any_script(clean: str, source: str) -> Report:
    """:func:`~indexer.ingest.structure.structure` for text in either script."""
    simple = to_simplified(clean)
    if simple == clean:
        return structure(clean, source)
    report = structure(simple, source)
    _as_written(report, clean, simple)
    return report


def _as_written(report: Report, clean: str, simple: str) -> None:
    """Put the characters as written back into the passages, headings and outline."""
    # passages are lines (a title may join two): find them in the text without line
    # breaks, where both forms still line up character for character
    flat_simple, flat_clean = simple.replace("\n", ""), clean.replace("\n", "")
    cursor = 0

    def written(text: str) -> str:
        nonlocal cursor
        at = flat_simple.find(text, cursor)
        if at < 0:
            at = flat_simple.find(text)
        if at < 0:
            return text  # not found as such: keep the simplified form
        cursor = at + len(text)
        return flat_clean[at : at + len(text)]

    headings: dict[str, str] = {}
    for p in report.passages:
        original = written(p.text)
        if p.kind == "heading":
            headings.setdefault(p.text, original)
        p.text = original
    for p in report.passages:
        p.heading = headings.get(p.heading, p.heading)
        p.path = [headings.get(h, h) for h in p.path]
    for s in report.sections:
        s.heading = headings.get(s.heading, s.heading)
