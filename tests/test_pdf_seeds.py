"""The seed reports printed as official PDFs read back as the same reports.

Each seed in ``corpus/`` is rendered the way townships publish reports
(28 characters a line, a running header, ``— N —`` page numbers, page breaks
inside paragraphs) and loaded through the whole pipeline: the metadata must
match the .txt's, phrases cut by line wraps and page breaks must be whole
again inside one passage, and no page furniture may leak into a passage.
"""

from __future__ import annotations

import re

import pytest

from indexer.ingest.pipeline import load_report

from devtools.pdfgen import DEFAULT_HEADER, render_report_pdf, report_paragraphs, wrap_paragraph
from helpers import CORPUS

CHARS_PER_LINE = 28
LINES_PER_PAGE = 22
SEEDS = sorted(CORPUS.glob("*.txt"))
FOLIO = re.compile(r"—\s*\d+\s*—")
HANZI = re.compile(r"[\u4e00-\u9fff]+")


def cut_phrases(text: str) -> tuple[list[str], list[str]]:
    """Phrases the PDF layout cuts in two: (across a line wrap, across a page break).

    Each is four characters either side of the cut, taken only where all eight
    are hanzi (normalization may rewrite digits, spaces and punctuation), and
    only inside body paragraphs (ending with 。), whose passages must hold them.
    """
    wraps: list[str] = []
    breaks: list[str] = []
    first = 0  # index of the paragraph's first line in the whole document
    for paragraph in report_paragraphs(text):
        lines = wrap_paragraph(paragraph, CHARS_PER_LINE)
        for i in range(len(lines) - 1):
            phrase = lines[i][-4:] + lines[i + 1][:4]
            if paragraph.endswith("。") and HANZI.fullmatch(phrase):
                page_break = (first + i + 1) % LINES_PER_PAGE == 0
                (breaks if page_break else wraps).append(phrase)
        first += len(lines)
    return wraps, breaks


def squeeze(value: str | None) -> str | None:
    return None if value is None else re.sub(r"\s+", "", value)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_pdf_reads_back_as_the_same_report(tmp_path, seed):
    text = seed.read_text(encoding="utf-8")
    pdf = render_report_pdf(
        text,
        tmp_path / f"{seed.stem}.pdf",
        chars_per_line=CHARS_PER_LINE,
        lines_per_page=LINES_PER_PAGE,
    )
    from_txt = load_report(seed, source="seed")
    from_pdf = load_report(pdf, source="seed")
    assert from_pdf.format == "pdf"

    want, got = from_txt.metadata(), from_pdf.metadata()
    want["title"], got["title"] = squeeze(want["title"]), squeeze(got["title"])
    assert got == want

    passages = [p.text for p in from_pdf.passages]
    assert passages
    for p in passages:
        assert DEFAULT_HEADER not in p
        assert not FOLIO.search(p), p

    wraps, breaks = cut_phrases(text)
    assert len(wraps) >= 10 and breaks, "the layout should cut phrases across lines and pages"
    sample = wraps[:: max(1, len(wraps) // 12)] + breaks
    missing = [phrase for phrase in sample if not any(phrase in p for p in passages)]
    assert not missing, f"phrases cut by the layout and not rejoined: {missing}"
