"""PDF: pdfminer.six in a sandboxed child process (:mod:`.pdfworker`), then checks of its text.

The child's processor time is limited to :data:`~indexer.ingest.limits.PDF_TIME_LIMIT`
(counted by the child itself, so a busy machine does not fail a file), with a
wall-clock backstop well above it (:func:`~indexer.ingest.limits.pdf_wall_limit`)
for a child that hangs without using the processor. The text layer is refused,
with its reason, when it is missing (the pages and images found are named), when
more than :data:`~indexer.ingest.limits.MAX_CID_RATIO` of its glyphs are
``(cid:N)`` (fonts without a Unicode map; fewer are dropped), or when it is
mojibake (codes of a legacy font read as Latin-1 letters, see :func:`mojibake_share`).
Before that, scanned pages (an image and next to no text) and pages whose text
layer is garbage are read with OCR (:mod:`.ocr`), page by page: the other
pages keep their text layer.
The result keeps each page's text and the geometry of its lines
(:class:`~indexer.model.PageLayout`) for :mod:`indexer.ingest.pdflayout`.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import ExtractionError
from ..model import Extracted, PageLayout, TextLine
from . import limits, ocr

_MALFORMED_PDF = "the PDF may be malformed: check that it opens, or print it to a new PDF"
_DECRYPT_HINT = (
    "remove the password: open it and print to a new PDF, or run qpdf --decrypt, "
    "then index the copy"
)
_WORKER = Path(__file__).with_name("pdfworker.py")
_CID = re.compile(r"\(cid:\d+\)")
#: a child that died without its JSON ran out of memory (see ``pdfworker.out_of_memory``)
_NO_MEMORY = re.compile(
    r"MemoryError|\[Errno 12\]|Cannot allocate memory|error return without exception set"
)


def extract_pdf(path: Path) -> Extracted:
    size = limits.checked_size(path, limits.MAX_PDF_BYTES)
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
            f.seek(max(0, size - 1024))
            tail = f.read()
    except OSError as e:
        raise ExtractionError(
            path, f"cannot read file ({e.strerror or type(e).__name__})", hint="check permissions"
        ) from e
    if b"%PDF-" not in head:
        hint = "check that the file really is the PDF"
        if head.lstrip()[:1] == b"<":
            hint = "it looks like a web page: save it as .html, or download the PDF itself"
        raise ExtractionError(path, "not a PDF file (missing %PDF- header)", hint=hint)
    if b"%%EOF" not in tail:
        raise ExtractionError(
            path,
            "PDF is truncated (no %%EOF marker at the end)",
            hint="the download or copy was interrupted: fetch the file again",
        )
    result = _run_pdf_worker(path)
    return _check_pdf_text(path, result)


def _run_pdf_worker(path: Path) -> dict:
    """Run the child process; return its result (``pages``, ``layout``, ``encrypted``…)."""
    limit = limits.PDF_TIME_LIMIT
    wall = limits.pdf_wall_limit()
    cmd = [
        sys.executable,
        "-I",  # isolated: ignore PYTHON* variables, user site and the script's directory
        str(_WORKER),
        str(path.resolve()),
        "--cpu",
        repr(float(limit)),
        "--memory",
        str(limits.PDF_MEMORY_LIMIT),
    ]
    timed_out = ExtractionError(
        path,
        f"PDF extraction exceeded the time limit ({limit:g}s)",
        hint=_MALFORMED_PDF,
    )
    stalled = ExtractionError(
        path,
        f"PDF extraction did not finish within {wall:g}s of real time "
        f"(the processor-time limit is {limit:g}s)",
        hint="the machine may be overloaded: index the file again later; " + _MALFORMED_PDF,
    )
    out_of_memory = ExtractionError(
        path,
        f"PDF extraction exceeded the memory limit ({limits.PDF_MEMORY_LIMIT // limits.MiB} MiB)",
        hint=_MALFORMED_PDF,
    )
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=wall, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired:
        raise stalled from None
    except OSError as e:
        raise ExtractionError(
            path,
            f"cannot start the PDF extractor ({limits.one_line(e)})",
            hint="check the installation",
        ) from e

    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        sig = -proc.returncode
        if sig in (
            getattr(signal, "SIGPROF", None),
            getattr(signal, "SIGXCPU", None),
            getattr(signal, "SIGKILL", None),
        ):
            raise timed_out
        if _NO_MEMORY.search(stderr):
            raise out_of_memory
        raise ExtractionError(
            path,
            f"PDF extraction crashed (signal {sig})",
            hint=_MALFORMED_PDF,
        )
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        if _NO_MEMORY.search(stderr):
            raise out_of_memory from None
        last = stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise ExtractionError(
            path,
            f"PDF extraction failed ({limits.one_line(last[0])})",
            hint=_MALFORMED_PDF,
        ) from None
    if result.get("ok"):
        return result
    error = result.get("error")
    if error == "encrypted":
        raise ExtractionError(path, "encrypted PDF", hint=_DECRYPT_HINT)
    if error == "memory":
        raise out_of_memory
    if error == "nopages":
        raise ExtractionError(
            path,
            f"PDF has no pages that can be read ({limits.one_line(result.get('detail', ''))})",
            hint="its page tree is empty or broken: open it and print it to a new PDF",
        )
    if error == "internal":
        raise ExtractionError(
            path,
            f"cannot run the PDF extractor ({limits.one_line(result.get('detail', ''))})",
            hint="check that pdfminer.six is installed",
        )
    raise ExtractionError(
        path,
        f"PDF is damaged ({limits.one_line(result.get('detail', 'unknown error'))})",
        hint="fetch the file again, or open it and print it to a new PDF",
    )


def _letters(text: str) -> int:
    return sum(1 for ch in _CID.sub("", text) if ch.isalpha())


def _unreadable(page: str) -> bool:
    """A page's text layer is garbage: too many ``(cid:N)`` glyphs, or mojibake."""
    n = len(_CID.findall(page))
    letters = _letters(page)
    if n and n > limits.MAX_CID_RATIO * (n + letters):
        return True
    return letters >= limits.MIN_PAGE_LETTERS and mojibake_share(page) > limits.MAX_MOJIBAKE_RATIO


