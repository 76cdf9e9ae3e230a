"""What OCR costs: a 10-page scan read from scratch, on one and two threads, then again
from the cache (``scripts/bench.py --ocr-scan PAGES``).

The scan is a seed report printed, stamped with a red seal, skewed, speckled and
saved as JPEG pages (:mod:`devtools.scangen`), its text repeated until it has
the pages asked for. Each run reads it with ``load_report`` in this process
(the OCR child does the work) with an empty cache of its own, and records real
time, the processor time of the children (the OCR and PDF workers), pages a
second and processor seconds a page; then the file is read again with the
cache kept, as a re-index would.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from .measure import load_average, machine

SEED_DIR = Path(__file__).resolve().parents[3] / "corpus"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def scan_of(pages: int, out: Path) -> Path:
    from devtools.scangen import render_scanned_report

    seed = sorted(SEED_DIR.glob("*.txt"))[0]
    text = seed.read_text(encoding="utf-8")
    # about six pages a seed: repeat it, then keep the pages asked for
    doc = render_scanned_report(text * (pages // 5 + 1), out / "long.pdf", issuer="美湖镇人民政府")
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(doc))
    dst = pdfium.PdfDocument.new()
    dst.import_pages(src, list(range(min(pages, len(src)))))
    path = out / f"scan-{pages}.pdf"
    dst.save(str(path))
    src.close()
    dst.close()
    return path


def _read(path: Path) -> dict:
    from indexer.ingest.pipeline import load_report

    wall, cpu = time.perf_counter(), _children_cpu()
    report = load_report(path)
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "passages": len(report.passages),
            "ocr_confidence": report.ocr_confidence}  # fmt: skip


def measure_ocr(pages: int, work: Path, log) -> dict:
    """The figures of the module docstring, as a dict."""
    from indexer.ingest import limits

    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine(), "load_average": {"start": load_average()}}
    path = scan_of(pages, work)
    results["pages"] = pages
    old_cache, old_threads = os.environ.get("FAZHI_OCR_CACHE"), limits.OCR_THREADS
    try:
        for threads in (1, 2):
            with tempfile.TemporaryDirectory(dir=work) as cache:
                os.environ["FAZHI_OCR_CACHE"] = cache
                limits.OCR_THREADS = threads
                log(f"OCR of a {pages}-page scan on {threads} thread(s) …")
                run = _read(path)
                run["pages_per_s"] = round(pages / run["wall_s"], 3)
                run["cpu_s_per_page"] = round(run["cpu_s"] / pages, 2)
                log("again, from the cache …")
                run["cached"] = _read(path)
                results[f"threads_{threads}"] = run
    finally:
        limits.OCR_THREADS = old_threads
        if old_cache is None:
            os.environ.pop("FAZHI_OCR_CACHE", None)
        else:
            os.environ["FAZHI_OCR_CACHE"] = old_cache
    results["peak_child_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    results["load_average"]["end"] = load_average()
    return results


def format_ocr(results: dict) -> str:
    lines = [f"OCR of a {results['pages']}-page scan (load {results['load_average']})"]
    for threads in (1, 2):
        r = results[f"threads_{threads}"]
        lines.append(
            f"  {threads} thread(s): {r['wall_s']} s real, {r['cpu_s']} s processor "
            f"({r['cpu_s_per_page']} s a page), {r['pages_per_s']} pages/s; "
            f"from the cache: {r['cached']['wall_s']} s"
        )
    lines.append(f"  peak memory of a child: {results['peak_child_rss_mb']} MB")
    return "\n".join(lines)
