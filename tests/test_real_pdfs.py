"""Real PDFs that nobody on the project made: phrases found, fonts decoded, honest refusals.

The files are in ``../shared/corpora/real-files/pdf`` (provenance in the README
there; never copied into the project). Laws printed from Word/WPS must have
their phrases found through the index — inside a printed line and across a
wrapped line — as an independent extractor (PDFium) reads them; legacy
government fonts must read as the right Chinese text; files fazhi cannot read
must be refused with a reason that says what was found.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from indexer.errors import ExtractionError
from indexer.ingest import limits
from indexer.ingest import pdf as pdf_module
from indexer.ingest.extract import extract
from indexer.ingest.lines import heading_like
from indexer.ingest.normalize import normalize
from indexer.text import fold

from devtools import recall
from helpers import ROOT

REAL = ROOT.parent / "shared" / "corpora" / "real-files"
PDF = REAL / "pdf"
pytestmark = pytest.mark.skipif(
    not PDF.is_dir(), reason=f"the real files are not beside the checkout ({REAL})"
)

#: laws printed from Word/WPS: wrapped lines, hanging punctuation, articles
LAWS = [
    "zh_xianfa_hustnzj.pdf",
    "zh_xianfa_forbiddrugs.pdf",
    "zh_wangluoanquanfa_penggeor.pdf",
    "zh_shujuanquanfa.pdf",
    "zh_gerenxinxi_baohufa.pdf",
]


@pytest.fixture(scope="module", autouse=True)
def without_ocr():
    """These tests read the text layers; OCR of the real scans is tested in test_ocr.py
    (one of these files has 21 pages of unreadable text that OCR would take minutes on)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(limits, "OCR_ENABLED", False)
        yield


@cache
def read(name: str) -> str | ExtractionError:
    """The clean text of a real PDF (read once per test run), or why it was refused."""
    try:
        return normalize(extract(PDF / name))
    except ExtractionError as err:
        return err


@pytest.fixture(scope="module")
def law_recall() -> dict[str, recall.FileResult]:
    """The laws indexed once, with their phrases searched (200 per category)."""
    return {r.name: r for r in recall.measure([PDF / name for name in LAWS], limit=200)}


@pytest.mark.parametrize("name", LAWS)
def test_phrases_of_real_laws_are_found(law_recall, name):
    r = law_recall[name]
    assert not r.note
    assert r.total["within"] >= 100 and r.total["across"] >= 50
    assert r.rate("within") >= 0.99, r.missed.get("within")
    assert r.rate("across") >= 0.98, r.missed.get("across")


@pytest.mark.parametrize("name", LAWS)
def test_no_wrapped_line_stands_alone_as_a_heading(name):
    path = PDF / name
    blocks = read(name).split("\n")
    wrapped = {fold(line) for line in recall.wrapped_lines(recall.reference_pages(path))}
    assert len(wrapped) >= 20
    alone = [b for b in blocks if heading_like(b, max_len=10_000) and fold(b) in wrapped]
    long_alone = [b for b in alone if len(b) > 40]
    assert long_alone == []
    assert len(alone) <= 1  # at most a short line that the reference also sees as full


def test_two_columns_are_read_column_by_column():
    text = read("en_pdfjs_tracemonkey.pdf").replace(" ", "")
    # the left column's sentence goes on in the left column, not across the page
    assert "tracespeculatesthatthepathandtypingwilbeexactlyastheywere" in text
    assert "Everycompiledtracecontainsaltheguards(checks)required" in text


def test_a_ruled_table_is_read_row_by_row():
    blocks = read("zh_plumber_issue-67_dongbei_dianqi_q1.pdf").split("\n")
    assert "营业收入（元） | 4,755,785.11 | 5,699,227.63 | -16.55%" in blocks
    # a cell written on two lines, the other cells centred beside it
    assert (
        "归属于上市公司股东的扣除非经常性损益的净利润（元） | -7,889,855.34 | "
        "-15,424,679.15 | 48.85%" in blocks
    )


# -- legacy government fonts --------------------------------------------------------


def test_xiaobiaosong_reads_as_chinese():
    clean = read("zh_pdfjs_XiaoBiaoSong.pdf")
    for title in ("关于红军作战的原则", "中日战争爆发后的形势与任务", "（一九三七年八月一日）"):
        assert title in clean
    assert pdf_module.mojibake_share(clean) == 0


def test_simfang_reads_as_chinese():
    assert "全世界无产者，联合起来" in read("zh_pdfjs_SimFang-variant.pdf")


def test_mojibake_is_refused_never_indexed(tmp_path):
    # what the same fonts gave before they were read as GBK
    bad = "£±\n" + "ÄÚÈÝ¹ØÓÚºì¾ü×÷Õ½µÄÔ­Ôò" * 5
    with pytest.raises(ExtractionError) as info:
        pdf_module._check_pdf_text(tmp_path / "old.pdf", {"pages": [bad]})
    assert info.value.reason.startswith("PDF text layer is unreadable (mojibake: ")
    assert str(tmp_path / "old.pdf") in str(info.value)


# -- honest refusals -----------------------------------------------------------------


def refusal(name: str) -> ExtractionError:
    with pytest.raises(ExtractionError) as info:
        extract(PDF / name)
    err = info.value
    assert err.path == str(PDF / name) and "\n" not in err.user_message()
    return err


def test_a_layer_of_unmapped_glyphs_is_refused_saying_where():
    # 21 of its 23 pages set the body in a font whose glyphs have no Unicode map
    # (PDFium reads control characters there too): unreadable, not "mostly readable"
    err = refusal("en_pdfjs_TAMReview.pdf")
    assert (
        err.reason
        == "PDF text layer is unreadable on 21 of 23 pages (cid:N glyphs: 86% of the text)"
    )


def test_a_pdf_whose_pages_pdfminer_cannot_find_is_read_with_pdfium():
    extracted = extract(PDF / "en_pdfjs_prefilled_f1040.pdf")
    assert len(extracted.pages) == 2 and not extracted.layout
    assert "U.S. Individual Income Tax Return" in extracted.text


@pytest.mark.parametrize(
    ("name", "found"),
    [("zh_tongzhi.pdf", "2 pages, 2 with images"), ("mineru_small_ocr_scanned.pdf", "8 pages")],
)
def test_a_scan_is_refused_naming_what_it_holds(name, found):
    err = refusal(name)
    assert err.reason == "PDF has no text layer"
    assert err.hint.startswith(found) and "OCR" in err.hint


def test_every_real_pdf_is_read_or_refused_with_a_reason():
    for path in sorted(PDF.glob("*.pdf")):
        clean = read(path.name)
        if isinstance(clean, ExtractionError):
            assert re.match(r"PDF (text layer is unreadable|has no)", clean.reason), clean
            continue
        assert clean.strip(), path.name
        assert pdf_module.mojibake_share(clean) < 0.3, path.name