def scanned_pages(pages: list[str], image_pixels: list[int]) -> list[int]:
    """The pages (1-based) to read with OCR: pages that show an image and have fewer than
    :data:`~.limits.MIN_PAGE_LETTERS` letters of text, and pages whose text is garbage."""
    out = []
    for i, page in enumerate(pages):
        shows_image = i < len(image_pixels) and image_pixels[i] > 0
        if (shows_image and _letters(page) < limits.MIN_PAGE_LETTERS) or _unreadable(page):
            out.append(i + 1)
    return out


def _ocr_hint(default: str, tried: bool = False) -> str:
    """What to do about a text layer that cannot be read: install OCR, or (when OCR read
    the pages and found no letters either) ``default`` without its advice to OCR."""
    if tried:
        return "OCR finds no letters in what its pages show either: export it again from the original document"
    if not limits.OCR_ENABLED:
        return default
    return ocr.unavailable() or default


def _check_pdf_text(path: Path, result: dict) -> Extracted:
    """OCR the scanned and unreadable pages; refuse text that is still missing or
    unreadable; drop stray ``(cid:N)``."""
    pages = [str(p) for p in result["pages"]]
    layout = [_page_layout(p) for p in result.get("layout") or ()]
    encrypted = bool(result.get("encrypted"))
    pixels = [int(n) for n in result.get("image_pixels") or ()]
    to_ocr = scanned_pages(pages, pixels) if len(layout) == len(pages) else []
    read: dict[int, ocr.OcrPage] = {}
    if to_ocr and limits.OCR_ENABLED and ocr.unavailable() is None:
        read = ocr.read_pages(path, to_ocr, dict(enumerate(pixels, start=1)))
        for n, page in list(read.items()):
            if _unreadable(pages[n - 1]) and (
                not page.chars or mojibake_share(page.text) > limits.MAX_MOJIBAKE_RATIO
            ):
                # the glyphs drawn are no letters either: the text layer's refusal stands
                del read[n]
                continue
            pages[n - 1] = page.text
            layout[n - 1] = page.layout
    tried = bool(to_ocr) and limits.OCR_ENABLED and ocr.unavailable() is None
    text = "\f".join(pages)
    cids = len(_CID.findall(text))
    letters = _letters(text)
    if cids and cids > limits.MAX_CID_RATIO * (cids + letters):
        if encrypted:  # copy-protected: opened without a password, fonts still scrambled
            raise ExtractionError(
                path,
                "encrypted PDF (copy-protected: its text cannot be decoded)",
                hint=_DECRYPT_HINT if tried else _ocr_hint(_DECRYPT_HINT),
            )
        share = round(100 * cids / (cids + letters))
        bad = sum(
            1
            for p in pages
            if (n := len(_CID.findall(p))) and n > limits.MAX_CID_RATIO * (n + _letters(p))
        )
        where = f" on {bad} of {len(pages)} pages" if len(pages) > 1 else ""
        raise ExtractionError(
            path,
            f"PDF text layer is unreadable{where} (cid:N glyphs: {share}% of the text)",
            hint=_ocr_hint(
                "its fonts have no Unicode map: OCR the PDF, or export it again from the "
                "original document",
                tried,
            ),
        )
    if cids:
        pages = [_CID.sub("", p) for p in pages]
        text = "\f".join(pages)
        letters = sum(1 for ch in text if ch.isalpha())
    if letters < limits.MIN_PDF_LETTERS:
        found = f"{len(pages)} page{'s' if len(pages) != 1 else ''}"
        if read:
            raise ExtractionError(
                path,
                "PDF has no text layer and OCR found no text on it",
                hint=f"{found}, {len(read)} read with OCR: check that the scan is legible",
            )
        images = int(result.get("images") or 0)
        shown = f", {images} with images" if images else ", no images"
        todo = "a scanned PDF needs OCR first, e.g. with ocrmypdf"
        if limits.OCR_ENABLED and ocr.unavailable() is None and not images:
            todo = "no page shows an image to read with OCR either"
        raise ExtractionError(
            path, "PDF has no text layer", hint=f"{found}{shown}: " + _ocr_hint(todo)
        )
    share = mojibake_share(text)
    if share > limits.MAX_MOJIBAKE_RATIO:
        raise ExtractionError(
            path,
            f"PDF text layer is unreadable (mojibake: {round(100 * share)}% of its letters "
            "are stray Latin-1 symbols)",
            hint=_ocr_hint(
                "a font maps its codes to the wrong characters: OCR the PDF, or export it "
                "again from the original document",
                tried,
            ),
        )
    if cids:
        layout = [_without_cids(p) for p in layout]
    used = [p for p in read.values() if p.chars]
    chars = sum(p.chars for p in used)
    return Extracted(
        text=text,
        kind="pdf",
        pages=tuple(pages),
        layout=tuple(layout),
        ocr_pages=tuple(p.number for p in used),
        ocr_confidence=round(sum(p.score * p.chars for p in used) / chars, 4) if chars else None,
    )


