"""Scanned reports read with OCR: the seeds printed, stamped and scanned read back as the
same reports; mixed PDFs keep their text layer; real scans are indexed; caps hold.

OCR costs about 5 processor seconds a page, so the scans are read once per test run
(module fixtures; the results are cached by content hash for the run, see conftest), on
two threads.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("rapidocr", reason="OCR is not installed (pip install 'fazhi-search[ocr]')")

from indexer import index as idx
from indexer.errors import ExtractionError
from indexer.ingest import limits, ocr
from indexer.ingest.extract import extract
from indexer.ingest.pipeline import load_report
from indexer.ingest.run import index_paths
from indexer.search import Engine
from indexer.text import fold
from webui import create_app

from devtools.pdfgen import render_report_pdf
from devtools.scangen import blank_scan_pdf, huge_image_pdf, render_scanned_report
from helpers import ROOT, SEEDS, short_seeds

REAL = ROOT.parent / "shared" / "corpora" / "real-files" / "pdf"
META = ("title", "issuer", "township", "county", "city", "province", "year", "date", "doc_number")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_threads():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(limits, "OCR_THREADS", 2)
        yield


@pytest.fixture(scope="module")
def scans(tmp_path_factory, two_threads) -> dict[str, Path]:
    """Every seed printed, stamped with a red seal over its signature, skewed, speckled
    and saved as JPEG pages without a text layer."""
    out = tmp_path_factory.mktemp("scans")
    return {
        seed.name: render_scanned_report(
            seed.read_text(encoding="utf-8"),
            out / f"{seed.stem}.pdf",
            issuer=load_report(seed).issuer or "",
            seed=i,
        )
        for i, seed in enumerate(SEEDS)
    }


@pytest.fixture(scope="module")
def scan_index(tmp_path_factory, scans) -> Path:
    ix = tmp_path_factory.mktemp("scan-ix") / "ix"
    summary = index_paths(list(scans.values()), ix)
    assert summary.failed == [] and len(summary.indexed) == len(SEEDS)
    return ix


def phrases(text: str, rng: random.Random, n: int) -> list[str]:
    """``n`` random 8-character phrases of ``text``'s lines (whitespace dropped)."""
    lines = [re.sub(r"\s+", "", line) for line in text.splitlines()]
    lines = [line for line in lines if len(line) >= 8]
    out = []
    for _ in range(n):
        line = rng.choice(lines)
        i = rng.randrange(len(line) - 7)
        out.append(line[i : i + 8])
    return out


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_a_scanned_seed_reads_back_with_its_metadata_and_phrases(scan_index, scans, seed):
    truth = load_report(seed)
    reports = {Path(m["source"]).name: m for m in idx.list_reports(scan_index)}
    meta = reports[scans[seed.name].name]
    assert {k: meta[k] for k in META} == {k: getattr(truth, k) for k in META}
    assert meta["ocr"] is True and meta["ocr_confidence"] > 0.95
    rng = random.Random(seed.name)
    wanted = phrases("\n".join(p.text for p in truth.passages), rng, 100)
    with Engine(scan_index) as engine:
        found = [
            q
            for q in wanted
            if any(
                r["id"] == meta["id"]
                for r in engine.search(f'"{q}"', filters={"township": [truth.township]})["reports"]
            )
        ]
    assert len(found) >= 95, sorted(set(wanted) - set(found))


def test_seals_page_numbers_and_headers_do_not_become_text(scan_index, scans):
    seed = SEEDS[0]
    truth = load_report(seed)
    report = load_report(scans[seed.name])  # read from the cache
    texts = [p.text for p in report.passages]
    # the signature block ends the report as it does the text file: the seal added nothing
    assert texts[-2:] == [p.text for p in truth.passages][-2:]
    assert not any(re.fullmatch(r"[-—–\s]*\d+[-—–\s]*", t) for t in texts)
    assert not any("依法行政年度报告（公开文本）" in t for t in texts)
    assert {p.section for p in report.passages} == {p.section for p in truth.passages}


def test_a_mixed_pdf_keeps_its_text_layer_and_reads_only_the_scanned_page(
    tmp_path, scans, two_threads
):
    import pypdfium2 as pdfium

    seed = SEEDS[4]
    printed = render_report_pdf(seed.read_text(encoding="utf-8"), tmp_path / "printed.pdf")
    doc = pdfium.PdfDocument(str(printed))
    scan = pdfium.PdfDocument(str(scans[seed.name]))
    doc.del_page(1)
    doc.import_pages(scan, [1], index=1)  # page 2 scanned, the others printed
    doc.save(str(tmp_path / "mixed.pdf"))
    scan.close()
    doc.close()
    text_only = extract(printed)
    mixed = extract(tmp_path / "mixed.pdf")
    assert mixed.ocr_pages == (2,)
    assert [mixed.pages[i] for i in (0, 2, 3)] == [text_only.pages[i] for i in (0, 2, 3)]
    assert mixed.layout[0] == text_only.layout[0]
    page2 = re.sub(r"\s+", "", fold(mixed.pages[1]))
    wanted = phrases(fold(text_only.pages[1]), random.Random(2), 40)
    assert sum(q in page2 for q in wanted) >= 38


