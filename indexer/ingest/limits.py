"""Limits for hostile or broken input, and reading a file within them.

Module constants, so callers and tests can change them (``limits.X``, read at
call time):

* size caps, checked before anything is parsed: :data:`MAX_PDF_BYTES`
  (50 MiB), :data:`MAX_DOCX_BYTES` (50 MiB, and :data:`MAX_DOCX_UNPACKED_BYTES`
  200 MiB once unzipped, of which :data:`MAX_DOCX_XML_BYTES` 10 MiB of XML:
  a small .docx can unpack into an XML document that takes minutes and
  gigabytes to parse), :data:`MAX_TEXT_BYTES` (20 MiB),
  :data:`MAX_HTML_BYTES` (10 MiB). Zip entries are inflated in chunks
  (:mod:`.zipread`): one that holds more than its declared size fails its
  CRC check having cost no more than that size;
* ``.doc``/``.wps``: :data:`MAX_DOC_BYTES` (50 MiB), read in a child process
  with :data:`DOC_TIME_LIMIT` (30 s) of processor time and
  :data:`DOC_MEMORY_LIMIT` (512 MiB) of address space; ``.ofd``:
  :data:`MAX_OFD_BYTES` (50 MiB), :data:`MAX_OFD_UNPACKED_BYTES` (200 MiB)
  once unzipped, of which :data:`MAX_OFD_XML_BYTES` (10 MiB) of XML, read as
  the .docx caps are;
* the extracted text of any file: :data:`MAX_TEXT_CHARS` characters (one
  million, some fifty times a long report), since each million characters
  costs about fifteen seconds of segmentation;
* PDFs must start with ``%PDF-`` (within the first KiB) and end with ``%%EOF``
  (within the last KiB, as Acrobat requires);
* pdfminer runs in a child process limited to :data:`PDF_TIME_LIMIT` seconds
  of processor time (120 s, counted by the child, so that a file does not pass
  or fail with the machine's load) and :data:`PDF_MEMORY_LIMIT` bytes of
  address space (1 GiB). A child that stops using the processor without
  finishing is ended after :func:`pdf_wall_limit` seconds of real time
  (:data:`PDF_WALL_FACTOR` times the processor limit, at least
  :data:`PDF_WALL_MIN`: 600 s by default). A hostile PDF can make pdfminer loop
  or exhaust memory, and its ``maxpages`` applies only after the whole page
  tree is parsed; the child is killed and the file reported. The child sets
  its own limits before it reads the file, rather than through
  ``preexec_fn``, which is unsafe when the calling process has threads.
* Scanned pages (an image and fewer than :data:`MIN_PAGE_LETTERS` letters of
  text) and pages whose text layer is unreadable are read with OCR in a child
  process of their own (:mod:`indexer.ingest.ocr`): :data:`OCR_PAGE_TIME_LIMIT`
  (60 s) of processor time a page, :data:`OCR_TIME_LIMIT` (900 s) a file,
  :data:`OCR_MEMORY_LIMIT` (2 GiB) of address space, at most
  :data:`OCR_MAX_PAGES` (100) pages a file and images of at most
  :data:`OCR_MAX_IMAGE_PIXELS` (100 megapixels), rendered at :data:`OCR_DPI`
  (150 dpi) and at most :data:`OCR_MAX_SIDE` (2,000) pixels a side.
* reading any file (extraction, normalization, structure, word segmentation)
  runs in a parsing worker under a budget of its own (:mod:`.sandbox`):
  :data:`PARSE_TIME_LIMIT` seconds of processor time (120 s), at most
  :data:`PARSE_MEMORY_LIMIT` bytes of address space more than the worker held
  before the file (1 GiB), and :func:`parse_wall_limit` seconds of real time
  (600 s); a PDF's pdfminer child has the limits above besides.
* A PDF text layer in which more than :data:`MAX_CID_RATIO` (5 %) of the
  glyphs come out as ``(cid:N)`` (fonts without a Unicode map) is refused
  rather than indexed; fewer such glyphs are dropped. One whose letters are
  more than :data:`MAX_MOJIBAKE_RATIO` stray Latin-1 characters (a legacy
  font's codes read with the wrong code page) is refused too.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..errors import ExtractionError
from ..model import Extracted

MiB = 1024 * 1024

#: Largest PDF accepted.
MAX_PDF_BYTES = 50 * MiB
#: Largest .docx accepted, and the most its parts may hold once unzipped (zip bombs).
MAX_DOCX_BYTES = 50 * MiB
MAX_DOCX_UNPACKED_BYTES = 200 * MiB
#: The most the XML parts of a .docx may hold once unzipped (XML bombs).
MAX_DOCX_XML_BYTES = 10 * MiB
#: Largest .doc/.wps accepted, and the limits of the child process that reads it.
MAX_DOC_BYTES = 50 * MiB
DOC_TIME_LIMIT: float = 30.0
DOC_MEMORY_LIMIT = 512 * MiB
#: Largest .ofd accepted; what it may hold once unzipped, and of that the XML read.
MAX_OFD_BYTES = 50 * MiB
MAX_OFD_UNPACKED_BYTES = 200 * MiB
MAX_OFD_XML_BYTES = 10 * MiB
#: The most characters of text one file may yield.
MAX_TEXT_CHARS = 1_000_000
#: Largest .txt/.md accepted.
MAX_TEXT_BYTES = 20 * MiB
#: Largest .html/.htm accepted (parsing takes about a second per MiB).
MAX_HTML_BYTES = 10 * MiB
#: Processor seconds the PDF child process may use.
PDF_TIME_LIMIT: float = 120.0
#: The real-time backstop: this many times the processor limit, and at least PDF_WALL_MIN.
PDF_WALL_FACTOR: float = 5.0
PDF_WALL_MIN: float = 60.0
#: Address space, in bytes, the PDF child process may map.
PDF_MEMORY_LIMIT = 1024 * MiB
#: Processor seconds, and address space beyond what its worker held, that reading one
#: file of any kind may use; the real-time backstop is a multiple of the processor time.
PARSE_TIME_LIMIT: float = 120.0
PARSE_MEMORY_LIMIT = 1024 * MiB
PARSE_WALL_FACTOR: float = 5.0
#: Share of ``(cid:N)`` glyphs above which a PDF text layer counts as unreadable.
MAX_CID_RATIO = 0.05
#: Share of letters that are stray Latin-1 characters above which a text layer is mojibake.
MAX_MOJIBAKE_RATIO = 0.3
#: A PDF with fewer letters than this (CJK or otherwise) has no usable text layer.
MIN_PDF_LETTERS = 10
#: A page with fewer letters than this that shows an image is a scan: it is read with OCR.
MIN_PAGE_LETTERS = 10

#: OCR of scanned pages (:mod:`indexer.ingest.ocr`): False refuses them instead.
OCR_ENABLED = True
#: Resolution pages are rendered at, and the most pixels on their longer side.
OCR_DPI: float = 150.0
OCR_MAX_SIDE = 2000
#: Processor seconds the OCR child may use for one page, and for one file.
OCR_PAGE_TIME_LIMIT: float = 60.0
OCR_TIME_LIMIT: float = 900.0
#: Address space, in bytes, the OCR child may map (the models and their buffers need ~1.5 GiB).
OCR_MEMORY_LIMIT = 2048 * MiB
#: The most pages of one file read with OCR.
OCR_MAX_PAGES = 100
#: The largest image (in pixels) a page to OCR may show: 100 megapixels (A3 at 600 dpi is 70).
OCR_MAX_IMAGE_PIXELS = 100_000_000
#: Threads the recogniser uses (the indexer already reads files on every core).
OCR_THREADS = 1
#: Boxes read with less confidence than this are dropped (smudges, handwriting, seals).
OCR_MIN_SCORE = 0.5


def pdf_wall_limit() -> float:
    """Seconds of real time after which the PDF child is ended whatever it is doing."""
    return max(PDF_WALL_FACTOR * PDF_TIME_LIMIT, PDF_WALL_MIN)


def parse_wall_limit() -> float:
    """Seconds of real time after which reading one file is stopped whatever it is doing."""
    return max(PARSE_WALL_FACTOR * PARSE_TIME_LIMIT, PDF_WALL_MIN)


#: lone surrogates: a reader's output that no encoding can write (a PDF's broken Unicode map)
_SURROGATES = re.compile("[\ud800-\udfff]")


def limit_text(path: Path, extracted: Extracted) -> Extracted:
    """Refuse text beyond :data:`MAX_TEXT_CHARS`; lone surrogates become U+FFFD."""
    if _SURROGATES.search(extracted.text):
        extracted = _without_surrogates(extracted)
    n = len(extracted.text)
    if n > MAX_TEXT_CHARS:
        raise ExtractionError(
            path,
            f"text is too long ({n:,} characters; the limit is {MAX_TEXT_CHARS:,})",
            hint="split the file or check that it is really a single report",
        )
    return extracted


def _without_surrogates(extracted: Extracted) -> Extracted:
    def clean(text: str) -> str:
        return _SURROGATES.sub("\ufffd", text)

    layout = tuple(
        replace(
            page,
            lines=tuple(
                replace(
                    ln, text=clean(ln.text), spans=tuple((a, b, clean(t)) for a, b, t in ln.spans)
                )
                for ln in page.lines
            ),
        )
        for page in extracted.layout
    )
    pages = tuple(clean(p) for p in extracted.pages)
    return replace(extracted, text=clean(extracted.text), pages=pages, layout=layout)


def checked_size(path: Path, limit: int) -> int:
    """Stat ``path``: refuse missing, empty and oversized files before reading them."""
    try:
        if not path.exists():
            raise ExtractionError(path, "file not found", hint="check the path")
        if not path.is_file():
            raise ExtractionError(path, "not a file", hint="give the path of a report file")
        size = path.stat().st_size
    except OSError as e:
        raise ExtractionError(
            path, f"cannot read file ({e.strerror or type(e).__name__})", hint="check the path"
        ) from e
    if size == 0:
        raise ExtractionError(
            path, "file is empty", hint="check that the download or copy finished"
        )
    if size > limit:
        raise ExtractionError(
            path,
            f"file is too large ({human(size)}; the limit for "
            f"{path.suffix.lower()} files is {human(limit)})",
            hint="split the file or check that it is really a single report",
        )
    return size


def read_file(path: Path, limit: int) -> bytes:
    checked_size(path, limit)
    try:
        return path.read_bytes()
    except OSError as e:
        raise ExtractionError(
            path, f"cannot read file ({e.strerror or type(e).__name__})", hint="check permissions"
        ) from e


def require_text(path: Path, text: str) -> str:
    if not text.strip():
        raise ExtractionError(path, "no text found", hint="check that the file holds the report")
    return text


def human(size: int) -> str:
    """``52428800`` → ``"50 MiB"``, ``1536`` → ``"1.5 KiB"``."""
    for unit, scale in (("GiB", 1024 * MiB), ("MiB", MiB), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def one_line(value: object, limit: int = 160) -> str:
    return " ".join(str(value).split())[:limit]