#: Latin-1 letters and symbols that text decoded with the wrong code page is made of
_LATIN1 = re.compile(r"[\u0080-\u00ff]")
_COMMON_LATIN1 = set("\u00a0\u00b7\u00b0\u00d7\u00f7\u00a7\u00a9\u00ae\u00b1")


def mojibake_share(text: str) -> float:
    """The share of letters that are Latin-1 characters beyond ASCII (``£±ÄÚ``), as when
    a legacy font's GBK codes are read one byte at a time. Western text holds a few
    accented letters; mojibake holds two for every Chinese character."""
    odd = sum(1 for ch in _LATIN1.findall(text) if ch not in _COMMON_LATIN1)
    letters = sum(1 for ch in text if ch.isalpha() or ch in "\u00a3\u00a4\u00a6\u00a8")
    return min(1.0, odd / max(letters, 1))


def _page_layout(page: dict) -> PageLayout:
    lines = tuple(
        TextLine(
            str(t),
            float(x0),
            float(x1),
            float(y0),
            float(y1),
            float(size),
            bool(bold),
            tuple((float(a), float(b), str(s)) for a, b, s in spans),
        )
        for t, x0, x1, y0, y1, size, bold, spans in page.get("lines", ())
    )
    page_rules = tuple((float(a), float(b), float(y)) for a, b, y in page.get("rules", ()))
    return PageLayout(float(page["width"]), float(page["height"]), lines, page_rules)


def _without_cids(page: PageLayout) -> PageLayout:
    lines = tuple(
        TextLine(
            _CID.sub("", ln.text),
            ln.x0,
            ln.x1,
            ln.y0,
            ln.y1,
            ln.size,
            ln.bold,
            tuple((a, b, _CID.sub("", t)) for a, b, t in ln.spans),
        )
        for ln in page.lines
    )
    return PageLayout(page.width, page.height, lines, page.rules)