@pytest.mark.skipif(not REAL.is_dir(), reason="the real files are not beside the checkout")
def test_real_scans_are_indexed_with_their_text(tmp_path, two_threads):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name in ("zh_tongzhi.pdf", "mineru_small_ocr_scanned.pdf", "rapidocr_direct_and_image.pdf"):
        shutil.copy(REAL / name, corpus)
    ix = tmp_path / "ix"
    summary = index_paths([corpus], ix)
    assert summary.failed == [] and len(summary.indexed) == 3
    with Engine(ix) as engine:
        for phrase, name in [
            ("中华人民共和国合伙企业法", "zh_tongzhi.pdf"),
            ("为有用物的量找到社会尺度", "mineru_small_ocr_scanned.pdf"),
            ("部分是由于约定俗成", "mineru_small_ocr_scanned.pdf"),  # across a line wrap
            ("Real-time Scene Text Spotting", "rapidocr_direct_and_image.pdf"),
        ]:
            sources = {Path(r["source"]).name for r in engine.search(f'"{phrase}"')["reports"]}
            assert sources == {name}, phrase
    by_name = {Path(m["source"]).name: m for m in idx.list_reports(ix)}
    assert all(m["ocr"] for m in by_name.values())
    # the text page of the mixed file keeps its text layer; only the image page is read
    mixed = extract(corpus / "rapidocr_direct_and_image.pdf")
    assert mixed.ocr_pages == (2,) and "ABCNet" in mixed.pages[0]


def test_re_indexing_reads_no_page_twice(scan_index, scans, tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "_WORKER", tmp_path / "no-such-worker.py")  # any run would fail
    ix = tmp_path / "ix"
    summary = index_paths(list(scans.values()), ix)
    assert summary.failed == [] and len(summary.indexed) == len(SEEDS)


def test_a_worker_that_ends_without_reading_fails_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "_WORKER", tmp_path / "no-such-worker.py")
    pdf = blank_scan_pdf(tmp_path / "blank.pdf", 1)
    with pytest.raises(ExtractionError) as info:
        ocr.read_pages(pdf, [1], {})
    assert info.value.reason.startswith("OCR stopped before page 1 (")


def test_hostile_scans_stop_at_their_caps_and_the_rest_is_indexed(tmp_path, runner):
    from indexer.cli import cli

    corpus = short_seeds(tmp_path / "c")
    huge_image_pdf(corpus / "huge-image.pdf", 20_000)
    blank_scan_pdf(corpus / "blank-pages.pdf", 2_000)
    ix = tmp_path / "ix"
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert res.exit_code == 1
    failed = sorted(line for line in res.output.splitlines() if line.startswith("failed: "))
    assert failed == [
        f"failed: {corpus / 'blank-pages.pdf'}: PDF has 2,000 scanned pages to read with OCR "
        "(the limit is 100 a file) (split the file or check that it is really a single report)",
        f"failed: {corpus / 'huge-image.pdf'}: page 1 shows an image of 400 megapixels (OCR "
        "reads at most 100) (scan the page again at 300 dpi)",
    ]
    assert f"5 indexed, 0 unchanged, 2 failed ({5} reports in {ix})" in res.output


def test_blank_scanned_pages_are_not_recognised(tmp_path):
    err = pytest.raises(ExtractionError, extract, blank_scan_pdf(tmp_path / "b.pdf", 3)).value
    assert err.reason == "PDF has no text layer and OCR found no text on it"


def test_a_page_over_its_time_limit_stops_with_a_one_line_reason(tmp_path, monkeypatch, scans):
    monkeypatch.setattr(limits, "OCR_PAGE_TIME_LIMIT", 0.2)
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(scans[SEEDS[1].name].read_bytes() + b"\n% another file\n")  # not cached
    with pytest.raises(ExtractionError) as info:
        extract(pdf)
    assert info.value.reason == (
        "OCR of page 1 exceeded its time limit (0.2s of processor time a page)"
    )


def test_without_ocr_a_scan_is_refused_saying_how_to_add_it(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr.importlib.util, "find_spec", lambda name: None)
    pdf = blank_scan_pdf(tmp_path / "b.pdf", 2)
    err = pytest.raises(ExtractionError, extract, pdf).value
    assert err.reason == "PDF has no text layer"
    assert err.hint == (
        "2 pages, 2 with images: OCR is not installed (rapidocr, onnxruntime missing): "
        "install OCR with: pip install 'fazhi-search[ocr]'"
    )


def test_progress_is_one_line_a_page_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(ocr.sys.stderr, "isatty", lambda: True)
    ocr._progress(Path("/x/扫描件\x1b.pdf"), "page 3 (3 of 8 read, 5.1 s)")
    assert capsys.readouterr().err == "OCR 扫描件\\x1b.pdf: page 3 (3 of 8 read, 5.1 s)\n"


def test_the_report_page_says_the_text_was_recognised_and_offers_the_original(scan_index):
    app = create_app({"INDEX_DIR": str(scan_index), "TESTING": True})
    rid = idx.list_reports(scan_index)[0]["id"]
    page = app.test_client().get(f"/report/{rid}").get_data(as_text=True)
    assert "本报告的文字由扫描件识别（OCR）而来" in page
    assert f'href="/report/{rid}/file" download>下载原始扫描件' in page
